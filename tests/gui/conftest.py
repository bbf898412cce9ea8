"""Fixtures for GUI tests: a qasync loop per test and a hermetic profile.

How to use the loop::

    def test_something(qtbot, qloop):
        controller = ChatController(...)          # may create asyncio tasks
        with qtbot.waitSignal(controller.answer_finished, timeout=5000):
            controller.send("hi")                 # tasks run while qtbot waits
        assert ...

``qloop`` is a ``qasync.QEventLoop`` on pytest-qt's one ``QApplication``, registered as
the *running* asyncio loop for the whole test, so ``asyncio.create_task`` and
``asyncio.get_running_loop()`` work from plain (sync) test functions and Qt slots.
Coroutines make progress whenever Qt processes events, i.e. inside
``qtbot.waitSignal`` / ``qtbot.waitUntil``. To await one coroutine from a test, use
``run_async(coro)``. Keep GUI tests sync (no ``async def``): pytest-asyncio would
try to run its own loop while this one counts as running.

The loop finalizes abandoned async generators as asyncio's own loop does (see
``rill.gui.common.tasks.asyncgen_hooks``). At teardown every task still pending is cancelled
and awaited, async generators are shut down, then the loop is closed; an exception
that reached the loop's exception handler (an unretrieved task exception, a failing
callback) fails the test.

Every GUI test gets ``RILL_HOME`` in a temporary folder, no API key from the
environment and no system keychain, so nothing touches the real profile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from rill.gui.common.tasks import asyncgen_hooks
from tests.gui.support.history_support import history_window  # noqa: F401 (a fixture)
from tests.gui.support.qt_waiting import run_until_done
from tests.gui.support.window_factory import window  # noqa: F401 (a fixture)

T = TypeVar("T")

# The offscreen platform plugin (used by every GUI test) cannot forward a window's
# minimum/maximum size to a window system or raise a window, and says so each time;
# it is noise about the test platform, not about Rill.
OFFSCREEN_NOISE = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",  # a popup menu's
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Hooks of a conftest see the whole session's items; mark only tests/gui's.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


# Long enough for a cancelled stream to close its HTTP response, short enough that a
# stuck task fails the test instead of hanging the suite.
TEARDOWN_TIMEOUT_S = 5.0


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """A qasync loop running (for asyncio's purposes) for the duration of one test."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        with asyncgen_hooks(loop):
            yield loop
            _drain(loop)
            run_until_done(loop, loop.shutdown_asyncgens(), timeout=TEARDOWN_TIMEOUT_S)
    finally:
        # Not loop.stop(): it calls QApplication.exit(), which emits aboutToQuit and
        # makes every later QEventLoop.exec() (qtbot.waitSignal) return at once.
        # qasync has no public way to mark an "already running" loop as stopped.
        loop._QEventLoop__is_running = False
        asyncio.events._set_running_loop(None)
        with contextlib.suppress(RuntimeError, TypeError):  # not connected: fine
            qapp.aboutToQuit.disconnect(loop._after_run_forever)
        loop.close()
        _kill_pending_timers(loop)
        asyncio.set_event_loop(None)
    if errors:
        messages = [str(c.get("exception") or c.get("message")) for c in errors]
        pytest.fail("the event loop reported errors: " + "; ".join(messages))


def _kill_pending_timers(loop: qasync.QEventLoop) -> None:
    """Stop the Qt timers of callbacks that will never run now.

    A closed loop may be garbage-collected later on a worker thread (the cycle
    collector runs wherever it is triggered); a QObject destroyed there with live
    timers makes Qt warn "Timers cannot be stopped from another thread".
    """
    timer = loop._timer
    pending = getattr(timer, "_SimpleTimer__callbacks", {})
    for timer_id in list(pending):
        timer.killTimer(timer_id)
    pending.clear()


def _drain(loop: qasync.QEventLoop) -> None:
    """Cancel every pending task and wait for all of them to finish."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    if not pending:
        return
    for task in pending:
        task.cancel()
    try:
        run_until_done(
            loop, asyncio.gather(*pending, return_exceptions=True), timeout=TEARDOWN_TIMEOUT_S
        )
    except TimeoutError:
        names = ", ".join(t.get_name() for t in pending if not t.done())
        pytest.fail(f"tasks still running {TEARDOWN_TIMEOUT_S} s after cancel: {names}")


@pytest.fixture
def run_async(qloop: qasync.QEventLoop) -> Callable[..., Any]:
    """``run_async(coro, timeout=10.0)``: run a coroutine to completion from a sync test."""

    def run(aw: Awaitable[T], timeout: float = 10.0) -> T:
        return run_until_done(qloop, aw, timeout)

    return run


@pytest.fixture(autouse=True)
def hermetic_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """RILL_HOME in tmp, no keys from the environment, no system keychain."""
    home = tmp_path / "rill-home"
    monkeypatch.setenv("RILL_HOME", str(home))
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    # keyring's null backend has a negative priority: rill.core.secrets then uses its
    # private file under RILL_HOME instead of the developer's real keychain.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return home
