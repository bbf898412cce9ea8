"""Fixtures for end-to-end tests: a private Xvfb display and the installed ``rill``.

Each test gets its own X server (see ``tests.e2e.xvfb``). Tests are skipped with a
reason when Xvfb, xdotool or ImageMagick's ``import`` are missing; ``.ci/run``
installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.xvfb import start_xvfb, stop_xvfb

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("Xvfb", "xdotool", "import")


def artifacts_dir() -> Path:
    """Where screenshots are kept after the run (RILL_E2E_ARTIFACTS or build/e2e)."""
    path = Path(os.environ.get("RILL_E2E_ARTIFACTS") or ROOT / "build" / "e2e")
    path.mkdir(parents=True, exist_ok=True)
    return path


def report_env(report: Path) -> dict[str, str]:
    """Environment that makes ``rill`` write its chat pane's text to ``report`` after
    every answer (through ``report_hook/sitecustomize.py``; the app has no such code)."""
    hook = str(Path(__file__).resolve().parent / "report_hook")
    paths = [hook, *filter(None, [os.environ.get("PYTHONPATH")])]
    return {"RILL_E2E_REPORT": str(report), "PYTHONPATH": os.pathsep.join(paths)}


def rill_command() -> Path:
    """The installed ``rill`` script next to this interpreter (the gui-scripts entry)."""
    return Path(sys.executable).with_name("rill")


@dataclass
class Display:
    name: str  # ":N"
    env: dict[str, str]  # an environment that talks to this display

    def xdotool(self, *args: str, timeout: float = 20) -> str:
        """Run xdotool on this display; returns its stdout (raises on failure)."""
        done = subprocess.run(
            ["xdotool", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return done.stdout

    def screenshot(self, name: str) -> Path:
        """Save the whole screen as ``<artifacts>/<name>.png`` and return the path."""
        path = artifacts_dir() / f"{name}.png"
        subprocess.run(
            ["import", "-window", "root", str(path)], env=self.env, check=True, timeout=20
        )
        return path


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[Display]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"end-to-end tests need {', '.join(missing)} (apt-get install xvfb xdotool imagemagick)"
        )
    if not rill_command().exists():
        pytest.skip(f"the rill command is not installed at {rill_command()} (pip install -e .)")
    try:
        server, display = start_xvfb()
    except RuntimeError as error:
        pytest.fail(str(error))
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",  # the suite runs offscreen; this test wants a real window
        "XDG_RUNTIME_DIR": str(runtime),
    }
    try:
        yield Display(display, env)
    finally:
        stop_xvfb(server)
