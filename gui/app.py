"""``main()``: the QApplication, the qasync loop, the theme, the window and a clean exit.

Exit order matters: the window closes → every task is cancelled and awaited (streams
close their HTTP responses) → the provider's client is closed → the loop stops. So
quitting mid-stream exits 0 with no "Task was destroyed but it is pending". SIGTERM,
SIGINT and SIGHUP close the window the same way (:func:`close_on_signals`).
"""

from __future__ import annotations

import gc
import importlib
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from rill.core import secrets
from rill.core.paths import ProfileError, logs_dir
from rill.core.retry import env_policy
from rill.core.settings import LoadResult, load_settings
from rill.gui import single_instance
from rill.gui.common import TaskLauncher, ThemeManager, app_icon, asyncgen_hooks, make_application

if TYPE_CHECKING:
    import asyncio  # imported after the first paint, with qasync (see main)

    from rill.gui.window import MainWindow

APP_NAME = "Rill"
EXIT_CANNOT_START = 9  # as the CLI's EXIT_PROFILE: the profile leaves nothing to open
WARM_UP_AFTER_S = 2.0  # the image workers start at the latest this long after the window
PAINT_LIMIT_MS = 2000  # how long paint_first waits for a window that never paints
# What asks a desktop app to end: a logout or `kill` (SIGTERM), Ctrl+C in the terminal
# it runs from (SIGINT), that terminal closed (SIGHUP; not on Windows).
CLOSING_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")
log = logging.getLogger("rill")


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
    # The MCP SDK's HTTP client logs each request's URL and the SDK a session's id at
    # INFO: noise, and an id (or a token a user put in a URL) must not reach the log.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("mcp").setLevel(logging.WARNING)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with Rill's name, icon and desktop identity."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else make_application(argv or sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("rill")  # docks and task bars group the window with rill.desktop
    app.setWindowIcon(app_icon())
    # The window's close starts an orderly shutdown; Qt must not quit underneath it.
    app.setQuitOnLastWindowClosed(False)
    return app


def create_window(loaded: LoadResult, launcher: TaskLauncher, theme: ThemeManager) -> MainWindow:
    """The main window, still without a provider (:func:`connect_provider` adds it)
    and without its chat half (the controller and what works on it: made by
    :func:`finish_after_paint`, after the first paint and before any input).

    Making the provider (httpx, an SSL context) and reaching the keychain cost more
    than the window itself, so both happen after the window is on screen.
    """
    from rill.gui.window import MainWindow

    settings = loaded.settings
    window = MainWindow(
        settings,
        launcher,
        theme,
        None,  # the ProviderManager gives it one (connect_provider)
        settings.generation_settings(),
        key_lookup_pending=True,
        chat_after_paint=True,  # the controller and its chat half: finish_after_paint
    )
    warnings = list(loaded.warnings)
    _policy, retry_problem = env_policy()  # the controller reads the same variable
    if retry_problem is not None:
        warnings.append(f"{retry_problem}; using the default.")
    if warnings:
        window.show_notice(" ".join(warnings))
    return window


async def connect_provider(window: MainWindow) -> None:
    """Give the chats the default provider: the settings' choice, or the built-in
    offline model when Gemini has no key (environment, then keychain).

    The slow parts (keychain, imports) run on a worker thread; the offline model
    itself loads on first use. Messages sent meanwhile wait for the provider
    instead of failing. Answering offline, the welcome card says so. The window is
    finished first (:meth:`MainWindow.finish_building`): turns need their history.
    """
    window.finish_building()
    name = await window.providers.manager.connect_default()
    if name in ("", "local"):
        window.show_welcome()


