"""Syntax highlighting within its time budget: hostile code is shown plain, quickly.

Each input here held the UI thread for seconds to minutes before (tests/lexers/
RESULTS.md). Times are this thread's CPU time, which other processes cannot inflate;
the bounds leave room for the CPU timer's tick-sized lateness on a loaded machine.
"""

from __future__ import annotations

import gc
import html
import signal
import sys
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from rill.core.markdown import highlight_budget as budget
from rill.core.markdown.highlight import _lexer, highlight
from rill.core.markdown.incremental import IncrementalMarkdown
from tests.core.markdown.themes import LIGHT, render_html

T = TypeVar("T")
HOSTILE = [
    ("c", "x" + " " * 4000 + "x"),
    ("lilypond", "a" * 3000),
    ("systemd", " " * 4000),
    ("tnt", "!" * 3000),
    ("maple", '"' + "a b " * 1000),
    ("easytrieve", "\t" * 4000),
    ("xpp", "/*" + "a\n" * 2000),
]
CALL_MS = 50.0  # one call: its 10 ms budget, plus the timer's lateness


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    budget.forget()
    for language, _ in HOSTILE:
        _lexer(language)  # loading a lexer is not what is timed
    yield
    budget.forget()


def cpu_ms(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.thread_time()
    result = fn()
    return result, (time.thread_time() - started) * 1000


def plain(shown: str) -> str:
    assert "<span" not in shown, "highlighted"
    return html.unescape(shown)


@pytest.mark.parametrize(("language", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_block_is_shown_plain_within_the_budget(language: str, code: str) -> None:
    shown, ms = cpu_ms(lambda: highlight(code, language, "default"))
    assert plain(shown) == code
    assert ms < CALL_MS, f"{language}: {ms:.0f} ms"
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)  # disarmed
    again, ms = cpu_ms(lambda: highlight(code + "more", language, "default"))
    assert plain(again) == code + "more" and ms < 5, "a cut block is not tried again"


def test_many_hostile_blocks_in_one_message_share_one_budget() -> None:
    text = "".join(f"```{language}\n{code}\n```\n\n" for language, code in HOSTILE)
    shown, ms = cpu_ms(lambda: render_html(text))
    assert "a b a b" in shown
    assert ms < 100, f"{ms:.0f} ms for {len(HOSTILE)} blocks"  # before: minutes


def test_a_hostile_line_streamed_in_small_deltas_pays_about_once() -> None:
    text = "```c\nint x = 1;\n" + "x" + " " * 4000 + "x\n```\n"
    md = IncrementalMarkdown(LIGHT)
    worst = total = 0.0
    for i in range(0, len(text), 10):
        _, ms = cpu_ms(lambda i=i: md.append(text[i : i + 10]))  # type: ignore[misc]
        worst, total = max(worst, ms), total + ms
    md.finish()
    assert worst < CALL_MS and total < 1500, f"worst {worst:.0f} ms, all {total:.0f} ms"


def test_ordinary_code_is_still_highlighted() -> None:
    code = "def greet(name):\n    return f'hi {name}'  # friendly\n" * 20
    assert "<span" in highlight(code, "python", "default")
    assert "<span" in highlight("int" + " " * 100 + "x = 1;\n", "c", "default")


def test_a_lexer_that_fails_gives_plain_text() -> None:
    code = "{" * 1000 + "}" * 1000  # RecursionError inside Robot Framework's lexer
    assert plain(highlight(code, "robotframework", "default")) == code
    # Its timer is off: a raise escaping with it armed went off later in pytest's gc.
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0) and not budget._deadline


def test_without_the_timer_long_lines_and_slow_lexers_are_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(budget, "_timer_available", lambda: False)
    for language, code in HOSTILE:
        shown, ms = cpu_ms(lambda c=code, lang=language: highlight(c, lang, "default"))  # type: ignore[misc]
        assert plain(shown) == code and ms < CALL_MS, language
    assert {"maple", "tnt", "easytrieve"} <= budget.PORTABLE_SLOW_LEXERS
    assert "<span" in highlight("int main() { return 0; }\n", "c", "default")


def test_lexers_slow_inside_one_token_are_plain_even_with_the_timer() -> None:
    assert budget._timer_available()
    for language in ("maple", "tnt", "easytrieve"):
        code = "x := 1;\n"
        shown, ms = cpu_ms(lambda c=code, lang=language: highlight(c, lang, "default"))  # type: ignore[misc]
        assert plain(shown) == code and ms < CALL_MS, language


def test_someone_elses_sigprof_handler_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def theirs(signum: int, frame: object) -> None:
        pass

    before = signal.signal(signal.SIGPROF, theirs)
    try:
        code = "x" + " " * 4000 + "x"
        shown, ms = cpu_ms(lambda: highlight(code, "c", "default"))
        assert plain(shown) == code and ms < CALL_MS  # the portable path took it
        assert signal.getsignal(signal.SIGPROF) is theirs
    finally:
        signal.signal(signal.SIGPROF, before)


def test_the_timer_never_raises_into_a_callback_that_runs_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A garbage-collection callback (Hypothesis installs one) or a __del__ running in
    the middle of a lexer got the timer's exception: "Exception ignored in ..." on
    stderr, and the lexer ran on until the timer fired again."""
    ignored: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)

    def busy(phase: str, info: dict[str, int]) -> None:
        sum(range(2000))  # a callback that takes a while, so the timer lands in it

    gc.callbacks.append(busy)
    threshold = gc.get_threshold()
    gc.set_threshold(1)  # a collection at every allocation or so
    try:
        for n in range(3):  # many tokens, each allocating: the time goes to callbacks
            code = "/" * (4000 + n)
            assert html.unescape(highlight(code, "googlesql", "default")) == code
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(busy)
    assert ignored == []
