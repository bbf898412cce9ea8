"""Ctrl+F in the window finds text in the chat on screen; Ctrl+Shift+F still searches
every chat from the sidebar; Esc closes the find bar and the keyboard goes back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rill.gui.window.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


def test_ctrl_f_finds_in_the_chat_and_esc_gives_the_keyboard_back(
    qtbot: QtBot,
    window: MainWindow,
) -> None:
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10_000):
        window.controller.send("Say something with a marmot in it")
    view = window.view
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)
    bar = view.find_bar
    assert bar.isVisible() and bar.field.hasFocus()
    qtbot.keyClicks(bar.field, "marmot")
    qtbot.waitUntil(lambda: not view.finder.scanning and bool(view.finder.matches))
    assert view.surface.selected_text().casefold() == "marmot"
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible()
    qtbot.waitUntil(view.surface.hasFocus)
    assert window.conversations.search.text() == ""  # the sidebar's search was not used
