"""A complete answer is complete even when the server keeps the connection open after
its final event: Gemini's finishReason (with its usage), OpenAI's finish_reason plus
the usage chunk without [DONE]. Each test would take the read timeout (30 s) without
the fix; with it, the answer ends within the grace of a second."""

from __future__ import annotations

import time
from pathlib import Path

from rill.core.chat import ChatSession
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.retry import NO_RETRY
from rill.core.types import GenerationSettings, MessageStatus
from tests.core.cli.test_cli import cli_env, run_cli
from tests.fakes import gemini_scenarios as gsc
from tests.fakes import openai_scenarios as osc
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

READ_TIMEOUT = 30.0
FAST = 5.0  # well inside the read timeout: the answer did not wait for it


async def _answer(session: ChatSession, text: str) -> tuple[str, float]:
    started = time.monotonic()
    got = "".join([c.text async for c in session.send_message_stream(text)])
    return got, time.monotonic() - started


async def test_gemini_answer_ends_at_its_finish_while_the_server_holds_on(
    fake_gemini: FakeGemini,
) -> None:
    fake_gemini.push(gsc.finish_then_hold(["Complete ", "answer."]))
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=READ_TIMEOUT)
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"))
    session.retry_policy = NO_RETRY
    try:
        text, spent = await _answer(session, "hi")
    finally:
        await provider.aclose()
    answer = session.last_answer
    assert answer is not None
    status = answer.status
    assert status is MessageStatus.COMPLETE
    assert text == "Complete answer." and answer.finish_reason == "STOP"
    assert answer.usage is not None and answer.usage.output_tokens == 2
    assert spent < FAST, f"took {spent:.1f} s"
    assert fake_gemini.wait_for_disconnect(2.0) is not None  # the response was closed


async def test_gemini_usage_after_the_finish_is_still_taken(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(gsc.finish_then_hold(["Late ", "usage."], usage_after_finish=True))
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=READ_TIMEOUT)
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"))
    session.retry_policy = NO_RETRY
    try:
        text, spent = await _answer(session, "hi")
    finally:
        await provider.aclose()
    answer = session.last_answer
    assert answer is not None
    status = answer.status
    assert status is MessageStatus.COMPLETE
    assert text == "Late usage." and answer.usage is not None
    assert (answer.usage.output_tokens, answer.usage.total_tokens) == (2, 3)
    assert spent < FAST, f"took {spent:.1f} s"


async def test_openai_answer_ends_after_finish_and_usage_without_done() -> None:
    with FakeOpenAI() as fake:
        fake.push(osc.finish_then_hold(("Complete ", "answer.")))
        provider = OpenAICompatProvider(fake.base_url, "test-key", read_timeout=READ_TIMEOUT)
        session = ChatSession(provider, GenerationSettings(model="fake-chat"))
        session.retry_policy = NO_RETRY
        try:
            text, spent = await _answer(session, "hi")
        finally:
            await provider.aclose()
        assert fake.wait_for_disconnect(2.0) is not None
    answer = session.last_answer
    assert answer is not None
    status = answer.status
    assert status is MessageStatus.COMPLETE
    assert text == "Complete answer." and answer.finish_reason == "STOP"
    assert answer.usage is not None and answer.usage.output_tokens == 2
    assert spent < FAST, f"took {spent:.1f} s"


def test_rill_ask_exits_0_at_once_after_the_final_event(
    fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    fake_gemini.push(gsc.finish_then_hold(["The whole ", "answer."]))
    started = time.monotonic()
    done = run_cli(["ask", "--base-url", fake_gemini.base_url, "hi"], cli_env(tmp_path), timeout=50)
    spent = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-300:]
    assert done.stdout == "The whole answer.\n"
    assert "timed out" not in done.stderr
    assert spent < 20, f"took {spent:.1f} s"  # the CLI's read timeout is 60 s
