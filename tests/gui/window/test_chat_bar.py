"""The slim bar above the chat: the chat list and the settings, reachable on screen at
any width, and the View menu's ticks true to what is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from rill.gui.window.main_window import MainWindow


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def shown(window: MainWindow) -> tuple[bool, bool, bool]:
    """(chat list, chat, settings) as on screen; the menu and the bar agree with it."""
    chats, settings = window.conversations.isVisible(), window.panel.isVisible()
    bar = window.chat_bar
    assert window.menus.chats_action.isChecked() == chats, "View → Chat list tick"
    assert window.menus.settings_action.isChecked() == settings, "View → Settings tick"
    assert bar.chats_button.isChecked() == chats and bar.settings_button.isChecked() == settings
    return chats, window.chat_column.isVisible(), settings


def make_narrow(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(480, 640)
    qtbot.waitUntil(lambda: window.chat_column.width() == 480)


def test_a_480_px_window_reaches_the_list_and_the_settings_from_the_bar(
    qtbot: QtBot, window: MainWindow
) -> None:
    make_narrow(qtbot, window)
    bar = window.chat_bar
    assert shown(window) == (False, True, False)  # the menu no longer ticks a hidden list
    click(qtbot, bar.chats_button)
    assert shown(window) == (True, False, False)
    assert window.conversations.list.hasFocus()
    click(qtbot, bar.chats_button)  # and back to the chat
    assert shown(window) == (False, True, False)
    qtbot.waitUntil(window.composer.edit.hasFocus)
    click(qtbot, bar.settings_button)
    assert shown(window) == (False, False, True)
    click(qtbot, bar.chats_button)  # straight from the settings to the list
    assert shown(window) == (True, False, False)
    click(qtbot, bar.settings_button)
    click(qtbot, bar.settings_button)
    assert shown(window) == (False, True, False)
    assert bar.geometry().height() <= 48  # slim


def test_the_view_menu_follows_a_narrow_window(qtbot: QtBot, window: MainWindow) -> None:
    make_narrow(qtbot, window)
    window.menus.chats_action.trigger()  # View → Chat list
    assert shown(window) == (True, False, False)
    window.menus.chats_action.trigger()
    assert shown(window) == (False, True, False)
    window.resize(1100, 720)  # wide again: the list and the panel come back as they were
    qtbot.waitUntil(window.conversations.isVisible)
    assert shown(window) == (True, True, True)


def test_the_bar_toggles_the_panels_of_a_wide_window(qtbot: QtBot, window: MainWindow) -> None:
    bar = window.chat_bar
    assert shown(window) == (True, True, True)
    click(qtbot, bar.chats_button)
    assert shown(window) == (False, True, True)
    click(qtbot, bar.settings_button)
    assert shown(window) == (False, True, False)
    window.menus.chats_action.trigger()
    assert shown(window) == (True, True, False)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert shown(window) == (True, True, True)
