"""The installed ``rill`` in a real X window: type a prompt, see the answer, quit."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Display, report_env, rill_command
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.e2e

PROMPT = "Which river is the longest"
ANSWER = ("The Nile ", "is usually named ", "the longest river.")


def wait_for(condition: object, timeout: float, what: str) -> None:
    """Poll ``condition()`` (a file or another process, not Qt) until true or fail."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_prompt_answer_and_quit(xvfb: Display, fake_gemini: FakeGemini, tmp_path: Path) -> None:
    home = tmp_path / "home"
    report = tmp_path / "transcript.txt"
    fake_gemini.push(stream(list(ANSWER)))
    env = {
        **xvfb.env,
        "RILL_HOME": str(home),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
        **report_env(report),
    }
    app = subprocess.Popen(
        [str(rill_command())], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        window = xvfb.xdotool("search", "--sync", "--onlyvisible", "--name", "^Rill$").split()[0]
        # No click, no focus command: the input must already have the keyboard.
        xvfb.xdotool("type", "--delay", "15", PROMPT)
        xvfb.xdotool("key", "Return")
        requests = fake_gemini.wait_for_requests(count=2, timeout=20)  # models + the prompt
        sent = [r for r in requests if r.action == "streamGenerateContent"]
        assert sent and sent[-1].json["contents"][-1]["parts"][0]["text"] == PROMPT
        wait_for(
            lambda: report.exists() and "".join(ANSWER) in report.read_text(),
            20,
            "the answer in the chat pane",
        )
        shown = report.read_text(encoding="utf-8")
        assert PROMPT in shown
        xvfb.screenshot("e2e-answer")
        assert window
        xvfb.xdotool("key", "ctrl+q")  # XTEST, like a real keyboard (Qt ignores sent events)
        code = app.wait(timeout=20)
    finally:
        if app.poll() is None:
            app.kill()
        _out, err = app.communicate(timeout=10)
    assert code == 0
    assert err == "", err
    log = (home / "logs" / "rill.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and "Task was destroyed" not in log, log
