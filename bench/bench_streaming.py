"""Streaming benchmark: a 200,000-character answer at 1,000 chunks/s into the real chat pane.

The fake Gemini server runs in a child process (its thread must not share our GIL)
and streams ``huge_text`` in 200-character chunks 1 ms apart. The answer goes through
the real path: GeminiProvider → ChatSession → ChatController's 60 Hz flush → ChatView.
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
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.fakes is not installed

import PySide6  # noqa: E402
import qasync  # noqa: E402
from PySide6.QtCore import QObject, Qt, QTimer, qVersion  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.bench_streaming_panes import NaivePane, build_pane  # noqa: E402
from rill.core.providers.gemini import GeminiProvider  # noqa: E402
from rill.core.types import (  # noqa: E402
    Chunk,
    GenerateRequest,
    GenerationSettings,
    Message,
    Part,
    Role,
)
from rill.gui.naive_view import NaiveView  # noqa: E402
from tests.fakes.gemini_process import FakeGeminiProcess  # noqa: E402
from tests.fakes.gemini_scenarios import huge, huge_text  # noqa: E402

MODEL = "gemini-2.5-flash"


class Heartbeat(QObject):
    """A 1 ms timer; the gaps between its ticks are the UI thread's stalls."""

    def __init__(self) -> None:
        super().__init__()
        self.ticks: list[float] = []
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self._timer.start()

    def stop(self) -> list[float]:
        self._timer.stop()
        return [(b - a) * 1000 for a, b in zip(self.ticks, self.ticks[1:], strict=False)]

    def _on_timer_timeout(self) -> None:
        self.ticks.append(time.perf_counter())


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


async def run_rill(args: argparse.Namespace, server: FakeGeminiProcess) -> dict[str, Any]:
    """Stream through the real controller into the real chat pane; measure the UI thread."""
    provider = GeminiProvider("test-key", server.base_url)
    chunk_times: list[float] = []
    stamp_chunks(provider, chunk_times)
    pane = build_pane(provider, GenerationSettings(model=MODEL))
    view, controller = pane.view, pane.controller
    browser = view.browser

    flushes: list[tuple[int, float]] = []  # (answer length before, seconds)
    flush_marks: list[tuple[float, float]] = []  # (start, seconds), for BENCH_DEBUG
    final = {"flushed": False, "painted": 0.0}
    original_append, original_finish = view.append_to_answer, view.finish_answer
    shown = [0]

    def timed_append(text: str, thought: str) -> None:
        t0 = time.perf_counter()
        original_append(text, thought)
        flushes.append((shown[0], time.perf_counter() - t0))
        flush_marks.append((t0, time.perf_counter() - t0))
        shown[0] += len(text)

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
        transcript = view._transcript
        original_advance = transcript.advance_live

        def timed_advance(entry: Any, deadline: float) -> bool:
            t0 = time.perf_counter()
            settled = original_advance(entry, deadline)
            writes.append((t0, time.perf_counter() - t0))
            return settled

        transcript.advance_live = timed_advance  # type: ignore[method-assign]
    view.append_to_answer = timed_append  # type: ignore[method-assign]
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
    shown[0] = 0
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
    assert view.plain_text().count("Paragraph") >= message.text.count("Paragraph")

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
    result["flush_cost"] = measure_flush_cost(args, pane, rill=True)
    pane.close()
    await controller.shutdown()
    await pane.launcher.shutdown()
    return result


def measure_flush_cost(
    args: argparse.Namespace, pane: Any, *, rill: bool
) -> dict[int, list[float]]:
    """Time one flush (a frame's worth of text, then a full repaint) at each answer size.

    Sizes are reached by one untimed append; at the small size the answer is reset for
    every sample, at the large one the samples follow each other (so the answer only
    grows past the size, which is the harder case).
    """
    app = QApplication.instance()
    assert app is not None
    text = huge_text(args.chars + args.frame_chars * (args.reps + 1))
    costs: dict[int, list[float]] = {}
    for size in (args.small, args.chars):
        samples: list[float] = []
        reps = args.reps if rill else args.naive_reps
        for rep in range(reps):
            if rep == 0 or size == args.small:
                prefill = text[:size]
                pane.reset_answer(prefill)
                app.processEvents()
                at = size
            t0 = time.perf_counter()
            pane.flush(text[at : at + args.frame_chars])
            pane.repaint()
            samples.append((time.perf_counter() - t0) * 1000)
            at += args.frame_chars
        costs[size] = samples
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
    stream = provider.stream(request)
    complete = True
    async for chunk in stream:
        pane.view.append_to_answer(chunk.text, "")
        received += len(chunk.text)
        if time.perf_counter() - t0 > args.naive_budget:
            complete = False
            break
    await stream.aclose()  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - t0
    gaps = heartbeat.stop()
    result = {"gaps": gaps, "received": received, "elapsed": elapsed, "complete": complete}
    result["flush_cost"] = measure_flush_cost(args, pane, rill=False)
    pane.close()
    await provider.aclose()
    return result


def report(args: argparse.Namespace, rill: dict[str, Any], naive: dict[str, Any] | None) -> bool:
    small, large = args.small, args.chars
    platform_env = "QT_QPA_PLATFORM=" + os.environ.get("QT_QPA_PLATFORM", "")
    print(f"command: {shlex.join([platform_env, *sys.orig_argv])}")
    print(
        f"platform: {QApplication.platformName()}, Qt {qVersion()}, PySide6 {PySide6.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(
        f"stream: {args.chars:,} chars in {args.chars // args.chunk:,} chunks of {args.chunk} "
        f"chars, {args.interval * 1000:g} ms apart, fake Gemini server in a child process"
    )
    print()
    print("Rill chat pane (GeminiProvider → ChatSession → ChatController 60 Hz flush → ChatView)")
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
    m_small, m_large = statistics.median(cost[small]), statistics.median(cost[large])
    ratio_ok = m_large / m_small <= 2
    print(
        f"  one flush + repaint    {m_small:5.2f} ms at {small / 1000:g} KB, "
        f"{m_large:5.2f} ms at {large / 1000:g} KB (medians of {len(cost[small])})"
    )
    print(f"{'':25}ratio {m_large / m_small:4.2f}   target ≤ 2: {verdict(ratio_ok)}")
    print(
        f"{'':25}(one flush = {args.frame_chars:,} chars, a 60 Hz frame of this stream, "
        "then a full repaint)"
    )
    live = rill["flushes"]
    head = [s * 1000 for n, s in live if n < large // 4]
    tail = [s * 1000 for n, s in live if n >= large * 3 // 4]
    if head and tail:
        print(
            f"  append_to_answer       median {statistics.median(head):.2f} ms in the first quarter"
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
        n_small, n_large = statistics.median(n_cost[small]), statistics.median(n_cost[large])
        print(
            f"  one update + repaint   {n_small:5.2f} ms at {small / 1000:g} KB, "
            f"{n_large:7.2f} ms at {large / 1000:g} KB, ratio {n_large / n_small:,.0f}"
        )
        print()
        print(
            f"naive / Rill, one update at {large / 1000:g} KB: {n_large / m_large:,.0f}×   "
            f"stall p99: {percentile(naive['gaps'], 99) / percentile(gaps, 99):,.1f}×   "
            f"stall max: {max(naive['gaps']) / max(gaps):,.1f}×"
        )
    print()
    print("RESULT:", "all targets met" if ok else "TARGET MISSED")
    return ok


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
    app = QApplication.instance() or QApplication(sys.argv[:1])
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
