"""The window read once as Orca would, through AT-SPI: the conversation, "Your message"
and "Answer from <model>" with their text, and the controls' names.

Runs the installed ``rill`` on a private Xvfb with its own session bus (``dbus-launch``)
and the AT-SPI bus; the reading is done by the system's python3 with pyatspi
(``tests/e2e/atspi_reader.py``). Skipped with the reason when any of those is missing;
``.ci/run`` installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Display, artifacts_dir, report_env, rill_command
from tests.e2e.test_window import wait_for
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.e2e

SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
READER = Path(__file__).with_name("atspi_reader.py")
ANSWER_READ_S = 20.0  # how long the finished answer's text may take to reach the tree
PROMPT = "Name a marsupial"
ANSWER = ("The wombat ", "is a marsupial.")


def missing() -> str:
    """Why the screen reader's view cannot be read here ("" when it can)."""
    if shutil.which("dbus-launch") is None:
        return "dbus-launch (dbus-x11) is not installed"
    if not os.path.exists(BUS_LAUNCHER):
        return "at-spi2-core is not installed"
    probe = (
        subprocess.run([SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, check=False)
        if os.path.exists(SYSTEM_PYTHON)
        else None
    )
    if probe is None or probe.returncode != 0:
        return "the system's python3 has no pyatspi (python3-pyatspi)"
    return ""


@pytest.fixture
def session_bus() -> Iterator[dict[str, str]]:
    """A private D-Bus session bus with the AT-SPI bus on it: its environment."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    out = subprocess.run(
        ["dbus-launch", "--sh-syntax"], capture_output=True, text=True, check=True, timeout=20
    ).stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SESSION_BUS_PID"):
            env[key] = value.rstrip(";").strip("'")
    launcher = subprocess.Popen(
        [BUS_LAUNCHER, "--launch-immediately"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield env
    finally:
        launcher.terminate()
        launcher.wait(timeout=10)
        pid = env.get("DBUS_SESSION_BUS_PID", "")
        if pid.isdigit():
            os.kill(int(pid), 15)


def test_a_screen_reader_reads_the_conversation_and_the_controls(
    xvfb: Display, fake_gemini: FakeGemini, session_bus: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "transcript.txt"
    fake_gemini.push(stream(list(ANSWER)))
    env = {
        **xvfb.env,
        **session_bus,
        "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
        "RILL_HOME": str(tmp_path / "home"),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
        **report_env(report),
    }
    app = subprocess.Popen(
        [str(rill_command())], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        xvfb.xdotool("search", "--sync", "--onlyvisible", "--name", "^Rill$")
        xvfb.xdotool("type", "--delay", "15", PROMPT)
        xvfb.xdotool("key", "Return")
        answer = "".join(ANSWER)
        wait_for(lambda: report.exists() and answer in report.read_text(), 30, "the answer")
        # What the reader is given never holds the key (it reads the whole tree).
        reader_env = {k: v for k, v in env.items() if k != "GEMINI_API_KEY"}
        # The message's stand-in takes the finished answer's text when it next follows
        # the cards (at most four times a second, once the view stops moving): a reader
        # started at once may find the text of a moment before, as Orca would until the
        # change reaches it. Read again until the answer is there.
        deadline = time.monotonic() + ANSWER_READ_S
        while True:
            read = subprocess.run(
                [SYSTEM_PYTHON, str(READER), "40", "Your message", "Answer from"],
                env=reader_env,
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
            seen = json.loads(read.stdout or "[]")
            answered = any(n.startswith("Answer from") and answer in d for _r, n, d in seen)
            if answered or read.returncode != 0 or time.monotonic() > deadline:
                break
    finally:
        app.terminate()
        app.wait(timeout=20)
    lines = [f"[{role}] {name} | {description[:120]!r}" for role, name, description in seen]
    (artifacts_dir() / "screen-reader.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read.returncode == 0, f"not read: {len(seen)} objects, {read.stderr[-500:]}"
    by_name = {name: description for _role, name, description in seen}
    assert "Conversation" in by_name
    assert PROMPT in by_name["Your message"]
    answers = [d for name, d in by_name.items() if name.startswith("Answer from")]
    assert answers and answer in answers[0]
    for control in ("Chat list", "New chat", "Chat settings", "More", "Message", "Send"):
        assert any(name.startswith(control) for name in by_name), control
    roles = {role for role, name, _ in seen if name == "New chat"}
    assert "push button" in roles, roles  # (and a menu item: File → New chat)
