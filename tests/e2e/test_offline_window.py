"""The installed ``rill`` on first start with no key and no network answers offline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Display, report_env, rill_command
from tests.e2e.test_window import wait_for

pytestmark = pytest.mark.e2e

PROMPT = "Say hello"
ANSWER_TIMEOUT_S = 180  # the real model: loading plus a few tokens on a busy machine


def test_first_start_answers_offline(xvfb: Display, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    report = tmp_path / "transcript.txt"
    env = {
        **xvfb.env,
        "RILL_HOME": str(home),
        **report_env(report),
        # No key, and any attempt to reach the network goes nowhere.
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    for variable in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        env.pop(variable, None)
    settings = {"schema_version": 1, "generation": {"max_output_tokens": 16}}
    (home / "config" / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    app = subprocess.Popen(
        [str(rill_command())], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        xvfb.xdotool("search", "--sync", "--onlyvisible", "--name", "^Rill$")
        xvfb.xdotool("type", "--delay", "15", PROMPT)
        xvfb.xdotool("key", "Return")
        wait_for(
            lambda: report.exists() and len(report.read_text(encoding="utf-8")) > len(PROMPT) + 2,
            ANSWER_TIMEOUT_S,
            "the offline answer in the chat pane",
        )
        assert PROMPT in report.read_text(encoding="utf-8")
        xvfb.screenshot("e2e-offline")
        xvfb.xdotool("key", "ctrl+q")
        code = app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
        _out, err = app.communicate(timeout=10)
    assert code == 0, err
    log = (home / "logs" / "rill.log").read_text(encoding="utf-8")
    assert "Traceback" not in log, log
