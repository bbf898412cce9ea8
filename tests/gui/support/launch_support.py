"""Runs the window as ``rill`` does, in a subprocess (see ``tests.gui.support.launch_probe``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.gemini_server import FakeGemini

ROOT = Path(__file__).resolve().parents[3]
# What the offscreen platform prints about itself (xcb under Xvfb prints none of it).
OFFSCREEN_NOISE = ("This plugin does not support",)
_SCRUBBED = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "RILL_HOME")


@dataclass
class Launch:
    """How one launch went: the exit status, stderr without Qt's offscreen noise, and
    the probe's report of the window (None when the window never got that far)."""

    code: int
    stderr: str
    report: dict[str, Any] | None


def launch_env(home: Path, fake: FakeGemini | None = None, **extra: str) -> dict[str, str]:
    """A hermetic environment for one window: its own profile, no keychain."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        RILL_HOME=str(home),
        RILL_MULTI_INSTANCE="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        RILL_MAX_ATTEMPTS="1",
    )
    if fake is not None:
        env.update(GEMINI_API_KEY="test-key", GOOGLE_GEMINI_BASE_URL=fake.base_url)
    env.update(extra)
    return env


def run_snippet(
    code: str, *args: str, dev: bool = False, timeout: float = 60, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (with ``args``) in a child Python, offscreen, from the project's
    root, with faulthandler on (and ``-X dev`` when ``dev``): a crash or a hang there
    fails the one test that ran it, not the whole run."""
    flags = ["-X", "faulthandler", *(["-X", "dev"] if dev else [])]
    return subprocess.run(
        [sys.executable, *flags, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **extra_env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def launch(env: dict[str, str], report: Path, prompt: str = "", timeout: float = 90) -> Launch:
    """Run the window until the probe has reported and closed it."""
    return run_driver("launch_probe", env, report, *([prompt] if prompt else []), timeout=timeout)


def run_driver(
    driver: str, env: dict[str, str], report: Path, *args: str, timeout: float = 90
) -> Launch:
    """Run ``tests.gui.support.<driver> REPORT ARGS…`` (a real launch with hooks) to its
    end, and read the JSON it wrote to ``report`` (if it got that far)."""
    done = subprocess.run(
        [sys.executable, "-m", f"tests.gui.support.{driver}", str(report), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    stderr = "\n".join(
        line
        for line in done.stderr.splitlines()
        if line.strip() and not any(noise in line for noise in OFFSCREEN_NOISE)
    )
    shown = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    return Launch(done.returncode, stderr, shown)
