"""The slowest lexers the sweep found, streamed through the real window: no stall.

A fenced block with one line of a few thousand characters held the UI thread for
about 50 s in one language and 20 s in another, and 1,200 characters streamed in
small pieces stalled it 1.5 s: the open line is highlighted again at every flush.
Each block here is the worst shape of one of the slowest lexers of
``tests/lexers/RESULTS.md``, streamed in 24-character chunks from a fake server in a
child process, while a 1 ms heartbeat records the UI thread's CPU time between ticks;
no gap may hold 50 ms of it. Before the highlighting budget this test ran for minutes.
"""

from __future__ import annotations

import itertools

import pytest
from pytestqt.qtbot import QtBot

from rill.core.markdown.highlight import _lexer
from tests.fakes.gemini_process import FakeGeminiProcess
from tests.fakes.gemini_scenarios import stream
from tests.faults.window_support import finish_warm_up
from tests.gcwatch import collections_timed
from tests.gui.support.history_support import MakeWindow, wait_saved
from tests.heartbeat import Heartbeat
from tests.lexers.sweep import shapes

MAX_CPU_MS = 50.0
CHUNK = 24
SIZE = 3000
# (lexer, shape) pairs among the worst of RESULTS.md, before: seconds to minutes each.
WORST = (
    ("systemd", "spaces between words"),
    ("lilypond", "run 'a'"),
    ("maple", 'unterminated "'),
    ("tnt", "run '!'"),
    ("easytrieve", "run '\\t'"),
    ("c", "spaces between words"),
    ("xpp", "open comment over lines"),
)


@pytest.fixture
def remote_gemini(
    fake_gemini_process: FakeGeminiProcess, monkeypatch: pytest.MonkeyPatch
) -> FakeGeminiProcess:
    """The fake server in a child process, so its thread never holds our GIL."""
    fake_gemini_process.clear()
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini_process.base_url)
    return fake_gemini_process


def answer() -> str:
    blocks = [f"```{lexer}\n{shapes(SIZE)[shape]}\n```\n" for lexer, shape in WORST]
    return "Here:\n\n" + "\n".join(blocks) + "\nDone.\n"


def worst_cpu_ms(beat: Heartbeat) -> float:
    """The most CPU time the UI thread spent between two ticks."""
    return max((b - a) * 1000 for a, b in itertools.pairwise(beat.cpu))


def test_streaming_the_slowest_lexers_never_stalls_the_window(
    qtbot: QtBot, history_window: MakeWindow, remote_gemini: FakeGeminiProcess
) -> None:
    window = history_window()
    finish_warm_up()
    # Loading a lexer (importing its module, compiling its rules) happens once per
    # language and is not what this test is about (up to ~0.1 s for the biggest).
    for lexer, _ in WORST:
        assert _lexer(lexer) is not None
    text = answer()
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]
    remote_gemini.push(stream(chunks, delay=0.001))
    beat = Heartbeat()
    with collections_timed() as collections:
        beat.start()
        with qtbot.waitSignal(window.controller.answer_finished, timeout=60_000) as done:
            window.controller.send("Show me")
        qtbot.waitUntil(lambda: not window.view.busy, timeout=30_000)
        beat.stop()
    wait_saved(qtbot, window)
    assert done.args[1].text == text
    shown = window.view.message_text(1)
    for lexer, shape in WORST:  # every block is there, letter for letter
        assert shapes(SIZE)[shape].strip() in shown.replace("\u200b", ""), lexer
    cpu = worst_cpu_ms(beat)
    said = f"{cpu:.0f} ms (garbage collections: longest {collections.longest_ms:.0f} ms)"
    print(f"slowest lexers streamed: the UI thread's longest work without a break {said}")
    assert cpu <= MAX_CPU_MS, f"the UI thread worked {said} without a break"
