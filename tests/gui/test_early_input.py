"""Keys typed the moment the window appears are not lost (issue 14, item 7): the
window paints before the rest of it is made and before the asyncio loop exists
(``rill.gui.app.paint_first``), and what is typed meanwhile is in the input once
the window is whole, and is sent like anything typed later.

The app runs for real in a child process, launched as the ``rill`` command does;
see ``tests.gui.support.early_input_driver``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.launch_support import OFFSCREEN_NOISE, ROOT, launch_env

PROMPT = "typed at once"


def test_text_typed_before_the_window_is_whole_is_kept_and_sent(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(stream(["An answer."]))
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui.support.early_input_driver", str(report), PROMPT],
        cwd=ROOT,
        env=launch_env(tmp_path / "home", fake_gemini),
        capture_output=True,
        text=True,
        timeout=120,
    )
    noise = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and not any(n in line for n in OFFSCREEN_NOISE)
    ]
    assert done.returncode == 0 and not noise, "\n".join(noise[-20:])
    assert report.exists(), "the driver failed: see logs/rill.log in its profile"
    typed = json.loads(report.read_text(encoding="utf-8"))
    # The keys came while the window was still being finished…
    assert typed["pane_made"] is False and typed["history_made"] is False
    # … and none was lost: they were in the input, and they were sent.
    assert typed["in_input"] == PROMPT
    assert PROMPT in typed["transcript"] and "An answer." in typed["transcript"]
    assert typed["input_after"] == ""


def test_a_window_closed_before_it_is_whole_ends_the_app(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    # A close is not input Qt holds back while the window first paints: it closes the
    # window before the asyncio loop runs, and the app must still end, not wait on.
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui.support.early_input_driver", "-", "--close"],
        cwd=ROOT,
        env=launch_env(tmp_path / "home", fake_gemini),
        capture_output=True,
        text=True,
        timeout=60,
    )
    noise = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and not any(n in line for n in OFFSCREEN_NOISE)
    ]
    assert done.returncode == 0 and not noise, "\n".join(noise[-20:])
    assert fake_gemini.requests == [], "a closed window asked the model"
