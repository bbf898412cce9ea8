"""Gemini's Files API: resumable uploads exactly as google-genai makes them, file state.

Files too big for inline data go here and are then referenced by ``fileData.fileUri``.
An uploaded file is kept by Google for 48 hours (its ``expirationTime``), then
requests naming it fail with 403 PERMISSION_DENIED "You do not have permission to
access the File ID or it may not exist." :class:`KeptUploads` uploads the kept
bytes again before that time or after that error. The API key travels only in the
``x-goog-api-key`` header; the upload session URL carries its own ``upload_id``
and the key is never added to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from rill.core.errors import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RequestTimeoutError,
    RillError,
)
from rill.core.providers import gemini_wire as wire
from rill.core.providers.net_errors import MAX_ERROR_BODY
from rill.core.types import GenerateRequest, Message, Part

Progress = Callable[[int, int], None]
"""Told (bytes sent so far, total bytes) while an upload runs; never goes backwards."""
Waiting = Callable[[float], None]
"""Told the seconds waited so far, after each poll, while the file is PROCESSING."""

FILES_URI_PREFIX = "https://generativelanguage.googleapis.com/v1beta/files/"
FILE_LIFETIME_HOURS = 48
# google-genai's chunk size, and Google's upload granularity: every chunk but the last
# must be a multiple of the granularity the server announces.
CHUNK_SIZE = 8 * 1024 * 1024
# Bytes handed to the socket between two progress reports.
PROGRESS_STEP = 256 * 1024
_FILE_ID = re.compile(r"(?:^|/)files/([a-z0-9-]+)/?$")


def file_id(uri_or_name: str) -> str | None:
    """The id in ``files/ID`` or a Files API URI (query ignored); None for other URIs."""
    split = urlsplit(uri_or_name.strip())
    if split.scheme not in ("", "http", "https"):
        return None
    found = _FILE_ID.search(split.path)
    return found.group(1) if found else None


def is_files_api_uri(uri: str) -> bool:
    """A Gemini Files API URI (``https://generativelanguage.googleapis.com/v1beta/files/ID``)."""
    return uri.startswith(("https://generativelanguage.googleapis.com/", FILES_URI_PREFIX)) and (
        file_id(uri) is not None
    )


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A File resource as the Files API describes it."""

    name: str  # "files/abc123"
    uri: str  # what goes into fileData.fileUri
    mime_type: str
    state: str  # PROCESSING, ACTIVE, FAILED
    size_bytes: int | None = None
    display_name: str | None = None
    expiration_time: str | None = None  # RFC 3339; 48 h after the upload
    error: str | None = None  # why processing FAILED, when the server says

    @classmethod
    def from_json(cls, raw: Any) -> RemoteFile:
        """A RemoteFile from the Files API's JSON; raises ProtocolError when it is not one."""
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ProtocolError("The Files API answered without a file resource.")
        name: str = raw["name"]
        size = raw.get("sizeBytes")
        error = raw.get("error")
        shown = raw.get("displayName")
        expires = raw.get("expirationTime")
        return cls(
            name=name,
            uri=str(raw.get("uri") or FILES_URI_PREFIX + name.removeprefix("files/")),
            mime_type=str(raw.get("mimeType") or "application/octet-stream"),
            state=str(raw.get("state") or "STATE_UNSPECIFIED"),
            size_bytes=_positive_int(str(size)) if isinstance(size, str | int) else None,
            display_name=shown if isinstance(shown, str) else None,
            expiration_time=expires if isinstance(expires, str) else None,
            error=str(error.get("message") or error) if isinstance(error, dict) else None,
        )


class GeminiFiles:
    """The Files API on a provider's HTTP client (shared pool, same timeouts, same key).

    ``poll_interval`` doubles after each poll up to ``max_poll_interval``; waiting for
    ACTIVE gives up after ``max_wait`` seconds. Cancelling the awaiting task stops an
    upload (the session is cancelled on the server, best effort) or a wait at once.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        api_key: str | None,
        *,
        network_error: Callable[[Exception], RillError],
        api_version: str = "v1beta",
        chunk_size: int = CHUNK_SIZE,
        poll_interval: float = 0.25,
        max_poll_interval: float = 2.0,
        max_wait: float = 300.0,
    ) -> None:
        self._client = client
        self._versioned = base_url.rstrip("/")
        # The upload endpoint sits beside the versioned root: {root}/upload/v1beta/files.
        self._root = self._versioned.removesuffix(f"/{api_version}")
        self._api_version = api_version
        self._api_key = api_key
        self._network_error = network_error
        self.chunk_size = chunk_size
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.max_wait = max_wait

    # ------------------------------------------------------------ plumbing

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self._api_key:
            headers["x-goog-api-key"] = self._api_key
        return headers

    def _same_origin(self, url: str) -> str:
        """The session URL on our base's scheme and host, as google-genai rewrites it.

        Behind a proxy or gateway the server may name its own public host; the key
        header must only ever go to the host the user configured.
        """
        base, target = urlsplit(self._root), urlsplit(url)
        return urlunsplit(target._replace(scheme=base.scheme, netloc=base.netloc))

    async def _send(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Headers, bytes]:
        """One request, read whole: (headers, body); HTTP errors mapped onto the hierarchy."""
        try:
            async with self._client.stream(method, url, **kwargs) as resp:
                body = b""
                async for piece in resp.aiter_bytes():
                    body += piece
                    if resp.status_code >= 300 and len(body) > MAX_ERROR_BODY:
                        break
        except httpx.HTTPError as exc:
            raise self._network_error(exc) from None
        if resp.status_code >= 300:
            raise wire.error_from_http(
                resp.status_code,
                body,
                resp.headers.get("content-type", ""),
                resp.headers.get("retry-after"),
                None,
            )
        return resp.headers, body

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            return json.loads(body) if body.strip() else {}
        except (ValueError, RecursionError):
            raise ProtocolError("The Files API answered with something that is not JSON.") from None

    # ------------------------------------------------------------ calls

    async def get(self, uri_or_name: str) -> RemoteFile:
        """``GET files/{id}``: the file's state, MIME type, URI and expiry."""
        ident = file_id(uri_or_name)
        if ident is None:
            raise InvalidRequestError(f"{uri_or_name} is not a Gemini Files API URI or name.")
        url = f"{self._versioned}/files/{quote(ident, safe='')}"
        _, body = await self._send("GET", url, headers=self._headers())
        return RemoteFile.from_json(self._json(body))

    async def delete(self, uri_or_name: str) -> None:
        """``DELETE files/{id}`` (files expire by themselves after 48 h)."""
        ident = file_id(uri_or_name)
        if ident is None:
            raise InvalidRequestError(f"{uri_or_name} is not a Gemini Files API URI or name.")
        await self._send("DELETE", f"{self._versioned}/files/{ident}", headers=self._headers())

    async def upload(
        self,
        data: bytes,
        mime_type: str,
        display_name: str | None = None,
        progress: Progress | None = None,
        *,
        wait_active: bool = True,
        waiting: Waiting | None = None,
    ) -> RemoteFile:
        """Upload ``data`` (resumable protocol), then wait until the file is ACTIVE.

        Raises the mapped RillError; InvalidRequestError if processing FAILED;
        RequestTimeoutError if it is not ACTIVE within ``max_wait`` seconds.
        """
        total = len(data)
        meta: dict[str, Any] = {}
        if display_name:
            meta["display_name"] = display_name[:512]
        started, _ = await self._send(
            "POST",
            f"{self._root}/upload/{self._api_version}/files",
            json={"file": meta},
            headers=self._headers({
                "content-type": "application/json",
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": str(total),
                "X-Goog-Upload-Header-Content-Type": mime_type,
            }),
        )  # fmt: skip
        session = started.get("x-goog-upload-url")
        if not session:
            raise ProtocolError("The Files API did not return an upload URL.")
        session = self._same_origin(session)
        granularity = _positive_int(started.get("x-goog-upload-chunk-granularity"))
        chunk = max(1, self.chunk_size)
        if granularity:
            chunk = max(granularity, chunk // granularity * granularity)
        reporter = _Reporter(total, progress)
        try:
            resource = await self._transfer(session, data, chunk, reporter)
        except asyncio.CancelledError:
            await self._cancel_session(session)
            raise
        remote = RemoteFile.from_json(resource)
        if not wait_active:
            return remote
        return await self.wait_until_active(remote, waiting)

    async def _transfer(self, session: str, data: bytes, chunk: int, reporter: _Reporter) -> Any:
        """Send ``data`` chunk by chunk; return the ``file`` of the final answer."""
        total = len(data)
        offset = 0
        reporter(0)
        while True:
            piece = data[offset : offset + chunk]
            last = offset + len(piece) >= total
            headers, body = await self._send(
                "POST",
                session,
                content=_pieces(piece, offset, reporter),
                headers=self._headers({
                    "X-Goog-Upload-Command": "upload, finalize" if last else "upload",
                    "X-Goog-Upload-Offset": str(offset),
                    "Content-Length": str(len(piece)),
                }),
            )  # fmt: skip
            offset += len(piece)
            status = headers.get("x-goog-upload-status", "")
            if last:
                if status != "final":
                    raise ProtocolError(f"The Files API did not finish the upload ({status!r}).")
                answer = self._json(body)
                return answer.get("file") if isinstance(answer, dict) else None
            if status != "active":
                raise ProtocolError(f"The Files API stopped the upload ({status!r}).")

    async def _cancel_session(self, session: str) -> None:
        """Tell the server to drop a half-done upload; never blocks a cancel for long."""
        headers = self._headers({"X-Goog-Upload-Command": "cancel"})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._send("POST", session, headers=headers), timeout=2.0)

    async def wait_until_active(
        self, file: RemoteFile | str, waiting: Waiting | None = None
    ) -> RemoteFile:
        """Poll ``GET files/{id}`` until ACTIVE (bounded by ``max_wait``; cancellable:
        Stop ends the wait at once). ``waiting`` hears the seconds waited, each poll."""
        remote = file if isinstance(file, RemoteFile) else await self.get(file)
        started = time.monotonic()
        deadline = started + self.max_wait
        delay = self.poll_interval
        while True:
            if remote.state == "ACTIVE":
                return remote
            if remote.state == "FAILED":
                why = f": {remote.error}" if remote.error else "."
                raise InvalidRequestError(
                    f"Gemini could not process the uploaded file "
                    f"{remote.display_name or remote.name}{why}"
                )
            if time.monotonic() + delay > deadline:
                raise RequestTimeoutError(
                    f"Gemini was still processing {remote.display_name or remote.name} "
                    f"after {self.max_wait:g} s."
                )
            if waiting is not None:
                waiting(time.monotonic() - started)
            await asyncio.sleep(delay)
            delay = min(self.max_poll_interval, delay * 2)
            remote = await self.get(remote.name)


class _Reporter:
    """Progress that never goes backwards and is told nothing twice."""

    def __init__(self, total: int, callback: Progress | None) -> None:
        self.total = total
        self.callback = callback
        self.sent = -1

    def __call__(self, sent: int) -> None:
        sent = min(sent, self.total)
        if self.callback is not None and sent > self.sent:
            self.sent = sent
            self.callback(sent, self.total)


async def _pieces(chunk: bytes, base: int, reporter: _Reporter) -> AsyncIterator[bytes]:
    """``chunk`` in PROGRESS_STEP slices; httpx pulls the next only once one is written."""
    view = memoryview(chunk)
    for start in range(0, len(chunk), PROGRESS_STEP):
        piece = bytes(view[start : start + PROGRESS_STEP])
        yield piece
        reporter(base + start + len(piece))


def _positive_int(value: str | None) -> int | None:
    """A header or field of plain ASCII digits as a positive int ("²".isdigit() is True)."""
    if not value or len(value) > 20 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number > 0 else None


# ---------------------------------------------------------------- uploads kept with their bytes

# A URI this close to its expirationTime is not used any more: the request (and the
# model reading the file) must finish before Google deletes it.
EXPIRY_MARGIN = 15 * 60.0
_FRACTION = re.compile(r"\.(\d+)")
_MISSING_FILE = re.compile(r"\bFile\b.*\b(may not exist|not found|does not exist)", re.I | re.S)

# (bytes, MIME type, display name or None): a new upload of a kept file.
Uploader = Callable[[bytes, str, str | None], Awaitable[RemoteFile]]


def parse_timestamp(value: str | None) -> float | None:
    """An RFC 3339 timestamp ("2026-11-26T10:00:00.123456789Z", any offset) as Unix time."""
    if not value:
        return None
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value.strip(), count=1)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def part_for(remote: RemoteFile, data: bytes) -> Part:
    """A ``fileData`` part for an upload that keeps its bytes and knows its expiry."""
    return Part(
        data=data,
        mime_type=remote.mime_type,
        file_uri=remote.uri,
        file_expires_at=parse_timestamp(remote.expiration_time),
    )