class _FirstPaint(QObject):
    """Ends ``loop`` once the window it watches has handled its first paint."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self.painted = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.painted and event.type() == QEvent.Type.Paint:
            self.painted = True
            # The paint pass this event starts (the children, the flush to the
            # screen) runs before a zero timer fires; the loop ends a turn later, so
            # what the paint queued for right after it (zero timers) runs first.
            QTimer.singleShot(0, self._quit_next_turn)
        return False

    def _quit_next_turn(self) -> None:
        QTimer.singleShot(0, self._loop.quit)


def paint_first(window: MainWindow, limit_ms: int = PAINT_LIMIT_MS) -> None:
    """Run Qt's events until the shown ``window`` has painted (at most ``limit_ms``:
    some platforms never show it), holding the user's input back.

    This runs before the asyncio loop exists: what comes after the paint (the rest of
    the window, qasync, the tasks) is not paid for before it. Keys and clicks that
    arrive meanwhile are not dropped: Qt keeps them for the event loop's next turn
    without the flag, by which time the window is whole.
    """
    loop = QEventLoop()
    watcher = _FirstPaint(loop)
    limit = QTimer()
    limit.setSingleShot(True)
    limit.timeout.connect(loop.quit)
    window.installEventFilter(watcher)
    try:
        limit.start(limit_ms)
        loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    finally:
        limit.stop()
        window.removeEventFilter(watcher)


def present(window: MainWindow) -> None:
    """Show the window in front with the keyboard in the input, ready to type."""
    window.show()
    window.raise_()
    window.activateWindow()
    window.focus_input()


async def warm_image_workers(
    window: MainWindow, after: set[asyncio.Task[Any]], limit: float = WARM_UP_AFTER_S
) -> None:
    """Start the image worker processes once the start-up work is done (or ``limit`` s
    have passed), so the first dropped image gets its thumbnail at once instead of
    after the 0.6-1.6 s a cold pool takes. They boot in the background at a lower
    priority; an image dropped before then starts them itself, as before. Not while
    the provider cannot read images (the offline model): two idle workers cost about
    54 MB, and the first image after a switch starts them."""
    import asyncio

    await asyncio.wait(after, timeout=limit)
    if window.attachments.refusal is None:
        window.attachments.workers.warm_up()


def finish_after_paint(window: MainWindow) -> None:
    """Make what the first paint did not need (the chat controller with the chat half
    of the window, the chat pane, the history, the settings panel) and import the
    image workers' pool modules, before the event loop hands the window any input,
    and let the cycle collector run again (rill.gui.launch held it off until the
    paint)."""
    window.finish_building()
    from rill.gui.composer.image_workers import POOL_MODULES

    for name in POOL_MODULES:
        importlib.import_module(name)
    if not gc.isenabled():
        gc.enable()
        gc.collect()
        # What is alive now (Qt's wrappers, the window, the modules: ~47,000 tracked
        # objects) lives as long as the app. Frozen, it is left out of every later full
        # collection, each of which otherwise walked it all on the UI thread: 9-12 ms
        # at idle here, a dropped frame whenever one fell in a stream or a scroll
        # (bench/bench_collector.py). A cycle among these that dies later is not
        # freed: a window's worth of objects at most, made once.
        gc.freeze()


def close_on_signals(loop: asyncio.AbstractEventLoop, window: MainWindow) -> None:
    """Close ``window`` as its close button does when the process is asked to end.

    The default ends the process where it stands: the answer being streamed kept only
    its last periodic save (and showed "interrupted" at the next start), the geometry
    and the open chat were not saved. Closing the window stops the answer (saved as
    stopped, as Stop saves it), saves both and shuts the workers down; :func:`run`
    then returns 0.

    A Python handler runs only when the interpreter next gets control, which under
    Qt's event loop may be never. The asyncio loop's handlers do not wait for that:
    the C handler writes the signal's number to the loop's self-pipe
    (``signal.set_wakeup_fd``), which qasync watches with a ``QSocketNotifier``, so
    an idle window wakes at once. The first signal puts the defaults back: a second
    one (Ctrl+C again, a session manager's patience running out) ends the process at
    once, however the close is going. Where the loop has no signal handlers
    (Windows), nothing changes.
    """
    wanted = [getattr(signal, name) for name in CLOSING_SIGNALS if hasattr(signal, name)]

    def restore_defaults() -> None:
        for number in wanted:
            loop.remove_signal_handler(number)
            signal.signal(number, signal.SIG_DFL)

    def on_signal(number: int) -> None:
        log.info("%s: closing the window", signal.Signals(number).name)
        restore_defaults()
        if not window.isVisible():
            return  # already closed: the shutdown under way ends the app
        # A user cannot close the window while a modal dialog is up: they dismiss it
        # first (Escape), and so does this. The Tools dialog's server form runs an
        # event loop of its own (exec): it ends here, its caller sees "cancelled".
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not window:
            modal.close()
        window.close()

    try:
        for number in wanted:
            loop.add_signal_handler(number, on_signal, number)
    except (NotImplementedError, RuntimeError, ValueError) as error:
        log.info("closing on signals is not available here: %s", error)


async def run(window: MainWindow, launcher: TaskLauncher) -> int:
    """Live until the shown window closes, then shut everything down in order.

    The key lookup and the provider import on a worker thread hold the GIL for a
    while: they start here, after the first paint, not before it.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()

    def on_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_closed)
    if not window.isVisible():
        # Closed while it first painted (paint_first lets a close through: it is not
        # the user's input Qt holds back), before this loop could hear of it.
        await window.controller.shutdown()
        return 0
    close_on_signals(loop, window)
    window.providers.manager.expect_provider()
    connecting = launcher.run("connect-provider", connect_provider(window))
    # The store opens (and may check itself) on its own thread; the window is usable
    # meanwhile, and turns sent before it is open are written once it is.
    opening = launcher.run("open-history", window.history.start())
    launcher.run("warm-image-workers", warm_image_workers(window, {connecting, opening}))
    # Tool servers set to start at launch (none: the MCP SDK is not even loaded).
    launcher.run("tool-servers-at-launch", window.tool_host.start_at_launch())
    await closed
    await window.controller.shutdown()
    return 0


