"""Rill's own overhead for one tool round trip of the function-calling loop.

The path measured (issue 17's performance item): a Gemini answer's function call is
decoded → the call is decided (a consent callback that allows at once) → the tool runs
through ``ToolServers`` (``echo`` of ``tests/fakes/mcp_server.py``, the SDK's own
server over stdio, which answers at once) → the functionResponse goes out in the next
request → the next chunk is shown (yielded by ``ChatSession``).

What is not Rill's is measured in the same run and taken away: the tool's own time (the
same ``echo`` through the bare SDK, ``mcp.Client.call_tool``, on a second copy of the
server) and the model's (the same follow-up request, same history, sent straight to
``GeminiProvider.stream``, to its first chunk). The fake Gemini server runs in a child
process, so its thread never competes for this one's GIL. Rounds alternate with the two
baselines; medians.

    .venv/bin/python bench/bench_tool_roundtrip.py [--rounds 200]
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

from rill.core.chat import ChatSession  # noqa: E402
from rill.core.providers.gemini import GeminiProvider  # noqa: E402
from rill.core.tool_loop import CallRequest, ToolLoop  # noqa: E402
from rill.core.tool_settings import ToolSettings  # noqa: E402
from rill.core.tools import Decision  # noqa: E402
from rill.core.tools.manager import ToolServers  # noqa: E402
from rill.core.types import GenerateRequest, GenerationSettings  # noqa: E402
from tests.core.tools.support import fake_config  # noqa: E402
from tests.fakes import gemini_scenarios as sc  # noqa: E402
from tests.fakes.gemini_process import FakeGeminiProcess  # noqa: E402
from tests.fakes.gemini_scenarios import DEFAULT_SIGNATURE, Scenario  # noqa: E402

BUDGET_MS = 50.0  # issue 17: Rill's own overhead per round trip, median
MODEL = "gemini-2.5-flash"


async def allow(request: CallRequest) -> Decision:
    return Decision.ALLOW_ONCE


def call_scenario(n: int) -> Scenario:
    part = {
        "functionCall": {"id": f"c{n}", "name": "fake__echo", "args": {"text": f"ping {n}"}},
        "thoughtSignature": DEFAULT_SIGNATURE,
    }
    return Scenario(raw_parts=((part,),), label="call")


async def one_round(
    fake: FakeGeminiProcess, session: ChatSession, n: int
) -> tuple[float, GenerateRequest]:
    """ms from the call's chunk to the next chunk, and the follow-up request it sent."""
    fake.push(call_scenario(n), sc.stream(["ok"]))
    called_at = 0.0
    elapsed = 0.0
    async for chunk in session.send_message_stream(f"round {n}"):
        if any(p.function_call for p in chunk.parts):
            called_at = time.perf_counter()
        elif called_at and not elapsed and any(p.text for p in chunk.parts):
            elapsed = (time.perf_counter() - called_at) * 1000
    answer = session.last_answer
    assert answer is not None
    request = GenerateRequest(contents=(session.history[-2], answer), settings=session.settings)
    return elapsed, request


async def model_alone(fake: FakeGeminiProcess, provider: GeminiProvider, request: Any) -> float:
    """ms from sending the same follow-up request to its first chunk, straight."""
    fake.push(sc.stream(["ok"]))
    started = time.perf_counter()
    first = 0.0
    async for chunk in provider.stream(request):
        if not first and chunk.parts:
            first = (time.perf_counter() - started) * 1000
    return first


async def run(rounds: int, quiet: TextIO) -> tuple[list[float], list[float], list[float]]:
    config = fake_config()
    tools = ToolSettings(servers={"fake": config})
    servers = ToolServers(tools)
    params = StdioServerParameters(command=config.command, args=list(config.args), env=config.env)
    trips: list[float] = []
    bare_tool: list[float] = []
    bare_model: list[float] = []
    with FakeGeminiProcess() as fake:
        provider = GeminiProvider("test-key", fake.base_url, read_timeout=30.0)
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(Client(stdio_client(params, errlog=quiet)))
            offered, _ = await servers.offered_tools(["fake"])
            loop = ToolLoop(servers, offered, tools, allow)
            for n in range(rounds + 10):  # the first 10 warm every path up
                session = ChatSession(provider, GenerationSettings(model=MODEL), tools=loop)
                trip, request = await one_round(fake, session, n)
                started = time.perf_counter()
                await client.call_tool("echo", {"text": f"ping {n}"})
                tool = (time.perf_counter() - started) * 1000
                model = await model_alone(fake, provider, request)
                if n >= 10:
                    trips.append(trip)
                    bare_tool.append(tool)
                    bare_model.append(model)
                fake.clear()
        await servers.shutdown()
        await provider.aclose()
    return trips, bare_tool, bare_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print("$", shlex.join([Path(sys.executable).name, *sys.argv]))
    load = os.getloadavg()[0]
    print(f"{platform.platform()}, Python {platform.python_version()}, load {load:.1f}")
    with open(os.devnull, "w") as quiet:
        trips, tool, model = asyncio.run(run(args.rounds, quiet))
    trip_ms, tool_ms, model_ms = (statistics.median(x) for x in (trips, tool, model))
    overhead = trip_ms - tool_ms - model_ms
    print(f"round trip through the loop (call chunk → next chunk), median: {trip_ms:.2f} ms")
    print(f"  the tool alone (bare SDK call_tool), median:                 {tool_ms:.2f} ms")
    print(f"  the model alone (same request straight to the provider):     {model_ms:.2f} ms")
    print(f"Rill's own overhead per round trip: {overhead:.2f} ms (target ≤ {BUDGET_MS:g} ms)")
    print(f"ratio round trip / (tool + model), same run: {trip_ms / (tool_ms + model_ms):.2f}")
    return 0 if overhead <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
