"""Google's Gemini API (REST v1beta, SSE streaming) over one ``httpx.AsyncClient``.

The key travels only in the ``x-goog-api-key`` header, never in a URL, so it cannot
end up in a log line, a proxy's access log or an error message.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from rill.core.errors import (
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RillError,
)
from rill.core.providers import gemini_wire as wire
from rill.core.providers.gemini_files import GeminiFiles, KeptUploads, RemoteFile, part_for
from rill.core.providers.gemini_tools import tool_refusal
from rill.core.providers.http_client import make_client, open_response
from rill.core.providers.model_choice import require_model
from rill.core.providers.net_errors import (
    json_body,
    network_error,
    read_error_body,
    require_event_stream,
)
from rill.core.providers.sse import EventStream, read_stream
from rill.core.types import Capabilities, Chunk, GenerateRequest, Message, ModelInfo, Part, Role

_T = TypeVar("_T")

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_MODEL = "gemini-2.5-flash"


def default_api_key() -> str | None:
    """The key the official SDK would use: GEMINI_API_KEY, then GOOGLE_API_KEY."""
    from rill.core.secrets import env_api_key  # held out of os.environ in the window

    found = env_api_key("gemini")
    return found.key if found is not None else None


def default_base_url() -> str:
    """GOOGLE_GEMINI_BASE_URL (the SDK's variable) or Google's endpoint."""
    return os.environ.get("GOOGLE_GEMINI_BASE_URL", "").strip() or DEFAULT_BASE_URL


class GeminiProvider:
    """Gemini Developer API. One instance per configured account."""

    name = "gemini"
    capabilities = Capabilities(builtin_tools=True, image_output=True)
    # The Files API (resumable upload) is there: images too big for inline data can go.
    can_upload_files = True

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        read_timeout: float = 60.0,
        connect_timeout: float = 10.0,
        api_version: str = "v1beta",
        default_model: str = DEFAULT_MODEL,
        proxy: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_key = api_key
        # What a request without a model asks for (rill.core.providers.model_choice).
        self.default_model = default_model
        # Uploaded images that kept their bytes: URIs renewed before they expire.
        self.kept_uploads = KeptUploads(self._reupload, clock)
        root = (base_url or default_base_url()).rstrip("/")
        # Accept a base URL that already names the version (".../v1beta").
        if not root.endswith(f"/{api_version}"):
            root = f"{root}/{api_version}"
        self.base_url = root
        self.host = urlsplit(root).netloc or root
        self.read_timeout = read_timeout
        self.models_page_size = 1000  # Google's maximum; tests shrink it to prove paging
        self.connect_timeout = connect_timeout
        # The one factory: a loopback gateway is never reached through a proxy.
        self._client = make_client(
            root,
            proxy=proxy,
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
            transport=transport,
        )

    # ------------------------------------------------------------ plumbing

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self._api_key:
            headers["x-goog-api-key"] = self._api_key
        return headers

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def _model_path(self, model: str, method: str) -> str:
        model_id = require_model(model, self.host).removeprefix("models/")
        return self._url(f"models/{quote(model_id, safe='-._~')}:{method}")

    def _network_error(self, exc: Exception) -> RillError:
        return network_error(exc, self.host, self.connect_timeout, self.read_timeout)

    async def _raise_for_status(self, response: httpx.Response, model: str | None) -> None:
        if response.status_code == 200:
            return
        body = await read_error_body(response, self.host)
        raise wire.error_from_http(
            response.status_code,
            body,
            response.headers.get("content-type", ""),
            response.headers.get("retry-after"),
            model,
        )

    @asynccontextmanager
    async def _request(
        self, method: str, url: str, *, json: Any = None, model: str | None = None
    ) -> AsyncIterator[httpx.Response]:
        """An open, status-checked response; closed (connection dropped) on exit."""
        try:
            async with self._client.stream(method, url, json=json, headers=self._headers()) as resp:
                await self._raise_for_status(resp, model)
                yield resp
        except httpx.HTTPError as exc:
            raise self._network_error(exc) from None

    async def _get_json(
        self, method: str, url: str, *, json: Any = None, model: str | None = None
    ) -> Any:
        async with self._request(method, url, json=json, model=model) as resp:
            body = await resp.aread()
        return json_body(body, resp, self.host)

    # ------------------------------------------------------------ the protocol

    def stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """``streamGenerateContent?alt=sse``: chunks as they arrive.

        Raises :class:`StreamInterruptedError` when the body ends without a finish
        reason: a dropped connection must never look like a complete answer (and
        :class:`ServerError`, "no answer", when it carried no candidate at all). Uploaded
        images whose URI expired are uploaded again first; one the server says is gone
        (403/404 naming the file, before the first chunk) is uploaded again and the
        request sent once more. This module is visited only while the stream opens:
        its chunks come from ``sse.EventStream`` and ``gemini_wire.GeminiEvents``.
        """
        return read_stream(partial(self._with_files, request, self._open_stream))

    async def _open_stream(self, request: GenerateRequest) -> EventStream:
        """The answer's response, read up to its first chunk."""
        try:
            model = request.settings.model
            url = self._model_path(model, "streamGenerateContent") + "?alt=sse"
            body = wire.encode_request(request, file_uris=self.can_upload_files)
            sent = self._client.build_request("POST", url, json=body, headers=self._headers())

            async def checked(response: httpx.Response) -> httpx.Response:
                await self._raise_for_status(response, model)
                require_event_stream(response, self.host)
                return response

            response = await open_response(self._client, sent, self._network_error, checked)
        except InvalidRequestError as error:
            raise tool_refusal(error, request) from None
        stream = EventStream(
            response.aiter_bytes(),
            wire.GeminiEvents(self.host, request),
            host=self.host,
            close=response.aclose,
            network_error=self._network_error,
        )
        await stream.first()  # closes the response if it fails
        return stream

    async def generate(self, request: GenerateRequest) -> Message:
        """``generateContent``: the whole answer in one response (expired uploads renewed)."""
        try:
            return await self._with_files(request, self._generate_once)
        except InvalidRequestError as error:
            raise tool_refusal(error, request) from None

    async def _generate_once(self, request: GenerateRequest) -> Message:
        model = request.settings.model
        url = self._model_path(model, "generateContent")
        body = wire.encode_request(request, file_uris=self.can_upload_files)
        obj = await self._get_json("POST", url, json=body, model=model)
        chunk = wire.decode_chunk(obj)  # raises for a blocked prompt
        if not wire.answered(chunk):
            raise wire.no_answer()
        message = Message(role=Role.MODEL, model=model)
        message.absorb(chunk)
        return message

    async def list_models(self) -> list[ModelInfo]:
        """Every page of ``models``, keeping those that support generateContent."""
        models: list[ModelInfo] = []
        token: str | None = None
        for _ in range(100):  # a server that never stops paging is not followed forever
            params = f"pageSize={self.models_page_size}" + (
                f"&pageToken={quote(token)}" if token else ""
            )
            obj = await self._get_json("GET", self._url(f"models?{params}"))
            entries = obj.get("models") if isinstance(obj, dict) else None
            for raw in entries if isinstance(entries, list) else []:
                info = wire.decode_model(raw)
                if info is not None:
                    models.append(info)
            next_token = obj.get("nextPageToken") if isinstance(obj, dict) else None
            if not isinstance(next_token, str) or not next_token:
                break
            token = next_token
        return models

    async def count_tokens(self, request: GenerateRequest) -> int:
        """``countTokens`` for the request's contents."""
        return await self._with_files(request, self._count_tokens_once)

    async def _count_tokens_once(self, request: GenerateRequest) -> int:
        model = request.settings.model
        url = self._model_path(model, "countTokens")
        contents = wire.encode_contents(
            request.contents, file_uris=self.can_upload_files, model=model
        )
        body = {"contents": contents}
        obj = await self._get_json("POST", url, json=body, model=model)
        total = obj.get("totalTokens") if isinstance(obj, dict) else None
        if not isinstance(total, int):
            raise ProtocolError(f"{self.host} did not return a token count.")
        return total

    # ------------------------------------------------------------ files

    @property
    def files(self) -> GeminiFiles:
        """The Files API on this provider's connection pool, key and timeouts."""
        return GeminiFiles(
            self._client, self.base_url, self._api_key, network_error=self._network_error
        )

    async def upload_file(
        self,
        data: bytes,
        mime_type: str,
        display_name: str,
        progress: Callable[[int, int], None] | None = None,
        processing: Callable[[float], None] | None = None,
    ) -> Part:
        """Upload through the Files API, wait until ACTIVE, return a ``fileData`` part.

        ``progress(sent, total)`` is called as bytes go out, ``processing(seconds)``
        while Gemini processes the file (a video takes a while). The part keeps
        ``data`` and the file's expiry (48 h on Google), so later turns can upload it
        again.
        """
        remote = await self.files.upload(
            data, mime_type, display_name, progress, waiting=processing
        )
        return part_for(remote, data)

    async def _reupload(self, data: bytes, mime_type: str, name: str | None) -> RemoteFile:
        # A part stored before uploads kept their names has none to give.
        return await self.files.upload(data, mime_type, name or "rill file (uploaded again)")

    async def _fresh_files(self, request: GenerateRequest) -> GenerateRequest:
        if not self.can_upload_files:
            return request
        return await self.kept_uploads.fresh(request)

    async def _files_gone(
        self, request: GenerateRequest, error: RillError
    ) -> GenerateRequest | None:
        if not self.can_upload_files:
            return None
        return await self.kept_uploads.after_error(request, error)

    async def _with_files(
        self, request: GenerateRequest, call: Callable[[GenerateRequest], Awaitable[_T]]
    ) -> _T:
        """``call(request)`` with live file URIs; once more after a "file is gone" error."""
        request = await self._fresh_files(request)
        try:
            return await call(request)
        except (PermissionDeniedError, NotFoundError) as error:
            again = await self._files_gone(request, error)
            if again is None:
                raise
            return await call(again)

    async def file_info(self, uri: str) -> RemoteFile:
        """``GET files/{id}`` for a Files API URI: its MIME type, state and expiry."""
        return await self.files.get(uri)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
