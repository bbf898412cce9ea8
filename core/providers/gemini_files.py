"""Gemini's Files API: resumable uploads exactly as google-genai makes them, file state.

Files too big for inline data go here and are then referenced by ``fileData.fileUri``.
An uploaded file is kept by Google for 48 hours, then requests naming it fail with
403 PERMISSION_DENIED. The API key travels only in the ``x-goog-api-key`` header;
the upload session URL carries its own ``upload_id`` and the key is never added to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from rill.core.errors import InvalidRequestError, ProtocolError, RequestTimeoutError, RillError
from rill.core.providers import gemini_wire as wire
from rill.core.providers.net_errors import MAX_ERROR_BODY

Progress = Callable[[int, int], None]
"""Told (bytes sent so far, total bytes) while an upload runs; never goes backwards."""

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
        return await self.wait_until_active(remote)

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

    async def wait_until_active(self, file: RemoteFile | str) -> RemoteFile:
        """Poll ``GET files/{id}`` until ACTIVE (bounded by ``max_wait``; cancellable)."""
        remote = file if isinstance(file, RemoteFile) else await self.get(file)
        deadline = time.monotonic() + self.max_wait
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
