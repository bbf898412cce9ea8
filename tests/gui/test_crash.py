"""Crash safety: the real app killed with SIGKILL mid-answer; its worker processes end
with it, the next start shows the partial answer marked "interrupted", and Retry
answers again as a new version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from rill.core.store.db import Store
from rill.core.types import MessageStatus
from tests.fakes.gemini_scenarios import hold_open, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import (
    MakeWindow,
    click,
    db_path,
    db_rows,
    texts,
    wait_saved,
)
from tests.gui.support.launch_support import children, running, wait_for_line, wait_until

ROOT = Path(__file__).resolve().parents[2]
PARTIAL = "Once upon a time, a river"


def test_kill_9_mid_stream_then_restart_shows_interrupted_and_retry_works(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    fake_gemini.push(hold_open([PARTIAL]))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RILL_HOME": str(hermetic_profile),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.support.crash_driver", "Tell me a story"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_line(proc, b"driver: streaming", timeout=30)
        streaming = time.monotonic()
        query = "SELECT status, text FROM messages WHERE role = 'model'"
        wait_until(lambda: db_rows(hermetic_profile, query) == [("streaming", PARTIAL)], 5)
        assert time.monotonic() - streaming < 1.5  # written within about a second
        # The image workers (and multiprocessing's resource tracker) start once the
        # window is up; killed, the app must not leave them behind.
        wait_until(lambda: len(children(proc.pid)) >= 2, 30)
        workers = children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        wait_until(lambda: not any(running(pid) for pid in workers), 15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()

    fake_gemini.push(stream(["Once upon a time, ", "a river reached the sea."]))
    window = history_window()  # the next start
    report = window.history.persistence.worker.report
    assert report is not None and len(report.interrupted) == 1
    qtbot.waitUntil(lambda: texts(window) == ["Tell me a story", PARTIAL], timeout=5000)
    answer = window.view.messages[1]
    assert answer.status is MessageStatus.INTERRUPTED
    shown = window.view.message_text(1)
    assert "Interrupted" in shown and "⟳ Retry" in shown
    assert window.conversations.selected_id() == window.conversations.model.id_at(0)

    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000) as blocker:
        click(qtbot, window, "regenerate", 1)  # the "⟳ Retry" link
    wait_saved(qtbot, window)
    assert blocker.args[1].status is MessageStatus.COMPLETE
    assert texts(window) == ["Tell me a story", "Once upon a time, a river reached the sea."]
    assert "2/2" in window.view.message_text(1)
    body = fake_gemini.requests_for("streamGenerateContent")[-1].json
    assert [c["role"] for c in body["contents"]] == ["user"]  # the same turn, sent again
    with Store(db_path(hermetic_profile)) as store:
        cid = store.latest_conversation_id()
        assert cid is not None
        versions = store.get_messages(store.siblings(store.path_ids(cid)[1]))
        assert [v.message.status for v in versions] == [
            MessageStatus.INTERRUPTED,
            MessageStatus.COMPLETE,
        ]
        assert versions[0].message.text == PARTIAL
