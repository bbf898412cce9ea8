"""Running a fault case through a real MainWindow, and what it showed.

``run_window`` sends "hi" from the composer of a window built as ``main()`` builds it
(``history_window`` from tests/gui: real store under a temporary RILL_HOME), with the
case's provider (its idle and connect timeouts) and retry policy, while a heartbeat
timer measures how long the UI thread went without running its event loop. After a
failure the fault is removed and the error card's Retry link is clicked.

The outcome is recorded as a :class:`WindowOutcome`; ``test_faults_window.py`` asserts
on it and, when ``RILL_FAULTS_WINDOW_OUT`` names a file, appends it there as one JSON
line, which is how ``make_results.py`` fills RESULTS.md's Window column from the very
runs the tests check.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QTimer
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from rill.core.providers.base import Provider
from rill.core.types import Message
from rill.gui.transcript.renderers.markdown import warm_up_in_background
from rill.gui.window.main_window import MainWindow
from tests.fakes.fault_payloads import Dialect
from tests.faults.cases import HEALTHY, Case, Setting, make_provider, user_turns
from tests.gui.support.chat_view_support import click_anchor
from tests.gui.support.history_support import db_rows, href, wait_saved
from tests.sched import queued_s

HEARTBEAT_MS = 5
# A huge answer may be shown in part, but not less than this much of it.
PREVIEW_FLOOR = 10_000
# Zero-width spaces the chat pane may add to long unbroken runs so Qt can wrap them.
SOFT_BREAK = "\u200b"
MAX_STALL_MS = 100.0
OUT_ENV = "RILL_FAULTS_WINDOW_OUT"
WARM_UP_THREAD = "rill-markdown-warm-up"  # rill.gui.transcript.renderers.markdown's
QUESTION = "hi"
# The longest case (a 1 byte/s drip) takes about 3 s; a 10 MB answer must render too.
ANSWER_TIMEOUT_MS = 30_000
# From the answer's end until the chat pane shows all of it (a 10 MB answer included).
SETTLE_TIMEOUT_MS = 6_000


class Heartbeat(QObject):
    """A 5 ms timer on the UI thread; the longest gap between two ticks is the worst
    stall a user would have felt (a click or a repaint waits that long).

    A gap is charged to the app less the time the kernel kept the UI thread waiting
    for a CPU (it was ready to run; other processes had both cores): on a shared
    2-core machine that time is the load of the machine, not Rill's, and would make
    the bound flaky. Everything else counts: the UI thread's own work, a blocking call,
    waiting for the GIL held by another of Rill's threads. The wall-clock worst gap
    and the thread's CPU time within the worst stall are kept too, for the record.

    Only the time inside ``with heartbeat:`` counts, so the test's own synchronous
    inspection of the window between waits is not charged to the app.
    """

    def __init__(self) -> None:
        super().__init__()
        self.max_stall_ms = 0.0  # the worst gap less its time queued for a CPU
        self.stall_cpu_ms = 0.0  # the UI thread's CPU time within that gap
        self.max_wall_ms = 0.0  # the worst gap on the wall clock
        self.ticks = 0
        self._last = self._last_cpu = self._last_queued = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def _mark(self) -> None:
        self._last, self._last_cpu, self._last_queued = (
            time.perf_counter(),
            time.thread_time(),
            queued_s(),
        )

    def _on_timer_timeout(self) -> None:
        last, last_cpu, last_queued = self._last, self._last_cpu, self._last_queued
        self._mark()
        wall = (self._last - last) * 1000
        stall = wall - (self._last_queued - last_queued) * 1000
        self.max_wall_ms = max(self.max_wall_ms, wall)
        if stall > self.max_stall_ms:
            self.max_stall_ms = stall
            self.stall_cpu_ms = (self._last_cpu - last_cpu) * 1000
        self.ticks += 1

    def __enter__(self) -> Heartbeat:
        self._mark()
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.stop()
        # The time since the last tick was a stall too, if the exit came late.
        self._on_timer_timeout()


@dataclass
class WindowOutcome:
    """What the window showed and stored for one case (JSON-friendly)."""

    case: str
    provider: str
    host: str
    status: str  # the answer's final status
    error: str  # Message.error ("" when none)
    card: list[str]  # the lines under the answer (its error card or footer) on screen
    shown: str  # the answer's text in the chat pane, before any card
    stored: list[list[str]]  # (role, status, text, error) per stored message, in order
    stall_ms: float  # the worst UI stall from Enter until the answer was on screen
    stall_cpu_ms: float  # the UI thread's CPU time within that stall
    stall_wall_ms: float  # the worst gap on the wall clock (machine load included)
    settled: bool = True  # the chat pane showed it all within SETTLE_TIMEOUT_MS
    retry_status: str = ""  # after clicking Retry ("" when not retried)
    retry_shown: str = ""
    retry_stored: list[list[str]] = field(default_factory=list)
    retry_user_turns: list[str] = field(default_factory=list)  # in the retried request
    retry_stall_ms: float = 0.0
    retry_stall_cpu_ms: float = 0.0
    retry_stall_wall_ms: float = 0.0
    core_error: str = ""  # str() of the core's error for the same case, when known
    stderr_traceback: bool = False  # "Traceback" reached stderr during the case
    error_logs: list[str] = field(default_factory=list)  # logged at ERROR or with a traceback

    @property
    def max_stall_ms(self) -> float:
        return max(self.stall_ms, self.retry_stall_ms)

    # ---- the checks, shared by the test and RESULTS.md's Window columns

    def card_matches_core(self) -> bool:
        """The card's message line is the answer's error, which is the core's message."""
        return bool(self.error) and self.error == self.core_error and self.card[1:2] == [self.error]

    def message_reads_well(self) -> bool:
        """One line, ending as one sentence does: a single ".", "?" or "!"."""
        text = self.error
        return "\n" not in text and text[-1:] in ".?!" and text[-2:-1] not in (".", "?", "!")

    def shown_ok(self, case: Case) -> bool:
        """The chat pane shows what arrived: the partial answer before a fault, the
        whole answer, or (a huge one) its start and a line saying how much that is."""
        if case.error is not None:
            return self.shown == case.partial.strip()
        text = self.shown
        shown, total = len(text), len(case.success_text)
        if not case.success_text.startswith(text):
            return False
        if shown == total:
            return True
        says = any(f"{shown:,}" in line and f"{total:,}" in line for line in self.card)
        return shown >= PREVIEW_FLOOR and says

    def stored_ok(self, case: Case) -> bool:
        """The store holds the question and what arrived, with the answer's status."""
        if case.error is None:
            answer = ["model", "complete", case.success_text, ""]
        else:
            answer = ["model", "failed", case.partial, self.error]
        return self.stored == [["user", "complete", QUESTION, ""], answer]

    def retry_ok(self) -> bool:
        """Retry gave the healthy answer, on screen and stored, asking the question once."""
        healthy = "".join(HEALTHY)
        return (
            self.retry_status == "complete"
            and self.retry_shown == healthy
            and self.retry_user_turns == [QUESTION]
            and [r[0] for r in self.retry_stored].count("user") == 1
            and self.retry_stored[-1:] == [["model", "complete", healthy, ""]]
        )

    def worst(self) -> tuple[float, float, float, str]:
        """The worst stall (ms), the UI thread's CPU time in it, the worst wall-clock
        gap, and when ("" while answering, "Retry" after clicking Retry)."""
        if self.retry_stall_ms > self.stall_ms:
            return self.retry_stall_ms, self.retry_stall_cpu_ms, self.retry_stall_wall_ms, "Retry"
        return self.stall_ms, self.stall_cpu_ms, self.stall_wall_ms, ""

    def stall_text(self) -> str:
        stall, cpu, wall, when = self.worst()
        when = f", {when}" if when else ""
        return f"{stall:.0f} ms (CPU {cpu:.0f} ms; wall clock {wall:.0f} ms{when})"

    def save(self) -> None:
        """Append to the file named by RILL_FAULTS_WINDOW_OUT, if any."""
        out = os.environ.get(OUT_ENV)
        if out:
            with Path(out).open("a", encoding="utf-8") as f:
                f.write(json.dumps(asdict(self)) + "\n")

    @classmethod
    def load_all(cls, path: Path) -> list[WindowOutcome]:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [cls(**json.loads(line)) for line in lines if line.strip()]


