"""What a new chat shows before its first message: what Rill answers with, and a few
prompts to start from.

It takes the chat pane's place in the chat column while the chat has no messages
(the window decides when). A suggestion only fills the composer: nothing is sent
until the user sends it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from rill.gui.common import app_icon, plain_label, plain_tip

# (what the button says, what it puts in the composer)
SUGGESTIONS = (
    (
        "Explain a hard idea simply",
        "Explain how public-key encryption works, in plain words and with one everyday analogy.",
    ),
    (
        "Write a small program",
        "Write a Python function that removes duplicate lines from a text file and keeps "
        "their order.",
    ),
    (
        "Summarise a text",
        "Summarise the text below in five short bullet points:\n\n",
    ),
    (
        "Plan a short trip",
        "Plan a relaxed three-day visit to Lisbon: what to see each day and where to eat.",
    ),
)
MAX_WIDTH = 600  # the column of the title, the line under it and the suggestions
ONE_COLUMN_BELOW = 520  # narrower than this, the suggestions stack
OFFLINE_NOTE = (
    "Answering offline with the built-in model, on this computer: nothing you type leaves it."
)
NO_MODEL_NOTE = "No model can answer yet: add a key or a provider under Settings → Providers…"


class EmptyState(QWidget):
    """A calm, centred page: Rill's icon, a title, what answers, and suggestions.

    Signals:
        suggestion_chosen(str text): put ``text`` in the composer (not sent).
    """

    suggestion_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(40, 40))
        logo.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        logo.setAccessibleName("Rill")
        self.title = QLabel("What can I help with?", self)
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        # The model's name comes from the settings or a server: plain text.
        self.note = plain_label(QLabel(self))
        self.note.setObjectName("emptyNote")
        self.note.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.note.setWordWrap(True)
        self.buttons: list[QPushButton] = []
        for title, text in SUGGESTIONS:
            button = QPushButton(title, self)
            button.setObjectName("suggestion")
            button.setToolTip(plain_tip(text.strip()))
            button.setAccessibleName(f"Suggestion: {title}")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            # Its padding and a line of text, also while the grid is re-arranged.
            button.setMinimumHeight(button.fontMetrics().height() + 28)
            button.clicked.connect(lambda _c=False, t=text: self.suggestion_chosen.emit(t))
            self.buttons.append(button)
        self.grid = QGridLayout()
        self.grid.setSpacing(8)
        self._columns = 0
        self._arrange(2)
        inner = QWidget(self)
        inner.setMaximumWidth(MAX_WIDTH)  # the whole width up to this, centred
        inner.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addWidget(logo)
        column.addSpacing(4)
        column.addWidget(self.title)
        column.addWidget(self.note)
        column.addSpacing(16)
        column.addLayout(self.grid)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(2)
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(inner, 100)
        middle.addStretch(1)
        outer.addLayout(middle)
        outer.addStretch(3)  # a little above the middle, where the eye rests

    def show_target(self, label: str, model: str, *, offline: bool, available: bool) -> None:
        """Say what answers: provider ``label`` and ``model``, the offline model, or
        nothing (no ``available`` provider)."""
        if not available:
            self.note.setText(NO_MODEL_NOTE)
        elif offline:
            self.note.setText(OFFLINE_NOTE)
        else:
            self.note.setText(f"Answering with {' · '.join(t for t in (label, model) if t)}")

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: one column of suggestions in a narrow window, two in a wide one."""
        super().resizeEvent(event)
        self._arrange(1 if event.size().width() < ONE_COLUMN_BELOW else 2)

    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for button in self.buttons:
            self.grid.removeWidget(button)
        for index, button in enumerate(self.buttons):
            self.grid.addWidget(button, index // columns, index % columns)
