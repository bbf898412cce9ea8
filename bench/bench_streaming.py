"""Streaming benchmark: a 200,000-character answer at 1,000 chunks/s into the real chat pane.

The fake Gemini server runs in a child process (its thread must not share our GIL)
and streams ``huge_text`` in 200-character chunks 1 ms apart. The answer goes through
the real path: GeminiProvider → ChatSession → the answer's Message → the pane's 60 Hz
frames → ChatView.
Measured on the UI thread:

* stall: gaps between ticks of a 1 ms heartbeat timer (p50 / p99 / max);
* latency: last chunk received → first viewport paint after the final flush;
* flush cost: one flush (a frame's worth of text + a full repaint) at 2 KB vs 200 KB;
* the same stream into ``NaiveView`` (``setMarkdown`` of the whole answer per chunk).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_streaming.py``
(or under ``xvfb-run -a`` for real X11 paints). ``--help`` lists the knobs.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.fakes is not installed

import qasync  # noqa: E402
from naive_view import NaiveView  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.bench_streaming_panes import NaivePane, build_pane  # noqa: E402
from bench.bench_streaming_report import report  # noqa: E402
from rill.core.providers.gemini import GeminiProvider  # noqa: E402
from rill.core.types import (  # noqa: E402
    Chunk,
    GenerateRequest,
    GenerationSettings,
    Message,
    Part,
    Role,
)
from rill.gui.common.theme import make_application  # noqa: E402
from tests.fakes.gemini_process import FakeGeminiProcess  # noqa: E402
from tests.fakes.gemini_scenarios import huge, huge_text  # noqa: E402
from tests.heartbeat import Heartbeat  # noqa: E402

MODEL = "gemini-2.5-flash"
Costs = dict[str, dict[int, list[float]]]  # "wall" / "cpu" -> answer size -> ms per sample


def stamp_chunks(provider: GeminiProvider, times: list[float]) -> None:
    """Record when each chunk reaches the app (after SSE parsing, before the session)."""
    original = provider.stream

    async def stream(request: GenerateRequest) -> AsyncIterator[Chunk]:
        async for chunk in original(request):
            times.append(time.perf_counter())
            yield chunk

    provider.stream = stream  # type: ignore[method-assign]


async def wait_for(condition: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step timed out")
        await asyncio.sleep(0.005)


async def run_rill(  # noqa: PLR0915 (one scripted session, step by step)
    args: argparse.Namespace, server: FakeGeminiProcess
) -> dict[str, Any]:
    """Stream through the real controller into the real chat pane; measure the UI thread."""
    provider = GeminiProvider("test-key", server.base_url)
    chunk_times: list[float] = []
    stamp_chunks(provider, chunk_times)
    pane = build_pane(provider, GenerationSettings(model=MODEL))
    view, controller = pane.view, pane.controller
    browser = view.surface

    flushes: list[tuple[int, float]] = []  # (answer length before, seconds)
    flush_marks: list[tuple[float, float]] = []  # (start, seconds), for BENCH_DEBUG
    final = {"flushed": False, "painted": 0.0}
    original_flush, original_finish = view.flush_answer, view.finish_answer

    def timed_flush() -> None:
        # A frame that found nothing new returns at once: only frames that showed text
        # are counted (the live card's count of the answer text it has taken).
        card = next((c for c in reversed(view.cards) if c.live), None)
        before = card._shown_text if card is not None else 0
        t0 = time.perf_counter()
        original_flush()
        spent = time.perf_counter() - t0
        if card is not None and card._shown_text != before:
            flushes.append((before, spent))
            flush_marks.append((t0, spent))

    def timed_finish(message: Message) -> None:
        original_finish(message)
        final["flushed"] = True

    def on_painted() -> None:
        # The answer's last text is written in slices after finish_answer: the mark is
        # the first paint once nothing is left to write.
        if final["flushed"] and not final["painted"] and not view.busy:
            final["painted"] = time.perf_counter()

    paints: list[tuple[float, float]] = []
    writes: list[tuple[float, float]] = []  # the document half of each flush
    if os.environ.get("BENCH_DEBUG"):
        original_paint = browser.paintEvent

        def timed_paint(event: Any) -> None:
            t0 = time.perf_counter()
            original_paint(event)
            paints.append((t0, time.perf_counter() - t0))

        browser.paintEvent = timed_paint  # type: ignore[method-assign]
        original_work = view._on_work_timer_timeout

        def timed_work() -> None:
            t0 = time.perf_counter()
            original_work()
            writes.append((t0, time.perf_counter() - t0))

        view._on_work_timer_timeout = timed_work  # type: ignore[method-assign]
    view.flush_answer = timed_flush  # type: ignore[method-assign]
    view.finish_answer = timed_finish  # type: ignore[method-assign]
    browser.viewport_painted.connect(on_painted)

    scenario = dataclasses.replace(
        huge(args.chars, args.chunk), delay=args.interval, usage_on_every_chunk=False
    )
    answers: asyncio.Queue[Message] = asyncio.Queue()
    controller.answer_finished.connect(lambda _chat, message: answers.put_nowait(message))
    # A short echo answer first, as a session would have had: the app's first request
    # (the model list) has already imported and connected the HTTP stack by then.
    controller.send("Hello!")
    await asyncio.wait_for(answers.get(), 30)
    await asyncio.sleep(1.0)  # the view's background warm-up (parser, lexers) is done
    final["flushed"], final["painted"] = False, 0.0
    flushes.clear()
    chunk_times.clear()
    server.push(scenario)
    heartbeat = Heartbeat()
    heartbeat.start()
    t_send = time.perf_counter()
    if os.environ.get("BENCH_PROFILE_SEND"):
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            controller.send("Write me something long.")
            await asyncio.sleep(0.15)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    else:
        controller.send("Write me something long.")
    message = await asyncio.wait_for(answers.get(), 120)
    await wait_for(lambda: bool(final["painted"]), 5)
    await asyncio.sleep(0.05)
    gaps = heartbeat.stop()
    assert message.text == huge_text(args.chars), "the answer arrived incomplete"
    assert view.plain_text().count("Paragraph") >= message.text.count("Paragraph")  # no cut

    result: dict[str, Any] = {
        "gaps": gaps,
        "chunks": len(chunk_times),
        "stream_s": chunk_times[-1] - chunk_times[0],
        "first_chunk_s": chunk_times[0] - t_send,
        "latency_ms": (final["painted"] - chunk_times[-1]) * 1000,
        "flushes": flushes,
    }
    if os.environ.get("BENCH_DEBUG"):
        ticks = heartbeat.ticks
        worst = sorted(range(len(gaps)), key=gaps.__getitem__)[-8:]
        for i in worst:
            end = (ticks[i + 1] - t_send) * 1000
            first, last = ((t - t_send) * 1000 for t in (chunk_times[0], chunk_times[-1]))
            print(f"gap {gaps[i]:6.1f} ms ending {end:7.1f} ms after send", end="")
            print(f" (chunks {first:.0f}-{last:.0f} ms)")
            lo, hi = ticks[i], ticks[i + 1]
            for label, marks in (("flush", flush_marks), ("write", writes), ("paint", paints)):
                for t, d in marks:
                    if lo <= t <= hi:
                        print(f"    {label} at +{(t - lo) * 1000:5.1f} ms took {d * 1000:5.1f} ms")
    result["flushes"] = list(flushes)
    probe = build_pane(provider, GenerationSettings(model=MODEL))
    result["flush_cost"] = measure_flush_cost(args, probe, pane, args.reps)
    probe.close()
    await probe.controller.shutdown()
    await probe.launcher.shutdown()
    pane.close()
    await controller.shutdown()
    await pane.launcher.shutdown()
    return result


def measure_flush_cost(args: argparse.Namespace, small: Any, large: Any, reps: int) -> Costs:
    """Time one flush (a frame's worth of text, written, then a full repaint) at each size.

    Two panes, sampled in turn, so a burst of load from elsewhere hits both sizes alike:
    ``small`` is reset to ``args.small`` characters before each sample, ``large`` is
    filled to ``args.chars`` once and then only grows (the harder case). Wall time and
    the UI thread's own CPU time (which other processes cannot inflate) are recorded.
    """
    app = QApplication.instance()
    assert app is not None
    text = huge_text(args.chars + args.frame_chars * (reps + 1))
    costs: Costs = {
        "wall": {args.small: [], args.chars: []},
        "cpu": {args.small: [], args.chars: []},
    }
    large.reset_answer(text[: args.chars])
    at = args.chars
    for _ in range(reps):
        small.reset_answer(text[: args.small])
        app.processEvents()
        for pane, size, start in ((small, args.small, args.small), (large, args.chars, at)):
            wall, cpu = time.perf_counter(), time.thread_time()
            pane.flush(text[start : start + args.frame_chars])
            pane.repaint()
            costs["cpu"][size].append((time.thread_time() - cpu) * 1000)
            costs["wall"][size].append((time.perf_counter() - wall) * 1000)
        at += args.frame_chars
    return costs


async def run_naive(args: argparse.Namespace, server: FakeGeminiProcess) -> dict[str, Any]:
    """The same stream into NaiveView, one setMarkdown of the whole answer per chunk."""
    provider = GeminiProvider("test-key", server.base_url)
    pane = NaivePane(NaiveView())
    scenario = dataclasses.replace(
        huge(args.chars, args.chunk), delay=args.interval, usage_on_every_chunk=False
    )
    server.push(scenario)
    await asyncio.sleep(0.3)
    request = GenerateRequest(
        contents=(Message(Role.USER, [Part.from_text("Write me something long.")]),),
        settings=GenerationSettings(model=MODEL),
    )
    heartbeat = Heartbeat()
    heartbeat.start()
    t0 = time.perf_counter()
    received = 0
    complete = True
    elapsed = 0.0
    gaps: list[float] = []
    # Past the budget the rest is only read (not shown), so the stream ends normally.
    async for chunk in provider.stream(request):
        if complete:
            pane.view.append_to_answer(chunk.text, "")
            received += len(chunk.text)
            if time.perf_counter() - t0 > args.naive_budget:
                complete = False
                elapsed, gaps = time.perf_counter() - t0, heartbeat.stop()
    if complete:
        elapsed, gaps = time.perf_counter() - t0, heartbeat.stop()
    result = {"gaps": gaps, "received": received, "elapsed": elapsed, "complete": complete}
    probe = NaivePane(NaiveView())
    result["flush_cost"] = measure_flush_cost(args, probe, pane, args.naive_reps)
    probe.close()
    pane.close()
    await provider.aclose()
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=200_000, help="answer length")
    parser.add_argument("--chunk", type=int, default=200, help="characters per chunk")
    parser.add_argument("--interval", type=float, default=0.001, help="seconds between chunks")
    parser.add_argument("--small", type=int, default=2_000, help="small answer size for flush cost")
    parser.add_argument("--frame-chars", type=int, default=3_300, help="text per measured flush")
    parser.add_argument("--reps", type=int, default=30, help="flush samples per size (Rill)")
    parser.add_argument("--naive-reps", type=int, default=5, help="samples per size (naive)")
    parser.add_argument("--naive-budget", type=float, default=20.0, help="naive stream seconds")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The window saves geometry and settings: keep them out of the real profile.
    os.environ["RILL_HOME"] = tempfile.mkdtemp(prefix="rill-bench-")
    app = QApplication.instance() or make_application(sys.argv[:1])  # as the app makes it
    app.setQuitOnLastWindowClosed(False)  # closing one pane must not end the run
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with FakeGeminiProcess() as server:

        async def both() -> tuple[dict[str, Any], dict[str, Any] | None]:
            rill = await run_rill(args, server)
            naive = None if args.no_naive else await run_naive(args, server)
            return rill, naive

        with loop:
            rill, naive = loop.run_until_complete(both())
    return 0 if report(args, rill, naive) else 1


if __name__ == "__main__":
    raise SystemExit(main())
