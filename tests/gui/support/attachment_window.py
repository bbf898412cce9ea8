"""The ``make_window`` fixture of the attachment tests, loaded through ``pytest_plugins``.

A real MainWindow built as ``main()`` builds it, shown, on the fake Gemini server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.attachment_support import MakeWindow
from tests.gui.support.window_factory import window_maker


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
    with window_maker(qtbot, qloop, qapp, show=True) as make:
        yield make
