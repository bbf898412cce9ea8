"""A long answer in tiny deltas: ``Message.append_part`` and the frames, before and after.

A local server sends one token per chunk, so a long answer arrives a few characters
at a time. This streams ``--chars`` characters (1 MB) in ``--chunk``-character parts
(4) two ways, alternating runs in one process:

* append: every part through ``append_part``, then the text read once;
* frames: the same, plus what the window does per display frame (every 16 ms of a
  stream at ``--rate`` chunks/s): the text that arrived since the last frame.

"before" is the rule as it was, kept here as the baseline: a new string per merged
delta (``last.text + part.text``), and the controller's buffer of chunk texts joined
per frame. "after" is ``Message.append_part`` and what the pane's live card reads per
frame (``Card.unseen``: ``Message.text_after`` for the text and the thoughts). Times
are the thread's CPU time, medians of ``--runs``;
the same stream at ``--small`` characters shows how each grows with the answer.

    .venv/bin/python bench/bench_append.py [--chars 1000000] [--chunk 4] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from rill.core.types import Message, MessageStatus, Part, Role
from rill.gui.transcript.view import FRAME_MS

Stream = Callable[[Sequence[Part], int], None]  # (parts, chunks per frame; 0: no frames)


def old_append(parts: list[Part], part: Part) -> None:
    """``Message.append_part`` before the growing run: a new string per merged delta."""
    last = parts[-1] if parts else None
    if (
        last is not None
        and part.text is not None
        and last.text is not None
        and last.thought == part.thought
        and last.thought_signature is None
        and last.data is None
        and last.file_uri is None
    ):
        parts[-1] = replace(
            last, text=last.text + part.text, thought_signature=part.thought_signature
        )
    elif part.text == "" and part.thought_signature is None:
        return
    else:
        parts.append(part)


def stream_before(chunks: Sequence[Part], per_frame: int) -> None:
    """The old path: the answer grows by concatenation; the controller kept each chunk's
    text in a buffer and joined it once per frame."""
    parts: list[Part] = []
    buffer: list[str] = []
    shown = 0
    for n, chunk in enumerate(chunks, 1):
        old_append(parts, chunk)
        if per_frame:
            buffer.append(chunk.text or "")
            if n % per_frame == 0:
                shown += len("".join(buffer))
                buffer.clear()
    assert "".join(p.text or "" for p in parts)


class _Frames:
    """The live card's side of a frame (``Card.unseen``): what the answer gained since
    the last one, its text and its thoughts."""

    def __init__(self, answer: Message) -> None:
        self.answer = answer
        self.text = self.thought = 0

    def take(self) -> None:
        self.text += len(self.answer.text_after(self.text))
        self.thought += len(self.answer.text_after(self.thought, thought=True))


def stream_after(chunks: Sequence[Part], per_frame: int) -> None:
    """Today's path: ``Message.append_part``; a frame is what the live card reads."""
    answer = Message(Role.MODEL, status=MessageStatus.STREAMING)
    frames = _Frames(answer)
    for n, chunk in enumerate(chunks, 1):
        answer.append_part(chunk)
        if per_frame and n % per_frame == 0:
            frames.take()
    frames.take()
    assert answer.text and (not per_frame or frames.text == len(answer.text))


def cpu_ms(stream: Stream, chunks: Sequence[Part], per_frame: int) -> float:
    """The thread's CPU time for one stream, in milliseconds."""
    started = time.thread_time()
    stream(chunks, per_frame)
    return (time.thread_time() - started) * 1000


def measure(args: argparse.Namespace, size: int, runs: int) -> dict[str, list[float]]:
    """CPU ms per run for each (path, before/after) at ``size`` characters, alternating."""
    text = ("Streaming one token at a time, the answer grows. " * (size // 50 + 1))[:size]
    chunks = [Part.from_text(text[i : i + args.chunk]) for i in range(0, size, args.chunk)]
    per_frame = max(1, round(args.rate * FRAME_MS / 1000))
    out: dict[str, list[float]] = {}
    for _ in range(runs):
        for label, frames in (("append", 0), ("frames", per_frame)):
            for when, stream in (("before", stream_before), ("after", stream_after)):
                out.setdefault(f"{label} {when}", []).append(cpu_ms(stream, chunks, frames))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the medians and ratios; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1_000_000, help="answer length")
    parser.add_argument("--small", type=int, default=100_000, help="a shorter answer")
    parser.add_argument("--chunk", type=int, default=4, help="characters per part")
    parser.add_argument("--rate", type=int, default=1000, help="chunks per second")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"platform: {platform.platform()}, Python {platform.python_version()}")
    per_frame = max(1, round(args.rate * FRAME_MS / 1000))
    print(
        f"stream: {args.chars:,} characters in {args.chunk}-character parts "
        f"({-(-args.chars // args.chunk):,} parts); frames: one every {per_frame} parts "
        f"({FRAME_MS} ms at {args.rate:,} parts/s); {args.runs} runs, medians of CPU time"
    )
    big = {k: statistics.median(v) for k, v in measure(args, args.chars, args.runs).items()}
    small = {k: statistics.median(v) for k, v in measure(args, args.small, args.runs).items()}
    print("load average at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"\n{'':16}{'before':>12}{'after':>12}{'before/after':>14}")
    for label in ("append", "frames"):
        before, after = big[f"{label} before"], big[f"{label} after"]
        print(f"{label + ' (ms)':16}{before:12.1f}{after:12.1f}{before / after:14.1f}")
    print(f"\nper part, {args.small:,} → {args.chars:,} characters (µs; flat = O(delta)):")
    grows_ok = True
    for key in big:
        per_small = small[key] * 1000 / (args.small / args.chunk)
        per_big = big[key] * 1000 / (args.chars / args.chunk)
        growth = per_big / per_small
        if key.endswith("after"):
            grows_ok = grows_ok and growth <= 1.5
        print(f"  {key:14}{per_small:9.2f} →{per_big:9.2f}   ×{growth:.2f}")
    verdict = "ok" if grows_ok else "MISSED"
    print(f"\ntarget: after, the cost per part grows ≤ 1.5× over the answer: {verdict}")
    return 0 if grows_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
