"""Any OpenAI-compatible server (Chat Completions + SSE) over one ``httpx.AsyncClient``.

Ollama, LM Studio, llama.cpp's server, vLLM, OpenRouter, OpenAI itself and Gemini's
OpenAI endpoint all speak it, each a little differently; ``openai_wire`` absorbs the
differences. The key travels only in the ``Authorization: Bearer`` header.
"""

from __future__ import annotations

import json as jsonlib
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx

from rill.core.errors import (
    AuthError,
    InvalidRequestError,
    ProtocolError,
    RillError,
)
from rill.core.providers import openai_wire as wire
from rill.core.providers.http_client import make_client, open_response
from rill.core.providers.model_choice import require_model
from rill.core.providers.net_errors import (
    json_body,
    network_error,
    read_error_body,
    require_event_stream,
)
from rill.core.providers.openai_errors import error_from_http, rejects_stream_options
from rill.core.providers.sse import EventStream, read_stream
from rill.core.types import Capabilities, Chunk, GenerateRequest, Message, ModelInfo, Role


def estimate_tokens(request: GenerateRequest) -> int:
    """About four characters a token: the API has no counting call, so this guesses."""
    chars = len(request.settings.system_instruction or "")
    images = 0
    for message in request.contents:
        for part in message.parts:
            chars += len(part.text or "")
            images += part.is_image
    return math.ceil(chars / 4) + 85 * images  # 85: OpenAI's low-detail image cost


