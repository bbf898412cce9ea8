"""Asked to end by a signal (a logout or ``kill``: SIGTERM; Ctrl+C in the terminal:
SIGINT to its process group), the real app closes its window as the close button does:
the answer being streamed is saved with what arrived, marked stopped, the geometry and
the open chat are saved, the worker processes end, and the exit status is 0. A second
signal ends a close that hangs at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rill.core.paths import config_dir
from rill.core.settings import load_settings
from tests.fakes.gemini_scenarios import slow
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import db_rows
from tests.gui.support.launch_support import (
    OFFSCREEN_NOISE,
    ROOT,
    children,
    launch_env,
    running,
    wait_for_line,
    wait_until,
)

# A long answer, streamed slowly: 20 words a second for 100 s.
WORDS = tuple(f"Word {i}. " for i in range(1, 2001))
ANSWER = "".join(WORDS)
QUIT_LIMIT_S = 5.0  # a close takes well under 1 s (test_shutdown); this is for a hang
ANSWER_ROW = "SELECT status, text, conversation_id FROM messages WHERE role = 'model'"


def _start(home: Path, fake: FakeGemini, stderr: Path, *args: str) -> subprocess.Popen[bytes]:
    """The app in a session of its own: a process group to signal as a terminal does."""
    with stderr.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.gui.support.signal_driver", "Tell me a lot", *args],
            cwd=ROOT,
            env=launch_env(home, fake),
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()


def _ignores_ctrl_c(pid: int) -> bool:
    """Whether process ``pid`` ignores SIGINT (a worker past its start does)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    ignored = next(line for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(int(ignored.split(":")[1], 16) & (1 << (signal.SIGINT - 1)))


def _workers_up(pid: int) -> bool:
    """The image workers and multiprocessing's resource tracker are running, and past
    their start: a Ctrl+C in the middle of an interpreter's start kills it noisily,
    which the app cannot prevent."""
    found = children(pid)
    return len(found) >= 2 and all(_ignores_ctrl_c(child) for child in found)


def _streamed(home: Path) -> bool:
    """Whether the answer is in the store, streaming, with some text."""
    rows = db_rows(home, ANSWER_ROW) if (home / "data" / "rill.sqlite").exists() else []
    return len(rows) == 1 and rows[0][0] == "streaming" and bool(rows[0][1])


@pytest.mark.parametrize(
    ("number", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGHUP, False)],
    ids=["SIGTERM", "SIGINT-to-group", "SIGHUP"],
)
def test_a_signal_closes_the_window_and_saves_the_answer_as_stopped(
    fake_gemini: FakeGemini, hermetic_profile: Path, tmp_path: Path, number: int, group: bool
) -> None:
    fake_gemini.push(slow(0.05, WORDS))
    stderr = tmp_path / "stderr.txt"
    proc = _start(hermetic_profile, fake_gemini, stderr)
    try:
        wait_for_line(proc, b"driver: streaming", timeout=60)
        wait_until(lambda: _streamed(hermetic_profile), 30)
        wait_until(lambda: _workers_up(proc.pid), 30)
        workers = children(proc.pid)
        (_status, before, _cid) = db_rows(hermetic_profile, ANSWER_ROW)[0]
        if group:  # as a terminal's Ctrl+C: the workers get it too
            os.killpg(proc.pid, number)
        else:
            os.kill(proc.pid, number)
        code = proc.wait(timeout=QUIT_LIMIT_S)
        wait_until(lambda: not any(running(pid) for pid in workers), 15)
    finally:
        _stop(proc)
    noise = stderr.read_text(encoding="utf-8", errors="replace").splitlines()
    complaints = [line for line in noise if not any(n in line for n in OFFSCREEN_NOISE)]
    assert code == 0, complaints
    assert complaints == []

    ((status, text, cid),) = db_rows(hermetic_profile, ANSWER_ROW)
    assert status == "stopped"
    assert isinstance(text, str) and isinstance(before, str)
    assert ANSWER.startswith(text) and len(text) >= len(before), text[-80:]
    assert len(text) < len(ANSWER)  # it was stopped, not finished
    # The close button's saves: the chat on screen and the window's geometry.
    assert load_settings().settings.ui.open_conversation == cid
    assert (config_dir(create=False) / "window.ini").exists()
    log = (hermetic_profile / "logs" / "rill.log").read_text(encoding="utf-8")
    assert f"{signal.Signals(number).name}: closing the window" in log
    for bad in ("Traceback", " ERROR ", "Task was destroyed"):
        assert bad not in log, log


def test_a_second_signal_ends_a_close_that_hangs(
    fake_gemini: FakeGemini, hermetic_profile: Path, tmp_path: Path
) -> None:
    fake_gemini.push(slow(0.05, WORDS))
    proc = _start(hermetic_profile, fake_gemini, tmp_path / "stderr.txt", "--hang-on-close")
    try:
        wait_for_line(proc, b"driver: streaming", timeout=60)
        os.kill(proc.pid, signal.SIGTERM)
        wait_for_line(proc, b"driver: hanging", timeout=30)  # closing, and stuck there
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C again
        assert proc.wait(timeout=QUIT_LIMIT_S) == -signal.SIGINT
    finally:
        _stop(proc)
