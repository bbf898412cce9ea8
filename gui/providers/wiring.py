"""Connects the ProviderManager to the window: the panel's combo and model list, the
Providers… action, the welcome card, the capabilities the panel offers.

The settings panel is made after the window's first paint (or when first shown), so it
arrives through :meth:`ProvidersUi.attach_panel`, which shows it what it missed.

Kept apart from the main window so it only calls :func:`install_providers` (and puts
``action`` in a menu); everything provider-shaped the window shows is wired here. The
window is seen through :class:`ProvidersHost` (what this module needs of it), so this
package never imports the window package above it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from rill.core.settings import Settings
from rill.core.types import ModelInfo
from rill.gui.chat import ChatController
from rill.gui.common import TaskLauncher
from rill.gui.providers.manager import ProviderManager
from rill.gui.providers.names import LOCAL, provider_label, provider_names
from rill.gui.providers.welcome import WelcomeCard

if TYPE_CHECKING:
    from rill.gui.providers.dialog import ProvidersDialog
    from rill.gui.settings import SettingsPanel


class ProvidersHost(Protocol):
    """What the provider wiring uses of the window it is installed in."""

    app_settings: Settings
    welcome: WelcomeCard

    @property
    def controller(self) -> ChatController:
        """The chat controller the providers are handed to."""
        ...

    def replace_settings(self, settings: Settings) -> bool:
        """Make ``settings`` the app's settings (saved); whether that worked."""
        ...

    def show_notice(self, text: str) -> None:
        """Show ``text`` in the window's notice bar."""
        ...


class ProvidersUi(QObject):
    """The window's provider pieces: ``manager``, the ``action`` that opens the
    providers screen (for the window's menu), the non-modal ``dialog`` once opened."""

    def __init__(self, window: ProvidersHost, launcher: TaskLauncher, owner: QWidget) -> None:
        super().__init__(owner)
        self._window = window
        self._owner = owner
        self.manager = ProviderManager(
            window.controller,
            launcher,
            lambda: window.app_settings,
            window.replace_settings,
            parent=self,
        )
        self.dialog: ProvidersDialog | None = None
        self.action = QAction("&Providers…", owner)
        self.action.triggered.connect(self.open_dialog)
        self._panel: SettingsPanel | None = None
        self._models_error = ""  # the last listing's failure, for a panel made later
        self._provider_announced = False  # provider_changed has been seen
        m, welcome = self.manager, window.welcome
        welcome.key_submitted.connect(m.save_api_key)
        m.current_changed.connect(self._on_manager_current_changed)
        m.switch_failed.connect(self._on_manager_switch_failed)
        m.table_changed.connect(self._fill_picker)
        m.key_warning.connect(window.show_notice)
        m.models_loaded.connect(self._on_manager_models_loaded)
        m.models_failed.connect(self._on_manager_models_failed)
        m.provider_changed.connect(self._on_manager_provider_changed)
        m.key_saved.connect(self._on_manager_key_saved)
        m.key_save_failed.connect(welcome.show_message)

    def attach_panel(self, panel: SettingsPanel) -> None:
        """Wire the settings ``panel`` (made once) and show it the provider's state:
        the providers, the capabilities, the model list or why it failed."""
        self._panel = panel
        m = self.manager
        panel.provider_picker.provider_selected.connect(m.switch_to)
        panel.provider_picker.manage_requested.connect(self.open_dialog)
        panel.refresh_models_requested.connect(m.refresh_models)
        self._fill_picker()
        if self._provider_announced:
            self._show_capabilities(panel)
        if m.models:
            panel.set_models(m.models)
        panel.set_models_error(self._models_error)

    def open_dialog(self) -> ProvidersDialog:
        """Show the providers screen (non-modal: the chat stays usable) and return it."""
        if self.dialog is None:
            from rill.gui.providers.dialog import ProvidersDialog  # with its first use

            self.dialog = ProvidersDialog(self.manager, self._owner)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def entries(self) -> list[tuple[str, str]]:
        """Every provider a chat can use: (name, label), in the table's order."""
        settings = self._window.app_settings
        return [(n, provider_label(n, settings)) for n in provider_names(settings)]

    @property
    def current_name(self) -> str:
        """The provider the chats use (the default one until a provider is built)."""
        return self.manager.current or self._window.app_settings.default_provider

    def current_label(self) -> str:
        """What the window calls the provider the chats use ("Google Gemini")."""
        return provider_label(self.current_name, self._window.app_settings)

    @property
    def answering_offline(self) -> bool:
        """Whether the built-in offline model answers the chats."""
        return self.manager.current == LOCAL and self.manager.has_provider

    def _fill_picker(self, *_args: object) -> None:
        if self._panel is not None:
            self._panel.provider_picker.set_providers(self.entries(), self.current_name)

    def _on_manager_current_changed(self, name: str) -> None:
        if self._panel is not None:
            self._panel.provider_picker.set_current(name)
        if name != LOCAL:
            self._window.welcome.hide()  # no longer answering offline

    def _on_manager_switch_failed(self, name: str, message: str) -> None:
        self._window.show_notice(message)
        if self._panel is not None:
            self._panel.provider_picker.set_current(self.manager.current)
        if name == "gemini" and self.manager.has_provider:
            # Gemini without a key: the card's key field is the quickest way on.
            self._window.welcome.show_offline()
            self._window.welcome.open_key_form()

    def _on_manager_key_saved(self, note: str) -> None:
        self._window.show_notice(note)
        self._window.welcome.key_accepted()

    def _on_manager_models_loaded(self, models: list[ModelInfo]) -> None:
        self._models_error = ""
        if self._panel is not None:
            self._panel.set_models(models)

    def _on_manager_models_failed(self, message: str) -> None:
        self._models_error = message
        if self._panel is not None:
            self._panel.set_models_error(message)

    def _on_manager_provider_changed(self, _configured: bool) -> None:
        self._provider_announced = True
        if self._panel is not None:
            self._show_capabilities(self._panel)

    def _show_capabilities(self, panel: SettingsPanel) -> None:
        provider = self.manager.provider
        settings = self._window.app_settings
        label = getattr(provider, "label", "") or provider_label(self.manager.current, settings)
        who = "The offline model" if self.manager.current == LOCAL else str(label)
        panel.set_capabilities(provider.capabilities, who)


def install_providers(window: ProvidersHost, launcher: TaskLauncher, owner: QWidget) -> ProvidersUi:
    """Wire provider switching, the providers screen and capabilities into ``window``.

    ``owner`` (the window itself) parents the wiring, its menu action and the dialog.
    """
    return ProvidersUi(window, launcher, owner)