def names_missing_file(error: RillError, uris: Iterable[str]) -> list[str]:
    """Which of ``uris`` a 403/404 is about: those whose file id it names; all of them
    when it is about a file ("You do not have permission to access the File x or it
    may not exist.") without naming one we sent; none when it is about something else.
    """
    if not isinstance(error, PermissionDeniedError | NotFoundError):
        return []
    said = f"{error.message}\n{error.detail or ''}"
    candidates = list(uris)
    named = [u for u in candidates if (ident := file_id(u)) and ident in said]
    if named:
        return named
    return candidates if _MISSING_FILE.search(said) else []


class KeptUploads:
    """Keeps every sent Files API URI alive: re-uploads kept bytes when the URI expired.

    ``upload(data, mime_type, display_name)`` makes a new upload; ``clock`` is Unix time (tests move
    it). A re-upload is remembered under the URI it replaces, so later turns of a
    conversation (whose history still holds the old URI) reuse it while it lives.
    """

    def __init__(self, upload: Uploader, clock: Callable[[], float] = time.time) -> None:
        self._upload = upload
        self.clock = clock
        # Original URI -> its current re-upload (URI, MIME type, expiry). No bytes are
        # held here: a forgotten chat's images are freed with it.
        self._replaced: dict[str, tuple[str, str | None, float | None]] = {}
        self._origin: dict[str, str] = {}  # a re-upload's URI -> the original URI

    def _usable(self, expires: float | None) -> bool:
        return expires is None or expires - EXPIRY_MARGIN > self.clock()

    async def fresh_part(self, part: Part, *, force: bool = False) -> Part:
        """``part`` with a URI that is alive: its own, a re-upload, or a new re-upload."""
        if not part.keeps_upload or part.file_uri is None or not is_files_api_uri(part.file_uri):
            return part
        origin = self._origin.get(part.file_uri, part.file_uri)
        known = self._replaced.get(origin)
        if not force:
            if known is None and self._usable(part.file_expires_at):
                return part
            if known is not None and self._usable(known[2]):
                uri, mime, expires = known
                return replace(part, file_uri=uri, mime_type=mime, file_expires_at=expires)
        assert part.data is not None
        # Under the file's own name, as first uploaded: the Files API lists it so.
        mime = part.mime_type or "application/octet-stream"
        remote = await self._upload(part.data, mime, part.file_name)
        renewed = part_for(remote, part.data)
        assert renewed.file_uri is not None
        self._replaced[origin] = (renewed.file_uri, renewed.mime_type, renewed.file_expires_at)
        self._origin[renewed.file_uri] = origin
        # The part's own fields (its file name, a PDF's text, a signature) stay.
        return replace(
            part,
            file_uri=renewed.file_uri,
            mime_type=renewed.mime_type,
            file_expires_at=renewed.file_expires_at,
        )

    async def fresh(
        self, request: GenerateRequest, force: frozenset[str] = frozenset()
    ) -> GenerateRequest:
        """``request`` with every kept upload's URI alive (those in ``force`` renewed)."""
        contents: list[Message] = []
        changed = False
        for message in request.contents:
            parts = [await self.fresh_part(p, force=p.file_uri in force) for p in message.parts]
            if any(new is not old for new, old in zip(parts, message.parts, strict=True)):
                changed = True
                message = replace(message, parts=parts)
            contents.append(message)
        return replace(request, contents=tuple(contents)) if changed else request

    async def after_error(
        self, request: GenerateRequest, error: RillError
    ) -> GenerateRequest | None:
        """The request to send again when ``error`` says a file we sent is gone; else None."""
        sent = [
            p.file_uri
            for m in request.contents
            for p in m.parts
            if p.keeps_upload and p.file_uri is not None and is_files_api_uri(p.file_uri)
        ]
        gone = names_missing_file(error, sent)
        if not gone:
            return None
        return await self.fresh(request, force=frozenset(gone))
