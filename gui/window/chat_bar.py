"""The slim bar above the chat: a toggle for the chat list and one for the settings panel.

Always on screen, also in a narrow window where the list or the settings take the
chat's place, so both panels (and the way back) are reachable without the View menu.
It only asks; the window decides what is shown and tells it back (:meth:`show_state`).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFrame, QHBoxLayout, QSizePolicy, QToolButton, QWidget

from rill.gui.common import keep_focus_on_click, resource_path, signals_blocked

ICON_PX = 18


class ChatBar(QFrame):
    """Two checkable buttons: the chat list (left) and the settings panel (right).

    Signals:
        chat_list_toggle_requested(): show the chat list if hidden, hide it if shown.
        settings_toggle_requested(): the same for the settings panel.
    """

    chat_list_toggle_requested = Signal()
    settings_toggle_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatBar")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.chats_button = self._button("chat-list.svg", "Chat list", "Show or hide the chat list")
        self.chats_button.clicked.connect(self.chat_list_toggle_requested)
        self.settings_button = self._button(
            "settings-panel.svg", "Chat settings", "Show or hide the chat settings (Ctrl+,)"
        )
        self.settings_button.clicked.connect(self.settings_toggle_requested)
        self.row = QHBoxLayout(self)  # issue 15 puts the model picker between the two
        self.row.setContentsMargins(8, 4, 8, 4)
        self.row.setSpacing(8)
        self.row.addWidget(self.chats_button)
        self.row.addStretch(1)
        self.row.addWidget(self.settings_button)

    def _button(self, icon: str, name: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("chatBarButton")
        button.setIcon(QIcon(str(resource_path(icon))))
        button.setIconSize(QSize(ICON_PX, ICON_PX))
        button.setCheckable(True)
        button.setAccessibleName(name)
        button.setToolTip(tip)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        keep_focus_on_click(button)
        return button

    def show_state(self, chats_shown: bool, settings_shown: bool) -> None:
        """Check the buttons as the panels are shown; emits nothing."""
        with signals_blocked(self.chats_button, self.settings_button):
            self.chats_button.setChecked(chats_shown)
            self.settings_button.setChecked(settings_shown)
