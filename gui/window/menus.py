"""The window's menu bar and its actions: File, Chat, View (with Theme) and Settings.

Only the actions are made here (text, shortcut, checkable); what each one does is
connected in the window's wiring table. Every action is also added to the window, so
its shortcut works with the menu bar hidden. The chat bar's "More" button shows
``more_menu``: the commands that have no button of their own elsewhere on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from rill.gui.common import MODES


class WindowMenus(QObject):
    """The menus of ``window``; the providers' action goes under Settings, beside
    Tools…, when the window has made its providers (:meth:`add_providers_action`).

    Signals:
        theme_chosen(str mode): View → Theme → "system", "light" or "dark" was picked.
    """

    theme_chosen = Signal(str)

    def __init__(self, window: QMainWindow, theme_mode: str) -> None:
        super().__init__(window)
        self._window = window
        self.new_chat_action = self._action("&New chat", "Ctrl+N")
        self.export_action = self._action("&Export conversation…", "Ctrl+Shift+E")
        self.import_action = self._action("&Import conversation…")
        self.attach_action = self._action("&Attach files…")
        self.uri_action = self._action("Add file by &URI…")
        self.quit_action = self._action("&Quit", "Ctrl+Q")
        # Esc anywhere in the window stops an answer, not only in the input.
        self.stop_action = self._action("&Stop answer", "Esc")
        self.stop_action.setEnabled(False)
        self.find_action = self._action("&Find in chat", "Ctrl+F")
        self.search_action = self._action("&Search all chats", "Ctrl+Shift+F")
        # Ctrl+Z in a text field still undoes typing: text fields take it first.
        self.undo_action = self._action("&Undo delete", "Ctrl+Z")
        self.focus_action = self._action("&Focus input", "Ctrl+L")
        self.settings_action = self._action("&Settings", "Ctrl+,", checkable=True)
        self.chats_action = self._action("&Chat list", checkable=True)
        self.tools_action = self._action("&Tools…")
        self.chats_action.setChecked(True)
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for mode in MODES:
            action = QAction(mode.capitalize(), self.theme_group)
            action.setCheckable(True)
            action.setChecked(mode == theme_mode)
            action.triggered.connect(lambda _checked=False, m=mode: self.theme_chosen.emit(m))
            self.theme_actions[mode] = action
        self._fill()

    def _action(self, text: str, shortcut: str = "", *, checkable: bool = False) -> QAction:
        action = QAction(text, self._window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        self._window.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _fill(self) -> None:
        bar = self._window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_chat_action)
        file_menu.addSeparator()
        file_menu.addActions([self.export_action, self.import_action])
        file_menu.addSeparator()
        file_menu.addActions([self.attach_action, self.uri_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        chat_menu = bar.addMenu("&Chat")
        chat_menu.addActions(
            [self.stop_action, self.find_action, self.search_action, self.undo_action]
        )
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.focus_action, self.settings_action, self.chats_action])
        theme_menu = view_menu.addMenu("&Theme")
        theme_menu.addActions(list(self.theme_actions.values()))
        self._settings_menu = bar.addMenu("&Settings")
        self._settings_menu.addAction(self.tools_action)
        # On screen, the rest have a place of their own: New chat and the panels in the
        # chat bar, Attach and Stop in the composer, search in the chat list, Undo in
        # the bar that follows a deletion, each chat's Export in its context menu.
        self.more_menu = QMenu("More", self._window)
        self.more_menu.addAction(self.find_action)
        self.more_menu.addSeparator()
        self.more_menu.addActions([self.export_action, self.import_action])
        self.more_menu.addSeparator()
        self.more_menu.addAction(self.uri_action)
        self.more_menu.addSeparator()
        self.more_menu.addMenu(theme_menu)
        self.more_menu.addAction(self.tools_action)

    def add_providers_action(self, action: QAction) -> None:
        """Put ``action`` (Providers…) before Tools… in Settings and in More: the
        window makes its providers after its first paint, before any input."""
        self._settings_menu.insertAction(self.tools_action, action)
        self.more_menu.insertAction(self.tools_action, action)

    def show_theme(self, mode: str) -> None:
        """Tick ``mode`` in View → Theme."""
        self.theme_actions[mode].setChecked(True)

    def show_panels(self, chats: bool, settings: bool) -> None:
        """Tick View → Chat list and View → Settings as the panels are shown."""
        self.chats_action.setChecked(chats)
        self.settings_action.setChecked(settings)
