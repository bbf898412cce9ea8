"""An action or a link that has the keyboard in the chat pane wears a clear ring (the
cards are painted: the ring is their keyboard stand-in's, see transcript.keyboard)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.gui.common.theme import contrast_ratio
from rill.gui.transcript import message_html
from rill.gui.transcript.keyboard import ActionButton
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, make_view, user
from tests.gui.transcript.test_keyboard_access import into_the_pane


def ring_contrast(image: QImage, x: int, y_top: int, y_bottom: int, background: str) -> float:
    """The best contrast against ``background`` along column ``x`` between two rows."""
    return max(
        contrast_ratio(image.pixelColor(x, y).name(), background)
        for y in range(max(0, y_top), min(image.height() - 1, y_bottom) + 1)
    )


def ring_stands_out(qtbot: QtBot, view: ChatView, button: ActionButton, dark: bool) -> bool:
    qtbot.waitUntil(button.isVisible)
    rect = button.geometry().translated(button.parentWidget().pos())
    image = view.surface.viewport().grab().toImage()
    palette = message_html.DARK if dark else message_html.LIGHT
    ratio = ring_contrast(image, rect.left() + 1, rect.top() + 4, rect.bottom() - 4, palette.base)
    return ratio >= 3.0


@pytest.mark.parametrize("dark", [False, True])
def test_the_focused_action_or_link_has_a_ring_that_stands_out(qtbot: QtBot, dark: bool) -> None:
    view = make_view(qtbot)
    view.set_dark(dark)
    view.set_messages([user("Q"), finished("See [this page](https://example.com) now.")])
    into_the_pane(qtbot, view)
    qtbot.keyClick(view.surface, Qt.Key.Key_Tab)  # onto the first action (Edit under "Q")
    button = QApplication.focusWidget()
    assert isinstance(button, ActionButton) and button.accessibleName() == "Edit"
    assert ring_stands_out(qtbot, view, button, dark)
    for _ in range(3):  # Copy, Delete, then the link in the answer
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    link = QApplication.focusWidget()
    assert isinstance(link, ActionButton) and link.accessibleName() == "Link: this page"
    assert ring_stands_out(qtbot, view, link, dark)
    view.surface.setFocus()
    view.surface.clearFocus()
    qtbot.waitUntil(lambda: not view.cards[0].hovered)
