"""The first-run card above the chat: Rill answers offline, and a Gemini key is one step away.

Rill never blocks on a key: with none, the embedded model answers at once and this
card says so, offering "Add a Gemini API key" and where to get one. The key is handed
to the controller, which stores it through ``rill.core.secrets`` (the system
keychain, or a private file without one); this widget never stores it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.gui.common import icons, plain_label

API_KEY_URL = "https://aistudio.google.com/apikey"
OFFLINE_TEXT = (
    "<b>Rill is answering offline</b> with SmolLM2, a small model that runs on this "
    "computer: nothing you type leaves it. For stronger answers, add a Gemini API key."
)
NO_PROVIDER_TEXT = (
    "<b>No model is available yet.</b> Add a Gemini API key, or set up another provider "
    "under Settings → Providers…"
)


class WelcomeCard(QFrame):
    """A dismissible card: offline notice, "Add a Gemini API key", the key field.

    Signals:
        key_submitted(str key): the user entered a key and pressed Save (or Enter).
        dismissed(): the user closed the card.
    """

    key_submitted = Signal(str)
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeCard")
        self._build_inputs()
        self._build_layout()
        self.hide()

    def _build_inputs(self) -> None:
        self.intro = QLabel(OFFLINE_TEXT)
        self.intro.setObjectName("welcomeIntro")
        self.intro.setWordWrap(True)
        self.add_key_button = QPushButton("Add a Gemini API key")
        self.add_key_button.setObjectName("primaryButton")
        self.add_key_button.clicked.connect(self.open_key_form)
        self.close_button = QToolButton()
        self.close_button.setObjectName("panelClose")
        self.close_button.setIcon(icons.icon("close"))
        self.close_button.setAccessibleName("Dismiss")
        self.close_button.setToolTip("Hide this card (Settings → Providers… adds keys later)")
        self.close_button.clicked.connect(self._on_close_clicked)
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("keyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Gemini API key")
        self.key_edit.setAccessibleName("Gemini API key")
        self.key_edit.returnPressed.connect(self._on_save_clicked)
        self.key_edit.textChanged.connect(self._on_key_text_changed)
        self.save_button = QPushButton("Save key")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.where = QLabel(
            f'Create a free key at <a href="{API_KEY_URL}">{API_KEY_URL}</a>. It is kept in '
            "your system keychain, never in a settings file; GEMINI_API_KEY works too."
        )
        self.where.setObjectName("hint")
        self.where.setTextFormat(Qt.TextFormat.RichText)  # our own words and link only
        self.where.setWordWrap(True)
        self.where.setOpenExternalLinks(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.message = plain_label(QLabel())
        self.message.setObjectName("welcomeMessage")
        self.message.setWordWrap(True)
        self.message.hide()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.intro, 1)
        top.addWidget(self.add_key_button, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.key_form = QWidget()
        form = QVBoxLayout(self.key_form)
        form.setContentsMargins(0, 4, 0, 0)
        form.setSpacing(8)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.save_button)
        form.addLayout(key_row)
        form.addWidget(self.message)
        form.addWidget(self.where)
        self.key_form.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 10, 12)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.key_form)

    # ------------------------------------------------------------ states

    def show_offline(self) -> None:
        """The offline model answers; the key form waits behind its button."""
        self.intro.setText(OFFLINE_TEXT)
        self.add_key_button.setVisible(not self.key_form.isVisible())
        self.show()

    def show_key_needed(self) -> None:
        """Nothing can answer: the key form is open from the start."""
        self.intro.setText(NO_PROVIDER_TEXT)
        self.open_key_form()
        self.show()

    def open_key_form(self) -> None:
        """Show the key field and give it the keyboard."""
        self.key_form.show()
        self.add_key_button.hide()
        self.focus_input()

    @property
    def wants_focus(self) -> bool:
        """Whether the key field, not the composer, should get the keyboard."""
        return self.isVisible() and self.key_form.isVisible()

    def focus_input(self) -> None:
        """Give the keyboard to the key field."""
        self.key_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_message(self, text: str) -> None:
        """A line under the field: why saving failed, or where the key went."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.save_button.setEnabled(bool(self.key_edit.text().strip()))

    def key_accepted(self) -> None:
        """The key was stored and Gemini answers now: the card's work is done."""
        self.key_edit.clear()
        self.hide()

    # ------------------------------------------------------------ handlers

    def _on_close_clicked(self) -> None:
        self.hide()
        self.dismissed.emit()

    def _on_key_text_changed(self, text: str) -> None:
        self.save_button.setEnabled(bool(text.strip()))

    def _on_save_clicked(self) -> None:
        key = self.key_edit.text().strip()
        if not key:
            return
        self.save_button.setEnabled(False)
        self.key_submitted.emit(key)
