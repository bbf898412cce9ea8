"""Runs the real ``rill.gui.app.main()`` and quits it mid-stream (for test_app_exit).

Usage: ``python -m tests.gui.support.app_driver "<prompt>"``. The prompt is typed into the
composer and sent with Enter; as soon as the answer is streaming, the window is
closed as Ctrl+Q would. The exit status is main()'s.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from rill.gui import app
from rill.gui.common.tasks import TaskLauncher
from rill.gui.window.main_window import MainWindow

_original_run = app.run


async def _driven_run(window: MainWindow, launcher: TaskLauncher) -> int:
    def on_status(text: str) -> None:
        if text.startswith("Streaming"):
            print("driver: streaming, quitting", flush=True)
            QTimer.singleShot(0, window.menus.quit_action.trigger)

    def send() -> None:
        QTest.keyClicks(window.composer.edit, sys.argv[1])
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)

    window.controller.status_changed.connect(on_status)
    QTimer.singleShot(0, send)
    return await _original_run(window, launcher)


if __name__ == "__main__":
    app.run = _driven_run
    sys.exit(app.main())
