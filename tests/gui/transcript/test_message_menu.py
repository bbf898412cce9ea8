"""A message's context menu: Copy as Markdown, Copy as plain text and Save as…, by the
mouse on the message and by the keyboard (the Menu key on one of its buttons)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, make_view, user
from tests.gui.transcript.test_keyboard_access import into_the_pane

MARKDOWN = "Use **bold** and `code`:\n\n- one\n- two"


def menu_entry(view: ChatView, label: str) -> None:
    menu = view.surface.menu
    assert isinstance(menu, QMenu)
    (action,) = [a for a in menu.actions() if a.text() == label]
    action.trigger()
    menu.close()


def answer_point(view: ChatView) -> QPoint:
    card = view.cards[1]
    view.surface.lay_out_visible()
    return view.surface.block_origin(card, 1) + QPoint(10, 10)  # under the header


def test_the_mouse_menu_copies_a_message_as_markdown_or_as_plain_text(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Q"), finished(MARKDOWN)])
    view.settle()
    view.show()
    qtbot.waitExposed(view)
    spot = answer_point(view)
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, spot, view.surface.viewport().mapToGlobal(spot)
    )
    QApplication.sendEvent(view.surface.viewport(), event)
    menu_entry(view, "Copy message (Markdown)")
    assert QGuiApplication.clipboard().text() == MARKDOWN
    QApplication.sendEvent(view.surface.viewport(), event)
    menu_entry(view, "Copy message as plain text")
    plain = QGuiApplication.clipboard().text()
    assert "**" not in plain and "`" not in plain
    assert "Use bold and code:" in plain and "one" in plain and "two" in plain


def test_the_menu_key_on_a_messages_button_offers_that_message(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("The question"), finished("The answer")])
    into_the_pane(qtbot, view)
    # The first Tab stop is the user's first action: the menu is about that message.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Menu)
    qtbot.waitUntil(lambda: isinstance(view.surface.menu, QMenu))
    menu_entry(view, "Copy message as plain text")
    assert QGuiApplication.clipboard().text() == "The question"
