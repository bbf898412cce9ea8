"""Quitting the real app while a tool server runs a call: it exits within 1 s with
status 0, and the servers' processes (one of them ignores SIGTERM) are gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from rill.core.settings import load_settings, save_settings
from rill.core.tool_settings import ToolSettings
from tests.core.tools.support import fake_config, still_running
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call
from tests.gui.support.tool_quit_driver import CLOSE_MARK, PIDS_MARK

ROOT = Path(__file__).resolve().parents[2]
QUIT_LIMIT_S = 1.0


def test_quitting_during_a_tool_call_exits_within_1s(fake_gemini: FakeGemini) -> None:
    servers = {"fake": fake_config(), "stubborn": fake_config("--stubborn")}
    settings = load_settings().settings  # RILL_HOME is this test's (conftest)
    save_settings(replace(settings, tools=ToolSettings(servers=servers)))
    fake_gemini.push(function_call("fake__hang", {"seconds": 3600}, call_id="q1"))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
        "PYTHONASYNCIODEBUG": "0",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.support.tool_quit_driver", "Wait for the tool"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    closed_at: float | None = None
    pids: list[int] = []
    for line in child.stdout:  # ends when the child's stdout closes (at exit)
        if line.startswith(PIDS_MARK):
            pids = json.loads(line.removeprefix(PIDS_MARK))
        elif line.startswith(CLOSE_MARK):
            closed_at = float(line.removeprefix(CLOSE_MARK))
    code = child.wait(timeout=60)
    exited_at = time.monotonic()
    stderr = child.stderr.read() if child.stderr else ""
    assert closed_at is not None, stderr[-2000:]
    assert len(pids) >= 2, pids  # both servers were running
    assert code == 0, stderr[-2000:]
    took = exited_at - closed_at
    assert took <= QUIT_LIMIT_S, f"quit took {took:.2f} s"
    assert not still_running(pids)  # the stubborn one was killed too
    (request,) = fake_gemini.requests_for("streamGenerateContent")
    assert "fake__hang" in {d["name"] for d in request.json["tools"][0]["functionDeclarations"]}
