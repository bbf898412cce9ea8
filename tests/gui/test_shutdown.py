"""Quitting mid-stream: the partial answer is saved and the process is gone within 1 s.

The test runs this module as the driver (``python -m tests.gui.test_shutdown "<prompt>"``):
the real ``rill.gui.app.main()``, one prompt typed and sent, and once the first words
are on screen the window is closed as Ctrl+Q would. The driver prints the monotonic
time of the close (CLOCK_MONOTONIC is one clock for every process on the machine), the
test notes when the process has exited, and the difference is the time to quit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from rill.core.store.db import Store
from rill.core.types import MessageStatus
from tests.fakes.gemini_scenarios import hold_open
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import db_path

ROOT = Path(__file__).resolve().parents[2]
OFFSCREEN_NOISE = ("This plugin does not support",)
QUIT_LIMIT_S = 1.0
CLOSE_MARK = "driver: closing at "
SLOW_STEP = re.compile(r"WARNING.*\bExecuting <.*> took \d+\.\d+ seconds$")


def _run_driver(
    fake_gemini: FakeGemini, home: Path, prompt: str, *extra: str
) -> tuple[float, str, str, int]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RILL_HOME": str(home),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
        "PYTHONASYNCIODEBUG": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.test_shutdown", prompt, *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    closed_at: float | None = None
    assert child.stdout is not None
    lines: list[str] = []
    for line in child.stdout:  # ends when the child's stdout closes (at exit)
        lines.append(line)
        if line.startswith(CLOSE_MARK):
            closed_at = float(line.removeprefix(CLOSE_MARK))
    code = child.wait(timeout=60)
    exited_at = time.monotonic()
    stderr = child.stderr.read() if child.stderr else ""
    assert closed_at is not None, "".join(lines) + stderr
    return exited_at - closed_at, "".join(lines), stderr, code


@pytest.mark.parametrize("with_image", [False, True], ids=["text", "image-workers-warm"])
def test_quit_mid_stream_saves_the_partial_and_exits_within_1s(
    fake_gemini: FakeGemini, tmp_path: Path, with_image: bool
) -> None:
    fake_gemini.push(hold_open(["Hello", " there"], [" and the rest."]))
    home = tmp_path / "home"
    extra: list[str] = []
    if with_image:  # the image worker processes are started and warm at the close
        image = QImage(64, 48, QImage.Format.Format_RGB32)
        image.fill(0x3366AA)
        picture = tmp_path / "picture.png"
        assert image.save(str(picture))
        extra.append(str(picture))
    elapsed, stdout, stderr, code = _run_driver(fake_gemini, home, "Tell me everything", *extra)
    assert code == 0, stderr
    complaints = [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(noise in line for noise in OFFSCREEN_NOISE)
    ]
    assert complaints == [], stderr
    log = (home / "logs" / "rill.log").read_text(encoding="utf-8")
    # asyncio's debug mode also logs "Executing <Task …> took 0.112 seconds" at WARNING
    # whenever a step runs over 0.1 s, which a loaded CI machine does at start-up (model
    # list, history). That is a timing note, not a shutdown fault: left out of the check.
    log = "\n".join(line for line in log.splitlines() if not SLOW_STEP.search(line))
    for bad in ("Task was destroyed", "never retrieved", "Traceback", " ERROR ", "WARNING"):
        assert bad not in log, log
    print(f"close → exit: {elapsed:.3f} s")
    assert elapsed < QUIT_LIMIT_S, f"close → exit took {elapsed:.3f} s\n{stdout}"

    with Store(db_path(home)) as store:
        cid = store.latest_conversation_id()
        assert cid is not None
        messages = [m.message for m in store.get_messages(store.path_ids(cid))]
    assert messages[0].text == "Tell me everything"
    assert messages[-1].text == "Hello there"
    assert messages[-1].status in (MessageStatus.STOPPED, MessageStatus.INTERRUPTED)


def _driver() -> int:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    from rill.gui import app
    from rill.gui.common.tasks import TaskLauncher
    from rill.gui.window.main_window import MainWindow

    original_run = app.run

    async def driven_run(window: MainWindow, launcher: TaskLauncher) -> int:
        def on_tick() -> None:
            # Quit once both held words are shown (the partial the test expects).
            if "Hello there" in window.view.plain_text():
                poll.stop()
                close()

        def close() -> None:
            print(f"{CLOSE_MARK}{time.monotonic():.6f}", flush=True)
            window.menus.quit_action.trigger()

        def send() -> None:
            if len(sys.argv) > 2 and not window.composer.attachments:
                window.composer.add_files([sys.argv[2]])
            if any(item.busy for item in window.composer.attachments):
                QTimer.singleShot(20, send)  # sent once the image is prepared
                return
            QTest.keyClicks(window.composer.edit, sys.argv[1])
            QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)

        poll = QTimer(window)
        poll.timeout.connect(on_tick)
        poll.start(10)
        QTimer.singleShot(0, send)
        return await original_run(window, launcher)

    app.run = driven_run
    return app.main()


if __name__ == "__main__":
    sys.exit(_driver())
