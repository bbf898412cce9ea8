"""Measure ``rill`` cold start to a visible window, and its idle memory, under Xvfb.

    python -m tests.e2e.cold_start [RUNS]

Each run uses an empty profile (a new RILL_HOME) and the installed ``rill`` command;
the clock stops when X reports the window mapped (polled with xdotool every few ms).
Idle RSS is read from /proc two seconds after the window appeared. Prints one line
per run and the medians, with and without GEMINI_API_KEY.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.conftest import rill_command
from tests.e2e.xvfb import start_xvfb, stop_xvfb
from tests.fakes.gemini_server import FakeGemini

IDLE_SECONDS = 2.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(display: str, base_url: str, with_key: bool) -> tuple[float, float]:
    home = Path(tempfile.mkdtemp(prefix="rill-cold-"))
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_RUNTIME_DIR": str(runtime),
        "RILL_HOME": str(home / "profile"),
        "GOOGLE_GEMINI_BASE_URL": base_url,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    env.pop("GEMINI_API_KEY", None)
    if with_key:
        env["GEMINI_API_KEY"] = "test-key"
    start = time.perf_counter()
    app = subprocess.Popen([str(rill_command())], env=env)
    try:
        while True:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", "^Rill$"],
                env=env,
                capture_output=True,
                text=True,
            )
            if found.stdout.strip():
                break
            if time.perf_counter() - start > 30:
                raise TimeoutError("no window after 30 s")
            time.sleep(0.002)
        visible = time.perf_counter() - start
        time.sleep(IDLE_SECONDS)  # let start-up work settle before reading memory
        memory = rss_mb(app.pid)
        subprocess.run(["xdotool", "key", "ctrl+q"], env=env, check=True)
        app.wait(timeout=20)
    finally:
        if app.poll() is None:
            app.kill()
    return visible, memory


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 10
    xvfb, display = start_xvfb("1280x800x24")
    try:
        with FakeGemini() as fake:
            one_run(display, fake.base_url, True)  # warm the disk cache, not counted
            for with_key in (True, False):
                times, rss = [], []
                for i in range(runs):
                    visible, memory = one_run(display, fake.base_url, with_key)
                    times.append(visible)
                    rss.append(memory)
                    print(f"key={with_key} run {i + 1}: {visible:.3f} s, {memory:.0f} MB RSS")
                print(
                    f"key={with_key}: median {statistics.median(times):.3f} s to a visible "
                    f"window, median idle RSS {statistics.median(rss):.0f} MB"
                )
    finally:
        stop_xvfb(xvfb)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
