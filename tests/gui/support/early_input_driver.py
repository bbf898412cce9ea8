"""Runs the real ``rill`` launch and types into the window before it is whole (for
test_early_input).

Usage: ``python -m tests.gui.support.early_input_driver REPORT PROMPT``. Right after
the window is shown (``rill.gui.app.present``), a zero timer types PROMPT into the
input: it fires while ``rill.gui.app.paint_first`` waits for the first paint, before
the chat pane and the history exist and before the asyncio loop does. Once the loop
runs, Return sends it; when the answer has finished, REPORT (JSON) says what the
window had made when the keys arrived, what the input held, and what the chat shows.
With PROMPT ``--close``, the window is closed at that moment instead, and the app
must end by itself. With a third argument FILE, FILE is pasted (Ctrl+V with its URL on
the clipboard, as a file manager's copy puts it) the moment the window hands out
input, before the prompt is sent, and REPORT says what its tile said once ready.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from rill.gui import app, launch
from rill.gui.common.tasks import TaskLauncher
from rill.gui.window.main_window import MainWindow

ANSWER_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 30.0
CLOSE = "--close"
_original_present = app.present
_original_run = app.run
_typed: dict[str, Any] = {}


def _present(window: MainWindow) -> None:
    _original_present(window)

    def type_now() -> None:
        _typed["pane_made"] = window._view is not None  # what was made by then
        _typed["history_made"] = window._history is not None
        if sys.argv[2] == CLOSE:
            window.close()
        else:
            QTest.keyClicks(window.composer.edit, sys.argv[2])

    QTimer.singleShot(0, type_now)


async def _paste_file(window: MainWindow, path: Path) -> None:
    """Ctrl+V with ``path``'s URL on the clipboard, then wait for its tile to be ready."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    clipboard = QGuiApplication.clipboard()
    assert clipboard is not None
    clipboard.setMimeData(mime)
    QTest.keyClick(window.composer.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    clipboard.clear()  # the clipboard owns the data: left there, quitting crashes PySide
    items = window.composer.attachments
    _typed["pasted"] = [item.name for item in items]
    await asyncio.wait_for(
        asyncio.gather(*(item.settled.wait() for item in items)), READY_TIMEOUT_S
    )
    _typed["tiles"] = [(item.state.value, item.describe()) for item in items]


async def _send_and_report(window: MainWindow, report: Path) -> None:
    try:
        if len(sys.argv) > 3:
            await _paste_file(window, Path(sys.argv[3]))
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        window.controller.answer_finished.connect(
            lambda *_: finished.done() or finished.set_result(None)
        )
        _typed["in_input"] = window.composer.text
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
        await asyncio.wait_for(finished, ANSWER_TIMEOUT_S)
        _typed["transcript"] = window.view.plain_text()
        _typed["input_after"] = window.composer.text
        await asyncio.to_thread(report.write_text, json.dumps(_typed), encoding="utf-8")
    finally:
        window.menus.quit_action.trigger()


async def _driven_run(window: MainWindow, launcher: TaskLauncher) -> int:
    if sys.argv[2] != CLOSE:
        launcher.run("driver", _send_and_report(window, Path(sys.argv[1])))
    return await _original_run(window, launcher)


if __name__ == "__main__":
    app.present = _present
    app.run = _driven_run
    sys.exit(launch.main([]))
