"""The notice bar: a dismissible line above the conversation for failures outside any
answer (a store that cannot be opened, settings not saved, a task that crashed).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from rill.gui.common import icons, plain_label


class NoticeBar(QFrame):
    """A dismissible line above the conversation; its text is shown as plain text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.label = plain_label(QLabel(self))
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("panelClose")
        close.setIcon(icons.icon("close"))
        close.setAccessibleName("Dismiss")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_text(self, text: str) -> None:
        """Show ``text`` (empty: hide the bar)."""
        self.label.setText(text)
        self.setVisible(bool(text))

    def withdraw(self, text: str) -> None:
        """Hide the bar if it still says ``text`` (a failure that no longer holds)."""
        if self.label.text() == text:
            self.show_text("")
