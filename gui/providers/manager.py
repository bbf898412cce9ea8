"""ProviderManager: which provider the window talks to, its keys and models, and the
edits of the provider table.

The one owner of providers in the window. The providers screen, the settings panel's
provider combo and the welcome card only show and ask; this object builds providers
(``registry.build_provider``, on a worker thread because the keychain blocks), hands
them to the ChatController (which only answers with what it is given), closes the old
one, fetches the model list, stores keys through ``rill.core.secrets`` and the table
through ``rill.core.settings``. A provider can arrive after the window (made off the UI
thread at start-up, or from a key typed into the welcome card): answers started
meanwhile wait for it. Every piece of work runs through the TaskLauncher, so nothing
here is awaited by a widget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from rill.core import secrets
from rill.core.errors import ConfigurationError, RillError
from rill.core.providers import MissingProvider, Provider, registry
from rill.core.settings import NetworkSettings, ProviderConfig, Settings
from rill.core.types import ModelInfo
from rill.gui.chat import ChatController
from rill.gui.common import TaskLauncher
from rill.gui.providers.names import LOCAL, provider_names

LOADING_LOCAL = "Loading the offline model… (the first answer only)"
SettingsSink = Callable[[Settings], bool]  # stores new settings; False when saving failed


IN_KEYCHAIN, IN_FILE, NO_KEY = "in keychain", "in file (warned)", "none"


def key_status(name: str, settings: Settings) -> str:
    """Where the key provider ``name`` uses comes from, as the app picks it: "from
    GEMINI_API_KEY" (an environment variable wins), "in keychain", "in file (warned)"
    or "none" (blocking: the keychain)."""
    spec = registry.resolve(name, settings)
    env = registry.env_key(spec, spec.base_url)
    if env is not None:
        return f"from {env.variable}"
    found = secrets.find_api_key(name, use_env=False)
    if found is None:
        return NO_KEY
    return IN_KEYCHAIN if found.source == "keychain" else IN_FILE


class ProviderManager(QObject):
    """Builds, switches and keys the window's provider; edits the provider table.

    Signals:
        current_changed(str name): the chats now use provider ``name``.
        switch_failed(str name, str message): provider ``name`` could not be built.
        provider_changed(bool configured): the chats were given a provider; False when
            it is the stand-in for a missing key (nothing can answer).
        models_loaded(object models): list[ModelInfo] from the provider.
        models_failed(str message): the model list could not be fetched.
        key_saved(str note): the welcome card's key was stored and Gemini answers now;
            ``note`` warns where the key went, or is "".
        key_save_failed(str message): storing the welcome card's key failed.
        status_changed(str text): a status line of the provider's own (the offline
            model loading for its first answer, a key saved).
        table_changed(object settings): the provider table or network settings were
            saved; ``settings`` is the new Settings.
        key_statuses_ready(object statuses): dict name → key status line.
        test_finished(bool ok, str line): "Test connection" ended; ``line`` says how.
        key_warning(str text): a key went to the private file, not a keychain.
    """

    current_changed = Signal(str)
    switch_failed = Signal(str, str)
    provider_changed = Signal(bool)
    models_loaded = Signal(object)
    models_failed = Signal(str)
    key_saved = Signal(str)
    key_save_failed = Signal(str)
    status_changed = Signal(str)
    table_changed = Signal(object)
    key_statuses_ready = Signal(object)
    test_finished = Signal(bool, str)
    key_warning = Signal(str)

    def __init__(
        self,
        controller: ChatController,
        launcher: TaskLauncher,
        get_settings: Callable[[], Settings],
        store_settings: SettingsSink,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._launcher = launcher
        self._get_settings = get_settings
        self._store_settings = store_settings
        self._warned = False
        self.current = ""
        # The provider the window offers while the offline model stands in for it (the
        # default one, without a key): a key saved for it switches the chats over.
        self.offered = ""
        self.models: list[ModelInfo] = []  # the current provider's, once listed
        self._pending: asyncio.Future[None] | None = None
        controller.provider_gate = self._wait_for_provider

    @property
    def provider(self) -> Provider:
        """The provider every chat answers with."""
        return self._controller.provider

    @property
    def has_provider(self) -> bool:
        """Whether answers can be sent (not the stand-in for a missing key)."""
        return not isinstance(self.provider, MissingProvider)

    @property
    def settings(self) -> Settings:
        """The app's settings as they are now."""
        return self._get_settings()

    # ------------------------------------------------------------ handing over

    def expect_provider(self) -> None:
        """A provider is on its way: answers started meanwhile wait for it.

        Call from the running loop; :meth:`use_provider` or :meth:`provider_unavailable`
        ends the wait.
        """
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_future()

    def provider_unavailable(self) -> None:
        """No provider will come (no key): waiting answers go on and explain that."""
        if self._pending is not None and not self._pending.done():
            self._pending.set_result(None)

    async def _wait_for_provider(self) -> None:
        pending = self._pending
        if pending is not None and not pending.done():
            # asyncio.wait, not await: cancelling one answer must not cancel the
            # future other answers are waiting on.
            await asyncio.wait({pending})

    def use_provider(self, provider: Provider, model: str | None = None) -> None:
        """Give ``provider`` to every chat from its next request on; close the old one.

        With ``model``, a chat whose model belonged to the old provider (or none) takes
        ``model`` (see ``ChatController.set_provider``) and the model list starts over.
        The new list is fetched in the background (``models_loaded``).
        """
        self.provider_unavailable()  # i.e. stop waiting: it is here
        old = self._controller.provider
        if model is not None:
            stale = {m.id for m in self.models}
            self.models = []
            self._controller.set_provider(provider, model, stale)
        else:
            self._controller.set_provider(provider)
        if old is not provider:
            self._launcher.run(f"close-provider:{id(old)}", old.aclose())
        self.provider_changed.emit(self.has_provider)
        self.refresh_models()

    def refresh_models(self) -> None:
        """Fetch the provider's model list in the background (``models_loaded``)."""
        if self.has_provider:
            self._launcher.run("models", self._load_models())

    async def _load_models(self) -> None:
        try:
            models = await self.provider.list_models()
        except RillError as error:
            self.models_failed.emit(f"Could not load the model list: {error}")
            return
        self.models = models
        self.models_loaded.emit(models)

    def on_chat_status(self, text: str) -> None:
        """The chat's status line changed to ``text``: the first answer of the offline
        model waits for the model file to load, and ``status_changed`` says so."""
        loading = getattr(self.provider, "loaded_model", "") is None
        if text.startswith("Waiting for") and loading:
            self.status_changed.emit(LOADING_LOCAL)

    # ------------------------------------------------------------ switching

    async def connect_default(self) -> str:
        """Use the default provider (the offline model when Gemini has no key).

        Returns the name used, or "" when none could be built.
        """
        settings = self.settings
        # The start's own lookup: it asks the keychain only for a key this profile
        # knows is there (a locked keychain would ask for its password unbidden).
        name = await asyncio.to_thread(
            registry.default_provider_name, settings, secrets.stored_key_at_start
        )
        self.offered = settings.default_provider if name != settings.default_provider else ""
        return name if await self._switch(name) else ""

    def switch_to(self, name: str) -> None:
        """Build provider ``name`` in the background and give it to every chat."""
        if name and name != self.current:
            self._launcher.run("switch-provider", self._switch(name, remember=True))

    async def _switch(self, name: str, *, remember: bool = False) -> bool:
        settings = self.settings
        try:
            provider: Provider = await asyncio.to_thread(registry.build_provider, name, settings)
        except ConfigurationError as error:
            self.provider_unavailable()
            self.switch_failed.emit(name, str(error))
            return False
        model = registry.default_model(name, settings)
        self.current = name  # before the switch: its signals ask which provider this is
        if name == self.offered:
            self.offered = ""
        self.use_provider(provider, model)
        if remember and settings.default_provider != name and name in settings.providers:
            self._store_settings(replace(settings, default_provider=name))
        self.current_changed.emit(name)
        return True

    # ------------------------------------------------------------ the welcome card's key

    def save_api_key(self, key: str) -> None:
        """Store the Gemini ``key`` (keychain or private file) and switch every chat to
        Gemini with it (``key_saved``, or ``key_save_failed``)."""
        self._launcher.run("save-key", self._save_api_key(key.strip()))

    async def _save_api_key(self, key: str) -> None:
        try:
            status = await asyncio.to_thread(secrets.set_api_key, "gemini", key)
        except (OSError, ValueError) as error:
            self.key_save_failed.emit(f"The key could not be saved: {error}")
            return
        provider, model = await asyncio.to_thread(self.provider_for_key, key)
        self.use_provider(provider, model)
        self.key_saved.emit(status.warning or "")
        self.status_changed.emit("API key saved.")
        settings = self.settings
        self.current = "gemini"
        self.offered = ""
        if "gemini" in settings.providers and settings.default_provider != "gemini":
            self._store_settings(replace(settings, default_provider="gemini"))
        self.current_changed.emit("gemini")

    def provider_for_key(self, key: str) -> tuple[Provider, str]:
        """The Gemini provider for the welcome card's ``key`` and its model, built as
        every provider is (blocking: run it off the UI thread)."""
        settings = self.settings
        provider = registry.build_provider("gemini", settings, api_key=key)
        return provider, registry.default_model("gemini", settings)

    # ------------------------------------------------------------ the table

    def refresh_key_statuses(self) -> None:
        """Look up where each provider's key is (``key_statuses_ready``)."""
        names = provider_names(self.settings)
        self._launcher.run("key-statuses", self._key_statuses(names))

    async def _key_statuses(self, names: list[str]) -> None:
        settings = self.settings
        statuses = await asyncio.to_thread(lambda: {n: key_status(n, settings) for n in names})
        self.key_statuses_ready.emit(statuses)

    def save_entry(self, old_name: str, name: str, config: ProviderConfig, key: str) -> None:
        """Store the entry ``name`` (renamed from ``old_name``, "" for a new one) and its key.

        An empty ``key`` keeps the stored key. The key goes to the keychain (or the
        warned file), never to the settings file.
        """
        settings = self.settings
        providers = {n: c for n, c in settings.providers.items() if n != old_name}
        providers[name] = config
        default = name if settings.default_provider == old_name else settings.default_provider
        updated = replace(settings, providers=providers, default_provider=default)
        if self._store_settings(updated):
            self.table_changed.emit(updated)
        self._launcher.run(f"save-key:{name}", self._save_key(old_name, name, key))

    async def _save_key(self, old_name: str, name: str, key: str) -> None:
        if old_name and old_name != name:
            moved = await asyncio.to_thread(secrets.get_api_key, old_name, use_env=False)
            await asyncio.to_thread(secrets.delete_api_key, old_name)
            key = key or (moved or "")
        if key:
            status = await asyncio.to_thread(secrets.set_api_key, name, key)
            if status.warning:
                self._warn(status.warning)
        await self._key_statuses(provider_names(self.settings))
        if name == self.current or (key and name == self.offered):
            # The new address or key applies at once; a key for the provider the
            # offline model stood in for brings the chats over to it.
            await self._switch(name)

    def remove_entry(self, name: str) -> None:
        """Forget entry ``name`` and its stored key. The last entry cannot go."""
        settings = self.settings
        if name not in settings.providers or len(settings.providers) < 2:
            return
        providers = {n: c for n, c in settings.providers.items() if n != name}
        default = settings.default_provider
        if default == name:
            default = next(iter(providers))
        updated = replace(settings, providers=providers, default_provider=default)
        if self._store_settings(updated):
            self.table_changed.emit(updated)
        self._launcher.run(f"forget-key:{name}", self._forget_key(name))

    async def _forget_key(self, name: str) -> None:
        await asyncio.to_thread(secrets.delete_api_key, name)
        await self._key_statuses(provider_names(self.settings))
        if name == self.current:
            await self._switch(LOCAL)

    def save_network(self, proxy: str, read_timeout: float) -> None:
        """Store the proxy and read timeout; the current provider is rebuilt with them."""
        settings = self.settings
        network = NetworkSettings(read_timeout=read_timeout, proxy=proxy.strip())
        updated = replace(settings, network=network)
        if self._store_settings(updated):
            self.table_changed.emit(updated)
            if self.current:
                self._launcher.run("switch-provider", self._switch(self.current))

    def _warn(self, text: str) -> None:
        if not self._warned:  # once per run as a notice; the screen keeps showing it
            self._warned = True
            self.key_warning.emit(text)

    # ------------------------------------------------------------ test connection

    def test(self, name: str, config: ProviderConfig, key: str) -> None:
        """Try the entry as the form shows it, unsaved (``test_finished``)."""
        settings = self.settings
        providers = {**settings.providers, name: config}
        trial = replace(settings, providers=providers)
        self._launcher.run("test-connection", self._test(name, trial, key, config.default_model))

    async def _test(self, name: str, settings: Settings, key: str, model: str) -> None:
        try:
            # The form's own address, even where an environment variable overrides the
            # saved one at run time: Test tries exactly what the form holds.
            provider = await asyncio.to_thread(
                registry.build_provider,
                name,
                settings,
                base_url=settings.providers[name].base_url or None,
                api_key=key or None,
            )
        except ConfigurationError as error:
            self.test_finished.emit(False, f"✗ {error}")
            return
        try:
            result = await registry.test_connection(provider, model)
        finally:
            await provider.aclose()
        mark = "✓" if result.ok else "✗"
        # The time goes inside the sentence: "…: a, b and 8 more (0.4 s)."
        line = result.line.removesuffix(".")
        self.test_finished.emit(result.ok, f"{mark} {line} ({result.seconds:.1f} s).")
