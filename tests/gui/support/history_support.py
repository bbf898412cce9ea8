"""Fixtures and helpers for the conversation-history GUI tests (sidebar, versions,
persistence, crash): windows built as ``main()`` builds them, over a real SQLite store
under the test's RILL_HOME, talking to the fake Gemini server."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core.types import Message
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.qt_waiting import run_until_done
from tests.gui.support.window_factory import answer_from, window_maker

MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def history_window(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    qapp: QApplication,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MakeWindow]:
    """``history_window(start=True)``: a shown window whose store is open and list filled.

    Registered for tests/gui in its conftest.
    """
    answer_from(fake_gemini, monkeypatch)

    def make(*, start: bool = True) -> MainWindow:
        window = make_shown()
        if start:
            run_until_done(qloop, window.history.start())
        return window

    with window_maker(qtbot, qloop, qapp, show=True, close_first=True) as make_shown:
        yield make


def close(qloop: qasync.QEventLoop, window: MainWindow) -> None:
    """Shut a window down as the app does: answers settle, the store writes and closes."""
    if window.isVisible():
        window.close()
    run_until_done(qloop, window.controller.shutdown(), timeout=15)


def send(qtbot: QtBot, window: MainWindow, text: str, timeout: int = 5000) -> Message:
    """Send ``text`` in the current chat and wait until its answer settled and was saved."""
    with qtbot.waitSignal(window.controller.answer_finished, timeout=timeout) as blocker:
        assert window.controller.send(text)
    message = blocker.args[1]
    assert isinstance(message, Message)
    wait_saved(qtbot, window)
    return message


def wait_saved(qtbot: QtBot, window: MainWindow, timeout: int = 5000) -> None:
    """Wait until every write queued for the chats of ``window`` is done."""
    records = list(window.history.persistence.records.values())
    qtbot.waitUntil(
        lambda: all(r.last_write is None or r.last_write.done() for r in records), timeout=timeout
    )


def db_path(home: Path) -> Path:
    return home / "data" / "rill.sqlite"


def db_rows(home: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Read the store file directly (another connection, as another process would)."""
    conn = sqlite3.connect(db_path(home))
    try:
        return [tuple(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def href(window: MainWindow, action: str, index: int, *extra: object) -> str:
    """The link of a turn action (``rill:regenerate/<entry>``) under message ``index``."""
    window.view.settle()
    card = window.view.cards[index]
    return "/".join([f"rill:{action}", str(card.id), *map(str, extra)])


def click(qtbot: QtBot, window: MainWindow, action: str, index: int, *extra: object) -> None:
    """Click a turn's action link the way a user does."""
    from tests.gui.support.chat_view_support import click_anchor

    click_anchor(qtbot, window.view, href(window, action, index, *extra))


def texts(window: MainWindow) -> list[str]:
    """The text of each message the chat pane shows, in order."""
    return [m.text for m in window.view.messages]
