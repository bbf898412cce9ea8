"""The painted cards for the keyboard and screen readers: Tab and Shift+Tab reach each
message's actions and links, Enter or Space acts, the one with the keyboard wears a
ring; the conversation, each message and each button have a name through QAccessible."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.gui.transcript.keyboard import ActionButton
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, frame, make_view, streaming, user
from tests.gui.transcript.test_links import Opened, opened  # noqa: F401 (a fixture)


def focused_name() -> str:
    widget = QApplication.focusWidget()
    return widget.accessibleName() if isinstance(widget, ActionButton) else type(widget).__name__


def into_the_pane(qtbot: QtBot, view: ChatView) -> None:
    view.settle()
    with qtbot.waitActive(view):
        view.activateWindow()
    view.surface.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: bool(view.surface.keyboard.buttons()))


def test_tab_walks_each_messages_actions_and_links_and_enter_acts(
    qtbot: QtBot,
    opened: Opened,  # noqa: F811 (the fixture imported above)
) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Q"), finished("See [this page](https://example.com) now.")])
    into_the_pane(qtbot, view)
    names = []
    for _ in range(7):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        names.append(focused_name())
    assert names == [
        "Edit", "Copy", "Delete", "Link: this page", "Copy", "Regenerate", "Delete",
    ]  # fmt: skip
    button = QApplication.focusWidget()
    assert isinstance(button, ActionButton) and button.toolTip() == "Delete this answer"
    assert view.cards[1].hovered  # its actions show while one of them has the keyboard
    qtbot.keyClick(button, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focused_name() == "Link: this page"
    with qtbot.waitSignal(view.surface.activated) as link:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert link.args == ["https://example.com", "this page"]  # to the link guard, as a click
    assert opened.urls == ["https://example.com"]  # an honest link opens at once
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # Copy under the answer
    with qtbot.waitSignal(view.surface.activated) as copy:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert copy.args[0].startswith("rill:copy-message/")


def test_the_conversation_and_each_message_have_a_name_and_their_text(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("What is a river?"), finished("Water, **flowing** downhill.")])
    into_the_pane(qtbot, view)
    conversation = QAccessible.queryAccessibleInterface(view.surface)
    assert conversation.text(QAccessible.Text.Name) == "Conversation"
    proxies = view.surface.keyboard.proxies
    read = []
    for proxy in proxies:
        message = QAccessible.queryAccessibleInterface(proxy)
        read.append(
            (message.text(QAccessible.Text.Name), message.text(QAccessible.Text.Description))
        )
    assert read == [
        ("Your message", "What is a river?"),
        ("Answer from gemini-2.5-flash", "Water, **flowing** downhill."),
    ]
    buttons = [QAccessible.queryAccessibleInterface(b) for b in proxies[1].buttons]
    assert [b.text(QAccessible.Text.Name) for b in buttons] == ["Copy", "Regenerate", "Delete"]
    assert all(b.role() == QAccessible.Role.Button for b in buttons)
    assert all(b.text(QAccessible.Text.Description) or True for b in buttons)


def test_a_finished_answer_is_read_whole_at_once(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("What is a river?")])
    view.begin_answer(streaming())
    frame(view, "Water, ", "")
    into_the_pane(qtbot, view)  # (the stand-ins follow the cards now)
    qtbot.waitUntil(lambda: len(view.surface.keyboard.proxies) == 2)
    view.finish_answer(finished("Water, **flowing** downhill."))
    # Not when the stand-ins next follow the cards (up to a quarter second later).
    proxy = view.surface.keyboard.proxies[1]
    message = QAccessible.queryAccessibleInterface(proxy)
    assert message.text(QAccessible.Text.Description) == "Water, **flowing** downhill."
