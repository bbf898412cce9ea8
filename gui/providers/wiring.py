"""Connects the ProviderManager to the window: the panel's combo, the menu, the cards.

Kept apart from ``main_window`` so the window only calls :func:`install_providers`;
everything provider-shaped the window shows is wired here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from rill.gui.common import TaskLauncher
from rill.gui.providers.dialog import ProvidersDialog
from rill.gui.providers.manager import LOCAL, ProviderManager, provider_label, provider_names

if TYPE_CHECKING:
    from rill.gui.window import MainWindow


class ProvidersUi(QObject):
    """The window's provider pieces: ``manager``, the non-modal ``dialog`` once opened."""

    def __init__(self, window: MainWindow, launcher: TaskLauncher) -> None:
        super().__init__(window)
        self._window = window
        self.manager = ProviderManager(
            window.controller,
            launcher,
            lambda: window.app_settings,
            window.replace_settings,
            parent=self,
        )
        self.dialog: ProvidersDialog | None = None
        self.action = QAction("&Providers…", window)
        self.action.triggered.connect(self.open_dialog)
        window.menuBar().addMenu("&Settings").addAction(self.action)
        picker = window.panel.provider_picker
        picker.provider_selected.connect(self.manager.switch_to)
        picker.manage_requested.connect(self.open_dialog)
        m = self.manager
        m.current_changed.connect(self._on_manager_current_changed)
        m.switch_failed.connect(self._on_manager_switch_failed)
        m.table_changed.connect(self._fill_picker)
        m.key_warning.connect(window.show_notice)
        window.controller.provider_changed.connect(self._on_controller_provider_changed)
        self._fill_picker()

    def open_dialog(self) -> ProvidersDialog:
        """Show the providers screen (non-modal: the chat stays usable) and return it."""
        if self.dialog is None:
            self.dialog = ProvidersDialog(self.manager, self._window)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _fill_picker(self, *_args: object) -> None:
        settings = self._window.app_settings
        entries = [(n, provider_label(n, settings)) for n in provider_names(settings)]
        current = self.manager.current or settings.default_provider
        self._window.panel.provider_picker.set_providers(entries, current)

    def _on_manager_current_changed(self, name: str) -> None:
        self._window.panel.provider_picker.set_current(name)
        if name != LOCAL:
            self._window.welcome.hide()  # no longer answering offline

    def _on_manager_switch_failed(self, name: str, message: str) -> None:
        self._window.show_notice(message)
        self._window.panel.provider_picker.set_current(self.manager.current)
        if name == "gemini" and self._window.controller.has_provider:
            # Gemini without a key: the card's key field is the quickest way on.
            self._window.welcome.show_offline()
            self._window.welcome.open_key_form()

    def _on_controller_provider_changed(self, _configured: bool) -> None:
        provider = self._window.controller.provider
        settings = self._window.app_settings
        label = getattr(provider, "label", "") or provider_label(self.manager.current, settings)
        who = "The offline model" if self.manager.current == LOCAL else str(label)
        self._window.panel.set_capabilities(provider.capabilities, who)


def install_providers(window: MainWindow, launcher: TaskLauncher) -> ProvidersUi:
    """Wire provider switching, the providers screen and capabilities into ``window``."""
    return ProvidersUi(window, launcher)
