"""The main window as the app builds it: shortcuts, layouts, persistence, first run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core import secrets
from rill.core.types import MessageStatus
from rill.gui.app import present
from rill.gui.common.theme import LIGHT
from rill.gui.window import main_window
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import hold_open, http_error, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.window_factory import window_maker

MakeWindow = Callable[[], MainWindow]


@pytest.fixture
def make_window(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    qapp: QApplication,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MakeWindow]:
    """Windows built exactly as ``main()`` builds them, talking to the fake server."""
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    # Not qtbot.addWidget: pytest-qt deletes those before fixtures tear down, and the
    # controller must shut down (tasks awaited, client closed) while it still exists.
    with window_maker(qtbot, qloop, qapp) as make:
        yield make


def shown(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """Present the window as the app does and wait until it is active (shortcuts work)."""
    with qtbot.waitActive(window):
        present(window)
    return window


def test_input_has_focus_when_the_window_opens(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = shown(qtbot, make_window())
    qtbot.waitUntil(window.composer.edit.hasFocus, timeout=2000)
    assert window.windowTitle() == "Rill"


def test_a_prompt_streams_into_the_chat_pane(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = shown(qtbot, make_window())
    fake_gemini.push(stream(["The answer ", "is forty-two."]))
    qtbot.keyClicks(window.composer.edit, "What is the answer?")
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as blocker:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    assert blocker.args[1].status is MessageStatus.COMPLETE
    assert window.composer.text == ""
    shown_text = window.view.plain_text()
    assert "What is the answer?" in shown_text
    assert "The answer is forty-two." in shown_text
    assert "tokens" in window.status_line.stats_label.text()
    assert fake_gemini.requests[-1].headers["x-goog-api-key"] == "test-key"


def test_shortcuts(qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini) -> None:
    window = shown(qtbot, make_window())
    window.resize(1100, 720)
    assert not window.panel.isVisible()  # a fresh profile: the chat comes first
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.panel.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert not window.panel.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.panel.isVisible()
    window.panel.system_edit.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.composer.edit.hasFocus, timeout=2000)
    fake_gemini.push(stream(["hi"]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("first chat")
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    # The saved chat is listed; the new one joins the list with its first message.
    qtbot.waitUntil(lambda: len(window.conversations.conversation_ids()) == 1)
    assert window.conversations.selected_id() is None
    assert window.view.messages == []
    with qtbot.waitSignal(window.closed, timeout=2000):
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def test_picking_a_chat_in_the_list_shows_it(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = shown(qtbot, make_window())
    fake_gemini.push(stream(["one"]), stream(["two"]))
    for text in ("alpha question", "beta question"):
        with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
            window.controller.send(text)
        window.new_chat()
    sidebar = window.conversations
    qtbot.waitUntil(lambda: len(sidebar.conversation_ids()) == 2)
    oldest = sidebar.model.index(1)  # newest first
    assert oldest.data() == "alpha question"
    sidebar.list.setCurrentIndex(oldest)
    qtbot.waitUntil(lambda: "alpha question" in window.view.plain_text())
    assert "beta question" not in window.view.plain_text()


def test_the_status_numbers_belong_to_the_chat_on_screen(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = shown(qtbot, make_window())
    stats = window.status_line.stats_label
    fake_gemini.push(stream(["one"], usage={"promptTokenCount": 3, "candidatesTokenCount": 41}))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("alpha question")
    first_chat = window.controller.current_chat.id
    assert stats.text().startswith("41 tokens")
    window.new_chat()
    assert stats.text() == ""  # a new chat has no answer to account for
    fake_gemini.push(stream(["two"], usage={"promptTokenCount": 3, "candidatesTokenCount": 7}))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("beta question")
    assert stats.text().startswith("7 tokens")
    window.controller.select_chat(first_chat)
    assert stats.text().startswith("41 tokens")


def test_an_answer_not_streamed_shows_no_made_up_speed(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = shown(qtbot, make_window())
    window.panel.stream_check.setChecked(False)  # the panel's toggle
    qtbot.waitUntil(lambda: not window.controller.settings.stream)
    fake_gemini.push(stream(["All ", "at ", "once."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as blocker:
        window.controller.send("no stream please")
    status_now = blocker.args[1].status
    assert status_now is MessageStatus.COMPLETE
    stats = window.status_line.stats_label.text()
    footer = window.view.message_text(1)
    # The body arrived whole: its first token and its finish were stamped microseconds
    # apart, which made figures like "4,504,505 tok/s".
    assert "whole answer in" in stats and "tok/s" not in stats, stats
    assert "whole answer in" in footer and "tokens/s" not in footer, footer
    assert "first token" not in stats + footer


def test_rill_max_attempts_applies_to_the_window(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RILL_MAX_ATTEMPTS", "2")  # the README's setting, as for the CLI
    window = shown(qtbot, make_window())
    fake_gemini.push(http_error(503, retry_delay="0s"), http_error(503, retry_delay="0s"))
    shown_then: list[tuple[str, str]] = []
    window.controller.retry_scheduled.connect(
        lambda text, _s: shown_then.append((text, window.status_line.state_label.text()))
    )
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10_000) as blocker:
        window.controller.send("hi")
    status_now = blocker.args[1].status
    assert status_now is MessageStatus.FAILED
    assert len(fake_gemini.requests_for("streamGenerateContent")) == 2
    assert len(shown_then) == 1, shown_then
    notice, status = shown_then[0]
    assert "(attempt 2 of 2)" in notice and "(attempt 2 of 2)" in status


def test_a_bad_rill_max_attempts_is_named_and_the_window_opens(
    qtbot: QtBot, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RILL_MAX_ATTEMPTS", "zero")
    window = shown(qtbot, make_window())
    assert "RILL_MAX_ATTEMPTS must be a whole number from 1, not 'zero'" in (
        window.notice.label.text()
    )


def test_usable_at_480_px(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = shown(qtbot, make_window())
    window.resize(480, 640)
    qtbot.waitUntil(lambda: window.chat_column.width() == 480)
    assert not window.conversations.isVisible()
    assert not window.panel.isVisible()
    assert window.chat_column.isVisible()
    send = window.composer.send_button
    assert send.isVisible() and send.width() >= send.iconSize().width() + 12  # not squeezed
    assert window.composer.edit.width() > 200
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.panel.isVisible() and not window.chat_column.isVisible()
    qtbot.waitUntil(lambda: window.panel.width() == 480)  # settings take the whole width
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.chat_column.isVisible() and not window.panel.isVisible()
    window.resize(1100, 700)
    qtbot.waitUntil(window.conversations.isVisible)
    assert not window.panel.isVisible()  # the wide layout's choice (closed) is back


def test_geometry_is_restored(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = shown(qtbot, make_window())
    # Within the offscreen platform's 800x600 screen: Qt fits restored windows to it.
    window.resize(760, 530)
    window.move(QPoint(12, 20))
    qtbot.waitUntil(lambda: window.width() == 760)
    window.close()
    again = shown(qtbot, make_window())
    assert (again.width(), again.height()) == (760, 530)


def test_use_as_default_survives_a_new_window(
    qtbot: QtBot, make_window: MakeWindow, hermetic_profile: Path
) -> None:
    window = shown(qtbot, make_window())
    window.panel.temperature_spin.setValue(0.4)
    window.panel.system_edit.setPlainText("Be terse.")
    qtbot.mouseClick(window.panel.default_button, Qt.MouseButton.LeftButton)
    assert "Saved" in window.panel.saved_note.text()
    assert (hermetic_profile / "config" / "settings.json").exists()
    window.close()
    again = shown(qtbot, make_window())
    assert again.panel.temperature_spin.value() == pytest.approx(0.4)
    assert again.controller.settings.system_instruction == "Be terse."
    assert again.controller.defaults.temperature == pytest.approx(0.4)


def test_a_chats_own_settings_do_not_become_defaults(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = shown(qtbot, make_window())
    fake_gemini.push(stream(["ok"]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("keep this chat")
    window.panel.temperature_spin.setValue(1.5)
    assert window.controller.settings.temperature == pytest.approx(1.5)
    window.new_chat()
    assert window.controller.settings.temperature is None
    assert window.panel.temperature_spin.text() == "Default"


def test_theme_switch_is_applied_and_remembered(
    qtbot: QtBot, make_window: MakeWindow, qapp: QApplication
) -> None:
    window = shown(qtbot, make_window())
    assert not window.view.is_dark
    window.menus.theme_actions["dark"].trigger()
    assert window.view.is_dark
    assert qapp.palette().color(QPalette.ColorRole.Window).name() != LIGHT["window"]
    window.close()
    again = make_window()
    assert again.theme.mode == "dark" and again.menus.theme_actions["dark"].isChecked()


def test_first_run_asks_for_a_key_and_stores_it(
    qtbot: QtBot,
    make_window: MakeWindow,
    qloop: qasync.QEventLoop,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    window = shown(qtbot, make_window())
    # No key: the offline model answers, and the card offers a key.
    assert window.welcome.isVisible() and window.composer.isVisible()
    assert window.providers.manager.current == "local"
    qtbot.mouseClick(window.welcome.add_key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.welcome.key_edit.hasFocus, timeout=2000)
    qtbot.keyClicks(window.welcome.key_edit, "test-key")
    with qtbot.waitSignal(window.providers.manager.key_saved, timeout=5000):
        qtbot.keyClick(window.welcome.key_edit, Qt.Key.Key_Return)
    assert not window.welcome.isVisible()
    assert window.providers.manager.current == "gemini"
    assert secrets.get_api_key("gemini", use_env=False) == "test-key"
    fake_gemini.push(stream(["Welcome aboard."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as blocker:
        window.controller.send("hello")
    assert blocker.args[1].status is MessageStatus.COMPLETE


def test_a_stored_key_is_found_on_the_next_start(
    qtbot: QtBot, make_window: MakeWindow, qloop: qasync.QEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    secrets.set_api_key("gemini", "test-key")
    window = shown(qtbot, make_window())
    assert window.controller.has_provider
    assert window.stack.currentWidget() is window.empty_state  # a new chat, Gemini answers
    assert window.empty_state.note.text().startswith("Answering with Google Gemini")


def test_e2e_report_hook_writes_the_transcript(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The e2e tests' report (tests/e2e/report_hook), installed here in-process."""
    from tests.e2e.report_hook import sitecustomize as report_hook

    report = tmp_path / "report.txt"
    monkeypatch.setattr(MainWindow, "__init__", MainWindow.__init__)  # undone after the test
    report_hook._install(main_window, report)
    window = shown(qtbot, make_window())
    fake_gemini.push(stream(["Reported."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("report this")
    assert "Reported." in report.read_text(encoding="utf-8")


def test_escape_anywhere_stops_a_streaming_answer(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = shown(qtbot, make_window())
    fake_gemini.push(hold_open(["Partial"], [" rest"]))
    assert not window.menus.stop_action.isEnabled()
    with qtbot.waitSignal(window.controller.streaming_changed, timeout=5000):
        window.controller.send("go on")
    assert window.menus.stop_action.isEnabled() and window.composer.send_button.text() == "Stop"
    qtbot.waitUntil(lambda: "Partial" in window.view.plain_text(), timeout=5000)
    window.panel.system_edit.setFocus()
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as blocker:
        qtbot.keyClick(window.panel.system_edit, Qt.Key.Key_Escape)
    assert blocker.args[1].status is MessageStatus.STOPPED
    assert "Partial" in window.view.plain_text()
    assert window.composer.send_button.text() == "Send"
