"""A full disk, then space again: the "database or disk is full" notice goes away as
soon as saving works again, and what could not be written meanwhile is written."""

from __future__ import annotations

from pathlib import Path

import qasync
from pytestqt.qtbot import QtBot

from rill.core.store.db import Store
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import MakeWindow, db_rows, send, wait_saved
from tests.gui.support.qt_waiting import run_until_done

LONG = "A paragraph that takes room on disk. " * 300


def limit_pages(qloop: qasync.QEventLoop, window: MainWindow, extra: int | None) -> None:
    """On the store's writer connection, cap the file at its size now (+``extra`` pages;
    None lifts the cap): SQLite then fails writes with SQLITE_FULL, as a full disk does."""

    def job(store: Store) -> None:
        conn = store._conn()
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        cap = 1_073_741_823 if extra is None else pages + extra
        conn.execute(f"PRAGMA max_page_count = {cap}")

    run_until_done(qloop, window.history.worker.write(job, awaited=True))


def test_the_disk_full_notice_goes_once_saving_works_again(
    qtbot: QtBot,
    history_window: MakeWindow,
    fake_gemini: FakeGemini,
    qloop: qasync.QEventLoop,
    hermetic_profile: Path,
) -> None:
    window = history_window()
    fake_gemini.push(stream(["Noted."]), stream([LONG]), stream(["Back again."]))
    send(qtbot, window, "first")
    limit_pages(qloop, window, 0)
    send(qtbot, window, "second, while the disk is full")
    qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=5000)
    assert "database or disk is full" in window.notice.label.text()
    limit_pages(qloop, window, None)  # space freed
    send(qtbot, window, "third")
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: not window.notice.isVisible(), timeout=5000)
    stored = [row[0] for row in db_rows(hermetic_profile, "SELECT text FROM messages ORDER BY id")]
    assert stored[:2] == ["first", "Noted."]
    assert "second, while the disk is full" in stored and LONG in stored
    assert stored[-2:] == ["third", "Back again."]


def test_an_unrelated_notice_shown_later_stays(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, qloop: qasync.QEventLoop
) -> None:
    window = history_window()
    fake_gemini.push(stream([LONG]), stream(["Fine."]))
    limit_pages(qloop, window, 0)
    send(qtbot, window, "while the disk is full")
    qtbot.waitUntil(lambda: "disk is full" in window.notice.label.text(), timeout=5000)
    window.show_notice("Something else the user should read.")
    limit_pages(qloop, window, None)
    send(qtbot, window, "later")
    assert window.notice.isVisible()
    assert window.notice.label.text() == "Something else the user should read."
