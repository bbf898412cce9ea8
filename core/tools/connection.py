"""One MCP server's life: the task that holds its SDK client open, its state, tool
calls with a timeout, and restarts with backoff after a crash.

One supervising task per running server enters the SDK's ``Client`` and stays inside
it until the server is stopped or goes away (anyio's cancel scopes must be left by the
task that entered them). Calls come from any task on the same loop and share the
session. Stopping cancels an anyio scope around the client rather than the task, so
the SDK's shielded shutdown (stdin closed, then SIGTERM, then SIGKILL) always runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import anyio
import mcp_types as mt
from mcp import Client
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from rill.core.tool_settings import ServerConfig
from rill.core.tools import transport
from rill.core.tools.convert import tool_infos
from rill.core.tools.keys import Resolved, resolve_secrets
from rill.core.tools.model import ServerState, ServerStatus, ToolCallError, ToolInfo

BACKOFF_FIRST = 1.0  # seconds before the first restart; doubled after each crash
BACKOFF_MAX = 30.0
MAX_CRASHES = 5  # in a row; then the server stays failed until something uses it again
STABLE_AFTER = 60.0  # up this long, a server's next crash counts as its first
MAX_LIST_PAGES = 100  # a paginated tool list that never ends must not hang the start
LAST_WORDS_WAIT = 0.2  # how long a crash report waits for the stderr's last lines
CLIENT_INFO = mt.Implementation(name="rill", version="0.1.0")
_ENDED = (ServerState.STOPPED, ServerState.FAILED)

log = logging.getLogger(__name__)


class ServerConnection:
    """A configured server and, while it runs, its connection."""

    def __init__(
        self,
        name: str,
        config: ServerConfig,
        on_status: Callable[[ServerStatus], None],
        *,
        start_timeout: float,
    ) -> None:
        self.name = name
        self.config = config
        self._on_status = on_status
        self._start_timeout = start_timeout
        self._status = ServerStatus(name)
        self._task: asyncio.Task[None] | None = None
        self._client: Client | None = None
        self._changed = asyncio.Event()  # set and replaced at every state change
        self._wake = asyncio.Event()  # this session ends: stop asked, or server gone
        self._stop = asyncio.Event()  # stop asked (also ends a wait before a restart)
        self._scope: anyio.CancelScope | None = None
        self._stopping = False
        self._lost = ""  # why the server went away, once it did
        self._tail = self._new_tail()
        self._http_status: int | None = None

    @property
    def status(self) -> ServerStatus:
        """The current state, with the latest stderr lines."""
        return replace(self._status, stderr_tail=tuple(self._tail.lines))

    @property
    def running(self) -> bool:
        """Whether it is starting, ready or waiting to restart."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start it unless it is running already (a failed one starts afresh)."""
        if self.running:
            return
        self._stopping = False
        self._stop = asyncio.Event()
        self._set(ServerState.STARTING)
        self._task = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"mcp-server-{self.name}"
        )

    def stop(self) -> asyncio.Task[None] | None:
        """Ask it to stop; returns the task to await for the end (None: not running)."""
        if not self.running:
            return None
        self._stopping = True
        self._stop.set()
        self._wake.set()
        if self._scope is not None and self._client is None:
            self._scope.cancel()  # still starting: the handshake may never end
        return self._task

    async def ready(self, limit: float | None = None) -> Client:
        """The connected client, starting the server if needed.

        Waits as long as a start may take (and a restart's backoff before it) unless
        ``limit`` is given: a call's own timeout starts once the server is ready.
        Raises ToolCallError ``unavailable`` when it cannot start, ``timeout`` when it
        is not ready within ``limit`` seconds.
        """
        self.start()
        loop = asyncio.get_running_loop()
        if limit is None:
            limit = self._start_timeout + BACKOFF_MAX  # the start fails itself before that
        deadline = loop.time() + limit
        while self._client is None:
            state = self._status
            if state.state in _ENDED and state.restart_in is None:
                why = state.reason or "it was stopped"
                raise ToolCallError(
                    f"The tool server {self.name!r} is not running: {why}",
                    failure="unavailable",
                    detail="\n".join(self._tail.lines) or None,
                )
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise ToolCallError(
                    f"The tool server {self.name!r} did not start within {limit:g} s",
                    failure="timeout",
                ) from None
        return self._client

    async def call(
        self, tool: str, arguments: Mapping[str, Any], limit: float
    ) -> mt.CallToolResult:
        """Call ``tool`` with ``limit`` seconds to answer once the server is ready; the
        server's own result, or ToolCallError (see its kinds)."""
        client = await self.ready()
        try:
            return await client.call_tool(tool, dict(arguments), read_timeout_seconds=limit)
        except MCPError as error:
            raise await self._call_failed(tool, error, limit) from None
        except (ValidationError, RuntimeError) as error:
            # RuntimeError: structured content that does not match the tool's own
            # output schema, as the SDK checks it.
            raise ToolCallError(
                f"The tool {self.name}.{tool} answered with something that is not a valid result",
                failure="invalid",
                detail=transport._text(error, 500),
            ) from None

    async def _call_failed(self, tool: str, error: MCPError, limit: float) -> ToolCallError:
        what = f"{self.name}.{tool}"
        if error.code == mt.REQUEST_TIMEOUT:
            return ToolCallError(
                f"The tool {what} gave no answer within {limit:g} s; it was asked to stop",
                failure="timeout",
            )
        if error.code != mt.CONNECTION_CLOSED:
            return ToolCallError(
                f"The tool server {self.name!r} refused the call to {tool}: "
                f"{transport._text(error.message)}",
                failure="refused",
            )
        if self._stopping:
            return ToolCallError(f"The tool server {self.name!r} was stopped", failure="stopped")
        with contextlib.suppress(TimeoutError):  # its last words may still be in the pipe
            await asyncio.wait_for(self._tail.closed.wait(), LAST_WORDS_WAIT)
        self._went_away("it went away during a call")
        last = f" Its last words: {self._tail.lines[-1]}" if self._tail.lines else ""
        return ToolCallError(
            f"The tool server {self.name!r} went away during the call to {tool}; "
            f"it is started again.{last}",
            failure="crashed",
            detail="\n".join(self._tail.lines) or None,
        )

    def _set(
        self,
        state: ServerState,
        reason: str = "",
        *,
        tools: tuple[ToolInfo, ...] | None = None,
        server_info: str | None = None,
        restart_in: float | None = None,
        fault: str = "",
    ) -> None:
        """Enter ``state`` and tell the observer; tools and server info are kept
        unless given (a restarting server still shows what it offered)."""
        self._status = ServerStatus(
            self.name,
            state,
            reason,
            self._status.tools if tools is None else tools,
            server_info=self._status.server_info if server_info is None else server_info,
            restart_in=restart_in,
            fault=fault,
        )
        self._changed.set()
        self._changed = asyncio.Event()
        try:
            self._on_status(self.status)
        except Exception:  # an observer's bug must not stop the server's life
            log.exception("a tool server observer failed")

    def _new_tail(self) -> transport.StderrTail:
        tail = transport.StderrTail(lambda: self._on_stderr_closed(tail))
        return tail

    def _on_stderr_closed(self, tail: transport.StderrTail) -> None:
        if tail is self._tail and self._client is not None:
            self._went_away("it exited on its own")

    def _went_away(self, reason: str) -> None:
        if not self._lost:
            self._lost = reason
        self._client = None  # no new call goes to it; they wait for the restart
        self._wake.set()

    async def _supervise(self) -> None:
        """Start, hold, restart after crashes with backoff; never raises."""
        crashes = 0
        was_ready = False
        loop = asyncio.get_running_loop()
        try:
            while True:
                ready_at, (reason, fault) = await self._session()
                if self._stopping:
                    self._set(ServerState.STOPPED)
                    return
                if ready_at is None and not was_ready:
                    self._set(ServerState.FAILED, reason, fault=fault)  # not retried
                    return
                was_ready = True
                stable = ready_at is not None and loop.time() - ready_at >= STABLE_AFTER
                crashes = 1 if stable else crashes + 1
                if crashes > MAX_CRASHES:
                    note = f"{reason}; not restarted after {MAX_CRASHES} crashes in a row"
                    self._set(ServerState.FAILED, note, fault=fault)
                    return
                delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (crashes - 1))
                self._set(ServerState.FAILED, reason, restart_in=delay, fault=fault)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                if self._stopping:
                    self._set(ServerState.STOPPED)
                    return
                self._set(ServerState.STARTING)
        except Exception as error:  # a bug here must not leave a task failing silently
            log.exception("the tool server %s failed", self.name)
            self._set(ServerState.FAILED, f"internal error: {type(error).__name__}", fault="server")

    async def _session(self) -> tuple[float | None, tuple[str, str]]:
        """One connection, from start to end: when it was ready (None: never), why it
        ended and the kind of failure (see ``ServerStatus.fault``)."""
        self._wake = asyncio.Event()
        if self._stop.is_set():
            return None, ("it was stopped", "")
        self._lost = ""
        self._http_status = None
        self._tail = self._new_tail()
        ready_at: float | None = None
        pipe = transport.StdioPipe(self._tail) if self.config.kind == "stdio" else None
        with anyio.CancelScope() as scope:
            self._scope = scope
            scope.deadline = anyio.current_time() + self._start_timeout
            try:
                resolved = await asyncio.to_thread(resolve_secrets, self.name, self.config)
                if resolved.missing:
                    return None, (_missing(resolved), "auth")
                async with AsyncExitStack() as stack:
                    ready_at = await self._connect(stack, resolved, pipe, scope)
                    await self._wake.wait()
            except Exception as error:
                reason, fault = transport.describe(error, self.config, self._http_status)
                return ready_at, (await self._with_last_words(reason), fault)
            finally:
                self._client = None
                self._scope = None
                if pipe is not None:
                    pipe.close()
        if scope.cancelled_caught and ready_at is None and not self._stopping:
            return None, (f"it did not start within {self._start_timeout:g} s", "network")
        return ready_at, (self._lost or "it stopped", "server")

    async def _with_last_words(self, reason: str) -> str:
        """``reason`` and the last line a stdio server wrote before it ended."""
        if self.config.kind != "stdio":
            return reason
        with contextlib.suppress(TimeoutError):  # the pipe may still hold its last lines
            await asyncio.wait_for(self._tail.closed.wait(), LAST_WORDS_WAIT)
        return f"{reason} ({self._tail.lines[-1]})" if self._tail.lines else reason

    async def _connect(
        self,
        stack: AsyncExitStack,
        resolved: Resolved,
        pipe: transport.StdioPipe | None,
        scope: anyio.CancelScope,
    ) -> float:
        """Open the transport, shake hands, list the tools; READY. When it was."""
        opened = await transport.open_transport(
            stack, self.config, resolved, pipe, self._record_http_status
        )
        try:
            client = await stack.enter_async_context(
                Client(opened, client_info=CLIENT_INFO, cache=None)
            )
        finally:
            if pipe is not None:
                pipe.spawned()
        tools: list[mt.Tool] = []
        if client.server_capabilities.tools is not None:
            cursor: str | None = None
            for _ in range(MAX_LIST_PAGES):
                page = await client.list_tools(cursor=cursor)
                tools += page.tools
                cursor = page.next_cursor
                if cursor is None:
                    break
        scope.deadline = math.inf
        self._client = client
        info = client.server_info
        self._set(
            ServerState.READY,
            tools=tool_infos(self.name, tools),
            server_info=f"{info.name} {info.version}".strip() if info else "",
        )
        return asyncio.get_running_loop().time()

    def _record_http_status(self, status: int) -> None:
        self._http_status = status

    @property
    def tools(self) -> tuple[ToolInfo, ...]:
        """The tools as last listed (kept while the server restarts)."""
        return self._status.tools


def _missing(resolved: Resolved) -> str:
    names = ", ".join(resolved.missing)
    return f"its secret values ({names}) are not in the keychain; add the server again"
