"""What a full run of Python's cycle collector costs the UI thread once the window idles.

Python's collector walks every object it tracks on each full collection, and it runs
on whichever thread allocates when its counters say so: in the app, mostly the UI
thread, in the middle of a stream's frame or a scroll. Rill freezes what is alive
after the window is built (``rill.gui.app.finish_after_paint``), which leaves those
objects out of every later collection.

Launches ``rill`` with an empty profile (``bench/startup_probe.py``, as
``bench_startup.py`` does; ``--with-key`` gives it a key, so the provider and its HTTP
stack load after the paint as they do for most users), and ``--settle`` seconds after
its first paint has it count the objects the collector still walks and time three full
collections on its UI thread.
With ``--other DIR`` (a ``git worktree`` of an older commit) it launches that checkout
too, alternating, so both share the machine's load. Prints medians.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_collector.py --other /tmp/before
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_startup import PROBE, _environment, launched, wait_line


@dataclass
class Kind:
    """One checkout launched each round, and what its launches measured."""

    label: str
    command: list[str]
    walked: list[int] = field(default_factory=list)  # objects a full collection walks
    frozen: list[int] = field(default_factory=list)
    collect_ms: list[float] = field(default_factory=list)  # each launch's median of 3


def launch(kind: Kind, env: dict[str, str], settle: float) -> None:
    """Start one process, read its collector figures once it idles, end it."""
    probe_env = {**env, "STARTUP_PROBE_COLLECT": str(settle)}
    with launched(kind.label, kind.command, probe_env) as (proc, _started):
        line = wait_line(proc, "collected ")
    _, walked, frozen, *times = line.split()
    kind.walked.append(int(walked))
    kind.frozen.append(int(frozen))
    kind.collect_ms.append(statistics.median(float(t) for t in times))


def main(argv: list[str] | None = None) -> int:
    """Measure and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="launches of each checkout")
    parser.add_argument("--settle", type=float, default=3.0, help="s after the paint")
    parser.add_argument("--other", type=Path, help="another checkout to launch too")
    parser.add_argument("--other-label", default="", help="its name in the report")
    parser.add_argument(
        "--with-key",
        action="store_true",
        help="a (fake) Gemini key, so the provider and its HTTP stack load after the paint",
    )
    args = parser.parse_args(argv)
    python = sys.executable
    kinds = [Kind("rill (this checkout)", [python, str(PROBE), "rill"])]
    if args.other is not None:
        other = args.other.resolve()
        if not (other / "gui" / "launch.py").is_file():
            raise SystemExit(f"{other} is not a Rill checkout (no gui/launch.py)")
        label = args.other_label or f"rill ({other.name})"
        kinds.append(Kind(label, [python, str(PROBE), "rill", str(other)]))
    env = _environment()
    if args.with_key:  # nothing is sent: the server named is closed
        env |= {"GEMINI_API_KEY": "bench-not-a-key", "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:9"}
    for _ in range(args.runs):
        for kind in kinds:
            launch(kind, env, args.settle)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"platform: {platform.platform()}, Python {platform.python_version()},"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    profile = "a Gemini key" if args.with_key else "no key"
    print(
        f"{args.runs} alternating launches of each, empty profile with {profile},"
        f" measured {args.settle:g} s after the paint"
    )
    print(f"{'medians':<24} {'objects walked':>15} {'frozen':>8} {'full collection':>16}")
    base = statistics.median(kinds[0].collect_ms)
    for kind in kinds:
        ms = statistics.median(kind.collect_ms)
        print(
            f"{kind.label:<24} {statistics.median(kind.walked):>15,.0f}"
            f" {statistics.median(kind.frozen):>8,.0f} {ms:>10.2f} ms {ms / base:4.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
