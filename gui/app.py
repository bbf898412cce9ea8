"""``main()``: the QApplication, the qasync loop, the theme, the window and a clean exit.

Exit order matters: the window closes → every task is cancelled and awaited (streams
close their HTTP responses) → the provider's client is closed → the loop stops. So
quitting mid-stream exits 0 with no "Task was destroyed but it is pending".
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from rill.core import secrets
from rill.core.paths import logs_dir
from rill.core.settings import LoadResult, Settings, load_settings
from rill.gui.tasks import TaskLauncher, asyncgen_hooks
from rill.gui.theme import ThemeManager, app_icon

if TYPE_CHECKING:
    from rill.core.providers.base import Provider
    from rill.gui.main_window import MainWindow

APP_NAME = "Rill"
log = logging.getLogger("rill")


def make_provider_factory(settings: Settings) -> Callable[[str], Provider]:
    """A function turning an API key into the configured Gemini provider.

    GOOGLE_GEMINI_BASE_URL (the SDK's variable) wins over the settings file's URL,
    so a test or a proxy can redirect one run without editing the profile.
    """

    def make(key: str) -> Provider:
        from rill.core.providers.gemini import GeminiProvider

        env_url = os.environ.get("GOOGLE_GEMINI_BASE_URL", "").strip()
        return GeminiProvider(
            key,
            env_url or settings.provider("gemini").base_url or None,
            read_timeout=settings.network.read_timeout,
            proxy=settings.network.proxy or None,
        )

    return make


def _configure_logging() -> None:
    """Log to a file in the profile: a GUI app has no terminal to print to."""
    try:
        handler: logging.Handler = logging.FileHandler(logs_dir() / "rill.log", encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with Rill's name, icon and desktop identity."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("rill")  # docks and task bars group the window with rill.desktop
    app.setWindowIcon(app_icon())
    # The window's close starts an orderly shutdown; Qt must not quit underneath it.
    app.setQuitOnLastWindowClosed(False)
    return app


def create_window(
    loaded: LoadResult, launcher: TaskLauncher, theme: ThemeManager
) -> tuple[MainWindow, bool]:
    """The main window, with a provider when a key is in the environment.

    Returns the window and whether a stored key still has to be looked up (the
    keychain is slow to reach, so that happens after the window is on screen).
    """
    from rill.core.providers.gemini import DEFAULT_MODEL
    from rill.gui.main_window import MainWindow

    settings = loaded.settings
    factory = make_provider_factory(settings)
    env_key = secrets.env_api_key("gemini")
    provider = factory(env_key.key) if env_key else None
    defaults = settings.generation_settings()
    if not defaults.model:
        defaults = replace(defaults, model=DEFAULT_MODEL)
    window = MainWindow(
        settings,
        launcher,
        theme,
        provider,
        factory,
        defaults,
        key_lookup_pending=provider is None,
    )
    if loaded.warnings:
        window.show_notice(" ".join(loaded.warnings))
    return window, provider is None


async def find_stored_key(window: MainWindow) -> None:
    """Look the key up in the keychain (off the UI thread); else show the welcome card."""
    found = await asyncio.to_thread(secrets.find_api_key, "gemini", use_env=False)
    controller = window.controller
    factory = controller.provider_factory
    if found is None or factory is None:
        window.show_welcome()
        return
    controller.set_provider(factory(found.key))


def present(window: MainWindow) -> None:
    """Show the window in front with the keyboard in the input, ready to type."""
    window.show()
    window.raise_()
    window.activateWindow()
    window.focus_input()


async def run(window: MainWindow, launcher: TaskLauncher, key_lookup: bool) -> int:
    """Show the window, live until it closes, then shut everything down in order."""
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()

    def on_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_closed)
    present(window)
    if key_lookup:
        launcher.run("find-key", find_stored_key(window))
    else:
        window.controller.refresh_models()
    await closed
    await window.controller.shutdown()
    return 0


def main() -> int:
    """Run the desktop app until its window closes; returns the exit status (0)."""
    import qasync

    _configure_logging()
    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loaded = load_settings()
    theme = ThemeManager(app, loaded.settings.ui.theme)
    theme.apply()
    launcher = TaskLauncher(app)
    window, key_lookup = create_window(loaded, launcher, theme)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    with loop, asyncgen_hooks(loop):
        code = loop.run_until_complete(run(window, launcher, key_lookup))
        loop.run_until_complete(loop.shutdown_asyncgens())
    return int(code)