def finish_warm_up() -> None:
    """Let the chat pane's one-off background warm-up (Markdown, Pygments lexers) end.

    It starts 300 ms after the first chat pane of the process and compiles regular
    expressions in Python for about half a second, taking the GIL from the UI thread
    every other switch interval: whichever case runs then would see every stall
    doubled. It is a start-up cost, not part of any fault, so it is waited out first.
    """
    warm_up_in_background()
    for thread in threading.enumerate():
        if thread.name == WARM_UP_THREAD:
            thread.join(timeout=10)


def use_provider(qtbot: QtBot, window: MainWindow, provider: Provider) -> None:
    """Switch every chat to ``provider`` as the providers screen does, and wait until
    its model list was asked for (that request must not meet the fault)."""
    manager = window.providers.manager
    done: list[object] = []
    manager.models_loaded.connect(done.append)
    manager.models_failed.connect(done.append)
    try:
        manager.use_provider(provider, "m")
        qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    finally:
        manager.models_loaded.disconnect(done.append)
        manager.models_failed.disconnect(done.append)


def stored(home: Path) -> list[list[str]]:
    rows = db_rows(home, "SELECT role, status, text, error FROM messages ORDER BY seq")
    return [[str(c) if c is not None else "" for c in row] for row in rows]


BODY, STATUS = "body", "status"  # the parts a card shows / its notices and footer


