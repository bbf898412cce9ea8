"""How soon the window appears and how much memory it idles at, against a bare PySide6 window.

Launches, in turn, a bare PySide6 ``QMainWindow`` and ``rill`` with an empty profile (a
fresh private RILL_HOME each time, no API key in the environment), N times each
(default 10, alternating so machine load falls on both alike). Each launch is timed
from just before the process is spawned to the end of its window's first paint
(``bench/startup_probe.py`` reports it the same way for both); its resident memory is
read from /proc a couple of seconds later, while it idles. Prints medians and the
ratios rill/bare, and exits 1 when a ratio misses its target (issue 14: both ≤ 2).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_startup.py [--runs 10]
    .venv/bin/python bench/bench_startup.py --other /tmp/pre-house   # before and after

``--other DIR`` adds a third launch to each round: ``rill`` from another checkout's
``core/``, ``gui/`` and ``resources/`` (a ``git worktree`` of an older commit), run by
this interpreter with this venv's packages unless ``--other-python`` names another. Linux
only (/proc).
"""

from __future__ import annotations

import argparse
import os
import platform
import selectors
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE = HERE / "startup_probe.py"
TARGET_RATIO = 2.0
LAUNCH_TIMEOUT_S = 60.0


@dataclass
class Kind:
    """One thing launched each round, and what its launches measured."""

    label: str
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)


def _environment() -> dict[str, str]:
    """This environment without keys or Rill settings: every rill launch starts empty."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().endswith("_API_KEY")
        and not name.startswith(("RILL_", "GOOGLE_", "GEMINI_"))
    }
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # An installed app starts from compiled bytecode: the untimed first launch writes
    # the __pycache__ files the timed ones read.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _rss_mb(pid: int) -> float:
    """The process's resident set size, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line")


def wait_line(proc: subprocess.Popen[bytes], prefix: str) -> str:
    """The first line the child prints that starts with ``prefix`` (within
    LAUNCH_TIMEOUT_S; RuntimeError when it ends or times out first)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + LAUNCH_TIMEOUT_S
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.5):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            for line in buffer.decode(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line
    raise RuntimeError(f"the window did not report {prefix.strip()!r}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End the child (SIGTERM, then SIGKILL after 10 s) and close its stdout."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _wait_painted(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """The CLOCK_MONOTONIC time of the child's first paint and its CPU time by then (ns)."""
    _, at, cpu = wait_line(proc, "painted ").split()
    return int(at), int(cpu)


@contextmanager
def launched(
    label: str, command: list[str], env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``command`` started with a fresh private RILL_HOME: the process and the
    CLOCK_MONOTONIC time (ns) just before it was spawned. A RuntimeError or OSError
    inside ends the benchmark with the child's stderr; the child is ended after."""
    home = tempfile.mkdtemp(prefix="rill-bench-launch-")
    with tempfile.TemporaryFile() as errors:
        started = time.monotonic_ns()
        proc = subprocess.Popen(
            command, env={**env, "RILL_HOME": home}, stdout=subprocess.PIPE, stderr=errors
        )
        try:
            yield proc, started
        except (RuntimeError, OSError) as error:
            errors.seek(0)
            tail = errors.read()[-2000:].decode(errors="replace")
            raise SystemExit(f"{label}: {error}\n{tail}") from None
        finally:
            stop(proc)
            shutil.rmtree(home, ignore_errors=True)


def launch(kind: Kind, env: dict[str, str], settle: float, record: bool) -> None:
    """Start one process, time its first paint, read its idle RSS, end it."""
    with launched(kind.label, kind.command, env) as (proc, started):
        painted, cpu = _wait_painted(proc)
        time.sleep(settle)
        rss = _rss_mb(proc.pid)
    if record:
        kind.seconds.append((painted - started) / 1e9)
        kind.cpu_seconds.append(cpu / 1e9)
        kind.rss_mb.append(rss)


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _row(kind: Kind, bare: Kind) -> str:
    wall, cpu = _median_ms(kind.seconds), _median_ms(kind.cpu_seconds)
    mb = statistics.median(kind.rss_mb)
    spread = f"{min(kind.seconds) * 1000:.0f}–{max(kind.seconds) * 1000:.0f}"
    return (
        f"{kind.label:<24} {wall:6.0f} ms ({spread:>9}) {wall / _median_ms(bare.seconds):5.2f}x"
        f" {cpu:6.0f} ms {cpu / _median_ms(bare.cpu_seconds):5.2f}x"
        f" {mb:6.1f} MB {mb / statistics.median(bare.rss_mb):5.2f}x"
    )


def _qt_version(python: str) -> str:
    probe = "import PySide6, PySide6.QtCore as c; print(PySide6.__version__, c.qVersion())"
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    """Measure, print the report, return 0 when rill meets both targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="launches of each kind")
    parser.add_argument("--settle", type=float, default=2.0, help="s after the paint to RSS")
    parser.add_argument("--quick", action="store_true", help="3 runs, 1 s settle (make bench)")
    parser.add_argument("--other", type=Path, help="another checkout to launch too")
    parser.add_argument("--other-label", default="", help="its name in the report")
    parser.add_argument("--other-python", default=sys.executable, help="its interpreter")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.settle = 3, 1.0
    python = sys.executable
    kinds = [
        Kind("bare PySide6 window", [python, str(PROBE), "bare"]),
        Kind("rill (this checkout)", [python, str(PROBE), "rill"]),
    ]
    if args.other is not None:
        other = args.other.resolve()
        if not (other / "gui" / "launch.py").is_file():
            raise SystemExit(f"{other} is not a Rill checkout (no gui/launch.py)")
        label = args.other_label or f"rill ({other.name})"
        kinds.append(Kind(label, [args.other_python, str(PROBE), "rill", str(other)]))
    env = _environment()
    for kind in kinds:  # untimed: fills the file cache and writes .pyc files
        launch(kind, env, 0.0, record=False)
    for _ in range(args.runs):
        for kind in kinds:
            launch(kind, env, args.settle, record=True)

    bare, rill = kinds[0], kinds[1]
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"platform: {platform.platform()}, Python {platform.python_version()},"
        f" PySide6/Qt {_qt_version(python)}, QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']},"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{args.runs} alternating launches of each, idle RSS {args.settle:g} s after the paint")
    print(f"{'medians':<24} {'first paint (range)':>30} {'CPU by then':>16} {'idle RSS':>16}")
    for kind in kinds:
        print(_row(kind, bare))
    ratio_t = statistics.median(rill.seconds) / statistics.median(bare.seconds)
    ratio_m = statistics.median(rill.rss_mb) / statistics.median(bare.rss_mb)
    missed = [
        name
        for name, ratio in (("first paint", ratio_t), ("idle RSS", ratio_m))
        if ratio > TARGET_RATIO
    ]
    print(f"targets: first paint ≤ {TARGET_RATIO:g}x bare, idle RSS ≤ {TARGET_RATIO:g}x bare")
    print("verdict: " + (f"missed: {', '.join(missed)}" if missed else "met"))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
