"""``ToolHost``: the window's one owner of the MCP servers (``ToolServers``) and what
each answer offers the model from them.

The servers are made on first use, never before the window's first paint: importing
``rill.core.tools.manager`` loads the MCP SDK (~0.5 s), so nothing here imports it
until an answer (or the Tools dialog) needs a server. A chat offers the tools of every
enabled server in the settings' ``tools`` section (the configuration ``rill mcp``
edits), unless the user turned tools off there (``ToolSettings.offer``). Its calls are
decided through the ``consent`` callback the window gives (the consent bar);
"Allow in this chat" lives in the chat (``Chat.grants``), "Always allow" in the
settings, which ``settings_changed`` hands the window to save.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from rill.core.tool_settings import ToolSettings

if TYPE_CHECKING:
    from rill.core.tool_loop import CallRequest, ToolLoop
    from rill.core.tools import Decision, ServerStatus, ToolRef
    from rill.core.tools.manager import ToolServers
    from rill.gui.chat.state import Chat

log = logging.getLogger(__name__)
MANAGER = "rill.core.tools.manager"  # loads the MCP SDK

# Asks the user about one call of a chat's answer (the window's consent bar).
ChatConsent = Callable[["Chat", "CallRequest"], Awaitable["Decision"]]


class ToolHost(QObject):
    """The app's MCP servers, made lazily, and each chat's ``ToolLoop``.

    Signals:
        status_changed(object status): a server's ``ServerStatus`` changed.
        settings_changed(object settings): the ``ToolSettings`` changed (an "Always
            allow" answer, or the Tools dialog); the window saves them.
        servers_failed(str text): servers an answer wanted could not start (one line).
    """

    status_changed = Signal(object)
    settings_changed = Signal(object)
    servers_failed = Signal(str)

    def __init__(self, settings: ToolSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._servers: ToolServers | None = None
        self._closed = False
        # Set by the window: asks the user about one call (the consent bar).
        self.consent: ChatConsent | None = None

    @property
    def settings(self) -> ToolSettings:
        """The tool settings in use."""
        return self._settings

    @property
    def started(self) -> bool:
        """Whether the servers' manager exists (the SDK is loaded)."""
        return self._servers is not None

    def wanted(self) -> list[str]:
        """The servers a chat's answer uses now: every enabled one, unless tools are off."""
        if not self._settings.offer:
            return []
        return [name for name, config in self._settings.servers.items() if config.enabled]

    def status(self, name: str) -> ServerStatus:
        """Server ``name``'s state (stopped while no server was ever started)."""
        if self._servers is None:
            from rill.core.tools import ServerStatus

            return ServerStatus(name)
        return self._servers.status(name)

    async def servers(self) -> ToolServers:
        """The one ``ToolServers`` of the app, made on first call.

        The MCP SDK (~0.5 s of imports) loads on a worker thread: on the UI thread it
        would freeze the window that long. RuntimeError once :meth:`shutdown` ran: a
        closing app starts no server.
        """
        if self._servers is None:
            await asyncio.to_thread(importlib.import_module, MANAGER)
        if self._closed:
            raise RuntimeError("the tool servers are closed")
        if self._servers is None:
            from rill.core.tools.manager import ToolServers  # loaded above

            self._servers = ToolServers(self._settings, self.status_changed.emit)
        return self._servers

    async def start(self, name: str) -> None:
        """Start server ``name`` in the background (the Tools dialog's Start); a server
        that is off or unknown is ignored (its state says so)."""
        from rill.core.tools import ToolCallError

        servers = await self.servers()
        with contextlib.suppress(ToolCallError):
            servers.start(name)

    async def start_at_launch(self) -> None:
        """Start the enabled servers set to start at launch (none: the SDK stays unloaded)."""
        if any(c.enabled and c.start == "launch" for c in self._settings.servers.values()):
            (await self.servers()).start_at_launch()

    def configure(self, settings: ToolSettings) -> None:
        """Use ``settings`` from now on (the dialog's edits); servers removed, turned
        off or changed stop; emits ``settings_changed``."""
        self._settings = settings
        if self._servers is not None:
            self._servers.configure(settings)
        self.settings_changed.emit(settings)

    async def loop_for(self, chat: Chat) -> ToolLoop | None:
        """The tools ``chat``'s next answer offers (None: none), starting the servers
        that are not running; a server that cannot start is left out and named in
        ``servers_failed``."""
        names = self.wanted()
        if not names or self.consent is None or self._closed:
            return None
        from rill.core.tool_loop import ToolLoop

        servers = await self.servers()
        offered, failed = await servers.offered_tools(names)
        if failed:
            said = "; ".join(f"{name}: {error.message}" for name, error in failed.items())
            self.servers_failed.emit(f"Tool servers that could not start: {said}")
        if not offered:
            return None

        consent = self.consent

        async def ask(request: CallRequest) -> Decision:
            return await consent(chat, request)

        def remembered(decision: Decision, ref: ToolRef) -> None:
            self._on_loop_remembered(chat, loop, decision, ref)

        loop = ToolLoop(
            servers,
            offered,
            self._settings,
            ask,
            grants=chat.grants,
            on_remember=remembered,
        )
        return loop

    def _on_loop_remembered(
        self, chat: Chat, loop: ToolLoop, decision: Decision, ref: ToolRef
    ) -> None:
        """An answer to remember: "in this chat" in the chat, "always" in the settings."""
        from rill.core.tools import Decision
        from rill.core.tools.consent import remember

        chat.grants = loop.grants
        if decision is not Decision.ALWAYS_ALLOW or ref.server not in self._settings.servers:
            return
        settings, _ = remember(decision, ref, self._settings, chat.grants)
        self.configure(settings)

    async def shutdown(self) -> None:
        """Stop every server (at most ``SHUTDOWN_LIMIT`` s); none starts afterwards."""
        self._closed = True
        if self._servers is not None:
            await self._servers.shutdown()
