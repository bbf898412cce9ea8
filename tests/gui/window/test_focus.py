"""Keyboard focus in the window: it comes back to the input after every action, and Tab
walks input → Send → transcript → chat list → settings.

Driven through a real (offscreen) window with mouse clicks and key presses, as a user
would; what has the keyboard is read from ``QApplication.focusWidget()``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from rill.core.types import MessageStatus
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import hold_open, http_error, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.chat_view_support import anchors, click_anchor

MakeWindow = Callable[[], MainWindow]


def focus_name(widget: QWidget | None) -> str:
    """A short description of ``widget`` for an assertion message."""
    if widget is None:
        return "nothing"
    return f"{type(widget).__name__} {widget.objectName() or widget.accessibleName()!r}"


def assert_input_has_focus(qtbot: QtBot, window: MainWindow) -> None:
    edit = window.composer.edit

    def input_has_focus() -> None:
        focused = QApplication.focusWidget()
        assert focused is edit, f"the keyboard is on {focus_name(focused)}"

    qtbot.waitUntil(input_has_focus, timeout=2000)


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def start_answer(qtbot: QtBot, window: MainWindow, fake: FakeGemini) -> None:
    fake.push(hold_open(["Partial"], [" rest"]))
    qtbot.keyClicks(window.composer.edit, "tell me more")
    with qtbot.waitSignal(window.controller.streaming_changed, timeout=5000):
        click(qtbot, window.composer.send_button)
    qtbot.waitUntil(lambda: "Partial" in window.view.plain_text(), timeout=5000)


def test_clicking_stop_keeps_the_keyboard_in_the_input(
    qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini
) -> None:
    start_answer(qtbot, window, fake_gemini)
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as done:
        click(qtbot, window.composer.send_button)
    assert done.args[1].status is MessageStatus.STOPPED
    assert_input_has_focus(qtbot, window)
    # What the user types next lands in the input, and the panel stays open.
    qtbot.keyClicks(QApplication.focusWidget(), "next words")
    assert window.composer.typed_text() == "next words"
    assert window.panel.isVisible()


def test_stop_pressed_from_the_keyboard_gives_the_keyboard_back(
    qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini
) -> None:
    start_answer(qtbot, window, fake_gemini)
    send = window.composer.send_button
    send.setFocus(Qt.FocusReason.TabFocusReason)
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        qtbot.keyClick(send, Qt.Key.Key_Space)
    assert_input_has_focus(qtbot, window)


def test_send_by_click_keeps_the_keyboard_in_the_input(
    qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(stream(["Done."]))
    qtbot.keyClicks(window.composer.edit, "hello")
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        click(qtbot, window.composer.send_button)
    assert_input_has_focus(qtbot, window)


def test_retry_on_an_error_card_gives_the_keyboard_back(
    qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(http_error(400))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("fails")
    fake_gemini.push(stream(["Fine now."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        retry = next(h for h in anchors(window.view) if h.startswith("rill:retry"))
        click_anchor(qtbot, window.view, retry)
    assert_input_has_focus(qtbot, window)


@pytest.mark.parametrize("action", ["regenerate", "edit", "copy-message", "delete"])
def test_turn_actions_give_the_keyboard_back(
    qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini, action: str
) -> None:
    fake_gemini.push(stream(["First."]), stream(["Second."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("question")
    entry = 1 if action == "regenerate" else 0
    href = f"rill:{action}/{entry}"
    qtbot.waitUntil(lambda: href in anchors(window.view), timeout=5000)  # once it is saved
    click_anchor(qtbot, window.view, href)
    assert_input_has_focus(qtbot, window)


@pytest.mark.parametrize("how", ["click", "keyboard"])
def test_saving_a_key_on_the_welcome_card_gives_the_keyboard_back(
    qtbot: QtBot, window: MainWindow, how: str
) -> None:
    window.welcome.show_key_needed()
    qtbot.waitUntil(window.welcome.key_edit.hasFocus, timeout=2000)
    qtbot.keyClicks(window.welcome.key_edit, "test-key")
    save = window.welcome.save_button
    with qtbot.waitSignal(window.providers.manager.key_saved, timeout=5000):
        if how == "click":
            click(qtbot, save)
        else:
            save.setFocus(Qt.FocusReason.TabFocusReason)
            qtbot.keyClick(save, Qt.Key.Key_Space)
    assert not window.welcome.isVisible()
    assert_input_has_focus(qtbot, window)


def test_closing_a_dialog_opened_from_the_settings_panel_gives_the_keyboard_back(
    qtbot: QtBot, window: MainWindow
) -> None:
    manage = window.panel.provider_picker.manage_button
    manage.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(manage, Qt.Key.Key_Space)
    dialog = window.providers.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    with qtbot.waitActive(dialog):
        pass
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    with qtbot.waitActive(window):
        window.activateWindow()  # what the window manager does when a dialog closes
    assert_input_has_focus(qtbot, window)


def test_undo_on_the_action_bar_gives_the_keyboard_back(qtbot: QtBot, window: MainWindow) -> None:
    ran: list[bool] = []
    window.action_bar.offer("Deleted “x”", "Undo", lambda: ran.append(True))
    click(qtbot, window.action_bar.action_button)
    assert ran == [True]
    assert_input_has_focus(qtbot, window)


def focus_chain(window: MainWindow) -> list[QWidget]:
    """The widgets Tab visits from the input, in order, until it comes back round."""
    start = window.composer.edit
    chain: list[QWidget] = []
    widget = start.nextInFocusChain()
    while widget is not start and len(chain) < 500:
        tab = widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.focusProxy() is None
        if tab and widget.isVisibleTo(window):
            chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def test_tab_order_is_input_send_transcript_chats_settings(window: MainWindow) -> None:
    chain = focus_chain(window)
    assert chain[0] is window.composer.send_button, focus_name(chain[0])
    # A new chat: the empty state's suggestions stand where the transcript will be.
    suggestions = window.empty_state.buttons
    assert chain[1 : 1 + len(suggestions)] == suggestions, focus_name(chain[1])
    rest_of_chain = chain[1 + len(suggestions) :]
    # The bar above the chat: the chat-list toggle, New chat, the model picker, More
    # and the settings toggle, before each panel.
    bar = window.chat_bar
    buttons = [bar.chats_button, bar.new_button, bar.picker, bar.more_button, bar.settings_button]
    assert rest_of_chain[:5] == buttons, focus_name(rest_of_chain[0])
    sidebar, panel = window.conversations, window.panel
    owners = [
        "sidebar" if sidebar.isAncestorOf(w) else "panel" if panel.isAncestorOf(w) else "other"
        for w in rest_of_chain[5:]
    ]
    first_panel = owners.index("panel")
    assert set(owners[:first_panel]) == {"sidebar"}, owners[:first_panel]
    rest = owners[first_panel:]
    assert rest[: rest.count("panel")] == ["panel"] * rest.count("panel")
    # The + button comes round last, just before the input (Shift+Tab from the input).
    assert chain[-1] is window.composer.attach_button, focus_name(chain[-1])


def test_tab_moves_along_the_chain(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.composer.edit, "x")  # Send is enabled only with something to send
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.composer.send_button
    qtbot.keyClick(window.composer.send_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.empty_state.buttons[0]  # a new chat
