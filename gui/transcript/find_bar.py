"""The find bar over the chat pane: a search field, "n of m", previous, next, close.

Enter (or F3) goes to the next match, Shift+Enter (Shift+F3) to the previous one, Esc
closes the bar and gives the keyboard back to the conversation. The count is plain
text; while long chats are still being searched it says so ("3 of 12…").
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from rill.gui.common import icons
from rill.gui.transcript.find import ChatFinder

FIELD_MAX_PX = 320


class FindBar(QWidget):
    """Find in the chat on screen.

    Signals:
        closed(): the bar was closed (Esc, the close button); the pane takes the keyboard.
    """

    closed = Signal()

    def __init__(self, finder: ChatFinder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.finder = finder
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Find in this chat")
        self.field.setAccessibleName("Find in this chat")
        self.field.setClearButtonEnabled(True)
        self.field.installEventFilter(self)
        self.count = QLabel(self)
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.count.setObjectName("findCount")
        self.count.setMinimumWidth(self.count.fontMetrics().horizontalAdvance("888 of 8888…"))
        self.previous = self._button("chevron-up", "Previous match (Shift+Enter)")
        self.next = self._button("chevron-down", "Next match (Enter)")
        self.close_button = self._button("close", "Close (Esc)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.setSpacing(4)
        # At the right like a browser's find bar; the field takes what a narrow
        # window leaves, up to a comfortable width.
        self.field.setMaximumWidth(FIELD_MAX_PX)
        layout.addStretch(1)
        layout.addWidget(self.field, 4)
        layout.addWidget(self.count)
        layout.addWidget(self.previous)
        layout.addWidget(self.next)
        layout.addWidget(self.close_button)
        self.field.textChanged.connect(finder.search)
        # Bound methods, not lambdas: a lambda holding the finder would keep the pane
        # alive after its last reference went (test_surface_memory).
        self.previous.clicked.connect(self._on_previous_clicked)
        self.next.clicked.connect(self._on_next_clicked)
        self.close_button.clicked.connect(self.close_bar)
        finder.changed.connect(self._on_finder_changed)
        self.hide()

    def _on_previous_clicked(self) -> None:
        self.finder.step(forward=False)

    def _on_next_clicked(self) -> None:
        self.finder.step(forward=True)

    def _button(self, icon: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("chatBarButton")
        button.setIcon(icons.icon(icon))
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setAutoRaise(True)
        button.setFixedSize(28, 28)
        return button

    def open_bar(self) -> None:
        """Show the bar with the keyboard in its field (its text selected); a query
        still there is searched again (the chat may have changed)."""
        self.show()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        if self.field.text():
            self.finder.search(self.field.text())

    def close_bar(self) -> None:
        """Hide the bar (the match stays selected, for Ctrl+C)."""
        self.hide()
        self.closed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The field's keys: Enter / Shift+Enter, F3 / Shift+F3, Esc."""
        if watched is self.field and event.type() == QEvent.Type.ShortcutOverride:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Escape:
                event.accept()  # the bar's Esc, not the window's (which stops an answer)
                return True
        if watched is self.field and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F3):
                self.finder.step(forward=not shift)
                return True
            if key == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(watched, event)

    def _on_finder_changed(self) -> None:
        finder = self.finder
        more = "…" if finder.scanning else ""
        if not finder.query:
            text = ""
        elif not finder.matches:
            text = "Searching…" if finder.scanning else "No matches"
        elif finder.current < 0:
            text = f"{len(finder.matches)} found{more}"
        else:
            text = f"{finder.current + 1} of {len(finder.matches)}{more}"
        self.count.setText(text)
        self.count.setAccessibleName(text or "No search")
        self.previous.setEnabled(bool(finder.matches))
        self.next.setEnabled(bool(finder.matches))
