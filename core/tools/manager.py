"""``ToolServers``: every configured MCP server, started on first use (or at launch),
their tools, tool calls with a per-call timeout, and a shutdown within a second.

Qt-free and loop-agnostic: it runs on whatever asyncio loop calls it, the window's
qasync loop included (tests/gui/test_tool_servers_qasync.py). State changes reach an
observer callback, which the window turns into a signal. Importing this module loads
the MCP SDK (~0.5 s), so nothing imports it before tools are needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from rill.core.tool_settings import ServerConfig, ToolSettings
from rill.core.tools.connection import ServerConnection
from rill.core.tools.convert import tool_result
from rill.core.tools.model import ServerState, ServerStatus, ToolCallError, ToolInfo, ToolResult

# Seconds: the app quits within 1 s with servers running, its own teardown included.
# The SDK's stop of a stdio server is bounded below this (see transport.py).
SHUTDOWN_LIMIT = 0.7
START_TIMEOUT = 60.0  # a first `uvx`/`npx` run downloads its package first

Observer = Callable[[ServerStatus], None]
log = logging.getLogger(__name__)


class ToolServers:
    """The MCP servers of one app (or one CLI run) and everything that runs them."""

    def __init__(
        self,
        settings: ToolSettings,
        observer: Observer | None = None,
        *,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self._settings = settings
        self._observer = observer
        self._start_timeout = start_timeout
        self._connections: dict[str, ServerConnection] = {}
        self._stopping: set[asyncio.Task[None]] = set()  # stops under way, kept referenced
        self._closed = False

    @property
    def settings(self) -> ToolSettings:
        """The configuration in use (see :meth:`configure`)."""
        return self._settings

    def configure(self, settings: ToolSettings) -> None:
        """Use ``settings`` from now on. A server removed, turned off or changed (other
        than its tools' choices) is stopped; a changed one starts again on next use."""
        self._settings = settings
        for name, connection in list(self._connections.items()):
            config = settings.servers.get(name)
            if config is not None and config.enabled and _same_server(config, connection.config):
                connection.config = config
                continue
            self._keep_stopping(connection.stop())
            del self._connections[name]
            self._notify(ServerStatus(name))

    def status(self, name: str) -> ServerStatus:
        """``name``'s state (STOPPED for a server never started or not configured)."""
        connection = self._connections.get(name)
        return connection.status if connection else ServerStatus(name)

    def statuses(self) -> list[ServerStatus]:
        """Every configured server's state, in the settings' order."""
        return [self.status(name) for name in self._settings.servers]

    def start(self, name: str) -> None:
        """Start ``name`` in the background (ToolCallError when it is off or unknown)."""
        self._connection(name).start()

    def start_at_launch(self) -> list[str]:
        """Start the enabled servers set to start at launch; their names."""
        names = [
            name
            for name, config in self._settings.servers.items()
            if config.enabled and config.start == "launch"
        ]
        for name in names:
            self.start(name)
        return names

    async def tools(self, name: str, limit: float | None = None) -> tuple[ToolInfo, ...]:
        """Every tool ``name`` lists, usable or not, starting it if needed (waiting at
        most ``limit`` seconds; None: as long as a start may take)."""
        await self._connection(name).ready(limit)
        return self._connections[name].tools

    async def offered_tools(
        self, names: Iterable[str] | None = None, limit: float | None = None
    ) -> tuple[list[ToolInfo], dict[str, ToolCallError]]:
        """The tools a model may be offered from ``names`` (default: every enabled
        server), starting them at once; and why each server that could not start
        failed. Tools the user turned off and unusable ones are left out."""
        wanted = list(names if names is not None else self._enabled())
        found = await asyncio.gather(
            *(self.tools(name, limit) for name in wanted), return_exceptions=True
        )
        offered: list[ToolInfo] = []
        failed: dict[str, ToolCallError] = {}
        for name, result in zip(wanted, found, strict=True):
            if isinstance(result, ToolCallError):
                failed[name] = result
            elif isinstance(result, BaseException):
                raise result
            else:
                config = self._settings.servers[name]
                offered += [t for t in result if t.usable and config.tool_prefs(t.name).enabled]
        return offered, failed

    async def call(
        self,
        server: str,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        limit: float | None = None,
    ) -> ToolResult:
        """Run ``server``'s ``tool``; its result (``is_error`` set when the tool itself
        failed). ToolCallError when no result came (see its ``failure`` kinds). The
        server starts first if needed; ``limit`` (default: the call_timeout setting)
        counts from when the call is sent.

        Cancelling the calling task stops waiting at once; the server is told to
        stop the call and its session stays usable.
        """
        connection = self._connection(server)
        limit = self._settings.call_timeout if limit is None else limit
        if connection.status.state is not ServerState.READY:
            await connection.ready()  # a start has its own timeout; the call's starts now
        info = next((t for t in connection.tools if t.name == tool), None)
        if info is None:
            raise ToolCallError(
                f"The server {server!r} has no tool {tool!r}", failure="unknown_tool"
            )
        if not info.usable:
            raise ToolCallError(
                f"The tool {server}.{tool} cannot be used: {info.problem}", failure="unknown_tool"
            )
        if not connection.config.tool_prefs(tool).enabled:
            raise ToolCallError(f"The tool {server}.{tool} is turned off", failure="unknown_tool")
        result = await connection.call(tool, arguments or {}, limit)
        return tool_result(result)

    async def stop(self, name: str) -> None:
        """Stop ``name`` and wait until it has stopped."""
        connection = self._connections.get(name)
        task = connection.stop() if connection else None
        if task is not None:
            await asyncio.wait({task})

    async def shutdown(self, limit: float = SHUTDOWN_LIMIT) -> None:
        """Stop every server, all at once, waiting at most ``limit`` seconds; no
        server starts afterwards."""
        self._closed = True
        for connection in self._connections.values():
            self._keep_stopping(connection.stop())
        if not self._stopping:
            return
        _, late = await asyncio.wait(self._stopping, timeout=limit)
        for task in late:  # the SDK's own waits are bounded; this is the last resort
            log.warning("tool server task %s still stopping after %s s", task.get_name(), limit)
            task.cancel()

    def _connection(self, name: str) -> ServerConnection:
        config = self._settings.servers.get(name)
        if config is None:
            raise ToolCallError(f"There is no tool server named {name!r}", failure="unavailable")
        if not config.enabled:
            raise ToolCallError(f"The tool server {name!r} is turned off", failure="unavailable")
        if self._closed:
            raise ToolCallError("Rill is closing its tool servers", failure="stopped")
        connection = self._connections.get(name)
        if connection is None:
            connection = ServerConnection(
                name, config, self._notify, start_timeout=self._start_timeout
            )
            self._connections[name] = connection
        return connection

    def _enabled(self) -> list[str]:
        return [name for name, config in self._settings.servers.items() if config.enabled]

    def _keep_stopping(self, task: asyncio.Task[None] | None) -> None:
        if task is not None and not task.done():
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    def _notify(self, status: ServerStatus) -> None:
        if self._observer is None:
            return
        try:
            self._observer(status)
        except Exception:
            log.exception("a tool server observer failed")


def _same_server(a: ServerConfig, b: ServerConfig) -> bool:
    """Whether ``a`` and ``b`` run the same server (the tools' choices aside)."""
    return replace(a, tools={}) == replace(b, tools={})
