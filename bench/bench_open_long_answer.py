"""Opening a chat whose answer is long: the UI thread's cost of showing it from history.

A finished answer is rendered when its card comes into view, in slices (Markdown →
HTML in Python, into the card's small documents, laid out as they show), from 2,000
characters to 1,000,000 (the longest answers issue 15 shows whole). Two kinds of
Markdown: prose (paragraphs, a heading and a short code block every ~2 KB, like a long
explanation) and dense (a heading, a list, a code block and a table every ~450
characters, close to the worst a model writes). Each case is opened ``--runs`` times
in a fresh view, with the event loop running as in the app; the figures are the
longest gap between ticks of a 1 ms heartbeat on the UI thread (the freeze a user
would feel) and the time until the whole answer is written, medians of the runs, next
to a 2,000-character prose baseline from the same run, and the longest gap while the
chat is left for a short one (its cards and documents dropped). "dense+" has a short
turn after the long answer, so the long one is not the last message.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_open_long_answer.py``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from rill.core.types import Message, MessageStatus, Part, Role
from rill.gui.common.theme import make_application
from rill.gui.transcript.view import ChatView
from tests.heartbeat import Heartbeat

PROSE = (
    (
        "The river carried the light downstream, and with it the small news of the "
        "valley: a **bridge** repaired, a `mill` restarted, a ferry that no longer ran. "
    )
    * 4
    + "\n\n"
) * 6 + "## A heading\n\n```python\nfor i in range(10):\n    print(i * i)  # squares\n```\n\n"
DENSE = (
    "## Section\n\nSome **bold** text, `inline code`, a [link](https://example.com).\n\n"
    "- item one with **bold**\n- item two\n  - nested item\n\n"
    "```python\ndef f(x):\n    return x * 2  # comment\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
)
CASES = (("prose", PROSE, 2_000), ("prose", PROSE, 20_000), ("prose", PROSE, 50_000))
CASES += (("dense", DENSE, 20_000), ("dense", DENSE, 50_000))
CASES += (("dense+", DENSE, 50_000),)  # "+": a short turn follows the long answer
CASES += (("prose", PROSE, 1_000_000), ("dense", DENSE, 1_000_000))


def sized(unit: str, chars: int) -> str:
    return (unit * (chars // len(unit) + 1))[:chars]


def turn(role: Role, text: str) -> Message:
    return Message(role=role, parts=[Part.from_text(text)], status=MessageStatus.COMPLETE)


def open_ms(
    app: QApplication, view: ChatView, text: str, *, then: bool = False
) -> tuple[float, float, float]:
    """(longest UI-thread gap, time until all of it is written, longest gap while
    leaving it for a short chat) in ms for one open; ``then``: a short question and
    answer follow the long one."""
    messages = [turn(Role.USER, "Tell me at length."), turn(Role.MODEL, text)]
    if then:
        messages += [turn(Role.USER, "Thanks!"), turn(Role.MODEL, "You are welcome.")]
    heartbeat = Heartbeat()
    heartbeat.start()
    app.processEvents()
    started = time.perf_counter()
    view.set_messages(messages)  # as showing a chat does; the loop does the rest
    while view.busy or time.perf_counter() - started < 0.05:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
    done = time.perf_counter() - started
    heartbeat.tick()  # the gap up to now counts too
    gaps = heartbeat.gaps_since(started)
    # Leaving it: another chat shown, the long answer's cards and their documents
    # dropped (deleted later, on the loop), the loop running as in the app.
    left = time.perf_counter()
    view.set_messages([turn(Role.USER, "Hi"), turn(Role.MODEL, "Hello.")])
    while view.busy or time.perf_counter() - left < 0.3:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
    heartbeat.tick()
    leaving = heartbeat.gaps_since(left)
    heartbeat.stop()
    view.clear()
    app.processEvents()
    return max(gaps), done * 1000, max(leaving)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="opens per case")
    args = parser.parse_args(argv)
    app = QApplication.instance() or make_application(sys.argv[:1])  # as the app makes it
    view = ChatView()
    view.resize(800, 700)
    view.show()
    open_ms(app, view, sized(PROSE, 2_000))  # imports, lexers, fonts: not the figure
    print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} opens per case, medians")
    print(
        "  case                longest UI gap   all written   gap vs 2,000-char baseline"
        "   leaving it"
    )
    baseline = 0.0
    for kind, unit, chars in CASES:
        then = kind.endswith("+")
        runs = [open_ms(app, view, sized(unit, chars), then=then) for _ in range(args.runs)]
        gap = statistics.median(g for g, _, _ in runs)
        written = statistics.median(w for _, w, _ in runs)
        leaving = statistics.median(x for _, _, x in runs)
        baseline = baseline or gap
        print(
            f"  {kind:5} {chars:>7,} chars {gap:8.1f} ms {written:10.0f} ms"
            f"   ×{gap / baseline:.1f}  (worst gap {max(g for g, _, _ in runs):.0f} ms)"
            f"   {leaving:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
