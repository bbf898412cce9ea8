"""The ChatController's provider handling, as a mixin of the controller.

A provider can arrive after the window (made off the UI thread at start-up, or from a
key typed into the first-run card): answers started meanwhile wait for it. Switching
provider moves every chat over, replacing model ids that meant something only to the
old one, and the model list is fetched again. Kept apart from ``controller``
(streaming, flushing, chats) so each module stays readable.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

from rill.core.errors import RillError
from rill.core.providers import Provider
from rill.core.types import GenerationSettings, ModelInfo
from rill.gui.chat.state import Chat, ProviderFactory
from rill.gui.common import TaskLauncher

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance


class ProviderActions:
    """Mixed into ``ChatController``, which provides what is declared below."""

    _provider: Provider
    _provider_factory: ProviderFactory | None
    _provider_pending: asyncio.Future[None] | None
    _chats: dict[int, Chat]
    _defaults: GenerationSettings
    _launcher: TaskLauncher
    models: list[ModelInfo]

    if TYPE_CHECKING:
        chat_settings_changed: SignalInstance
        settings_changed: SignalInstance
        provider_changed: SignalInstance
        models_loaded: SignalInstance
        models_failed: SignalInstance
        key_saved: SignalInstance
        key_save_failed: SignalInstance

        @property
        def has_provider(self) -> bool:
            """See ChatController.has_provider."""

        @property
        def settings(self) -> GenerationSettings:
            """See ChatController.settings."""

    def expect_provider(self) -> None:
        """A provider is on its way: answers started meanwhile wait for it.

        Call from the running loop; :meth:`set_provider` or
        :meth:`provider_unavailable` ends the wait.
        """
        if self._provider_pending is None or self._provider_pending.done():
            self._provider_pending = asyncio.get_running_loop().create_future()

    def provider_unavailable(self) -> None:
        """No provider will come (no key): waiting answers go on and explain that."""
        if self._provider_pending is not None and not self._provider_pending.done():
            self._provider_pending.set_result(None)

    async def _wait_for_provider(self) -> None:
        pending = self._provider_pending
        if pending is not None and not pending.done():
            # asyncio.wait, not await: cancelling this answer must not cancel the
            # future other answers are waiting on.
            await asyncio.wait({pending})

    def set_default_model(self, model: str) -> None:
        """Fill in ``model`` wherever none was chosen (defaults and every chat)."""
        if not self._defaults.model:
            self._defaults = replace(self._defaults, model=model)
        for chat in self._chats.values():
            if not chat.session.settings.model:
                chat.session.settings = replace(chat.session.settings, model=model)
                self.chat_settings_changed.emit(chat.id, chat.session.settings)
        self.settings_changed.emit(self.settings)

    def set_provider(self, provider: Provider) -> None:
        """Use ``provider`` for every chat from the next request on; close the old one."""
        self.provider_unavailable()  # i.e. stop waiting: it is here
        old = self._provider
        self._provider = provider
        for chat in self._chats.values():
            chat.session.provider = provider
        if old is not provider:
            self._launcher.run(f"close-provider:{id(old)}", old.aclose())
        self.provider_changed.emit(self.has_provider)
        if self.has_provider:
            self.refresh_models()

    def refresh_models(self) -> None:
        """Fetch the provider's model list in the background (``models_loaded``)."""
        if self.has_provider:
            self._launcher.run("models", self._load_models())

    async def _load_models(self) -> None:
        try:
            models = await self._provider.list_models()
        except RillError as error:
            self.models_failed.emit(f"Could not load the model list: {error}")
            return
        self.models = models
        self.models_loaded.emit(models)

    def save_api_key(self, key: str) -> None:
        """Store ``key`` (keychain or private file) and switch to a provider using it."""
        self._launcher.run("save-key", self._save_key(key.strip()))

    async def _save_key(self, key: str) -> None:
        from rill.core import secrets  # keyring is slow to import; only needed here

        try:
            status = await asyncio.to_thread(secrets.set_api_key, "gemini", key)
        except (OSError, ValueError) as error:
            self.key_save_failed.emit(f"The key could not be saved: {error}")
            return
        await self.use_key(key)
        self.key_saved.emit(status.warning or "")

    async def use_key(self, key: str) -> None:
        """Make the provider for ``key`` (off the UI thread) and switch every chat to it."""
        if self._provider_factory is None:
            self.provider_unavailable()
            return
        provider, model = await asyncio.to_thread(self._provider_factory, key)
        self.switch_provider(provider, model)

    def switch_provider(self, provider: Provider, model: str) -> None:
        """Use ``provider`` with ``model`` where a chat's model belonged to the old one.

        A chat keeps a model the user chose that the old provider did not list (a chat
        from the store); an empty one, or one of the old provider's models, becomes
        ``model``: another server's model ids mean nothing to this one.
        """
        old = {m.id for m in self.models} | {self._defaults.model}
        self.models = []
        if not self._defaults.model or self._defaults.model in old:
            self._defaults = replace(self._defaults, model=model)
        for chat in self._chats.values():
            current = chat.session.settings.model
            if not current or (chat.answer is None and current in old):
                chat.session.settings = replace(chat.session.settings, model=model)
                self.chat_settings_changed.emit(chat.id, chat.session.settings)
        self.settings_changed.emit(self.settings)
        self.set_provider(provider)
