"""The installed ``rill`` in a real X window with a profile it cannot fully use: the
window opens (no traceback), answers, and quits cleanly. What its notice says is
checked in tests/gui/test_launch_profile.py; the screenshots show it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rill.core.store.db import Store
from rill.core.types import GenerationSettings, Message, Part, Role
from tests.e2e.conftest import Display, report_env, rill_command
from tests.e2e.test_window import wait_for
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.read_only import read_only_tree

pytestmark = pytest.mark.e2e


def run_window(xvfb: Display, fake: FakeGemini, home: Path, report: Path, shot: str) -> str:
    """Start ``rill``, send a prompt once it is on screen, screenshot, quit; its stderr."""
    fake.push(stream(["It ", "works."]))
    env = {
        **xvfb.env,
        "RILL_HOME": str(home),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake.base_url,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        **report_env(report),
    }
    app = subprocess.Popen(
        [str(rill_command())], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        xvfb.xdotool("search", "--sync", "--onlyvisible", "--name", "^Rill$")
        xvfb.xdotool("type", "--delay", "15", "Hello")
        xvfb.xdotool("key", "Return")
        wait_for(lambda: report.exists() and "It works." in report.read_text(), 30, "the answer")
        xvfb.screenshot(shot)
        xvfb.xdotool("key", "ctrl+q")
        code = app.wait(timeout=20)
    finally:
        if app.poll() is None:
            app.kill()
        _out, err = app.communicate(timeout=10)
    assert code == 0, err
    return err


def test_rill_home_pointing_at_a_file(
    xvfb: Display, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("a file")
    err = run_window(xvfb, fake_gemini, home, tmp_path / "report.txt", "e2e-profile-file")
    assert err == "", err


def test_a_read_only_profile(xvfb: Display, fake_gemini: FakeGemini, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Store(home / "data" / "rill.sqlite") as store:
        cid = store.create_conversation(settings=GenerationSettings(model="gemini-2.5-flash"))
        store.append_message(cid, Message(Role.USER, [Part.from_text("kept from before")]))
    report = tmp_path / "report.txt"
    with read_only_tree(home):
        err = run_window(xvfb, fake_gemini, home, report, "e2e-profile-read-only")
    assert err == "", err
