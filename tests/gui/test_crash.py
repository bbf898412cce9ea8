"""Crash safety: the real app killed with SIGKILL mid-answer; its worker processes end
with it, the next start shows the partial answer marked "interrupted", and Retry
answers again as a new version."""

from __future__ import annotations

import os
import select
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

ROOT = Path(__file__).resolve().parents[2]
PARTIAL = "Once upon a time, a river"


def wait_for_line(proc: subprocess.Popen[bytes], wanted: bytes, timeout: float) -> None:
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, b""
    while wanted not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, left))
        if not ready or proc.poll() is not None:
            raise AssertionError(f"no {wanted!r} from the app (got {seen!r})")
        seen += os.read(proc.stdout.fileno(), 4096)


def children(pid: int) -> set[int]:
    """The processes ``pid`` started that are still running (Linux's /proc)."""
    found: set[int] = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue  # gone meanwhile
        if int(fields.get("PPid", "0")) == pid and not fields["State"].strip().startswith("Z"):
            found.add(int(status.parent.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Poll another process's effect (the store file) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


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
