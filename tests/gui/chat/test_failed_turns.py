"""Actions on answers that failed or were stopped (issue 12, item 5): Retry on an older
error card regenerates that turn, and partial answers get Copy and Regenerate."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from rill.core.types import MessageStatus
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import error_event_after, hold_open, http_error, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.chat_view_support import anchors, click_anchor
from tests.gui.support.history_support import MakeWindow, click, href, send, texts, wait_saved


def retry_links(window: MainWindow) -> list[str]:
    window.view.settle()
    return [a for a in anchors(window.view) if a.startswith("rill:retry")]


def test_retry_on_an_older_error_card_regenerates_that_turn(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(http_error(400), stream(["Second answer."]), stream(["Better first."]))
    failed = send(qtbot, window, "First question")
    assert failed.status is MessageStatus.FAILED
    send(qtbot, window, "Second question")
    links = retry_links(window)
    assert len(links) == 1  # the older card's Retry, still a live link
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as blocker:
        click_anchor(qtbot, window.view, links[0])
    assert blocker.args[1].status is MessageStatus.COMPLETE
    wait_saved(qtbot, window)
    assert texts(window) == ["First question", "Better first."]
    # A new version of that turn: the failed one is still there, one click away.
    assert "‹ 2/2 ›" in window.view.message_text(1).replace("\xa0", " ")
    sent = fake_gemini.requests_for("streamGenerateContent")[-1].json["contents"]
    assert [c["role"] for c in sent] == ["user"]


def test_retry_on_the_last_error_card_still_sends_the_turn_again(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(http_error(400), stream(["Now it works."]))
    send(qtbot, window, "Question")
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        click_anchor(qtbot, window.view, retry_links(window)[0])
    wait_saved(qtbot, window)
    assert texts(window) == ["Question", "Now it works."]


def test_a_failed_partial_answer_gets_copy_and_its_versions(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(error_event_after(2, texts=["Partial ", "answer ", "lost"]))
    failed = send(qtbot, window, "Question")
    assert failed.status is MessageStatus.FAILED and failed.text == "Partial answer "
    links = anchors(window.view)
    assert href(window, "copy-message", 1) in links
    assert href(window, "delete", 1) in links
    click(qtbot, window, "copy-message", 1)
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == "Partial answer "
    fake_gemini.push(stream(["Whole answer."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        click_anchor(qtbot, window.view, retry_links(window)[0])
    wait_saved(qtbot, window)
    # Back to the failed version: its card offers the way forward again.
    click(qtbot, window, "version", 1, 1)
    qtbot.waitUntil(lambda: "1/2" in window.view.message_text(1), timeout=5000)
    assert href(window, "version", 1, 2) in anchors(window.view)


def test_a_stopped_answer_gets_copy_and_regenerate(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(hold_open(["Half an answer"]))
    window.controller.send("Question")
    qtbot.waitUntil(lambda: "Half an answer" in window.view.plain_text(), timeout=5000)
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as blocker:
        window.controller.stop()
    assert blocker.args[1].status is MessageStatus.STOPPED
    wait_saved(qtbot, window)
    links = anchors(window.view)
    assert href(window, "copy-message", 1) in links
    assert href(window, "regenerate", 1) in links


def test_an_empty_failed_answer_offers_no_copy(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(http_error(400))
    send(qtbot, window, "Question")
    assert href(window, "copy-message", 1) not in anchors(window.view)  # nothing to copy