class OpenAICompatProvider:
    """Chat Completions at ``base_url`` (which ends in ``/v1`` or its equivalent).

    ``label`` names the server in error lines ("Ollama did not accept the API key").
    ``default_model`` is what a request naming none asks for (ChatSession resolves
    it through ``model_choice``; failing that, the first model the server lists:
    llama.cpp and vLLM serve just one). A request reaching the provider names one.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        name: str = "openai",
        label: str | None = None,
        default_model: str = "",
        read_timeout: float = 60.0,
        connect_timeout: float = 10.0,
        proxy: str | None = None,
        send_top_k: bool = True,
        include_usage: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.label = label or self.host
        self.default_model = default_model
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.send_top_k = send_top_k
        # Turned off for good once the server refuses it (older vLLM, some proxies).
        self.include_usage = include_usage
        self.capabilities = Capabilities(
            images=True,
            documents=False,  # text files and PDFs' text only (rill.core.file_parts)
            file_uris=False,
            thoughts=True,
            system_instruction=True,
            safety_settings=False,
            seed=True,
            top_k=send_top_k,
        )
        self._api_key = api_key
        # The one factory: a server on this machine is never reached through a proxy.
        self._client = make_client(
            self.base_url,
            proxy=proxy,
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
            transport=transport,
        )

    # ------------------------------------------------------------ plumbing

    def _headers(self, streaming: bool = False) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if streaming:
            headers["accept"] = "text/event-stream"
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    async def _raise_for_status(self, response: httpx.Response, model: str | None) -> None:
        if response.status_code == 200:
            return
        body = await read_error_body(response, self.host)
        error = error_from_http(
            response.status_code,
            body,
            response.headers.get("content-type", ""),
            response.headers.get("retry-after"),
            model,
            self.label,
        )
        if isinstance(error, AuthError) and not self._api_key:
            error.message += f" No API key is set for provider '{self.name}'."
            error.args = (error.message,)
        raise error

    @asynccontextmanager
    async def _request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        model: str | None = None,
        streaming: bool = False,
    ) -> AsyncIterator[httpx.Response]:
        """An open, status-checked response; closed (connection dropped) on exit."""
        try:
            async with self._client.stream(
                method, url, json=json, headers=self._headers(streaming)
            ) as resp:
                await self._raise_for_status(resp, model)
                yield resp
        except httpx.HTTPError as exc:
            raise self._network_error(exc) from None

    def _network_error(self, exc: Exception) -> RillError:
        return network_error(
            exc, self.host, self.connect_timeout, self.read_timeout, hint="; is the server running?"
        )

    async def _get_json(
        self, method: str, url: str, *, json: Any = None, model: str | None = None
    ) -> Any:
        async with self._request(method, url, json=json, model=model) as resp:
            body = await resp.aread()
        return json_body(body, resp, self.host)

    def _model(self, requested: str) -> str:
        """The request's model; an empty one was resolved by ChatSession already
        (:mod:`rill.core.providers.model_choice`) and is refused here."""
        return require_model(requested, self.label)

    # ------------------------------------------------------------ the protocol

    def stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """``chat/completions`` with ``stream: true``: chunks as they arrive.

        A server that refuses ``stream_options`` is asked again without it (no usage
        then). Raises StreamInterruptedError when the body ends with neither
        ``[DONE]`` nor a finish reason: a dropped connection is never a complete answer.
        This module is visited only while the stream opens: its chunks come from
        ``sse.EventStream`` and ``openai_wire.OpenAIEvents``.
        """
        return read_stream(partial(self._open_stream, request))

    async def _open_stream(self, request: GenerateRequest) -> EventStream | Chunk:
        """The answer's response, read up to its first chunk."""
        model = self._model(request.settings.model)
        try:
            return await self._open_once(request, model, self.include_usage)
        except InvalidRequestError as exc:
            if not self.include_usage or not rejects_stream_options(exc):
                raise
            self.include_usage = False
        return await self._open_once(request, model, False)

    async def _open_once(
        self, request: GenerateRequest, model: str, include_usage: bool
    ) -> EventStream | Chunk:
        body = wire.encode_request(
            request, model, stream=True, include_usage=include_usage, send_top_k=self.send_top_k
        )
        sent = self._client.build_request(
            "POST", self._url("chat/completions"), json=body, headers=self._headers(True)
        )

        async def checked(response: httpx.Response) -> httpx.Response | Chunk:
            await self._raise_for_status(response, model)
            ctype = response.headers.get("content-type", "")
            if "text/event-stream" not in ctype and "json" in ctype:
                # The server ignored stream: true; take the answer whole.
                try:
                    return self._whole(await response.aread())
                finally:
                    await response.aclose()
            require_event_stream(response, self.host)
            return response

        response = await open_response(self._client, sent, self._network_error, checked)
        if isinstance(response, Chunk):
            return response
        stream = EventStream(
            response.aiter_bytes(),
            wire.OpenAIEvents(self.host, self.label, include_usage),
            host=self.host,
            close=response.aclose,
            network_error=self._network_error,
        )
        await stream.first()  # closes the response if it fails
        return stream

    def _whole(self, body: bytes) -> Chunk:
        """A non-streamed completion body as one chunk."""
        try:
            obj = jsonlib.loads(body) if body else {}
        except (ValueError, RecursionError):
            raise ProtocolError(f"{self.host} answered with something that is not JSON.") from None
        splitter = wire.ThinkSplitter()
        chunk = wire.decode_chunk(obj, splitter, stream=False)
        if not chunk.parts and chunk.finish_reason is None:
            raise wire.no_answer(self.label)
        return Chunk(
            parts=(*chunk.parts, *splitter.flush()),
            usage=chunk.usage,
            finish_reason=chunk.finish_reason,
            model_version=chunk.model_version,
            response_id=chunk.response_id,
        )

    async def generate(self, request: GenerateRequest) -> Message:
        """``chat/completions`` with ``stream: false``: the whole answer at once."""
        model = self._model(request.settings.model)
        body = wire.encode_request(request, model, stream=False, send_top_k=self.send_top_k)
        async with self._request(
            "POST", self._url("chat/completions"), json=body, model=model
        ) as r:
            raw = await r.aread()
        chunk = self._whole(raw)
        message = Message(role=Role.MODEL, model=model)
        message.absorb(chunk)
        return message

    async def list_models(self) -> list[ModelInfo]:
        """``GET models``, chat models only (embedding and speech models left out)."""
        obj = await self._get_json("GET", self._url("models"))
        entries = None
        if isinstance(obj, dict):
            entries = obj.get("data", obj.get("models"))
        models: list[ModelInfo] = []
        for raw in entries if isinstance(entries, list) else []:
            info = wire.decode_model(raw)
            if info is not None:
                models.append(info)
        return models

    async def count_tokens(self, request: GenerateRequest) -> int:
        """An estimate: Chat Completions has no token-counting call."""
        return estimate_tokens(request)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
