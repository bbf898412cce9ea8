"""The loop against the OpenAI-compatible fake (streamed tool-call deltas by index, tool
messages), and its faults: a hanging tool, a crash mid-call, a 5 MB result, a tool
error, the round limit, and Stop while a tool runs."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rill.core.chat import ChatSession
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.tool_loop import CallRequest
from rill.core.tools import Decision, ToolCallError
from rill.core.tools.convert import MAX_TEXT_BYTES
from rill.core.types import GenerationSettings, MessageStatus
from tests.core.tools.conftest import Make
from tests.core.tools.loop_support import (
    args,
    drain,
    last_answer,
    make_loop,
    response_of,
    tool_messages,
)
from tests.core.tools.support import fake_config
from tests.core.tools.test_tool_loop import bodies, calls
from tests.fakes import gemini_scenarios as sc
from tests.fakes import openai_scenarios as oai
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

MODEL = "gemini-2.5-flash"


@pytest.fixture
async def provider(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    made = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=10.0)
    yield made
    await made.aclose()


@pytest.mark.parametrize("stream", [True, False])
async def test_openai_calls_are_assembled_by_index_and_answered_by_tool_messages(
    make_servers: Make, openai: FakeOpenAI, oai_provider: OpenAICompatProvider, stream: bool
) -> None:
    servers = make_servers(fake=fake_config())
    loop = await make_loop(servers)
    openai.push(
        oai.tool_calls(
            ("call_a", "fake__add", args(a=20, b=22)),
            ("call_b", "fake__echo", args(text="parallel ✓")),
            texts=("Working on it. ",),
        ),
        oai.stream(["42, and the echo."]),
    )
    settings = GenerationSettings(model="fake-chat", stream=stream)
    session = ChatSession(oai_provider, settings, tools=loop)
    if stream:
        await drain(session.send_message_stream("go"))
    else:
        await session.send_message("go")

    first, second = (r.json for r in openai.completions())
    names = {t["function"]["name"] for t in first["tools"]}
    assert {"fake__add", "fake__echo"} <= names
    assert all(t["type"] == "function" for t in first["tools"])
    assistant = second["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == "Working on it. "
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_a", "call_b"]
    assert json.loads(assistant["tool_calls"][1]["function"]["arguments"]) == {"text": "parallel ✓"}
    tools = tool_messages(second)
    assert [(m["tool_call_id"], m["content"]) for m in tools] == [
        ("call_a", "42"),
        ("call_b", "parallel ✓"),
    ]
    answer = last_answer(session)
    assert answer.status is MessageStatus.COMPLETE and answer.text.endswith("42, and the echo.")


async def test_a_hanging_tool_times_out_as_an_error_result(
    make_servers: Make, fake_gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config(), call_timeout=1.0)
    loop = await make_loop(servers)
    fake_gemini.push(calls(("fake__hang", {}, "h1")), sc.stream(["Gave up."]))
    session = ChatSession(provider, GenerationSettings(model=MODEL), tools=loop)
    await drain(session.send_message_stream("hang"))
    error = response_of(bodies(fake_gemini)[1]["contents"][2]["parts"][0])["error"]
    assert "no answer within 1 s" in error
    assert last_answer(session).status is MessageStatus.COMPLETE


async def test_a_crash_a_tool_error_and_a_5_mb_result_go_back_as_results(
    make_servers: Make, fake_gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    loop = await make_loop(servers)
    fake_gemini.push(
        calls(("fake__big", {}, "b1"), ("fake__fail", {"reason": "disk full"}, "f1")),
        calls(("fake__crash", {}, "c1")),
        sc.stream(["All done."]),
    )
    session = ChatSession(provider, GenerationSettings(model=MODEL), tools=loop)
    await drain(session.send_message_stream("faults"))

    big, failed = (response_of(p) for p in bodies(fake_gemini)[1]["contents"][2]["parts"])
    assert len(big["output"].encode()) < MAX_TEXT_BYTES + 200
    assert (
        big["output"].endswith("the tool sent 5,120 KB of text)")
        or "result cut at" in (big["output"])
    )
    assert "disk full" in failed["error"]
    crashed = response_of(bodies(fake_gemini)[2]["contents"][4]["parts"][0])["error"]
    assert "went away during the call" in crashed
    answer = last_answer(session)
    assert answer.status is MessageStatus.COMPLETE and answer.text.endswith("All done.")
    assert "Tool `fake.fail` (allowed once): failed." in answer.text


async def test_the_round_limit_ends_the_answer_with_a_clear_line(
    make_servers: Make, fake_gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    loop = await make_loop(servers)
    loop.settings = dataclasses.replace(loop.settings, max_rounds=2)
    fake_gemini.push(*(calls(("fake__echo", {"text": str(n)}, f"e{n}")) for n in range(3)))
    session = ChatSession(provider, GenerationSettings(model=MODEL), tools=loop)
    await drain(session.send_message_stream("loop forever"))

    assert len(bodies(fake_gemini)) == 3  # two rounds ran; the third call did not
    answer = last_answer(session)
    assert answer.status is MessageStatus.COMPLETE
    assert answer.parts[-1].error == (
        "Rill stopped the tool calls after 2 rounds in this answer "
        "(the limit is the tools.max_rounds setting)."
    )
    refused = answer.parts[-2].function_response
    assert refused is not None and refused.decision == "not_run"
    # The history stays whole: the next turn is accepted with the refused call answered.
    await drain(session.send_message_stream("stop now"))
    last = bodies(fake_gemini)[-1]["contents"]
    assert [c["role"] for c in last[-2:]] == ["model", "user"]  # the roles alternate
    assert last[-1]["parts"][0]["functionResponse"]["id"] == "e2"
    assert last[-1]["parts"][-1] == {"text": "stop now"}


async def test_stop_cancels_the_running_tool_and_the_answer_together(
    make_servers: Make, fake_gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    asked = asyncio.Event()

    async def consent(request: CallRequest) -> Decision:
        asked.set()
        return Decision.ALLOW_ONCE

    loop = await make_loop(servers, consent)  # type: ignore[arg-type]
    fake_gemini.push(calls(("fake__hang", {}, "s1")))
    session = ChatSession(provider, GenerationSettings(model=MODEL), tools=loop)
    task = asyncio.ensure_future(drain(session.send_message_stream("hang then stop")))
    await asyncio.wait_for(asked.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)  # the hour-long tool is not waited for
    answer = last_answer(session)
    assert answer.status is MessageStatus.STOPPED
    closing = answer.parts[-1].function_response
    assert closing is not None and closing.decision == "not_run"
    # The server's session stays usable after the cancelled call.
    assert (await servers.call("fake", "echo", {"text": "still here"})).text == "still here"


class Retries:
    """A retry callback: answers each tool with the next of its ``answers`` (then
    False), records what it was asked and how many questions were open at once."""

    def __init__(self, **answers: list[bool]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []
        self.open = self.most_open = 0

    async def __call__(self, request: CallRequest, error: ToolCallError) -> bool:
        self.asked.append((str(request.ref), error.failure))
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        await asyncio.sleep(0.05)  # a user reading the bar: parallel failures would overlap
        self.open -= 1
        left = self.answers.get(request.ref.server, [])
        return left.pop(0) if left else False


async def test_retry_runs_a_crashed_call_again_and_only_curable_failures_ask(
    make_servers: Make, fake_gemini: FakeGemini, provider: GeminiProvider, tmp_path: Any
) -> None:
    # Three processes, so one call's crash takes no other call with it.
    servers = make_servers(flaky=fake_config(), dies=fake_config(), strict=fake_config())
    retries = Retries(flaky=[True])
    loop = await make_loop(servers, names=("flaky", "dies", "strict"), retry=retries)
    fake_gemini.push(
        calls(
            ("flaky__crash_once", {"marker": str(tmp_path / "marker")}, "r1"),
            ("strict__refuse", {}, "r2"),
            ("dies__crash", {}, "r3"),
        ),
        sc.stream(["Done."]),
    )
    session = ChatSession(provider, GenerationSettings(model=MODEL), tools=loop)
    await drain(session.send_message_stream("flaky"))
    replies = [response_of(p) for p in bodies(fake_gemini)[1]["contents"][2]["parts"]]
    assert replies[0]["output"] == "worked on the second try"  # retried
    assert "this tool never runs" in replies[1]["error"]  # a refusal is not asked about
    assert "went away during the call" in replies[2]["error"]  # not retried: told
    assert sorted(retries.asked) == [("dies.crash", "crashed"), ("flaky.crash_once", "crashed")]
    assert retries.most_open == 1  # one question at a time
    assert last_answer(session).status is MessageStatus.COMPLETE
