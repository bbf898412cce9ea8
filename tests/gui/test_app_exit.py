"""Quitting mid-stream: the real app in a subprocess exits 0 and says nothing on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.gemini_scenarios import hold_open
from tests.fakes.gemini_server import FakeGemini

ROOT = Path(__file__).resolve().parents[2]
# What the offscreen platform prints about itself (xcb under Xvfb prints none of it).
OFFSCREEN_NOISE = ("This plugin does not support",)


def test_quit_mid_stream_exits_cleanly(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    fake_gemini.push(hold_open(["Hello"], [" and the rest."]))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RILL_HOME": str(tmp_path / "home"),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
        "PYTHONASYNCIODEBUG": "1",  # asyncio reports un-awaited coroutines and slow hooks
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.gui.support.app_driver", "Tell me everything"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "driver: streaming, quitting" in result.stdout
    assert result.returncode == 0, result.stderr
    complaints = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not any(noise in line for noise in OFFSCREEN_NOISE)
    ]
    assert complaints == [], result.stderr
    # A GUI app logs to a file; asyncio's own complaints would land there.
    log = (tmp_path / "home" / "logs" / "rill.log").read_text(encoding="utf-8")
    for bad in ("Task was destroyed", "never retrieved", "Traceback", " ERROR "):
        assert bad not in log, log
    # The model list is fetched in the background and may arrive after the prompt.
    streamed = fake_gemini.requests_for("streamGenerateContent")
    assert len(streamed) == 1
    assert streamed[0].json["contents"][-1]["parts"][0]["text"] == "Tell me everything"
    # The held stream was hung up by the client, not left open until the server stopped.
    assert fake_gemini.streams[-1].disconnected_at is not None
    assert not fake_gemini.streams[-1].completed
