"""A non-modal bar above the composer that offers one action for a while.

"Deleted “Trip plans” · Undo" for ten seconds after a chat is deleted; "Delete this
message and the 4 after it? · Delete · Cancel" before a turn is. Nothing waits for
it: no dialog, no nested event loop; the action is a callback run when clicked.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from rill.gui.common import icons, plain_label

UNDO_MS = 10_000


class ActionBar(QFrame):
    """One line of text, an action button, an optional second button and a close ×.

    Signals:
        finished(bool acted): the bar went away; True when its action ran.
    """

    finished = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionBar")
        self.label = plain_label(QLabel(self))
        self.label.setWordWrap(True)
        self.action_button = QPushButton(self)
        self.action_button.setObjectName("actionBarButton")
        self.action_button.clicked.connect(self._on_action_clicked)
        self.other_button = QPushButton(self)
        self.other_button.clicked.connect(self.dismiss)
        close = QToolButton(self)
        close.setObjectName("panelClose")
        close.setIcon(icons.icon("close"))
        close.setAccessibleName("Dismiss")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.setSpacing(6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.other_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignVCenter)
        self._action: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self.hide()

    @property
    def offering(self) -> bool:
        """Whether an action is on offer (for Ctrl+Z and tests)."""
        return self._action is not None

    def offer(
        self,
        text: str,
        action_label: str,
        action: Callable[[], None],
        *,
        other_label: str = "",
        timeout_ms: int = UNDO_MS,
    ) -> None:
        """Show ``text`` with a button running ``action``; ``timeout_ms`` 0: stay."""
        if self._action is not None:
            self.dismiss()  # the previous offer lapses
        self._action = action
        self.label.setText(text)
        self.action_button.setText(action_label)
        self.action_button.setAccessibleName(f"{action_label}: {text}")
        self.other_button.setText(other_label)
        self.other_button.setVisible(bool(other_label))
        self.show()
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def trigger(self) -> bool:
        """Run the action on offer (Ctrl+Z for Undo); False when there is none."""
        if self._action is None:
            return False
        self._on_action_clicked()
        return True

    def dismiss(self) -> None:
        """Let the offer lapse."""
        self._close(False)

    def _on_action_clicked(self) -> None:
        action = self._action
        self._close(True)
        if action is not None:
            action()

    def _close(self, acted: bool) -> None:
        self._timer.stop()
        had = self._action is not None
        self._action = None
        self.hide()
        if had:
            self.finished.emit(acted)
