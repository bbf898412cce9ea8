"""The Files API of the fake Gemini server: resumable uploads and file state polling.

The protocol is the one google-genai speaks (see `_extra_utils.prepare_resumable_upload`
and `BaseApiClient._upload_fd`):

1. `POST /upload/v1beta/files` with `X-Goog-Upload-Protocol: resumable`,
   `X-Goog-Upload-Command: start`, `X-Goog-Upload-Header-Content-Length: N`,
   `X-Goog-Upload-Header-Content-Type: MIME` and a JSON body `{"file": {...}}`.
   The answer is an empty 200 whose `X-Goog-Upload-URL` header is the session URL.
2. `POST <session URL>` with `X-Goog-Upload-Command: upload[, finalize]` and
   `X-Goog-Upload-Offset`; every answer carries `X-Goog-Upload-Status` ("active"
   while more is expected, "final" after finalize, whose body is `{"file": {...}}`).
3. `GET /v1beta/files/{id}` reports `PROCESSING` until the `active_after_polls`-th
   GET, which (like every later one) reports `ACTIVE` (0: ACTIVE at finalize already).

Files live `lifetime` (48 hours, as on Google; `expirationTime` says when) on the
store's clock, which tests move with `advance(seconds)`; an expired file is gone, like
a deleted one: `GET files/{id}` and a generate request naming it answer Google's
403 PERMISSION_DENIED "You do not have permission to access the File ID or it may
not exist."
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.gemini_scenarios import ErrorSpec, error_spec
from tests.fakes.gemini_validate import FileLookup
from tests.fakes.gemini_wire import normalize

# Clients put this URI into fileData.fileUri; it is Google's form, never fetched.
PUBLIC_FILES_BASE = "https://generativelanguage.googleapis.com/v1beta/files/"
CHUNK_GRANULARITY = 8 * 1024 * 1024


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class UploadedFile:
    """One file as the fake holds it: the bytes a client uploaded and their metadata."""

    file_id: str
    mime_type: str
    declared_size: int
    display_name: str | None = None
    data: bytearray = field(default_factory=bytearray)
    finalized: bool = False
    polls: int = 0
    state: str = "PROCESSING"
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    lifetime: timedelta = timedelta(hours=48)

    @property
    def expires(self) -> datetime:
        return self.created + self.lifetime

    @property
    def name(self) -> str:
        return f"files/{self.file_id}"

    def resource(self) -> dict[str, Any]:
        """The File resource in Google's field order and spelling (sizeBytes is a string)."""
        digest = hashlib.sha256(bytes(self.data)).hexdigest().encode("ascii")
        body: dict[str, Any] = {"name": self.name}
        if self.display_name:
            body["displayName"] = self.display_name
        body.update(
            {
                "mimeType": self.mime_type,
                "sizeBytes": str(len(self.data)),
                "createTime": _timestamp(self.created),
                "updateTime": _timestamp(self.created),
                "expirationTime": _timestamp(self.expires),
                "sha256Hash": base64.b64encode(digest).decode("ascii"),
                "uri": PUBLIC_FILES_BASE + self.file_id,
                "state": self.state,
                "source": "UPLOADED",
            }
        )
        if self.state == "FAILED":  # Google says why in a Status, as for an error
            body["error"] = {"code": 400, "message": "The file could not be processed."}
        return body


