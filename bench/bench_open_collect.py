"""A long answer open in the pane: what it leaves for Python's cycle collector.

A full collection walks every container object Python tracks, on whichever thread
allocates when the collector decides to run: in the app, mostly the UI thread, in a
stream's frame or a wheel step. An answer's blocks stay while its chat is open, so
their objects are walked by every full collection meanwhile. This opens a
1,000,000-character answer of dense Markdown (``bench_open_long_answer``'s "dense":
a heading, a list, a code block and a table every ~450 characters) in a ``ChatView``,
writes all of it, and reports the objects it added that the collector tracks and the
UI thread's CPU time of a full collection then (the median of three).

Each run is a child process (a fresh interpreter and application); with ``--other
DIR`` (a ``git worktree`` of another commit) the runs alternate between this checkout
and that one, in the same run of the script, and the report gives both and their
ratio. Medians of ``--runs``.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_open_collect.py \\
        --other /tmp/before --other-label "before"
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
CHARS = 1_000_000


def child(other: str | None) -> None:
    """One run, in this process: open the answer, print the figures as JSON."""
    sys.path.insert(0, str(ROOT))  # bench/ and tests/ are not installed
    if other:
        from bench.startup_probe import _SourceFinder

        sys.meta_path.insert(0, _SourceFinder(other))  # type: ignore[arg-type]
    from bench.bench_open_long_answer import DENSE, sized, turn
    from rill.core.types import Role
    from rill.gui.common.theme import make_application
    from rill.gui.transcript.view import ChatView

    app = make_application([])
    view = ChatView()
    view.resize(900, 700)
    view.show()
    app.processEvents()
    gc.collect()
    gc.freeze()  # what was there before the answer is left out of the count
    view.set_messages([turn(Role.USER, "Write a long one."), turn(Role.MODEL, sized(DENSE, CHARS))])
    view.settle()
    app.processEvents()
    gc.collect()
    objects = len(gc.get_objects())
    times = []
    for _ in range(3):
        started = time.thread_time()
        gc.collect()
        times.append((time.thread_time() - started) * 1000)
    blocks = sum(len(card.blocks) for card in view.cards)
    figures = {"objects": objects, "collect_ms": statistics.median(times), "blocks": blocks}
    print(json.dumps(figures))


def run(other: str | None) -> dict[str, float]:
    """One child run's figures."""
    command = [sys.executable, str(HERE), "--child", *(["--child-other", other] if other else [])]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=600)
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the medians (and the ratio to ``--other``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--other", type=Path, help="another checkout to run too")
    parser.add_argument("--other-label", default="", help="its name in the report")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-other", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child_other)
        return 0
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"platform: {platform.platform()}, Python {platform.python_version()}")
    kinds: list[tuple[str, str | None]] = [("this checkout", None)]
    if args.other is not None:
        other = args.other.resolve()
        if not (other / "gui" / "transcript").is_dir():
            raise SystemExit(f"{other} is not a Rill checkout (no gui/transcript)")
        kinds.append((args.other_label or other.name, str(other)))
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in kinds}
    for _ in range(args.runs):
        for label, other_root in kinds:
            results[label].append(run(other_root))
    print("load average at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"\n{CHARS:,} characters of dense Markdown, open; medians of {args.runs} runs")
    print(f"{'':24}{'blocks':>10}{'objects':>12}{'full collection (ms)':>24}")
    medians: dict[str, dict[str, float]] = {}
    for label, runs in results.items():
        medians[label] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        m = medians[label]
        print(f"{label:24}{m['blocks']:10,.0f}{m['objects']:12,.0f}{m['collect_ms']:24.2f}")
    if len(kinds) == 2:
        this, that = medians[kinds[0][0]], medians[kinds[1][0]]
        print(
            f"\n{kinds[1][0]} / this checkout: objects {that['objects'] / this['objects']:.2f}x,"
            f" full collection {that['collect_ms'] / this['collect_ms']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
