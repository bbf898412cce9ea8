"""The printed report of ``bench_streaming.py``: figures, targets, verdicts."""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
from typing import Any

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def stall_line(gaps: list[float]) -> str:
    return (
        f"p50 {percentile(gaps, 50):5.1f} ms   p99 {percentile(gaps, 99):5.1f} ms   "
        f"max {max(gaps):6.1f} ms   ({len(gaps)} ticks)"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(args: argparse.Namespace, rill: dict[str, Any], naive: dict[str, Any] | None) -> bool:
    small, large = args.small, args.chars
    qpa = os.environ.get("QT_QPA_PLATFORM")
    print(f"command: {shlex.join([*([f'QT_QPA_PLATFORM={qpa}'] if qpa else []), *sys.orig_argv])}")
    print(
        f"platform: {QApplication.platformName()}, Qt {qVersion()}, PySide6 {PySide6.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    print("load average at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(
        f"stream: {args.chars:,} chars in {args.chars // args.chunk:,} chunks of {args.chunk} "
        f"chars, {args.interval * 1000:g} ms apart, fake Gemini server in a child process"
    )
    print()
    print("Rill chat pane (GeminiProvider → ChatSession → Message → ChatView's 60 Hz frames)")
    print(
        f"  chunks received        {rill['chunks']:,} in {rill['stream_s']:.2f} s "
        f"({rill['chunks'] / rill['stream_s']:,.0f}/s), {len(rill['flushes'])} flushes"
    )
    gaps = rill["gaps"]
    stall_ok = percentile(gaps, 99) <= 16 and max(gaps) <= 50
    print(f"  main-thread stall      {stall_line(gaps)}")
    print(f"{'':25}target p99 ≤ 16 ms, max ≤ 50 ms: {verdict(stall_ok)}")
    latency_ok = rill["latency_ms"] <= 100
    print(
        f"  last chunk → painted   {rill['latency_ms']:5.1f} ms"
        f"   target ≤ 100 ms: {verdict(latency_ok)}"
    )
    cost = rill["flush_cost"]
    wall = {n: statistics.median(v) for n, v in cost["wall"].items()}
    cpu = {n: statistics.median(v) for n, v in cost["cpu"].items()}
    ratio = cpu[large] / cpu[small]
    ratio_ok = ratio <= 2
    print(
        f"  one flush + repaint    {wall[small]:5.2f} ms at {small / 1000:g} KB, "
        f"{wall[large]:5.2f} ms at {large / 1000:g} KB wall"
        f" (ratio {wall[large] / wall[small]:.2f});"
    )
    print(
        f"{'':25}{cpu[small]:5.2f} ms at {small / 1000:g} KB, {cpu[large]:5.2f} ms at "
        f"{large / 1000:g} KB UI-thread CPU (medians of {len(cost['cpu'][small])} pairs)"
    )
    print(f"{'':25}ratio (CPU) {ratio:4.2f}   target ≤ 2: {verdict(ratio_ok)}")
    print(
        f"{'':25}(one flush = {args.frame_chars:,} chars, a 60 Hz frame of this stream, "
        "written and fully repainted)"
    )
    live = rill["flushes"]
    head = [s * 1000 for n, s in live if n < large // 4]
    tail = [s * 1000 for n, s in live if n >= large * 3 // 4]
    if head and tail:
        print(
            f"  flush_answer           median {statistics.median(head):.2f} ms in the first quarter"
            f" of the answer, {statistics.median(tail):.2f} ms in the last;"
            f" max {max(s * 1000 for _, s in live):.1f} ms"
        )
    ok = stall_ok and latency_ok and ratio_ok
    if naive is not None:
        print()
        print("Naive view (QTextEdit.setMarkdown of the whole answer per chunk), same stream")
        budget = f"stopped at the {args.naive_budget:g} s budget"
        state = "all of it" if naive["complete"] else budget
        print(f"  received               {naive['received']:,} chars in {naive['elapsed']:.1f} s")
        print(f"{'':25}({state})")
        print(f"  main-thread stall      {stall_line(naive['gaps'])}")
        n_cost = naive["flush_cost"]
        n_wall = {n: statistics.median(v) for n, v in n_cost["wall"].items()}
        print(
            f"  one update + repaint   {n_wall[small]:5.2f} ms at {small / 1000:g} KB, "
            f"{n_wall[large]:7.2f} ms at {large / 1000:g} KB,"
            f" ratio {n_wall[large] / n_wall[small]:,.0f}"
        )
        print()
        print(
            f"naive / Rill, one update at {large / 1000:g} KB:"
            f" {n_wall[large] / wall[large]:,.0f}×   "
            f"stall p99: {percentile(naive['gaps'], 99) / percentile(gaps, 99):,.1f}×   "
            f"stall max: {max(naive['gaps']) / max(gaps):,.1f}×"
        )
    print()
    print("RESULT:", "all targets met" if ok else "TARGET MISSED")
    return ok
