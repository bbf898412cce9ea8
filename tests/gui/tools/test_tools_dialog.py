"""Settings → Tools…: adding a real server (the form shows the exact command before it
runs), starting it and listing its tools, turning a tool off, revoking "Always allow",
a secret variable kept in the keychain and not in the file, and removing a server;
each checked in the settings file."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from rill.core.paths import config_dir
from rill.core.settings import load_settings
from rill.core.tool_settings import ToolPrefs
from rill.core.tools.keys import resolve_secrets
from rill.gui.tools import ToolsDialog
from rill.gui.tools.server_form import ServerForm
from rill.gui.window.main_window import MainWindow
from tests.gui.support.window_factory import window  # noqa: F401 (a fixture)

BIN = Path(sys.executable).parent
TIME = str(BIN / "mcp-server-time")
START_MS = 30_000


def open_dialog(window: MainWindow) -> ToolsDialog:  # noqa: F811
    window.menus.tools_action.trigger()
    dialog = window.tools_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def answer_form(qtbot: QtBot, fill: Callable[[ServerForm], None], seen: list[str]) -> None:
    """Fill the modal form once it shows, note its preview, press OK."""

    def step() -> None:
        form = QApplication.activeModalWidget()
        if not isinstance(form, ServerForm):
            QTimer.singleShot(20, step)
            return
        fill(form)
        seen.append(form.preview.text())
        ok = form.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert ok.isEnabled(), form.problem.text()
        ok.click()

    QTimer.singleShot(0, step)


def saved_tools():  # type: ignore[no-untyped-def]
    return load_settings().settings.tools


def test_add_list_toggle_revoke_and_remove_a_server(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    window: MainWindow,  # noqa: F811
) -> None:
    dialog = open_dialog(window)
    assert dialog.servers.count() == 0
    previews: list[str] = []

    def fill(form: ServerForm) -> None:
        form.name.setText("time")
        form.command.setText("mcp-server-time")  # found on PATH, fixed to its path
        form.arguments.setText("--local-timezone UTC")

    answer_form(qtbot, fill, previews)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    dialog.add_button.click()
    assert previews == [f"It will run, as you:\n{TIME} --local-timezone UTC"]
    config = saved_tools().servers["time"]
    assert (config.command, config.args, config.enabled) == (
        TIME,
        ("--local-timezone", "UTC"),
        True,
    )
    assert not window.tool_host.started  # nothing ran yet
    assert f"Runs, as you: {TIME} --local-timezone UTC" == dialog.runs.text()

    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.tools.topLevelItemCount() >= 2, timeout=START_MS)
    rows = {
        dialog.tools.topLevelItem(i).text(0): dialog.tools.topLevelItem(i)
        for i in range(dialog.tools.topLevelItemCount())
    }
    assert "get_current_time" in rows and rows["get_current_time"].text(2)
    assert dialog.state.text().startswith("State: ready")
    rows["convert_time"].setCheckState(0, Qt.CheckState.Unchecked)
    assert saved_tools().servers["time"].tool_prefs("convert_time") == ToolPrefs(enabled=False)

    # "Always allow" (as the consent bar saves it), then revoked here.
    tools = saved_tools()
    prefs = ToolPrefs(always_allow=True)
    window.tool_host.configure(tools.with_tool_prefs("time", "get_current_time", prefs))
    row = next(
        dialog.tools.topLevelItem(i)
        for i in range(dialog.tools.topLevelItemCount())
        if dialog.tools.topLevelItem(i).text(0) == "get_current_time"
    )
    assert row.text(1) == "yes"
    dialog.tools.setCurrentItem(row)
    assert dialog.revoke_button.isEnabled()
    dialog.revoke_button.click()
    assert not saved_tools().servers["time"].tool_prefs("get_current_time").always_allow

    dialog.enabled.setChecked(False)
    assert not saved_tools().servers["time"].enabled
    dialog.remove_button.click()
    assert saved_tools().servers == {}
    assert dialog.servers.count() == 0


def test_a_secret_variable_goes_to_the_keychain_not_the_file(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
) -> None:
    dialog = open_dialog(window)
    previews: list[str] = []

    def fill(form: ServerForm) -> None:
        form.name.setText("secretive")
        form.command.setText(TIME)
        form.env.setPlainText("MODE=plain")
        form.secret_env.setPlainText("API_TOKEN=s3cret-value")

    answer_form(qtbot, fill, previews)
    dialog.add_button.click()
    assert previews == [f"It will run, as you:\nMODE=plain API_TOKEN=<keychain> {TIME}"]
    qtbot.waitUntil(lambda: "secretive" in saved_tools().servers, timeout=5000)
    config = saved_tools().servers["secretive"]
    assert config.secret_env == ("API_TOKEN",) and config.env == {"MODE": "plain"}
    assert "s3cret-value" not in (config_dir() / "settings.json").read_text(encoding="utf-8")
    assert resolve_secrets("secretive", config).env == {"API_TOKEN": "s3cret-value"}


def test_the_form_refuses_what_rill_mcp_add_refuses(qtbot: QtBot) -> None:
    form = ServerForm({"taken"})
    qtbot.addWidget(form)
    ok = form.buttons.button(QDialogButtonBox.StandardButton.Ok)
    form.name.setText("taken")
    form.command.setText(TIME)
    assert not ok.isEnabled() and "exists" in form.problem.text()
    form.name.setText("new")
    form.command.setText("no-such-program-anywhere")
    assert not ok.isEnabled() and "not a program" in form.problem.text()
    form.kind.setCurrentIndex(1)
    form.url.setText("https://user:pw@example.com/mcp")
    assert not ok.isEnabled() and "password" in form.problem.text()
    form.url.setText("https://example.com/mcp")
    form.headers.setPlainText("X-Team: blue\nBad Header: x")
    assert not ok.isEnabled() and "line 2" in form.problem.text()
    form.headers.setPlainText("X-Team: blue")
    assert ok.isEnabled()
    assert form.preview.text() == "Rill will connect to https://example.com/mcp"
