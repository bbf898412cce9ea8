"""Every fault case through the real window, for Gemini and an OpenAI-compatible server.

For each case, with the core cases' short idle timeout and fast retry policy: the UI
thread never stalls for more than MAX_STALL_MS (a 5 ms heartbeat measures it), what
arrived before the fault stays in the chat pane and in the store, the error card says
the core's one-line message, nothing reaches stderr as a traceback or the log at
ERROR, and the card's Retry (once the fault is removed) gives the whole answer with
the question sent once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from rill.gui.window.main_window import MainWindow
from tests.fakes.fault_payloads import DIALECTS, Dialect
from tests.faults.cases import CASES, HEALTHY, Case, CoreOutcome, run_core, setting
from tests.faults.window_support import (
    MAX_STALL_MS,
    QUESTION,
    SETTLE_TIMEOUT_MS,
    Heartbeat,
    run_window,
)
from tests.gui.conftest import (  # noqa: F401 (fixtures, shared with tests/gui)
    OFFSCREEN_NOISE,
    hermetic_profile,
    history_window,
    qloop,
    run_async,
)
from tests.gui.support.history_support import MakeWindow

pytestmark = pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE)


class Unresponsive(AssertionError):
    """The UI thread went longer than MAX_STALL_MS without running its event loop, or
    the chat pane took longer than SETTLE_TIMEOUT_MS to show the answer."""


class Garbled(AssertionError):
    """The card's message does not end as one sentence does ("running?." for example)."""


# Known failures, each with what was seen; a strict one fails once it is fixed, until
# it is taken off this list. The 10 MB event: the UI thread parses it (SSE, JSON) in
# one step, 17-55 ms of its own CPU, while this process's fault-server thread builds
# and sends the 10 MB and the store thread encodes it, both holding the GIL in turns.
# 52-67 ms in 10 runs on their own, but 123 ms once in a full `.ci/run` (CPU 55 ms):
# not strict, so a run under the bound passes and one over it is reported as xfail.
KNOWN_FAILURES: dict[tuple[str, str], tuple[type[AssertionError], str, bool]] = {
    ("10MB-event", "gemini"): (
        Unresponsive,
        "a 10 MB event stalls the UI thread 52-67 ms, once 123 ms in a full CI run (CPU "
        "55 ms: SSE and JSON in one step, GIL shared with the in-process fault server "
        "and the store thread); bound 100 ms",
        False,
    ),
    # The same step in the OpenAI dialect: 52-70 ms so far, exposed to the same spikes.
    ("10MB-event", "openai"): (
        Unresponsive,
        "a 10 MB event stalls the UI thread 52-70 ms (SSE and JSON in one step, GIL shared "
        "with the in-process fault server and the store thread); bound 100 ms",
        False,
    ),
}


def _param(case: Case, dialect: Dialect) -> object:
    marks = []
    known = KNOWN_FAILURES.get((case.name, dialect.name))
    if known is not None:
        kind, reason, strict = known
        marks.append(pytest.mark.xfail(strict=strict, raises=kind, reason=reason))
    return pytest.param(case, dialect, id=f"{case.name}-{dialect.name}", marks=marks)


PARAMS = [_param(case, d) for case in CASES for d in DIALECTS]


@pytest.mark.parametrize(("case", "dialect"), PARAMS)
def test_fault_through_the_window(
    case: Case,
    dialect: Dialect,
    qtbot: QtBot,
    history_window: MakeWindow,  # noqa: F811 (the imported fixture)
    hermetic_profile: Path,  # noqa: F811
    run_async: Callable[..., Any],  # noqa: F811
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    window: MainWindow = history_window()
    with setting(case, dialect, armed=False) as where:
        outcome = run_window(qtbot, window, hermetic_profile, case, dialect, where)
    if case.error is not None:
        # The core's run of the same case, after the window's: its fault servers start
        # and stop on this thread, which the heartbeat must not charge to the window.
        core: CoreOutcome = run_async(run_core(case, dialect), timeout=30)
        outcome.core_error = str(core.error).replace(core.host, outcome.host)
    outcome.stderr_traceback = "Traceback" in capfd.readouterr().err
    outcome.error_logs = [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info
    ]
    outcome.save()
    if not outcome.settled:
        raise Unresponsive(
            f"the chat pane was still writing the answer {SETTLE_TIMEOUT_MS / 1000:g} s after "
            f"it ended; the UI thread stalled up to {outcome.stall_text()} meanwhile"
        )

    if case.error is None:
        assert outcome.status == "complete", outcome.error
        assert outcome.error == ""
        assert outcome.shown_ok(case), f"{len(outcome.shown):,} chars shown; {outcome.card}"
    else:
        # The message: one line, the core's, on the card under what arrived.
        assert outcome.status == "failed"
        assert outcome.error == outcome.core_error
        assert "\n" not in outcome.error
        assert outcome.error.startswith(case.expected_message(dialect, outcome.host))
        assert outcome.card_matches_core(), outcome.card
        assert outcome.card[2] == "⟳ Retry", outcome.card
        assert outcome.shown_ok(case), repr(outcome.shown)
        # Retry, the fault removed: the whole answer, the question sent once.
        assert outcome.retry_status == "complete"
        assert outcome.retry_shown == "".join(HEALTHY)
        assert outcome.retry_user_turns == [QUESTION]
        assert outcome.retry_ok(), outcome.retry_stored
    assert outcome.stored_ok(case), [[c[:80] for c in row] for row in outcome.stored]

    assert not outcome.stderr_traceback
    assert outcome.error_logs == []
    if outcome.error and not outcome.message_reads_well():
        raise Garbled(outcome.error)
    if outcome.max_stall_ms > MAX_STALL_MS:
        raise Unresponsive(
            f"the UI thread stalled {outcome.stall_text()}; the bound is {MAX_STALL_MS:.0f} ms"
        )


def test_the_heartbeat_sees_a_stall_and_whether_the_ui_thread_worked(qtbot: QtBot) -> None:
    """The measuring stick itself: a 150 ms blocking call on the UI thread is seen as
    a stall of about that length, with almost none of it the thread's own CPU time."""
    beat = Heartbeat()
    blocked: list[float] = []

    def block() -> None:
        started = time.perf_counter()
        time.sleep(0.15)  # the stall under test, not a wait
        blocked.append(time.perf_counter() - started)

    with beat:
        QTimer.singleShot(20, block)
        qtbot.waitUntil(lambda: bool(blocked) and beat.ticks >= 10, timeout=5000)
    assert 150 <= beat.max_wall_ms < 150 + 5 + MAX_STALL_MS, beat.max_wall_ms
    # Asleep is not queued for a CPU: all of it is charged, little of it is CPU time.
    assert 140 <= beat.max_stall_ms <= beat.max_wall_ms, beat.max_stall_ms
    assert beat.stall_cpu_ms < 50, beat.stall_cpu_ms
