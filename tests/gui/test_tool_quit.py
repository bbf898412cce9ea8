"""Quitting the real app while a tool server runs a call: it exits within 1 s with
status 0, and the servers' processes (one of them ignores SIGTERM) are gone."""

from __future__ import annotations

import os
import sys
from dataclasses import replace

from rill.core.settings import load_settings, save_settings
from rill.core.tool_settings import ToolSettings
from tests.core.tools.support import fake_config, still_running
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call
from tests.gui.support.quit_timing import run_quit_driver

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
    run = run_quit_driver(
        [sys.executable, "-m", "tests.gui.support.tool_quit_driver", "Wait for the tool"], env
    )
    assert run.took is not None, run.stderr[-2000:]
    assert len(run.pids) >= 2, run.pids  # both servers were running
    assert run.code == 0, run.stderr[-2000:]
    assert run.took <= QUIT_LIMIT_S, f"quit took {run.took:.2f} s"
    assert not still_running(run.pids)  # the stubborn one was killed too
    (request,) = fake_gemini.requests_for("streamGenerateContent")
    assert "fake__hang" in {d["name"] for d in request.json["tools"][0]["functionDeclarations"]}
