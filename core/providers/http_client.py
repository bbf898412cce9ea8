"""The one place an HTTP provider gets its ``httpx.AsyncClient``: timeouts, proxy, agent.

Gemini, Vertex AI and every OpenAI-compatible server build their client here (the
Files API rides on Gemini's client, Test connection on the provider it tests), so the
proxy rules cannot diverge between them: a server on this machine is always reached
directly, whatever ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` say; elsewhere the
settings' proxy wins, and without one httpx reads those variables and ``NO_PROXY``.
Also home to :func:`until_quiet`, which ends a stream the server keeps open after
its final event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

USER_AGENT = "rill/0.1"
# After an answer's finish, how long to wait for what may still follow it (usage after
# the finish, [DONE]) before the response is closed and the answer is complete.
FINISH_GRACE = 1.0
# Once the answer is whole (finish and usage in), how long to wait for the body's end:
# a well-behaved server's is on its way, and reading it keeps the connection pooled.
END_GRACE = 0.25

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


async def until_quiet(
    items: AsyncIterator[_T], grace: Callable[[], float | None]
) -> AsyncGenerator[_T, None]:
    """``items`` until they end, or until ``grace()`` seconds pass without one.

    ``grace()`` is asked before each item: None waits as long as the client's read
    timeout allows (the answer is still coming); a number is for after the final
    event, when a server that keeps the connection open must not hold the answer.
    """
    try:
        while True:
            timer = asyncio.timeout(grace())
            try:
                async with timer:
                    item = await anext(items)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if timer.expired():
                    return  # quiet after the end: the answer is complete as it is
                raise
            yield item
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()


__all__ = [
    "END_GRACE",
    "FINISH_GRACE",
    "USER_AGENT",
    "is_loopback",
    "make_client",
    "make_timeout",
    "until_quiet",
]
