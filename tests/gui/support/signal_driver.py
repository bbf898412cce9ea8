"""Runs the real ``rill.gui.app.main()``, sends one prompt and waits for a signal (for
test_quit_signals).

Usage: ``python -m tests.gui.support.signal_driver "<prompt>" [--hang-on-close]``. The
prompt is typed into the composer and sent with Enter; "driver: streaming" is printed
once the answer streams, "driver: closed" when the window has closed. The test then
signals this process as a logout, ``kill`` or Ctrl+C would. With ``--hang-on-close``
the shutdown never ends (its last step waits forever, after printing "driver:
hanging"): only a second signal can end the process. The exit status is main()'s.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer

from rill.gui import app
from rill.gui.common.tasks import TaskLauncher
from rill.gui.window.main_window import MainWindow
from tests.gui.support.launch_support import send_prompt

_original_run = app.run


async def _hang() -> None:
    import asyncio

    print("driver: hanging", flush=True)
    await asyncio.get_running_loop().create_future()  # never done


async def _driven_run(window: MainWindow, launcher: TaskLauncher) -> int:
    streaming = False

    def on_status(text: str) -> None:
        nonlocal streaming
        if text.startswith("Streaming") and not streaming:
            streaming = True
            print("driver: streaming", flush=True)

    window.controller.status_changed.connect(on_status)
    window.closed.connect(lambda: print("driver: closed", flush=True))
    if "--hang-on-close" in sys.argv:
        window.controller.add_shutdown_hook(_hang)
    QTimer.singleShot(0, lambda: send_prompt(window, sys.argv[1]))
    return await _original_run(window, launcher)


if __name__ == "__main__":
    app.run = _driven_run
    sys.exit(app.main())
