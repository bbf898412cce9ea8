"""The ``make_window`` fixture of the attachment tests, loaded through ``pytest_plugins``.

A real MainWindow built as ``main()`` builds it, shown, on the fake Gemini server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core.settings import load_settings
from rill.gui.app import connect_provider, create_window, present
from rill.gui.main_window import MainWindow
from rill.gui.tasks import TaskLauncher
from rill.gui.theme import ThemeManager
from tests.fakes.gemini_server import FakeGemini
from tests.gui.attachment_support import MakeWindow
from tests.gui.conftest import run_until_done


@pytest.fixture
def make_window(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    qapp: QApplication,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MakeWindow]:
    """Windows built as ``main()`` builds them, shown and connected to the fake server."""
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    made: list[tuple[MainWindow, ThemeManager]] = []

    def make() -> MainWindow:
        loaded = load_settings()
        theme = ThemeManager(qapp, loaded.settings.ui.theme)
        theme.apply()
        window = create_window(loaded, TaskLauncher(), theme)
        made.append((window, theme))
        run_until_done(qloop, connect_provider(window))
        with qtbot.waitActive(window):
            present(window)
        return window

    yield make
    for window, theme in made:
        run_until_done(qloop, window.controller.shutdown())
        if window.composer.preview is not None:
            window.composer.preview.close()
        window.close()
        window.deleteLater()
        theme.deleteLater()
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())
