"""A retry countdown counts its own seconds, never a number in the error before it.

"sent nothing for 60 s … Retrying in 2 s…" once ticked into "sent nothing for 1 s …
Retrying in 2 s…" in the status line and under the answer: the first "N s" of the
sentence was taken for the countdown.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from rill.core.providers.gemini import GeminiProvider
from rill.core.retry import RetryPolicy, count_down
from tests.fakes.gemini_scenarios import hold_open, stream
from tests.fakes.gemini_server import FakeGemini
from tests.faults.window_support import STATUS, segment_text
from tests.gui.support.history_support import MakeWindow


def test_count_down_changes_the_last_seconds_only() -> None:
    text = "x sent nothing for 60 s; the request timed out. Retrying in 5 s… (attempt 2 of 4)"
    assert count_down(text, 4) == (text.replace("in 5 s", "in 4 s"), True)
    assert count_down("sent nothing for 0.3 s. Retrying in 2 s…", 1)[0] == (
        "sent nothing for 0.3 s. Retrying in 1 s…"
    )
    assert count_down("The server asked to wait 14 s before retrying.", 9)[0] == (
        "The server asked to wait 9 s before retrying."
    )
    assert count_down("No countdown here.", 3) == ("No countdown here.", False)


def test_the_window_counts_down_the_retry_not_the_timeout(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=0.5)
    manager = window.providers.manager
    with qtbot.waitSignal(manager.models_loaded, timeout=10_000):
        manager.use_provider(provider, "gemini-2.5-flash")
    policy = RetryPolicy(max_attempts=2, base_delay=2.0, jitter=0)
    window.controller.current_chat.session.retry_policy = policy
    fake_gemini.clear()
    fake_gemini.push(hold_open(first_texts=()), stream(["Back."]))
    state = window.status_line.state_label
    with qtbot.waitSignal(window.controller.retry_scheduled, timeout=10_000):
        assert window.controller.send("hi")
    assert "sent nothing for 0.5 s" in state.text() and "Retrying in 2 s" in state.text()

    def ticked() -> bool:
        return "Retrying in 1 s" in state.text()

    qtbot.waitUntil(ticked, timeout=3000)
    assert "sent nothing for 0.5 s" in state.text()
    assert "sent nothing for 0.5 s" in state.toolTip()

    def card() -> str:
        return segment_text(window, 1, STATUS)

    qtbot.waitUntil(lambda: "Retrying in 1 s" in card(), timeout=1000)  # its own 250 ms timer
    assert "sent nothing for 0.5 s" in card()
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10_000) as done:
        pass
    assert done.args[1].text == "Back."
