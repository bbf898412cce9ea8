"""Time a child process's exit after it says it is closing, and collect the server
processes it reported: the shared half of the quit tests (the app with a tool call
running, and a qasync loop with servers ready).

A driver prints ``PIDS_MARK`` + a JSON list of its servers' pids, then ``CLOSE_MARK`` +
``time.monotonic()`` just before it starts to close; the time to exit is measured from
that mark to the moment its stdout closes and it is reaped.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLOSE_MARK = "driver: closing at "
PIDS_MARK = "driver: servers "


@dataclass(frozen=True)
class QuitRun:
    """How a driver's exit went: its status, stderr, the servers' pids it reported,
    and the seconds from its close mark to its exit (None if it never got there)."""

    code: int
    stderr: str
    pids: list[int]
    took: float | None


def run_quit_driver(args: list[str], env: dict[str, str], timeout: float = 60) -> QuitRun:
    """Run ``python``-style ``args`` in the project's root and time its exit."""
    child = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    closed_at: float | None = None
    pids: list[int] = []
    for line in child.stdout:  # ends when the child's stdout closes (at exit)
        if line.startswith(PIDS_MARK):
            pids = json.loads(line.removeprefix(PIDS_MARK))
        elif line.startswith(CLOSE_MARK):
            closed_at = float(line.removeprefix(CLOSE_MARK))
    code = child.wait(timeout=timeout)
    exited_at = time.monotonic()
    stderr = child.stderr.read() if child.stderr else ""
    took = None if closed_at is None else exited_at - closed_at
    return QuitRun(code=code, stderr=stderr, pids=pids, took=took)
