"""The installed ``rill`` in a real X window: after a click on Stop, typing goes on in
the input (a disabled Send used to pass the keyboard down the window's focus chain)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Display, report_env, rill_command
from tests.e2e.test_window import wait_for
from tests.fakes.gemini_scenarios import hold_open, stream
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 900, 600
# Send/Stop sits at the bottom right of the chat column, which reaches the window's
# right edge while the settings panel is hidden: 12 px composer margin, a button about
# 70 px wide and 30 px tall, 12 px below it, then the status line (about 24 px).
STOP_AT = (WIDTH - 12 - 35, HEIGHT - 24 - 12 - 15)


def prompts(fake: FakeGemini) -> list[str]:
    sent = [r for r in fake.requests if r.action == "streamGenerateContent"]
    return [r.json["contents"][-1]["parts"][0]["text"] for r in sent]


def test_typing_after_clicking_stop_lands_in_the_input(
    xvfb: Display, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    ui = {"ui": {"settings_panel_visible": False}}
    (home / "config" / "settings.json").write_text(json.dumps(ui), encoding="utf-8")
    report = tmp_path / "transcript.txt"
    fake_gemini.push(hold_open(["Partial"], [" rest"]), stream(["Second answer."]))
    env = {
        **xvfb.env,
        "RILL_HOME": str(home),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
        **report_env(report),
    }
    app = subprocess.Popen([str(rill_command())], env=env, stderr=subprocess.DEVNULL)
    try:
        window = xvfb.xdotool("search", "--sync", "--onlyvisible", "--name", "^Rill$").split()[0]
        xvfb.xdotool("windowsize", "--sync", window, str(WIDTH), str(HEIGHT))
        xvfb.xdotool("type", "--delay", "10", "first")
        xvfb.xdotool("key", "Return")
        wait_for(lambda: prompts(fake_gemini) == ["first"], 20, "the first prompt")
        xvfb.xdotool("mousemove", "--window", window, *map(str, STOP_AT), "click", "1")
        wait_for(lambda: report.exists() and "Stopped" in report.read_text(), 20, "Stop")
        xvfb.screenshot("e2e-focus-after-stop")
        xvfb.xdotool("type", "--delay", "10", "second")
        xvfb.xdotool("key", "Return")
        wait_for(lambda: len(prompts(fake_gemini)) == 2, 20, "a second prompt")
        assert prompts(fake_gemini)[1] == "second"
        xvfb.xdotool("key", "ctrl+q")
        assert app.wait(timeout=20) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=10)
