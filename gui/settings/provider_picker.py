"""The settings panel's provider row: the configured providers and a "Manage…" button."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QToolButton, QWidget

from rill.gui.common import icons, signals_blocked


class ProviderPicker(QWidget):
    """A combo of providers (data = the provider's name) beside "Manage…".

    Signals:
        provider_selected(str name): the user picked provider ``name``.
        manage_requested(): open the providers screen.
    """

    provider_selected = Signal(str)
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setAccessibleName("Provider")
        self.combo.setToolTip("Which service answers this window's chats")
        # A compact button like the model row's refresh: "Manage…" beside the combo left the
        # provider's name cut to "Google Ger" in the panel's usual width.
        self.manage_button = QToolButton()
        self.manage_button.setIcon(icons.icon("key"))
        self.manage_button.setToolTip("Manage providers and keys (Settings → Providers…)")
        self.manage_button.setAccessibleName("Manage providers")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.manage_button)
        self.combo.activated.connect(self._on_combo_activated)
        self.manage_button.clicked.connect(self.manage_requested)

    def set_providers(self, entries: Sequence[tuple[str, str]], current: str) -> None:
        """Show ``entries`` (name, label) with ``current`` selected; emits nothing."""
        with signals_blocked(self.combo):
            self.combo.clear()
            for name, label in entries:
                self.combo.addItem(label, name)
            self.set_current(current)

    def set_current(self, name: str) -> None:
        """Select provider ``name`` without emitting a choice."""
        with signals_blocked(self.combo):
            index = self.combo.findData(name)
            if index >= 0:
                self.combo.setCurrentIndex(index)

    def current(self) -> str:
        """The selected provider's name (empty when none is)."""
        data = self.combo.currentData()
        return data if isinstance(data, str) else ""

    def _on_combo_activated(self, index: int) -> None:
        name = self.combo.itemData(index)
        if isinstance(name, str):
            self.provider_selected.emit(name)
