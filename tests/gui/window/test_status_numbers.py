"""The numbers on the right of the status line belong to the answer they describe."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import fail_n_times_then_ok, hold_open, stream
from tests.fakes.gemini_server import FakeGemini


def test_a_retrying_request_shows_no_numbers_of_the_answer_before(
    qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini
) -> None:
    stats = window.status_line.stats_label
    fake_gemini.push(stream(["one"], usage={"promptTokenCount": 3, "candidatesTokenCount": 41}))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("first")
    assert stats.text().startswith("41 tokens")
    fake_gemini.push(
        fail_n_times_then_ok(
            1,
            503,
            retry_delay="1s",
            then=stream(["two"], usage={"promptTokenCount": 3, "candidatesTokenCount": 7}),
        )
    )
    with qtbot.waitSignal(window.controller.retry_scheduled, timeout=5000):
        window.controller.send("second")
    assert stats.text() == "", stats.text()  # "Retrying in 1 s…" is about a new request
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10000):
        pass
    assert stats.text().startswith("7 tokens")


def test_coming_back_to_a_chat_that_streams_shows_no_old_numbers(
    qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini
) -> None:
    stats = window.status_line.stats_label
    fake_gemini.push(stream(["one"], usage={"promptTokenCount": 3, "candidatesTokenCount": 41}))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("first")
    busy = window.controller.current_chat.id
    fake_gemini.push(hold_open(["Partial"], [" rest"]))
    with qtbot.waitSignal(window.controller.streaming_changed, timeout=5000):
        window.controller.send("second")
    qtbot.waitUntil(lambda: "Partial" in window.view.plain_text(), timeout=5000)  # held
    window.new_chat()
    window.controller.select_chat(busy)
    assert stats.text() == "", stats.text()
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        fake_gemini.release()
    assert stats.text() != ""