def segment_text(window: MainWindow, index: int, segment: str) -> str:
    """The plain text one part of message ``index`` shows in the chat pane: its parts
    (BODY) or its notices and footer (STATUS)."""
    view = window.view
    view.settle()  # a no-op once the view is not busy
    card = view.cards[index]
    return card.body_text() if segment == BODY else card.status_text()


def split_answer(window: MainWindow, index: int) -> tuple[str, list[str]]:
    """The answer's text in the chat pane and the lines under it (card or footer)."""
    body = segment_text(window, index, BODY).strip()
    status = segment_text(window, index, STATUS)
    return body, [line.strip() for line in status.splitlines() if line.strip()]


def wait_settled(qtbot: QtBot, window: MainWindow) -> bool:
    """Until everything the answer brought is written into the chat pane; False if
    that took longer than SETTLE_TIMEOUT_MS."""
    try:
        qtbot.waitUntil(lambda: not window.view.busy, timeout=SETTLE_TIMEOUT_MS)
    except WaitTimeout:
        return False
    return True


def ask(qtbot: QtBot, window: MainWindow, beat: Heartbeat) -> tuple[Message, bool]:
    """Type the question and press Enter; the answer, and whether the chat pane
    finished showing it within SETTLE_TIMEOUT_MS."""
    edit = window.composer.edit
    edit.setFocus()
    qtbot.keyClicks(edit, QUESTION)
    controller = window.controller
    with beat:
        with qtbot.waitSignal(controller.answer_finished, timeout=ANSWER_TIMEOUT_MS) as blocker:
            qtbot.keyClick(edit, Qt.Key.Key_Return)
        settled = wait_settled(qtbot, window)
    message = blocker.args[1]
    assert isinstance(message, Message)
    return message, settled


def run_window(
    qtbot: QtBot,
    window: MainWindow,
    home: Path,
    case: Case,
    dialect: Dialect,
    where: Setting,
) -> WindowOutcome:
    """Send through ``window`` against the armed-later servers of ``where``; retry."""
    use_provider(qtbot, window, make_provider(dialect, where.base_url, case))
    window.controller.current_chat.session.retry_policy = case.policy
    where.server.clear()
    case.setup(where.server, dialect)  # armed only now: the model list went first
    finish_warm_up()
    beat = Heartbeat()
    message, settled = ask(qtbot, window, beat)
    wait_saved(qtbot, window)
    if not settled:
        window.view.clear()  # given up on: the rest of it need not be written now
        return WindowOutcome(
            case=case.name,
            provider=dialect.name,
            host=where.host,
            status=message.status.value,
            error=message.error or "",
            card=[],
            shown="",
            stored=stored(home),
            stall_ms=round(beat.max_stall_ms, 1),
            stall_cpu_ms=round(beat.stall_cpu_ms, 1),
            stall_wall_ms=round(beat.max_wall_ms, 1),
            settled=False,
        )
    shown, card = split_answer(window, 1)
    outcome = WindowOutcome(
        case=case.name,
        provider=dialect.name,
        host=where.host,
        status=message.status.value,
        error=message.error or "",
        card=card,
        shown=shown,
        stored=stored(home),
        stall_ms=round(beat.max_stall_ms, 1),
        stall_cpu_ms=round(beat.stall_cpu_ms, 1),
        stall_wall_ms=round(beat.max_wall_ms, 1),
    )
    if not message.error:
        return outcome
    # Remove the fault: the queue is empty now (or the healthy server takes over).
    if where.healthy is not where.server:
        use_provider(
            qtbot, window, make_provider(dialect, dialect.api_root(where.healthy.base_url), case)
        )
    where.healthy.clear()
    again = Heartbeat()
    controller = window.controller
    with again:
        with qtbot.waitSignal(controller.answer_finished, timeout=ANSWER_TIMEOUT_MS) as blocker:
            click_anchor(qtbot, window.view, href(window, "retry", 1))
        outcome.settled = wait_settled(qtbot, window)
    retried = blocker.args[1]
    wait_saved(qtbot, window)
    outcome.retry_status = retried.status.value
    outcome.retry_shown, _ = split_answer(window, 1)
    outcome.retry_stored = stored(home)
    streams = [r for r in where.healthy.requests if dialect.is_stream_request(r.target)]
    outcome.retry_user_turns = user_turns(dialect, streams[-1]) if streams else []
    outcome.retry_stall_ms = round(again.max_stall_ms, 1)
    outcome.retry_stall_cpu_ms = round(again.stall_cpu_ms, 1)
    outcome.retry_stall_wall_ms = round(again.max_wall_ms, 1)
    return outcome
