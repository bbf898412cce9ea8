"""Settings → Tools…: the MCP servers whose tools the chats offer models.

A non-modal dialog over the window's ``ToolHost`` (the one owner of the servers): the
servers with their state (stopped / starting / ready / failed, with the last lines of
a failed server's stderr), add, edit and remove (the form shows the exact command that
will run before it ever runs), turn a server on or off, start one to list its tools
with their descriptions, turn single tools on or off, and revoke "Always allow".

Every change goes to the host (``ToolHost.configure``), which hands it to the window
to save; secret values go to the keychain off the UI thread, as ``rill mcp add`` keeps
them (``rill.core.tools.store_secrets``), before the settings name them. Everything a
server says is shown as plain text.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rill.core.tool_settings import ServerConfig, ToolSettings
from rill.core.tools import ServerState, ServerStatus, ToolRef
from rill.gui.chat import ToolHost
from rill.gui.common import TaskLauncher, plain_label
from rill.gui.tools.server_form import ServerEntry, ServerForm

STATE_WORDS = {
    ServerState.STOPPED: "stopped",
    ServerState.STARTING: "starting…",
    ServerState.READY: "ready",
    ServerState.FAILED: "failed",
}
TOOL_COLUMNS = ("Tool", "Always allowed", "Description")
_STDERR_LINES = 8


def state_line(status: ServerStatus) -> str:
    """One line for a server's state: "ready, mcp-time 1.0, 2 tools", "failed: why"."""
    words = STATE_WORDS[status.state]
    if status.state is ServerState.READY:
        info = f", {status.server_info}" if status.server_info else ""
        return f"{words}{info}, {len(status.tools)} tools"
    if status.state is ServerState.FAILED:
        again = f" (restarting in {status.restart_in:.0f} s)" if status.restart_in else ""
        return f"{words}: {status.reason}{again}" if status.reason else words
    return words


