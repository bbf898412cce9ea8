"""The core's half of a chunk's walk, alone: what each streamed chunk costs from the
socket to the answer's ``Message``, with no window.

A fake Gemini server in a child process (its thread must not share our GIL) sends a
``--chunks``-chunk answer of ``--chunk`` characters each, as fast as it can; one
``ChatSession`` per run reads it through ``GeminiProvider`` (the read loop, the
decode, retry's opening, the session's absorb). Measured in this process: the main
thread's CPU time per chunk (µs) and the chunks per second, medians of ``--runs``
(after one warm-up run).

    .venv/bin/python bench/bench_chunk_path.py [--chunks 20000] [--chunk 20] [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

from rill.core.chat import ChatSession
from rill.core.providers.gemini import GeminiProvider
from rill.core.types import GenerationSettings
from tests.fakes.gemini_process import FakeGeminiProcess
from tests.fakes.gemini_scenarios import huge


async def one_run(server: FakeGeminiProcess, chunks: int, size: int) -> tuple[float, float]:
    """(CPU µs per chunk on this thread, chunks per second) for one answer."""
    scenario = dataclasses.replace(huge(chunks * size, size), usage_on_every_chunk=False)
    server.push(scenario)
    provider = GeminiProvider("test-key", server.base_url, read_timeout=60.0)
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"))
    got = 0
    cpu, wall = time.thread_time(), time.perf_counter()
    async for chunk in session.send_message_stream("Write me something long."):
        got += bool(chunk.parts)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    await provider.aclose()
    assert got >= chunks, f"{got} of {chunks} chunks"
    return cpu / got * 1e6, got / wall


async def main_async(args: argparse.Namespace) -> int:
    with FakeGeminiProcess() as server:
        await one_run(server, min(args.chunks, 2000), args.chunk)  # imports, connection
        runs = [await one_run(server, args.chunks, args.chunk) for _ in range(args.runs)]
    cpu = statistics.median(r[0] for r in runs)
    rate = statistics.median(r[1] for r in runs)
    print(f"bench_chunk_path: {args.chunks:,} chunks of {args.chunk} chars, medians of "
          f"{args.runs} runs; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"  CPU per chunk (main thread)  {cpu:8.1f} µs")
    print(f"  chunks per second            {rate:8.0f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=20, help="characters per chunk")
    parser.add_argument("--runs", type=int, default=7)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
