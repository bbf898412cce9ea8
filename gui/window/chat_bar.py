"""The slim bar above the chat: the chat list and New chat on the left, the model picker
and how full the context is beside them, the rest of the commands and the settings
panel on the right.

Always on screen, also in a narrow window where the list or the settings take the
chat's place, so both panels (and the way back) are reachable without the View menu.
It only asks; the window decides what is shown and tells it back (:meth:`show_state`).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMenu, QSizePolicy, QToolButton, QWidget

from rill.gui.common import icons, keep_focus_on_click, signals_blocked
from rill.gui.window.context_meter import ContextMeter
from rill.gui.window.model_picker import ModelPicker

ICON_PX = 20


class ChatBar(QFrame):
    """Toggles for the chat list and the settings panel, New chat, the model picker,
    the context meter and a "More" menu.

    Signals:
        chat_list_toggle_requested(): show the chat list if hidden, hide it if shown.
        settings_toggle_requested(): the same for the settings panel.
        new_chat_requested(): the New chat button.

    The picker (``picker``) has its own: ``model_chosen``, ``provider_chosen``.
    """

    chat_list_toggle_requested = Signal()
    settings_toggle_requested = Signal()
    new_chat_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatBar")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.chats_button = self._button("chat-list", "Chat list", "Show or hide the chat list")
        self.chats_button.setCheckable(True)
        self.chats_button.clicked.connect(self.chat_list_toggle_requested)
        self.new_button = self._button("new-chat", "New chat", "Start a new chat (Ctrl+N)")
        self.new_button.clicked.connect(self.new_chat_requested)
        self.picker = ModelPicker(self)
        self.picker.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.meter = ContextMeter(self)
        self.more_button = self._button("more", "More", "More commands")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.settings_button = self._button(
            "settings", "Chat settings", "Show or hide the chat settings (Ctrl+,)"
        )
        self.settings_button.setCheckable(True)
        self.settings_button.clicked.connect(self.settings_toggle_requested)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(8, 4, 8, 4)
        self.row.setSpacing(4)
        for widget in (self.chats_button, self.new_button):
            self.row.addWidget(widget)
        self.row.addSpacing(4)
        self.row.addWidget(self.picker, 1)  # shrinks (eliding) before the toggles do
        self.row.addWidget(self.meter)
        self.row.addStretch(0)
        self.row.addWidget(self.more_button)
        self.row.addWidget(self.settings_button)

    def _button(self, icon: str, name: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("chatBarButton")
        button.setIcon(icons.icon(icon))
        button.setIconSize(QSize(ICON_PX, ICON_PX))
        button.setAccessibleName(name)
        button.setToolTip(tip)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        keep_focus_on_click(button)
        return button

    def set_more_menu(self, menu: QMenu) -> None:
        """The commands behind the "More" button (the window's own actions)."""
        self.more_button.setMenu(menu)

    def show_state(self, chats_shown: bool, settings_shown: bool) -> None:
        """Check the buttons as the panels are shown; emits nothing."""
        with signals_blocked(self.chats_button, self.settings_button):
            self.chats_button.setChecked(chats_shown)
            self.settings_button.setChecked(settings_shown)
