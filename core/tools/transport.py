"""Opening one server's connection with the SDK's own transports: a stdio server as a
child process (its stderr kept in a short tail, its environment free of Rill's keys),
a streamable HTTP server with its headers. And one sentence for what went wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import IO, TextIO
from urllib.parse import urlsplit

import httpx2
import mcp.client.stdio as sdk_stdio
from mcp.client import Transport
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED
from pydantic import ValidationError

from rill.core.tool_settings import ServerConfig
from rill.core.tools.keys import Resolved

# The SDK stops a stdio server as the specification says (close its stdin, wait, then
# SIGTERM, wait, then SIGKILL), with 2 s for each wait. Rill must quit within 1 s with
# servers running, its own teardown included, so the waits are shorter: the Python
# SDK's servers exit 0.2-0.3 s after their stdin closes (most of it their interpreter's
# teardown), a slower one gets SIGTERM, and one that ignores both is killed after
# 0.5 s (0.58 s measured, tests/gui/test_tool_servers_qasync.py). The SDK reads both
# values at each stop.
sdk_stdio.PROCESS_TERMINATION_TIMEOUT = 0.3
sdk_stdio.FORCE_KILL_TIMEOUT = 0.2

# Windows' proactor loops cannot read an anonymous pipe; a thread reads it there
# (tests run this path on Linux too).
READ_IN_THREAD = sys.platform == "win32"
STDERR_LINES = 40  # kept per server, for the Tools dialog and failure messages
STDERR_LINE_CHARS = 500
# Connect and write timeouts of HTTP servers; reading may wait as long as a call may.
HTTP_CONNECT_TIMEOUT = 10.0


class StderrTail(asyncio.Protocol):
    """Reads a server's stderr pipe and keeps its last lines; says when it closes
    (the process has exited, in practice)."""

    def __init__(self, on_closed: Callable[[], None]) -> None:
        self.lines: deque[str] = deque(maxlen=STDERR_LINES)
        self.closed = asyncio.Event()
        self._on_closed = on_closed
        self._partial = b""

    def data_received(self, data: bytes) -> None:
        """Keep each complete line (asyncio calls this as bytes arrive)."""
        *complete, self._partial = (self._partial + data).split(b"\n")
        for raw in complete:
            self._keep(raw)
        if len(self._partial) > STDERR_LINE_CHARS * 4:  # a line without end: keep its head
            self._keep(self._partial)
            self._partial = b""

    def _keep(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if line.strip():
            self.lines.append(line if len(line) <= STDERR_LINE_CHARS else line[:499] + "…")

    def connection_lost(self, exc: Exception | None) -> None:
        """The pipe closed: keep the unfinished line and say so."""
        if self._partial:
            self._keep(self._partial)
            self._partial = b""
        if not self.closed.is_set():
            self.closed.set()
            self._on_closed()


class StdioPipe:
    """The stderr pipe of one server start: the child gets the write end, the loop
    reads the other into a :class:`StderrTail`."""

    def __init__(self, tail: StderrTail) -> None:
        self.tail = tail
        read_fd, write_fd = os.pipe()
        self._reader: IO[bytes] | None = os.fdopen(read_fd, "rb", buffering=0)
        self.writer: TextIO = os.fdopen(write_fd, "w")
        self._transport: asyncio.ReadTransport | None = None

    async def start(self) -> None:
        """Start reading the pipe: on the running loop, or on Windows (whose proactor
        loops cannot read an anonymous pipe) in a thread handing lines to the loop."""
        assert self._reader is not None
        loop = asyncio.get_running_loop()
        reader, self._reader = self._reader, None  # the transport or the thread owns it
        if not READ_IN_THREAD:
            self._transport, _ = await loop.connect_read_pipe(lambda: self.tail, reader)
            return
        # The thread closes the pipe at its end of file, never earlier, so that its
        # descriptor cannot be reused under a read still waiting on it.
        threading.Thread(
            target=_read_in_thread, args=(reader, self.tail, loop), daemon=True
        ).start()

    def spawned(self) -> None:
        """The child has its copy of the write end; ours would hide its exit."""
        self.writer.close()

    def close(self) -> None:
        """Close both ends (the reading one through its transport, once started)."""
        self.writer.close()
        if self._reader is not None:
            self._reader.close()
        if self._transport is not None:
            self._transport.close()


def _read_in_thread(reader: IO[bytes], tail: StderrTail, loop: asyncio.AbstractEventLoop) -> None:
    with reader, contextlib.suppress(OSError, RuntimeError):  # RuntimeError: loop closed
        while chunk := reader.read(65536):
            loop.call_soon_threadsafe(tail.data_received, chunk)
        loop.call_soon_threadsafe(tail.connection_lost, None)


def child_environment(config: ServerConfig, resolved: Resolved) -> dict[str, str]:
    """What a stdio server's environment adds to the SDK's minimal one (HOME, LOGNAME,
    PATH, SHELL, TERM, USER): exactly its configured variables and secrets. Nothing
    else of Rill's environment, so no API key of Rill's, reaches it."""
    return {**config.env, **resolved.env}


async def open_transport(
    stack: AsyncExitStack,
    config: ServerConfig,
    resolved: Resolved,
    pipe: StdioPipe | None,
    on_http_status: Callable[[int], None],
) -> Transport:
    """The SDK transport for ``config``, its resources on ``stack``; not entered yet."""
    if config.kind == "stdio":
        assert pipe is not None
        await pipe.start()
        stack.callback(pipe.close)
        params = StdioServerParameters(
            command=config.command,
            args=list(config.args),
            env=child_environment(config, resolved),
            cwd=config.cwd or None,
        )
        return stdio_client(params, errlog=pipe.writer)

    async def record(response: httpx2.Response) -> None:
        if response.status_code >= 400:
            on_http_status(response.status_code)

    http = httpx2.AsyncClient(
        headers={**config.headers, **resolved.headers},
        timeout=httpx2.Timeout(HTTP_CONNECT_TIMEOUT, read=None),
        event_hooks={"response": [record]},
    )
    await stack.enter_async_context(http)
    return streamable_http_client(config.url, http_client=http)


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside ``error``'s groups (the SDK's task groups nest them)."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def describe(
    error: BaseException, config: ServerConfig, http_status: int | None
) -> tuple[str, str]:
    """Why a server could not start or stay connected, in one sentence, and the kind
    of failure (see ``ServerStatus.fault``)."""
    found = [e for e in leaves(error) if not isinstance(e, asyncio.CancelledError)]
    leaf = found[0] if found else error
    where = _origin(config.url)
    if isinstance(leaf, OSError) and config.kind == "stdio":
        if config.cwd and getattr(leaf, "filename", None) == config.cwd:
            return f"its folder {config.cwd} cannot be used ({leaf.strerror})", "server"
        if isinstance(leaf, FileNotFoundError):
            return f"cannot run {config.command!r}: no such program", "server"
        return f"cannot run {config.command!r}: {leaf.strerror or leaf}", "server"
    if http_status in (401, 403):
        return f"{where} refused the credentials (HTTP {http_status}); check its headers", "auth"
    if isinstance(leaf, httpx2.TimeoutException):
        return f"{where} did not answer in time", "network"
    if isinstance(leaf, httpx2.HTTPError):
        return f"cannot reach {where}: {_text(leaf) or type(leaf).__name__}", "network"
    if isinstance(leaf, MCPError) and leaf.code == CONNECTION_CLOSED:
        gone = "it exited" if config.kind == "stdio" else "the connection closed"
        return f"{gone} before it was ready", "server"
    if isinstance(leaf, MCPError):
        status = f" (HTTP {http_status})" if http_status else ""
        return f"the server answered with an error{status}: {_text(leaf.message)}", "server"
    if isinstance(leaf, ValidationError):
        return "the server's reply is not valid MCP", "server"
    return f"{type(leaf).__name__}: {_text(leaf)}", "server"


def _origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: a path or query may carry a token."""
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return "the server"


def _text(value: object, limit: int = 200) -> str:
    line = " ".join(str(value).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
