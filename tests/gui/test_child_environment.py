"""No key reaches a process Rill starts: the window holds key variables out of its
environment, so an image worker (and the browser a link opens) inherits none, while
Rill itself still answers with the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rill.core import secrets
from rill.gui import desktop_entry
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.launch_support import launch, launch_env

KEYS = {
    **{name: f"secret-{n}" for n, name in enumerate(secrets.KEY_VARIABLES)},
    "ANTHROPIC_API_KEY": "secret-other",  # not Rill's, still a key
}


def test_an_image_worker_of_the_running_window_has_no_key(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(stream(["Keyed ", "answer."]))
    env = launch_env(tmp_path / "home", fake_gemini, RILL_PROBE_WORKERS="1")
    env.update({name: value for name, value in KEYS.items() if name != "GEMINI_API_KEY"})
    shown = launch(env, tmp_path / "report.json", "Hello")
    assert shown.code == 0 and shown.stderr == "", shown.stderr
    assert shown.report is not None
    assert shown.report["answered"] and "Keyed answer." in shown.report["transcript"]
    assert fake_gemini.requests_for("streamGenerateContent")[-1].headers["x-goog-api-key"] == (
        "test-key"
    )  # the app still uses the key it held back
    assert shown.report["app_key_variables"] == []
    worker = shown.report["worker"]
    assert worker["other_process"]
    assert worker["names"] and not [n for n in worker["names"] if secrets.is_key_variable(n)]
    assert "PATH" in worker["names"]  # everything else is inherited as before
    if os.path.exists("/proc/self/environ"):
        assert worker["at_exec"] and not [
            n for n in worker["at_exec"] if secrets.is_key_variable(n)
        ]


def test_held_keys_are_still_found_and_children_get_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(secrets, "_held", {})
    secrets.hold_environment_keys()
    try:
        assert not [n for n in os.environ if secrets.is_key_variable(n)]
        found = secrets.env_api_key("gemini")
        assert found is not None and found.key == "secret-0" and found.source == "GEMINI_API_KEY"
        assert secrets.env_value("OPENAI_API_KEY") == KEYS["OPENAI_API_KEY"]
        assert not [n for n in secrets.child_environment() if secrets.is_key_variable(n)]
    finally:
        for name in KEYS:
            monkeypatch.delenv(name, raising=False)


def test_the_desktop_tools_run_without_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[dict[str, str]] = []
    monkeypatch.setenv("GEMINI_API_KEY", "secret")
    monkeypatch.setattr(desktop_entry.shutil, "which", lambda name: f"/usr/bin/{name}")

    def record(command: list[str], **kwargs: object) -> None:
        env = kwargs.get("env")
        assert isinstance(env, dict)
        seen.append(env)

    monkeypatch.setattr(desktop_entry.subprocess, "run", record)
    desktop_entry._refresh_caches(tmp_path)
    assert seen and all("GEMINI_API_KEY" not in env for env in seen)
