"""The list of this session's chats on the left of the window, with "New chat".

Basic on purpose: chats live in memory until the conversations issue adds the store.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from rill.gui.qt_helpers import signals_blocked

ID_ROLE = Qt.ItemDataRole.UserRole


class ConversationList(QWidget):
    """Chats, newest first.

    Signals:
        chat_selected(int chat_id): the user picked a chat.
        new_chat_requested(): the "New chat" button.
    """

    chat_selected = Signal(int)
    new_chat_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationList")
        self.new_button = QPushButton("New chat", self)
        self.new_button.setObjectName("newChatButton")
        self.new_button.setToolTip("Start a new chat (Ctrl+N)")
        self.new_button.clicked.connect(self.new_chat_requested)
        self.list = QListWidget(self)
        self.list.setObjectName("chatList")
        self.list.setAccessibleName("Chats")
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        # Long titles end in "…" instead of growing a horizontal scroll bar.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setUniformItemSizes(True)
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.list, 1)

    def add_chat(self, chat_id: int, title: str) -> None:
        """Put a chat at the top of the list (it does not become selected here)."""
        item = QListWidgetItem(title)
        item.setData(ID_ROLE, chat_id)
        item.setToolTip(title)
        with signals_blocked(self.list):
            self.list.insertItem(0, item)

    def rename_chat(self, chat_id: int, title: str) -> None:
        item = self._item(chat_id)
        if item is not None:
            item.setText(title)
            item.setToolTip(title)

    def select_chat(self, chat_id: int) -> None:
        """Highlight ``chat_id`` without emitting ``chat_selected``."""
        item = self._item(chat_id)
        if item is not None:
            with signals_blocked(self.list):
                self.list.setCurrentItem(item)

    def chat_ids(self) -> list[int]:
        return [int(self.list.item(i).data(ID_ROLE)) for i in range(self.list.count())]

    def _item(self, chat_id: int) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ID_ROLE) == chat_id:
                return item
        return None

    def _on_list_current_changed(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None
    ) -> None:
        if current is not None:
            self.chat_selected.emit(int(current.data(ID_ROLE)))