@dataclass
class UploadReply:
    """What the HTTP layer sends back for one upload call."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None = None
    error: ErrorSpec | None = None


class FileStore(FileLookup):
    """Thread-safe upload sessions and files; `active_after_polls` is adjustable live."""

    def __init__(self, active_after_polls: int = 2) -> None:
        self.active_after_polls = active_after_polls
        self.final_state = "ACTIVE"  # set to "FAILED" to test a failed processing
        self.lifetime = timedelta(hours=48)
        self._offset = timedelta(0)  # how far advance() moved the clock
        self._lock = threading.Lock()
        self._files: dict[str, UploadedFile] = {}
        self._sessions: dict[str, UploadedFile] = {}

    def start(self, headers: dict[str, str], body: Any, base_url: str) -> UploadReply:
        """Open a resumable session (step 1)."""
        if (
            headers.get("x-goog-upload-protocol") != "resumable"
            or headers.get("x-goog-upload-command") != "start"
        ):
            return UploadReply(
                400,
                {},
                error=error_spec(
                    400, "Upload protocol must be resumable and the first command start."
                ),
            )
        try:
            size = int(headers.get("x-goog-upload-header-content-length", ""))
        except ValueError:
            return UploadReply(
                400, {}, error=error_spec(400, "X-Goog-Upload-Header-Content-Length is required.")
            )
        meta = normalize(body).get("file", {}) if isinstance(body, dict) else {}
        mime = headers.get("x-goog-upload-header-content-type") or meta.get("mimeType")
        if not mime:
            return UploadReply(400, {}, error=error_spec(400, "Mime type is required."))
        wanted = str(meta.get("name") or "").removeprefix("files/")
        file_id = wanted or "".join(
            secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12)
        )
        upload_id = secrets.token_urlsafe(24)
        with self._lock:
            if file_id in self._files:
                return UploadReply(
                    409,
                    {},
                    error=error_spec(
                        409, f"File {file_id} already exists.", status="ALREADY_EXISTS"
                    ),
                )
            self._sessions[upload_id] = UploadedFile(
                file_id,
                mime,
                size,
                display_name=meta.get("displayName"),
                created=self._now(),
                lifetime=self.lifetime,
            )
        url = f"{base_url}/upload/v1beta/files?upload_id={upload_id}&upload_protocol=resumable"
        return UploadReply(
            200,
            {
                "X-Goog-Upload-Status": "active",
                "X-Goog-Upload-URL": url,
                "X-Goog-Upload-Control-URL": url,
                "X-Goog-Upload-Chunk-Granularity": str(CHUNK_GRANULARITY),
            },
        )

    def transfer(self, upload_id: str, headers: dict[str, str], data: bytes) -> UploadReply:
        """Take one upload / finalize / query / cancel call on a session (step 2)."""
        commands = {c.strip() for c in headers.get("x-goog-upload-command", "").split(",")}
        with self._lock:
            upload = self._sessions.get(upload_id)
            if upload is None:
                return UploadReply(
                    404,
                    {"X-Goog-Upload-Status": "final"},
                    error=error_spec(404, "Upload session not found."),
                )
            if "cancel" in commands:
                del self._sessions[upload_id]
                return UploadReply(200, {"X-Goog-Upload-Status": "cancelled"})
            if "query" in commands:
                return UploadReply(
                    200,
                    {
                        "X-Goog-Upload-Status": "active",
                        "X-Goog-Upload-Size-Received": str(len(upload.data)),
                    },
                )
            if "upload" in commands:
                offset = headers.get("x-goog-upload-offset", "")
                if offset != str(len(upload.data)):
                    return UploadReply(
                        400,
                        {"X-Goog-Upload-Status": "active"},
                        error=error_spec(
                            400,
                            f"Invalid X-Goog-Upload-Offset {offset!r}; expected "
                            f"{len(upload.data)}.",
                        ),
                    )
                upload.data.extend(data)
            if "finalize" not in commands:
                return UploadReply(
                    200,
                    {
                        "X-Goog-Upload-Status": "active",
                        "X-Goog-Upload-Size-Received": str(len(upload.data)),
                    },
                )
            if len(upload.data) != upload.declared_size:
                return UploadReply(
                    400,
                    {"X-Goog-Upload-Status": "final"},
                    error=error_spec(
                        400,
                        f"Upload size {len(upload.data)} does not match the declared "
                        f"{upload.declared_size} bytes.",
                    ),
                )
            del self._sessions[upload_id]
            upload.finalized = True
            upload.state = "PROCESSING" if self.active_after_polls > 0 else self.final_state
            self._files[upload.file_id] = upload
            return UploadReply(
                200, {"X-Goog-Upload-Status": "final"}, body={"file": upload.resource()}
            )

    # ---- the clock -----------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def now(self) -> float:
        """The store's clock as Unix time (the real one plus every advance())."""
        with self._lock:
            return self._now().timestamp()

    def advance(self, seconds: float) -> None:
        """Move the clock on: files whose expirationTime passes are deleted, as on Google."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
            self._purge()

    def _purge(self) -> None:
        now = self._now()
        for ident in [i for i, f in self._files.items() if f.expires <= now]:
            del self._files[ident]

    def poll(self, file_id: str) -> dict[str, Any] | None:
        """`GET files/{id}`: counts as one poll, moving PROCESSING along (step 3)."""
        with self._lock:
            self._purge()
            upload = self._files.get(file_id)
            if upload is None:
                return None
            upload.polls += 1
            if upload.state == "PROCESSING" and upload.polls >= self.active_after_polls:
                upload.state = self.final_state
            return upload.resource()

    def delete(self, file_id: str) -> bool:
        with self._lock:
            return self._files.pop(file_id, None) is not None

    def all_files(self) -> list[UploadedFile]:
        with self._lock:
            self._purge()
            return list(self._files.values())

    def get(self, name: str) -> UploadedFile | None:
        """A stored file by "files/ID" or "ID", for tests comparing uploaded bytes."""
        with self._lock:
            self._purge()
            return self._files.get(name.removeprefix("files/"))

    def file_state(self, file_id: str) -> str | None:
        with self._lock:
            self._purge()
            upload = self._files.get(file_id)
            return None if upload is None else upload.state
