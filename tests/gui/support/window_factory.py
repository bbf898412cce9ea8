"""Real MainWindows for tests, built exactly as ``main()`` builds them, and torn down
as the app shuts down. The ``make_window``-style fixtures of tests/gui wrap this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import qasync
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core.settings import load_settings
from rill.gui.app import connect_provider, create_window, present
from rill.gui.common.tasks import TaskLauncher
from rill.gui.common.theme import ThemeManager
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.qt_waiting import run_until_done


def answer_from(fake: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the windows a test builds talk to ``fake`` with a test key, as a user's
    environment variables would (the official SDK's names)."""
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)


@contextmanager
def window_maker(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    qapp: QApplication,
    *,
    show: bool = False,
    apply_theme: bool = True,
    close_first: bool = False,
    connect: bool = True,
) -> Iterator[Callable[[], MainWindow]]:
    """Yields ``make()``: a window connected to its provider (``show``: presented and
    active, so shortcuts work; not ``connect``: as at its first paint, before the app
    finishes building it and connects the provider). Afterwards every window made is
    shut down (answers settle, the store writes; ``close_first``: the window is closed
    before, as a user quitting does) and deleted, and the application's look reset for
    the next test.
    """
    made: list[tuple[MainWindow, ThemeManager]] = []

    def make() -> MainWindow:
        loaded = load_settings()
        theme = ThemeManager(qapp, loaded.settings.ui.theme)
        if apply_theme:
            theme.apply()
        window = create_window(loaded, TaskLauncher(), theme)
        made.append((window, theme))
        if connect:
            run_until_done(qloop, connect_provider(window))
        if show:
            with qtbot.waitActive(window):
                present(window)
        return window

    try:
        yield make
    finally:
        for window, theme in made:
            if close_first and window.isVisible():
                window.close()
            run_until_done(qloop, window.controller.shutdown(), timeout=15)
            if window.composer.preview is not None:
                window.composer.preview.close()
            window.close()
            window.deleteLater()
            theme.deleteLater()
        qapp.setStyleSheet("")  # the next test starts from Qt's own look
        qapp.setPalette(QPalette())


MakeWindow = Callable[..., MainWindow]


def fake_gemini_windows(
    *,
    show: bool = False,
    size: tuple[int, int] | None = None,
    prepare: Callable[..., None] | None = None,
) -> Callable[..., Iterator[MakeWindow]]:
    """A ``make_window`` fixture for a test module: windows built as ``main()`` builds
    them (a fresh profile), talking to the fake Gemini server (``size``: resized to it
    first; ``show``: presented and active; ``prepare``: called with ``make_window``'s
    keyword arguments before each window is built, to write what it reads at start).
    Bind it to that name in the module: ``make_window = fake_gemini_windows()``."""

    # Not qtbot.addWidget: pytest-qt deletes those before fixtures tear down, and the
    # controller must shut down (tasks awaited, client closed) while it still exists.
    @pytest.fixture
    def make_window(
        qtbot: QtBot,
        qloop: qasync.QEventLoop,
        qapp: QApplication,
        fake_gemini: FakeGemini,
        monkeypatch: pytest.MonkeyPatch,
    ) -> Iterator[MakeWindow]:
        answer_from(fake_gemini, monkeypatch)
        with window_maker(qtbot, qloop, qapp) as make:

            def made(**options: Any) -> MainWindow:
                if prepare is not None:
                    prepare(**options)
                window = make()
                if size is not None:
                    window.resize(*size)
                if show:
                    with qtbot.waitActive(window):
                        present(window)
                return window

            yield made

    return make_window


@pytest.fixture
def window(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    qapp: QApplication,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MainWindow]:
    """A wide window (1100 x 720) with the settings panel open, active, the keyboard in
    its input, talking to the fake server. Import it into a test module to use it."""
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    with window_maker(qtbot, qloop, qapp) as make:
        made = make()
        made.resize(1100, 720)
        with qtbot.waitActive(made):
            present(made)
        if not made.panel.isVisible():
            made.toggle_settings()
        made.composer.focus_input()
        qtbot.waitUntil(made.composer.edit.hasFocus, timeout=2000)
        yield made
