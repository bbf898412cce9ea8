"""A link that has the keyboard in the chat pane wears a clear ring, not a faint dotted box."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QTextCursor
from pytestqt.qtbot import QtBot

from rill.gui.common.theme import contrast_ratio
from rill.gui.transcript import message_html
from tests.gui.support.chat_view_support import finished, make_view, user


def ring_contrast(image: QImage, x: int, y_top: int, y_bottom: int, background: str) -> float:
    """The best contrast against ``background`` along column ``x`` between two rows."""
    return max(
        contrast_ratio(image.pixelColor(x, y).name(), background)
        for y in range(y_top, y_bottom + 1)
    )


@pytest.mark.parametrize("dark", [False, True])
def test_the_focused_link_has_a_ring_that_stands_out(qtbot: QtBot, dark: bool) -> None:
    view = make_view(qtbot)
    view.set_dark(dark)
    view.set_messages([user("Q"), finished("See [this page](https://example.com) now.")])
    view.settle()
    with qtbot.waitActive(view):
        view.activateWindow()
    browser = view.browser
    browser.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(browser, Qt.Key.Key_Tab)  # onto the first link (Edit under "Q")
    cursor = browser.textCursor()
    assert cursor.selectedText() == "Edit"
    start = QTextCursor(cursor)
    start.setPosition(cursor.selectionStart())
    rect = browser.cursorRect(start)
    palette = message_html.DARK if dark else message_html.LIGHT
    image = browser.viewport().grab().toImage()
    # Left of the link's first letter, where Qt's own indicator is a faint dotted line.
    ratio = ring_contrast(image, rect.left() - 3, rect.top(), rect.bottom(), palette.base)
    assert ratio >= 3.0, f"the ring is {ratio:.2f}:1 against the pane"
    assert len(browser.focused_link_rects()) == 1
    browser.clearFocus()
    assert browser.focused_link_rects() == []
