"""Launches Rill as the ``rill`` command does and reports what the window shows.

Usage: ``python -m tests.gui.support.launch_probe REPORT [PROMPT]``. Runs
``rill.gui.launch.main([])`` (the window, with the real settings, profile and store).
Once the chat history has opened it opens the first chat in the list (if any), sends
PROMPT (if given) and waits for its answer, then writes REPORT (JSON: the notice
bar, the status line, the chats listed, the panel's values, the transcript, the key
variables in the app's environment and, with RILL_PROBE_WORKERS=1, the environment of
an image worker process) and closes the window as
Ctrl+Q would. The exit status is the app's.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from rill.core.secrets import is_key_variable
from rill.gui import app, launch
from rill.gui.common.tasks import TaskLauncher
from rill.gui.window.main_window import MainWindow
from tests.gui.support import probe_job

ANSWER_TIMEOUT_S = 30.0
WORKERS_ENV = "RILL_PROBE_WORKERS"  # "1": also report an image worker's environment
_original_run = app.run


async def _signalled(signal: Any, limit: float) -> bool:
    """Whether ``signal`` fired within ``limit`` seconds."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fired(*_args: object) -> None:
        if not future.done():
            future.set_result(None)

    signal.connect(fired)
    try:
        done, _ = await asyncio.wait({future}, timeout=limit)
    finally:
        signal.disconnect(fired)
    return bool(done)


def _read_environ(pid: int) -> bytes:
    proc = Path(f"/proc/{pid}/environ")
    return proc.read_bytes() if proc.exists() else b""


async def _worker_environment(window: MainWindow) -> dict[str, Any]:
    """The names in an image worker's os.environ, and in its /proc environ (Linux)."""
    workers = window.attachments.workers
    pid, names = await workers.run_isolated(probe_job.environment)
    raw = await asyncio.to_thread(_read_environ, pid)
    at_exec = sorted(e.split(b"=", 1)[0].decode() for e in raw.split(b"\0") if e)
    return {"other_process": pid != os.getpid(), "names": names, "at_exec": at_exec}


def _report(window: MainWindow, answered: bool | None) -> dict[str, Any]:
    notice = window.notice
    return {
        "app_key_variables": sorted(n for n in os.environ if is_key_variable(n)),
        "notice": notice.label.text() if notice.isVisibleTo(window) else "",
        "status": window.status_line.state_label.text(),
        "chats": window.conversations.model.rowCount(),
        "settings": asdict(window.panel.settings()),
        "transcript": window.view.plain_text(),
        "answered": answered,
    }


async def _probe(window: MainWindow, opened: asyncio.Event, report: Path, prompt: str) -> None:
    await opened.wait()
    if window.conversations.model.rowCount():
        first = window.conversations.model.index(0, 0)
        cid = window.conversations.model.data(first, Qt.ItemDataRole.UserRole)
        changed = _signalled(window.controller.current_chat_changed, ANSWER_TIMEOUT_S)
        window.history.loader.show(int(cid))
        await changed
    answered: bool | None = None
    if prompt:
        finished = _signalled(window.controller.answer_finished, ANSWER_TIMEOUT_S)
        QTest.keyClicks(window.composer.edit, prompt)
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
        answered = await finished
    shown = _report(window, answered)
    if os.environ.get(WORKERS_ENV) == "1":
        shown["worker"] = await _worker_environment(window)
    text = json.dumps(shown)
    await asyncio.to_thread(report.write_text, text, encoding="utf-8")
    window.menus.quit_action.trigger()


async def _probed_run(window: MainWindow, launcher: TaskLauncher) -> int:
    opened = asyncio.Event()
    start = window.history.start

    async def start_and_tell() -> object:
        try:
            return await start()
        finally:
            opened.set()

    window.history.start = start_and_tell  # type: ignore[method-assign]
    prompt = sys.argv[2] if len(sys.argv) > 2 else ""
    launcher.run("probe", _probe(window, opened, Path(sys.argv[1]), prompt))
    return await _original_run(window, launcher)


if __name__ == "__main__":
    app.run = _probed_run
    sys.exit(launch.main([]))
