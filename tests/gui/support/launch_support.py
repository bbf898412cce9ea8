"""Runs the window as ``rill`` does, in a subprocess (see ``tests.gui.support.launch_probe``)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
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


def wait_for_line(proc: subprocess.Popen[bytes], wanted: bytes, timeout: float) -> None:
    """Read ``proc``'s stdout until ``wanted`` arrives; fail if it ends first or takes
    longer than ``timeout`` seconds."""
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, b""
    while wanted not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, left))
        if not ready or proc.poll() is not None:
            raise AssertionError(f"no {wanted!r} from the app (got {seen!r})")
        seen += os.read(proc.stdout.fileno(), 4096)


def children(pid: int) -> set[int]:
    """The processes ``pid`` started that are still running (Linux's /proc)."""
    found: set[int] = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue  # gone meanwhile
        if int(fields.get("PPid", "0")) == pid and not fields["State"].strip().startswith("Z"):
            found.add(int(status.parent.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(condition: Callable[[], object], timeout: float) -> None:
    """Poll another process's effect (the store file) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def send_prompt(window: Any, text: str) -> None:
    """In a driven app (a driver script's child): type ``text`` into the composer and
    press Return, as the user would."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClicks(window.composer.edit, text)
    QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
