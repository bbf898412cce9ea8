"""The qasync loop fixture: tasks run during qtbot waits and are cleaned up after."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import qasync
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    fired = Signal(str)


def test_task_runs_while_qtbot_waits(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    emitter = _Emitter()

    async def work() -> None:
        assert asyncio.get_running_loop() is qloop
        await asyncio.sleep(0.01)
        emitter.fired.emit("done")

    with qtbot.waitSignal(emitter.fired, timeout=2000) as blocker:
        task = asyncio.create_task(work())
    assert blocker.args == ["done"]
    assert task.done()


def test_run_async_returns_result(run_async: Callable[..., Any]) -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert run_async(answer()) == 42


def test_pending_task_is_cancelled_at_teardown(qloop: qasync.QEventLoop) -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    task = asyncio.create_task(forever(), name="left-running")
    assert not task.done()
