"""The strip above the composer while a sent message is being edited.

Edit under a user turn puts its text in the composer and shows this strip; Send then
replaces that turn and what followed (the store keeps the old ones as another
version), Cancel or Esc gives the composer back what it held before.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from rill.core.types import Message
from rill.gui.chat import ChatController
from rill.gui.composer.composer import Composer


class EditBanner(QFrame):
    """ "Editing your message" with Cancel, driven by ``ChatController.editing_changed``."""

    def __init__(
        self, controller: ChatController, composer: Composer, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("editBanner")
        self._controller = controller
        self._composer = composer
        self._draft = ""  # what the composer held before the edit began
        self.label = QLabel(
            "Editing your message: Send replaces it and the answers after it. "
            "The original stays as an earlier version.",
            self,
        )
        self.label.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop editing (Esc)")
        self.cancel_button.clicked.connect(controller.cancel_edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.cancel_action = QAction("Cancel edit", self)
        self.cancel_action.setShortcut(QKeySequence("Esc"))
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.cancel_action.setEnabled(False)
        self.cancel_action.triggered.connect(controller.cancel_edit)
        self.addAction(self.cancel_action)  # Esc while the strip shows
        self._editing: Message | None = None
        controller.editing_changed.connect(self._on_controller_editing_changed)
        self.hide()

    def _on_controller_editing_changed(self, index: int) -> None:
        history = self._controller.current_chat.session.history
        editing = history[index] if 0 <= index < len(history) else None
        previous, self._editing = self._editing, editing
        self.setVisible(editing is not None)
        self.cancel_action.setEnabled(editing is not None)
        if editing is not None:
            if previous is None:
                self._draft = self._composer.text
            self._composer.set_text(editing.text)
            self._composer.focus_input()
        elif previous is not None and any(m is previous for m in history):
            # Cancelled (the turn is still there): give the draft back. When it was
            # sent, the turn left the history and the composer clears itself.
            self._composer.set_text(self._draft)
            self._draft = ""
