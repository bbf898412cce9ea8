"""Running a Pygments lexer within a time budget: some take seconds on a hostile line.

A lexer is a chain of regular expressions, and some backtrack catastrophically inside
one match (C on a run of spaces, systemd on tabs, LilyPond on a line of letters): no
check between tokens can cut that short. A signal can: the regex engine polls for
signals while it matches, so on the main thread a CPU timer (``ITIMER_PROF``) whose
handler raises stops any lexer at its budget, even mid-match. Where there is no such
timer (Windows) or off the main thread, the budget is checked between tokens, and the
lexers the sweep found spending long inside one token, and long lines, are not
highlighted at all. Either way such code is shown as plain text; the calls of one
render step share a budget too, so many hostile blocks cost about one.

The lists below come from ``python -m tests.lexers.sweep`` (tests/lexers/RESULTS.md).
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import FrameType
from typing import TypeVar

import pygments
from pygments.lexer import Lexer
from pygments.token import _TokenType

Token = tuple[_TokenType, str]
T = TypeVar("T")

# One highlight call may use this much of the UI thread's CPU time. A piece of code is
# at most ~1 KB (highlight.PIECE_MAX_CHARS) unless one line is longer, which Pygments
# lexes in 2-7 ms. The timer is checked on scheduler ticks, so a call cut short runs a
# few ms over (up to ~25 ms on a loaded 2-core VM).
CALL_BUDGET_S = 0.010
# What highlighting takes beyond NORMAL_S_PER_CHAR (100 KB/s; Pygments usually does
# 150-400 KB/s), summed over the calls of one render step (one delta appended, one
# message rendered), may come to this much: past it the step's code is plain. So a step
# with many hostile code pieces holds the UI thread for about one budget, not one per
# piece, while any amount of ordinary code costs nothing from it.
STEP_BUDGET_S = 0.012
NORMAL_S_PER_CHAR = 1e-5
# Calls cut short are remembered, so a streaming block that grows from a slow prefix,
# or a message rendered again, is shown plain at once instead of paying again.
_REMEMBERED = 32
_REPEAT_S = 0.002  # the timer fires again while armed, in case a lexer swallowed a raise

# Without the timer only checks between tokens can stop a lexer, and some spend long
# inside one token. So lines longer than this are not highlighted (at this length the
# sweep saw at most ~14 ms inside one token, C on a run of spaces, outside the list
# below) ...
PORTABLE_LINE_CAP = 400
# ... nor, with the timer or without, is code in these lexers (their first aliases),
# which spend from 20 ms to minutes inside one token on a short line or a 1 KB piece:
# the "inside one token" line of tests/lexers/RESULTS.md (tests.lexers.sweep.portable_slow).
PORTABLE_SLOW_LEXERS = frozenset(
    {"easytrieve", "jlcon", "maple", "smithy", "tnt", "xml+mako", "xml+myghty"}
)


class OverBudget(BaseException):
    """Raised into a lexer by the CPU timer (a BaseException: lexers catch Exception)."""


@dataclass(slots=True)
class _Step:
    left: float  # CPU seconds this step's highlighting may still take beyond normal


_step: ContextVar[_Step | None] = ContextVar("rill_highlight_step", default=None)
_cut: deque[tuple[str, str]] = deque(maxlen=_REMEMBERED)  # (language, code) cut short
_deadline = 0.0  # thread_time() at which the armed call is over budget; 0.0: not armed
# Where the timer may raise: Pygments, the regular expression compiler it calls (a
# lexer compiles its rules on first use; what is compiled stays cached) and the code
# turning its tokens into HTML; not a garbage-collection callback or __del__ that
# happens to run meanwhile (which would print the exception as "ignored" and go on).
_PYGMENTS = os.path.dirname(pygments.__file__) + os.sep
_RE = os.path.dirname(re.__file__) + os.sep
_raise_in: tuple[str, ...] = (_PYGMENTS, _RE)


@contextmanager
def render_step() -> Iterator[None]:
    """Let the highlight calls inside share one :data:`STEP_BUDGET_S` for running over."""
    token = _step.set(_Step(STEP_BUDGET_S)) if _step.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _step.reset(token)


def run(
    lexer: Lexer, language: str, code: str, consume: Callable[[Iterable[Token]], T]
) -> T | None:
    """``consume(tokens)`` for ``lexer``'s tokens of ``code``, all within the budget;
    None when it would cost more (then show the code plain).

    ``consume`` (turning tokens into HTML) runs as the tokens come, so the budget
    covers it too. Never raises for the lexer's sake: a lexer that fails gives None.
    """
    step = _step.get()
    budget = CALL_BUDGET_S if step is None else min(CALL_BUDGET_S, step.left)
    if budget < 0.001 or _was_cut(language, code) or _name(lexer) in PORTABLE_SLOW_LEXERS:
        # The slow-inside-one-token lexers are plain with the timer too: it can only
        # stop them between tokens, so even a 43-character Maple line held the thread
        # 15 ms against a 10 ms budget, enough to pass 50 ms on a loaded machine.
        return None
    started = time.thread_time()
    result: T | None
    try:
        if _timer_available():
            result = _with_timer(
                lambda: consume(lexer.get_tokens(code)), budget, _source_of(consume)
            )
        elif _longest_line(code) > PORTABLE_LINE_CAP:
            return None
        else:
            result = consume(_checked(lexer.get_tokens(code), started + budget))
    except OverBudget:
        result = None
    except Exception:  # a lexer bug (RecursionError on deep nesting, ...): plain text
        return None
    spent = time.thread_time() - started
    if step is not None:
        step.left -= spent if result is None else max(0.0, spent - len(code) * NORMAL_S_PER_CHAR)
    if result is None and budget >= CALL_BUDGET_S:  # its own fault, not the step's
        _cut.append((language, code))
    return result


def _was_cut(language: str, code: str) -> bool:
    """Whether ``code`` extends code in ``language`` cut short before (a streaming block
    growing past its slow start, or the same message rendered again)."""
    return any(lang == language and code.startswith(cut) for lang, cut in list(_cut))


def _checked(tokens: Iterable[Token], deadline: float) -> Iterator[Token]:
    """``tokens``, raising OverBudget between two once the thread's CPU clock passes
    ``deadline`` (reading it costs well under a tenth of what a token does)."""
    for token in tokens:
        yield token
        if time.thread_time() > deadline:
            raise OverBudget


def _source_of(function: Callable[..., object]) -> str:
    code = getattr(function, "__code__", None)
    return code.co_filename if code is not None else _PYGMENTS


def _with_timer(work: Callable[[], T], budget: float, also_in: str) -> T:
    """``work()`` under the CPU timer; raises OverBudget when it runs out (inside
    Pygments or the file ``also_in``)."""
    global _deadline, _raise_in
    _raise_in = (_PYGMENTS, _RE, also_in)
    _deadline = time.thread_time() + budget
    try:
        signal.setitimer(signal.ITIMER_PROF, budget, _REPEAT_S)
        return work()
    finally:
        _deadline = 0.0
        signal.setitimer(signal.ITIMER_PROF, 0.0)


def _on_sigprof(signum: int, frame: FrameType | None) -> None:
    """The timer's handler (on the main thread): raise into the lexer once *this*
    thread has used its budget (ITIMER_PROF counts every thread's CPU time).

    Only into the lexer or the code consuming its tokens, never into this module's own
    code (a raise at the call that disarms the timer would escape with the timer
    running) or a callback that runs meanwhile. Elsewhere it waits for the next firing.
    """
    del signum
    if not _deadline or frame is None or not frame.f_code.co_filename.startswith(_raise_in):
        return
    left = _deadline - time.thread_time()
    if left > 0.0005:
        signal.setitimer(signal.ITIMER_PROF, left, _REPEAT_S)
        return
    raise OverBudget


def _timer_available() -> bool:
    """Whether this thread can be interrupted by the CPU timer (installing its handler
    the first time); never takes SIGPROF from someone else (a profiler)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return False
    current = signal.getsignal(signal.SIGPROF)
    if current is _on_sigprof:
        return True
    if current not in (signal.SIG_DFL, None):
        return False
    signal.signal(signal.SIGPROF, _on_sigprof)
    return True


def _name(lexer: Lexer) -> str:
    return str(lexer.aliases[0]) if lexer.aliases else str(lexer.name)


def _longest_line(code: str) -> int:
    return max(map(len, code.split("\n")), default=0)


def forget() -> None:
    """Forget the calls cut short (tests)."""
    _cut.clear()
