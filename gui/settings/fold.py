"""A section of the settings panel that opens and closes: a header button over a body.

The panel keeps what most people never change (safety thresholds, stop sequences,
the seed) under an "Advanced" fold, closed until asked for.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget

from rill.gui.common import icons, signals_blocked


class Fold(QWidget):
    """``body`` under a checkable header button titled ``title``; closed at first.

    Signals:
        toggled(bool open): the user opened or closed it (not :meth:`set_open`).
    """

    toggled = Signal(bool)

    def __init__(self, title: str, body: QWidget, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fold")
        self.body = body
        self.button = QToolButton(self)
        self.button.setObjectName("foldButton")
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setIconSize(QSize(16, 16))
        self.button.setAccessibleName(f"{title} settings")
        self.button.setToolTip(tip)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.toggled.connect(self._on_button_toggled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.button)
        layout.addWidget(body)
        self._show(False)

    @property
    def is_open(self) -> bool:
        """Whether the body is shown."""
        return self.button.isChecked()

    def set_open(self, is_open: bool) -> None:
        """Open or close the fold; emits nothing."""
        with signals_blocked(self.button):
            self.button.setChecked(is_open)
        self._show(is_open)

    def _show(self, is_open: bool) -> None:
        self.button.setIcon(icons.icon("chevron-down" if is_open else "chevron-right", "muted"))
        self.body.setVisible(is_open)

    def _on_button_toggled(self, is_open: bool) -> None:
        self._show(is_open)
        self.toggled.emit(is_open)
