"""httpx's failures mapped onto Rill's error hierarchy, shared by every HTTP provider."""

from __future__ import annotations

import json
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from rill.core.errors import (
    NetworkError,
    ProtocolError,
    RequestTimeoutError,
    RillError,
    StreamInterruptedError,
)

# Error bodies are small; a proxy's 50 MB error page is not read whole.
MAX_ERROR_BODY = 256 * 1024


async def read_error_body(response: httpx.Response, host: str) -> bytes:
    """The start of a non-200 body, for the provider's error mapping.

    A redirect is refused here for every provider: following it could send the key
    to another host, and a base URL that redirects is a configuration mistake.
    """
    body = b""
    async for piece in response.aiter_bytes():
        body += piece
        if len(body) > MAX_ERROR_BODY:
            break
    if 300 <= response.status_code < 400:
        target = response.headers.get("location", "?")
        raise ProtocolError(
            f"{host} redirected the request (HTTP {response.status_code}) to "
            f"{urlsplit(target).netloc or target}; check the base URL."
        )
    return body


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from, innermost last."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def network_error(
    exc: Exception,
    host: str,
    connect_timeout: float,
    read_timeout: float,
    *,
    hint: str = "",
) -> RillError:
    """httpx's failures as the hierarchy, with a line a person understands.

    ``hint`` ends the "cannot connect" lines: a local server (Ollama, llama.cpp) that
    refuses is usually just not started, which is worth saying; Google's is not.
    """
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return RequestTimeoutError(f"Could not connect to {host} within {connect_timeout:g} s.")
    if isinstance(exc, httpx.ReadTimeout):
        return RequestTimeoutError(
            f"{host} sent nothing for {read_timeout:g} s; the request timed out."
        )
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeoutError(f"The request to {host} timed out.")
    text = str(exc) or type(exc).__name__
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return NetworkError(
                f"The TLS certificate of {host} could not be verified "
                f"({cause.verify_message}); Rill does not connect to it.",
                detail=text,
            )
        if isinstance(cause, ssl.SSLError):
            return NetworkError(f"A secure connection to {host} failed (TLS).", detail=text)
        if isinstance(cause, socket.gaierror):
            return NetworkError(
                f"Could not find the server {host} (DNS lookup failed).", detail=text
            )
        if isinstance(cause, ConnectionRefusedError):
            return NetworkError(_sentence(f"{host} refused the connection{hint}"), detail=text)
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(_sentence(f"Could not connect to {host}{hint}"), detail=text)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return StreamInterruptedError(
            f"The connection to {host} broke before the answer was finished.", detail=text
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return NetworkError(f"The server address is not valid: {text}")
    return NetworkError(f"Network error talking to {host}.", detail=text)


def _sentence(line: str) -> str:
    """``line`` ended as one sentence: a hint may already end in "?" (no "?." then)."""
    return line if line.endswith(("?", "!", ".")) else line + "."


def json_body(body: bytes, response: httpx.Response, host: str) -> Any:
    """``body`` of ``response`` as JSON (``{}`` when empty); anything else, deeply
    nested JSON included, is a one-line ProtocolError naming the content type."""
    try:
        return json.loads(body) if body else {}
    except (ValueError, RecursionError):
        kind = response.headers.get("content-type", "no content type")
        raise ProtocolError(f"{host} answered with something that is not JSON ({kind}).") from None


def require_event_stream(response: httpx.Response, host: str) -> None:
    """Raise a ProtocolError unless ``response`` is an SSE stream (a captive portal's
    HTML page with status 200 is not an answer)."""
    ctype = response.headers.get("content-type", "")
    if "text/event-stream" not in ctype:
        raise ProtocolError(
            f"{host} did not answer with an event stream "
            f"({ctype.split(';')[0] or 'no content type'})."
        )
