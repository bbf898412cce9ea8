"""Runs the real ``rill.gui.app.main()`` with tool servers in the settings, answers the
consent bar with Enter and quits while the tool runs (for test_tool_quit).

Usage: ``python -m tests.gui.support.tool_quit_driver "<prompt>"``. The prompt is sent
with Enter; the fake Gemini server asks for a tool call; once the bar asks, Enter
allows it; once the bar has closed (the call is on its way), the driver prints the
pids of the servers' processes and the time, and closes the window as Ctrl+Q would.
The exit status is main()'s.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from rill.gui import app
from rill.gui.common.tasks import TaskLauncher
from rill.gui.window.main_window import MainWindow
from tests.gui.support.launch_support import send_prompt
from tests.gui.support.quit_timing import CLOSE_MARK, PIDS_MARK

_original_run = app.run


def children() -> list[int]:
    """This process's child processes that run a tool server."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and b"mcp_server" in command:
            found.append(int(entry.name))
    return found


async def _driven_run(window: MainWindow, launcher: TaskLauncher) -> int:
    bar = window.consent_bar

    def on_opened() -> None:
        QTimer.singleShot(
            0, lambda: QTest.keyClick(bar.buttons[next(iter(bar.buttons))], Qt.Key.Key_Return)
        )

    def on_closed(_had_keyboard: bool) -> None:
        print(PIDS_MARK + json.dumps(children()), flush=True)
        print(f"{CLOSE_MARK}{time.monotonic()}", flush=True)
        window.menus.quit_action.trigger()

    bar.opened.connect(on_opened)
    bar.closed.connect(on_closed)
    QTimer.singleShot(0, lambda: send_prompt(window, sys.argv[1]))
    return await _original_run(window, launcher)


if __name__ == "__main__":
    app.run = _driven_run
    sys.exit(app.main())