class ToolsDialog(QDialog):
    """The Tools dialog over ``host``; ``launcher`` runs its keychain work."""

    def __init__(self, host: ToolHost, launcher: TaskLauncher, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Tools from MCP servers")
        self.setObjectName("toolsDialog")
        self._host = host
        self._launcher = launcher
        self.offer = QCheckBox("Let models use the enabled servers' tools in chats")
        self.offer.setToolTip("Each call still asks first, unless you chose otherwise")
        self.offer.toggled.connect(self._on_offer_toggled)
        self.servers = QListWidget()
        self.servers.setAccessibleName("Tool servers")
        self.servers.currentItemChanged.connect(self._on_servers_current_changed)
        self.add_button = QPushButton("&Add…")
        self.edit_button = QPushButton("&Edit…")
        self.remove_button = QPushButton("&Remove")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.enabled = QCheckBox("&Enabled")
        self.enabled.toggled.connect(self._on_enabled_toggled)
        self.state = plain_label(QLabel())
        self.state.setWordWrap(True)
        self.runs = plain_label(QLabel())
        self.runs.setWordWrap(True)
        self.runs.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stderr = QPlainTextEdit()
        self.stderr.setReadOnly(True)
        self.stderr.setAccessibleName("The server's last lines of error output")
        self.stderr.setMaximumHeight(self.stderr.fontMetrics().lineSpacing() * _STDERR_LINES + 12)
        self.start_button = QPushButton("&Start and list tools")
        self.start_button.clicked.connect(self._on_start_clicked)
        self.tools = QTreeWidget()
        self.tools.setAccessibleName("The server's tools; a ticked tool is offered")
        self.tools.setHeaderLabels(TOOL_COLUMNS)
        self.tools.setRootIsDecorated(False)
        self.tools.itemChanged.connect(self._on_tools_item_changed)
        self.tools.currentItemChanged.connect(self._update_buttons)
        self.revoke_button = QPushButton('Re&voke "Always allow"')
        self.revoke_button.clicked.connect(self._on_revoke_clicked)
        self.problem = plain_label(QLabel())
        self.problem.setObjectName("hint")
        self.problem.setWordWrap(True)
        self._layout()
        host.status_changed.connect(self._on_host_status_changed)
        host.settings_changed.connect(self._on_host_settings_changed)  # "Always allow"
        self._fill()

    def _layout(self) -> None:
        side = QVBoxLayout()
        side.addWidget(self.servers, 1)
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            row.addWidget(button)
        side.addLayout(row)
        detail = QVBoxLayout()
        for widget in (self.enabled, self.state, self.runs, self.stderr, self.start_button):
            detail.addWidget(widget)
        detail.addWidget(self.tools, 1)
        detail.addWidget(self.revoke_button, 0, Qt.AlignmentFlag.AlignLeft)
        body = QHBoxLayout()
        body.addLayout(side, 2)
        body.addLayout(detail, 3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.offer)
        layout.addLayout(body, 1)
        layout.addWidget(self.problem)
        layout.addWidget(close)
        self.resize(820, 520)

    # ------------------------------------------------------------ showing

    @property
    def settings(self) -> ToolSettings:
        """The tool settings in use."""
        return self._host.settings

    @property
    def selected(self) -> str | None:
        """The server whose details show."""
        item = self.servers.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _fill(self, select: str | None = None) -> None:
        keep = select or self.selected
        self.offer.blockSignals(True)
        self.offer.setChecked(self.settings.offer)
        self.offer.blockSignals(False)
        self.servers.blockSignals(True)
        self.servers.clear()
        for name in self.settings.servers:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.servers.addItem(item)
            self._label_item(item, name)
            if name == keep:
                self.servers.setCurrentItem(item)
        if self.servers.currentItem() is None and self.servers.count():
            self.servers.setCurrentRow(0)
        self.servers.blockSignals(False)
        self._show_server()

    def _label_item(self, item: QListWidgetItem, name: str) -> None:
        config = self.settings.servers[name]
        state = state_line(self._host.status(name)) if config.enabled else "turned off"
        item.setText(f"{name} — {state}")

    def _show_server(self) -> None:
        name = self.selected
        config = self.settings.servers.get(name) if name else None
        self.enabled.blockSignals(True)
        self.enabled.setChecked(config is not None and config.enabled)
        self.enabled.blockSignals(False)
        if name is None or config is None:
            self.state.setText("No server yet: Add… one, or use rill mcp add.")
            self.runs.setText("")
            self.stderr.hide()
            self.tools.clear()
            self._update_buttons()
            return
        status = self._host.status(name)
        self.state.setText(f"State: {state_line(status) if config.enabled else 'turned off'}")
        verb = "Runs, as you" if config.kind == "stdio" else "Connects to"
        self.runs.setText(f"{verb}: {config.command_line()}")
        tail = status.stderr_tail[-_STDERR_LINES:]
        self.stderr.setPlainText("\n".join(tail))
        self.stderr.setVisible(bool(tail) and status.state is ServerState.FAILED)
        self._show_tools(name, config, status)
        self._update_buttons()

    def _show_tools(self, name: str, config: ServerConfig, status: ServerStatus) -> None:
        self.tools.blockSignals(True)
        self.tools.clear()
        described = {t.name: t for t in status.tools}
        for tool in [*described, *(t for t in config.tools if t not in described)]:
            prefs = config.tool_prefs(tool)
            info = described.get(tool)
            about = info.description if info else "(start the server to see it)"
            if info is not None and info.problem:
                about = f"Unusable: {info.problem}"
            row = QTreeWidgetItem(
                [tool, "yes" if prefs.always_allow else "", " ".join(about.split())]
            )
            row.setData(0, Qt.ItemDataRole.UserRole, tool)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(
                0, Qt.CheckState.Checked if prefs.enabled else Qt.CheckState.Unchecked
            )
            row.setToolTip(2, about)
            self.tools.addTopLevelItem(row)
        self.tools.resizeColumnToContents(0)
        self.tools.resizeColumnToContents(1)
        self.tools.blockSignals(False)

    def _update_buttons(self, *_args: object) -> None:
        name = self.selected
        config = self.settings.servers.get(name) if name else None
        for widget in (self.edit_button, self.remove_button, self.enabled):
            widget.setEnabled(config is not None)
        state = self._host.status(name).state if name else ServerState.STOPPED
        idle = state in (ServerState.STOPPED, ServerState.FAILED)
        self.start_button.setEnabled(config is not None and config.enabled and idle)
        tool = self._current_tool()
        always = config is not None and tool is not None and config.tool_prefs(tool).always_allow
        self.revoke_button.setEnabled(always)

    def _current_tool(self) -> str | None:
        item = self.tools.currentItem()
        return None if item is None else str(item.data(0, Qt.ItemDataRole.UserRole))

    # ------------------------------------------------------------ changes

    def _apply(self, settings: ToolSettings, select: str | None = None) -> None:
        self._host.configure(settings)  # refills the dialog (settings_changed)
        if select is not None:
            self._fill(select)

    def _on_offer_toggled(self, on: bool) -> None:
        self._apply(replace(self.settings, offer=on))

    def _on_enabled_toggled(self, on: bool) -> None:
        name = self.selected
        if name is not None:
            config = replace(self.settings.servers[name], enabled=on)
            self._apply(self.settings.with_server(name, config), name)

    def _on_tools_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        name, tool = self.selected, str(item.data(0, Qt.ItemDataRole.UserRole))
        if name is None or column != 0:
            return
        prefs = self.settings.servers[name].tool_prefs(tool)
        on = item.checkState(0) is Qt.CheckState.Checked
        self._apply(self.settings.with_tool_prefs(name, tool, replace(prefs, enabled=on)), name)

    def _on_revoke_clicked(self) -> None:
        from rill.core.tools.consent import revoke_always

        name, tool = self.selected, self._current_tool()
        if name is not None and tool is not None:
            self._apply(revoke_always(self.settings, ToolRef(name, tool)), name)

    def _on_start_clicked(self) -> None:
        name = self.selected
        if name is None:
            return
        self.problem.setText("")
        self._launcher.run(f"tool-server-start:{name}", self._host.start(name))

    def _on_host_status_changed(self, status: ServerStatus) -> None:
        for row in range(self.servers.count()):
            item = self.servers.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == status.name:
                self._label_item(item, status.name)
        if status.name == self.selected:
            self._show_server()

    def _on_host_settings_changed(self, _settings: ToolSettings) -> None:
        self._fill()

    def _on_servers_current_changed(self, *_args: object) -> None:
        self._show_server()

    # ------------------------------------------------------------ add, edit, remove

    def _on_add_clicked(self) -> None:
        form = ServerForm(set(self.settings.servers), self)
        if form.exec() == QDialog.DialogCode.Accepted and form.entry is not None:
            self._keep(form.entry)

    def _on_edit_clicked(self) -> None:
        name = self.selected
        if name is None:
            return
        config = self.settings.servers[name]
        form = ServerForm(set(self.settings.servers), self, name=name, existing=config)
        if form.exec() == QDialog.DialogCode.Accepted and form.entry is not None:
            self._keep(form.entry)

    def _keep(self, entry: ServerEntry) -> None:
        """Save ``entry``: its secrets first (off the UI thread), then the settings."""
        if not entry.secret_env and not entry.secret_headers:
            self._apply(self.settings.with_server(entry.name, entry.config), entry.name)
            return
        self._launcher.run(f"tool-server-secrets:{entry.name}", self._keep_secret(entry))

    async def _keep_secret(self, entry: ServerEntry) -> None:
        from rill.core.tools import store_secrets

        try:
            await asyncio.to_thread(
                store_secrets, entry.name, entry.secret_env, entry.secret_headers
            )
        except (OSError, ValueError) as error:
            self.problem.setText(f"The secret values could not be kept: {error}")
            return
        self._apply(self.settings.with_server(entry.name, entry.config), entry.name)

    def _on_remove_clicked(self) -> None:
        name = self.selected
        if name is None:
            return
        config = self.settings.servers[name]
        self._apply(self.settings.without_server(name))
        if config.secret_env or config.secret_headers:
            self._launcher.run(f"tool-server-forget:{name}", _forget(name, config))


async def _forget(name: str, config: ServerConfig) -> None:
    from rill.core.tools import delete_secrets

    await asyncio.to_thread(delete_secrets, name, config)
