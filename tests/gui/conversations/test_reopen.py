"""After a restart the window shows the chat that was on screen when it closed."""

from __future__ import annotations

import qasync
from pytestqt.qtbot import QtBot

from rill.core.settings import load_settings
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import MakeWindow, close, send, texts
from tests.gui.support.qt_waiting import run_until_done


def test_the_chat_on_screen_opens_again_after_a_restart(
    qtbot: QtBot, qloop: qasync.QEventLoop, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(stream(["A."]), stream(["B."]))
    send(qtbot, window, "alpha")
    alpha = window.history.persistence.current.conversation_id
    window.new_chat()
    send(qtbot, window, "beta")  # the newest chat, but not the one left on screen
    window.history.loader.show(alpha or 0)
    qtbot.waitUntil(lambda: texts(window) == ["alpha", "A."], timeout=5000)
    close(qloop, window)
    assert load_settings().settings.ui.open_conversation == alpha
    again = history_window()
    qtbot.waitUntil(lambda: texts(again) == ["alpha", "A."], timeout=5000)
    assert again.conversations.selected_id() == alpha


def test_a_new_chat_left_on_screen_opens_as_a_new_chat(
    qtbot: QtBot, qloop: qasync.QEventLoop, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(stream(["A."]))
    send(qtbot, window, "alpha")
    window.new_chat()
    close(qloop, window)
    assert load_settings().settings.ui.open_conversation == 0
    again = history_window()
    assert texts(again) == [] and again.conversations.selected_id() is None


def test_words_typed_before_the_history_opened_are_not_taken_away(
    qtbot: QtBot, qloop: qasync.QEventLoop, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(stream(["A."]))
    send(qtbot, window, "alpha")
    close(qloop, window)
    again = history_window(start=False)
    again.composer.set_text("half a thought")
    run_until_done(qloop, again.history.start())
    assert texts(again) == [] and again.composer.text == "half a thought"
