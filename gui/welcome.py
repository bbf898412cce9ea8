"""The first-run card: asks for a Gemini API key and says where to get one.

The key is handed to the controller, which stores it through ``rill.core.secrets``
(the system keychain, or a private file without one); this widget never stores it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

API_KEY_URL = "https://aistudio.google.com/apikey"


class WelcomeCard(QWidget):
    """A centred card with a key field and Save.

    Signals:
        key_submitted(str key): the user entered a key and pressed Save (or Enter).
    """

    key_submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        self._build_inputs()
        self._build_card()

    def _build_inputs(self) -> None:
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("keyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Gemini API key")
        self.key_edit.setAccessibleName("Gemini API key")
        self.key_edit.returnPressed.connect(self._on_save_clicked)
        self.key_edit.textChanged.connect(self._on_key_text_changed)
        self.save_button = QPushButton("Save key")
        self.save_button.setObjectName("primaryButton")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.message = QLabel()
        self.message.setObjectName("welcomeMessage")
        self.message.setWordWrap(True)
        self.message.hide()

    def _build_card(self) -> None:
        card = QFrame(self)
        card.setObjectName("welcomeCard")
        card.setMaximumWidth(520)
        title = QLabel("Welcome to Rill")
        title.setObjectName("welcomeTitle")
        intro = QLabel(
            "Rill talks to Google's Gemini models. Paste your Gemini API key to begin; "
            f'you can create one for free at <a href="{API_KEY_URL}">{API_KEY_URL}</a>.'
        )
        intro.setWordWrap(True)
        intro.setOpenExternalLinks(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        note = QLabel(
            "The key is kept in your system keychain, never in a settings file. "
            "Setting GEMINI_API_KEY in the environment works too."
        )
        note.setObjectName("hint")
        note.setWordWrap(True)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.save_button)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addLayout(key_row)
        inner.addWidget(self.message)
        inner.addWidget(note)
        # Stretches beside the card, not an alignment flag: an aligned widget gets only
        # its size hint, and word-wrapped labels in it then wrap to a sliver.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 10)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 16, 16, 16)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def focus_input(self) -> None:
        self.key_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_message(self, text: str) -> None:
        """A line under the field: why saving failed, or where the key went."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.save_button.setEnabled(bool(self.key_edit.text().strip()))

    def _on_key_text_changed(self, text: str) -> None:
        self.save_button.setEnabled(bool(text.strip()))

    def _on_save_clicked(self) -> None:
        key = self.key_edit.text().strip()
        if not key:
            return
        self.save_button.setEnabled(False)
        self.key_submitted.emit(key)
