"""Every benchmark in its quick mode, one after another: ``make bench``.

A quick run checks that each script still works and gives a first look at its
figures; the figures quoted in issues come from a script's full run (bench/README.md).
Each script prints its own command, figures and targets; this one prints a summary
and exits 1 when a script failed or missed a target.

    .venv/bin/python bench/run_all.py [--only NAME]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Script -> the arguments of its quick mode. Every bench_*.py that runs as a script must
# be listed: a new benchmark without a quick mode fails here instead of being skipped.
QUICK: dict[str, list[str]] = {
    "bench_append.py": ["--chars", "100000", "--small", "20000", "--runs", "2"],
    "bench_attach_ui.py": ["--count", "3", "--size", "2000x1500", "--cold-only"],
    "bench_chunk_path.py": ["--chunks", "2000", "--runs", "2"],
    "bench_cli_startup.py": ["--runs", "3"],
    "bench_collector.py": ["--runs", "2", "--settle", "1"],
    "bench_documents.py": ["--quick"],
    "bench_history_ui.py": ["--scale", "0.05"],
    "bench_images.py": ["--count", "3", "--size", "2000x1500"],
    "bench_input_limits.py": ["--runs", "1"],
    "bench_local.py": ["--runs", "2", "--max-tokens", "16"],
    "bench_markdown.py": ["--quick"],
    "bench_math.py": ["--runs", "1", "--formulas", "40"],
    "bench_mcp.py": ["--calls", "30", "--starts", "2"],
    "bench_open_long_answer.py": ["--runs", "2"],
    "bench_tool_roundtrip.py": ["--rounds", "20"],
    "bench_store.py": ["--scale", "0.05"],
    "bench_store_marks.py": ["--runs", "2", "--ops", "300"],
    "bench_startup.py": ["--quick"],
    "bench_surface.py": ["--quick"],
    "bench_surface_candidates.py": ["--quick"],
    "bench_scrollbar.py": ["--paints", "50", "--rounds", "2"],
    "bench_streaming.py": ["--chars", "50000", "--reps", "5", "--naive-budget", "3"],
}


def scripts() -> list[Path]:
    """The benchmark scripts: bench_*.py files that run as ``__main__``."""
    found = sorted(HERE.glob("bench_*.py"))
    return [p for p in found if 'if __name__ == "__main__":' in p.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark's quick mode; 0 when all of them passed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="only scripts whose name contains this")
    args = parser.parse_args(argv)
    missing = [p.name for p in scripts() if p.name not in QUICK]
    if missing:
        print(f"no quick mode listed in run_all.py for: {', '.join(missing)}", file=sys.stderr)
        return 2
    env = {**os.environ}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    results: list[tuple[str, int, float]] = []
    for script in scripts():
        if args.only not in script.name:
            continue
        command = [sys.executable, str(script), *QUICK[script.name]]
        print(f"\n=== {script.name} {' '.join(QUICK[script.name])}", flush=True)
        started = time.monotonic()
        code = subprocess.run(command, env=env, check=False).returncode
        results.append((script.name, code, time.monotonic() - started))
    print("\n=== summary")
    for name, code, seconds in results:
        print(f"{'ok  ' if code == 0 else 'FAIL'} {name} ({seconds:.0f} s, exit {code})")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
