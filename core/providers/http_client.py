"""The one place an HTTP provider gets its ``httpx.AsyncClient``: timeouts, proxy, agent.

Gemini, Vertex AI and every OpenAI-compatible server build their client here (the
Files API rides on Gemini's client, Test connection on the provider it tests), so the
proxy rules cannot diverge between them: a server on this machine is always reached
directly, whatever ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` say; elsewhere the
settings' proxy wins, and without one httpx reads those variables and ``NO_PROXY``.
Also home to :func:`open_response`, which sends a streamed request and hands its open
response to the reader that will own it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

USER_AGENT = "rill/0.1"

_T = TypeVar("_T")


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (127.0.0.0/8, localhost, ::1)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:  # an unbalanced "[" in a typed URL
        return False
    if host == "localhost" or host.endswith(".localhost") or host == "::1":
        return True
    parts = host.split(".")
    # 127.0.0.0/8, written out: the ipaddress module costs the CLI's startup time.
    return len(parts) == 4 and parts[0] == "127" and all(p.isdigit() for p in parts)


def make_timeout(read_timeout: float, connect_timeout: float) -> httpx.Timeout:
    """Connect bounded, reads bounded between bytes, no total limit (answers stream long)."""
    return httpx.Timeout(
        connect=connect_timeout, read=read_timeout, write=60.0, pool=connect_timeout
    )


def make_client(
    base_url: str,
    *,
    proxy: str | None = None,
    read_timeout: float = 60.0,
    connect_timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """A client for requests to ``base_url`` (redirects are never followed).

    ``proxy`` is the settings' proxy (None: the environment's, if any). For a
    loopback ``base_url`` no proxy is used at all: a proxy elsewhere cannot reach
    this machine's servers, and a dead one would fail every request to them.
    """
    direct = is_loopback(base_url)
    return httpx.AsyncClient(
        timeout=make_timeout(read_timeout, connect_timeout),
        headers={"user-agent": USER_AGENT},
        proxy=None if direct else (proxy or None),
        trust_env=not direct,
        transport=transport,
        follow_redirects=False,
    )


async def open_response(
    client: httpx.AsyncClient,
    request: httpx.Request,
    network_error: Callable[[Exception], Exception],
    use: Callable[[httpx.Response], Awaitable[_T]],
) -> _T:
    """Send ``request`` and hand its response, open for streaming, to ``use``.

    What ``use`` returns owns the response from then on (an ``EventStream`` closes it
    when the answer ends or stops); if ``use`` fails, the response is closed here.
    httpx's failures come out as ``network_error(exc)``.
    """
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise network_error(exc) from None
    try:
        return await use(response)
    except httpx.HTTPError as exc:
        await response.aclose()
        raise network_error(exc) from None
    except BaseException:
        await response.aclose()
        raise


__all__ = [
    "USER_AGENT",
    "is_loopback",
    "make_client",
    "make_timeout",
    "open_response",
]
