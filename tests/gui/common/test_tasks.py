"""The task launcher: named tasks, same-name replacement, visible failures, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import qasync
from pytestqt.qtbot import QtBot

from rill.core.errors import NetworkError
from rill.gui.common.tasks import TaskLauncher


async def wait_forever() -> None:
    await asyncio.Event().wait()


def test_a_task_of_the_same_name_replaces_the_previous(
    qtbot: QtBot, qloop: qasync.QEventLoop
) -> None:
    launcher = TaskLauncher()
    first = launcher.run("models", wait_forever())
    second = launcher.run("models", wait_forever())
    qtbot.waitUntil(first.cancelled)
    assert launcher.get("models") is second
    launcher.cancel("models")
    qtbot.waitUntil(second.done)
    assert not launcher.busy


def test_failures_become_one_human_line(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    launcher = TaskLauncher()

    async def offline() -> None:
        raise NetworkError("Could not connect to example.com.")

    async def broken() -> None:
        raise ValueError("bad value")

    with qtbot.waitSignal(launcher.task_failed, timeout=2000) as first:
        launcher.run("fetch", offline())
    assert first.args == ["fetch", "Could not connect to example.com."]
    with qtbot.waitSignal(launcher.task_failed, timeout=2000) as second:
        launcher.run("save", broken())
    assert second.args[1] == "Something went wrong (save): bad value"
    assert "Traceback" not in second.args[1]


def test_busy_changes_with_running_tasks(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    launcher = TaskLauncher()
    states: list[bool] = []
    launcher.busy_changed.connect(states.append)
    launcher.run("a", asyncio.sleep(0))
    qtbot.waitUntil(lambda: states == [True, False])


def test_shutdown_cancels_awaits_and_refuses_new_work(
    qloop: qasync.QEventLoop, run_async: Callable[..., Any]
) -> None:
    launcher = TaskLauncher()
    cleaned: list[str] = []

    async def streaming() -> None:
        try:
            await wait_forever()
        finally:
            await asyncio.sleep(0)  # clean-up that itself awaits, like closing a response
            cleaned.append("closed")

    task = launcher.run("answer:1", streaming())
    run_async(launcher.shutdown())
    assert task.cancelled() and cleaned == ["closed"]
    coro = wait_forever()
    with pytest.raises(RuntimeError, match="closing"):
        launcher.run("late", coro)
