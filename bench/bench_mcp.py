"""What Rill's MCP layer costs on top of the SDK, and what a stdio server costs to run.

- **Call overhead**: one call of a tool that answers at once (``echo`` of
  ``tests/fakes/mcp_server.py``, the SDK's own server, over stdio) through
  ``ToolServers.call`` against the bare SDK (``mcp.Client.call_tool``) on a second
  copy of the same server, alternating, in one process; medians and their difference.
- **Start and stop**: from ``start`` to READY (process, handshake, tool list) and from
  ``stop`` to the process gone, for the fault server and ``mcp-server-time``; medians.
- **The UI thread** (``--qasync``): the same on the window's loop (a QApplication
  with a qasync loop), with a 1 ms heartbeat timer: its longest gap while a server
  starts and while a 1 MB result comes back, wall time and the UI thread's CPU time.

    .venv/bin/python bench/bench_mcp.py [--calls 300] [--starts 7] [--qasync]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import statistics
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from rill.core.tool_settings import ServerConfig, ToolSettings  # noqa: E402
from rill.core.tools.manager import ToolServers  # noqa: E402
from rill.core.tools.model import ServerState  # noqa: E402
from tests.core.tools.support import fake_config, time_config  # noqa: E402

# Issue 17's budget for Rill's whole round trip (call decoded → result sent → next
# chunk shown); this layer is one part of it.
ROUND_TRIP_BUDGET_MS = 50.0


async def call_overhead(calls: int, quiet: TextIO) -> tuple[float, float]:
    """Median ms per call through ToolServers and through the bare SDK (whose server
    writes its log to ``quiet``)."""
    config = fake_config()
    servers = ToolServers(ToolSettings(servers={"fake": config}))
    params = StdioServerParameters(command=config.command, args=list(config.args), env=config.env)
    ours: list[float] = []
    bare: list[float] = []
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(Client(stdio_client(params, errlog=quiet)))
        await servers.tools("fake")
        for n in range(calls + 20):  # the first 20 warm both paths up
            text = f"ping {n}"
            started = time.perf_counter()
            result = await servers.call("fake", "echo", {"text": text})
            middle = time.perf_counter()
            raw = await client.call_tool("echo", {"text": text})
            ended = time.perf_counter()
            assert result.text == text and not raw.is_error
            if n >= 20:
                ours.append((middle - started) * 1000)
                bare.append((ended - middle) * 1000)
        await servers.shutdown()
    return statistics.median(ours), statistics.median(bare)


async def start_stop(config: ServerConfig, runs: int) -> tuple[float, float]:
    """Median ms from start to READY and from stop to stopped."""
    starts: list[float] = []
    stops: list[float] = []
    for _ in range(runs):
        servers = ToolServers(ToolSettings(servers={"s": config}))
        started = time.perf_counter()
        await servers.tools("s")
        ready = time.perf_counter()
        await servers.stop("s")
        stopped = time.perf_counter()
        assert servers.status("s").state is ServerState.STOPPED
        starts.append((ready - started) * 1000)
        stops.append((stopped - ready) * 1000)
        await servers.shutdown()
    return statistics.median(starts), statistics.median(stops)


async def plain(args: argparse.Namespace, quiet: TextIO) -> bool:
    ours, bare = await call_overhead(args.calls, quiet)
    print(
        f"call of echo, median of {args.calls}: ToolServers {ours:.3f} ms, bare SDK {bare:.3f} ms"
    )
    print(f"  Rill's overhead per call: {ours - bare:.3f} ms (ratio {ours / bare:.2f})")
    for name, config in (
        ("fault server (SDK MCPServer)", fake_config()),
        ("mcp-server-time", time_config()),
    ):
        start, stop = await start_stop(config, args.starts)
        print(
            f"{name}: start to READY {start:.0f} ms, stop {stop:.0f} ms (median of {args.starts})"
        )
    ok = ours - bare <= ROUND_TRIP_BUDGET_MS
    print(
        f"target: overhead <= {ROUND_TRIP_BUDGET_MS:.0f} ms (the whole round trip's budget): "
        f"{'met' if ok else 'MISSED'}"
    )
    return ok


def on_qasync(args: argparse.Namespace, quiet: TextIO) -> None:
    """The UI thread's longest stall while a server starts and a 1 MB result arrives."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from tests.heartbeat import Heartbeat

    app = QApplication.instance() or QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def measure() -> None:
        servers = ToolServers(ToolSettings(servers={"fake": fake_config()}))
        beat = Heartbeat()
        beat.start()
        await servers.tools("fake")
        start_gaps, start_cpu = _worst(beat)
        ours, bare = await call_overhead(args.calls, quiet)
        print(
            f"qasync: call of echo, median of {args.calls}: ToolServers {ours:.3f} ms, "
            f"bare SDK {bare:.3f} ms, overhead {ours - bare:.3f} ms"
        )
        worst: list[tuple[float, float]] = []
        for _ in range(5):
            beat.start()
            result = await servers.call("fake", "text_of", {"size": 1_000_000})
            assert len(result.text) == 1_000_000 and not result.notes
            worst.append(_worst(beat))
        beat.stop()
        await servers.shutdown()
        print(
            f"qasync: longest UI-thread gap while a server starts: {start_gaps:.1f} ms "
            f"({start_cpu:.1f} ms of it the UI thread's CPU)"
        )
        gap, cpu = max(worst)
        print(
            f"qasync: longest gap while a 1 MB result arrives (worst of 5): {gap:.1f} ms "
            f"({cpu:.1f} ms CPU)"
        )

    with loop:
        loop.run_until_complete(measure())


def _worst(beat: Any) -> tuple[float, float]:
    """The longest gap between heartbeat ticks so far (ms) and the UI thread's CPU in it."""
    beat.tick()
    ticks, cpu = beat.ticks, beat.cpu
    gaps = [(ticks[i + 1] - ticks[i], cpu[i + 1] - cpu[i]) for i in range(len(ticks) - 1)]
    gap, spent = max(gaps) if gaps else (0.0, 0.0)
    return gap * 1000, spent * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--qasync", action="store_true", help="also on a qasync loop")
    args = parser.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(
        "platform:",
        platform.platform(),
        "python",
        platform.python_version(),
        "load",
        " ".join(f"{x:.1f}" for x in os.getloadavg()),
    )
    with open(os.devnull, "w") as quiet:
        ok = asyncio.run(plain(args, quiet))
        if args.qasync:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            on_qasync(args, quiet)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