def cannot_start(error: OSError) -> int:
    """Say in a message box (and on stderr) why no window can open; the exit status.

    The last resort: a profile Rill can work around opens the window with a notice.
    """
    log.error("the window could not start", exc_info=error)
    from PySide6.QtWidgets import QMessageBox  # its class and enums: only when needed

    text = str(error) if isinstance(error, ProfileError) else f"Rill could not start: {error}"
    print(f"rill: {text}", file=sys.stderr)
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, text)
    box.setTextFormat(Qt.TextFormat.PlainText)  # a path is the user's text, never markup
    box.exec()
    return EXIT_CANNOT_START


def main() -> int:
    """Run the desktop app until its window closes; returns the exit status (0, or
    EXIT_CANNOT_START when the profile leaves no window to open).

    The window is shown and painted before the asyncio loop is made (qasync is
    imported after the paint); the rest of it is made before that loop runs.
    """
    secrets.hold_environment_keys()  # first, while no other thread reads the environment
    secrets.begin_key_index()  # before anything writes to a new profile
    _configure_logging()
    app = create_application()
    guard = single_instance.claim()
    if guard is None:
        return 0  # a running Rill (same user and profile) brings its window forward
    loaded = load_settings()
    theme = ThemeManager(app, loaded.settings.ui.theme)
    theme.apply()
    launcher = TaskLauncher(app)
    try:
        window = create_window(loaded, launcher, theme)
    except OSError as error:
        guard.close()
        return cannot_start(error)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    guard.activation_requested.connect(lambda: single_instance.bring_to_front(window))
    present(window)
    paint_first(window)
    finish_after_paint(window)
    # Later launches have waited in the socket's queue since the claim; they are
    # answered from here on (Qt's network module is imported for it, after the paint).
    guard.serve()
    import asyncio  # neither is asyncio (with ssl): both after the first paint

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop, asyncgen_hooks(loop):
        code = loop.run_until_complete(run(window, launcher))
        loop.run_until_complete(loop.shutdown_asyncgens())
    guard.close()
    # Everything is closed and written by now. What is left is the interpreter's own
    # teardown, which runs the cycle collector over every object of every module
    # (Qt, httpx, the store…) again and again: 0.15-0.45 s of quitting spent freeing
    # memory the OS takes back at once (measured with perf in tests/gui/test_shutdown).
    # Frozen objects are left out of those collections. atexit handlers (logging's
    # flush, PySide's QApplication teardown) still run, and so do refcount deallocs.
    gc.freeze()
    return int(code)
