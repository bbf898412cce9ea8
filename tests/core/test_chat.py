"""ChatSession over the real Gemini provider and the local fake server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from rill.core.chat import ChatSession
from rill.core.errors import BlockedError, ServerError
from rill.core.providers.gemini import GeminiProvider
from rill.core.retry import RetryNotice, RetryPolicy
from rill.core.types import GenerationSettings, MessageStatus, Part, Role
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, jitter=0.0)


@pytest.fixture
async def session(fake_gemini: FakeGemini) -> AsyncIterator[ChatSession]:
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=5.0)
    yield ChatSession(
        provider, GenerationSettings(model="gemini-2.5-flash"), retry_policy=FAST_RETRY
    )
    await provider.aclose()


def sent_texts(fake: FakeGemini, index: int = -1) -> list[tuple[str, str]]:
    body = fake.requests_for("streamGenerateContent")[index].json
    return [(c["role"], "".join(p.get("text", "") for p in c["parts"])) for c in body["contents"]]


async def drain(stream: AsyncIterator[object]) -> None:
    async for _ in stream:
        pass


async def test_user_turn_is_recorded_before_the_request_leaves(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    stream = session.send_message_stream("What is SSE?")
    assert [m.role for m in session.history] == [Role.USER, Role.MODEL]
    assert session.history[0].text == "What is SSE?"
    assert session.history[1].status is MessageStatus.PENDING
    assert fake_gemini.requests == []
    await drain(stream)
    answer = session.last_answer
    assert answer is not None and answer.status is MessageStatus.COMPLETE
    assert answer.text == "Echo: What is SSE?"
    assert answer.usage is not None and answer.time_to_first_token is not None


async def test_history_goes_back_with_thought_signatures_byte_exact(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.thinking(texts=["First answer."]))
    await drain(session.send_message_stream("one"))
    await drain(session.send_message_stream("two"))
    contents = fake_gemini.requests_for("streamGenerateContent")[-1].json["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    signatures = [p["thoughtSignature"] for p in contents[1]["parts"] if "thoughtSignature" in p]
    assert signatures == [sc.DEFAULT_SIGNATURE]
    answer_text = "".join(p["text"] for p in contents[1]["parts"] if not p.get("thought"))
    assert answer_text == "First answer."


async def test_stopped_answer_keeps_what_arrived_and_is_sent_back(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.hold_open(["Partial words"]))
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in session.send_message_stream("tell me a story"):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stopped = session.last_answer
    assert stopped is not None
    assert (stopped.status, stopped.text) == (MessageStatus.STOPPED, "Partial words")
    await drain(session.send_message_stream("go on"))
    assert sent_texts(fake_gemini) == [
        ("user", "tell me a story"),
        ("model", "Partial words"),
        ("user", "go on"),
    ]


async def test_failed_turn_is_kept_but_not_sent_back(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.error_event_after(1, texts=["half ", "never"]))
    with pytest.raises(ServerError):
        await drain(session.send_message_stream("first"))
    failed = session.last_answer
    assert failed is not None and failed.status is MessageStatus.FAILED
    assert failed.text == "half " and failed.error and "overloaded" in failed.error
    await drain(session.send_message_stream("second"))
    assert sent_texts(fake_gemini) == [("user", "second")]
    assert [m.status for m in session.history] == [
        MessageStatus.COMPLETE,
        MessageStatus.FAILED,
        MessageStatus.COMPLETE,
        MessageStatus.COMPLETE,
    ]


async def test_blocked_prompt_marks_the_turn_blocked(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.blocked("PROHIBITED_CONTENT"))
    with pytest.raises(BlockedError):
        await drain(session.send_message_stream("bad"))
    answer = session.last_answer
    assert answer is not None and answer.status is MessageStatus.BLOCKED
    assert answer.error == "Gemini blocked the prompt (PROHIBITED_CONTENT)."


async def test_safety_finish_without_text_is_blocked(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.content_less_finish(texts=[], finish_reason="SAFETY"))
    await drain(session.send_message_stream("hmm"))
    answer = session.last_answer
    assert answer is not None and answer.status is MessageStatus.BLOCKED
    assert answer.error == "The answer was blocked (SAFETY)."


async def test_retry_resends_the_same_user_turn_without_duplicating_it(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    session.retry_policy = RetryPolicy(max_attempts=1)
    fake_gemini.push(sc.http_error(503))
    with pytest.raises(ServerError):
        await drain(session.send_message_stream("please answer"))
    await drain(session.retry_stream())
    assert [m.role for m in session.history] == [Role.USER, Role.MODEL]
    assert session.history[1].text == "Echo: please answer"
    assert sent_texts(fake_gemini) == [("user", "please answer")]


async def test_automatic_retries_before_output_are_announced(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    notices: list[RetryNotice] = []
    session.on_retry = notices.append
    fake_gemini.push(*sc.fail_n_times_then_ok(2, 503))
    await drain(session.send_message_stream("hi"))
    assert session.last_answer is not None and session.last_answer.text == "Echo: hi"
    assert [n.attempt for n in notices] == [1, 2]
    assert len(fake_gemini.requests_for("streamGenerateContent")) == 3


async def test_rate_limit_retry_delay_is_waited(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    notices: list[RetryNotice] = []
    session.on_retry = notices.append
    fake_gemini.push(*sc.fail_n_times_then_ok(1, 429, retry_delay="0.3s"))
    started = time.monotonic()
    await drain(session.send_message_stream("hi"))
    assert time.monotonic() - started >= 0.3
    assert notices and notices[0].delay == 0.3


async def test_non_streaming_send_message(session: ChatSession, fake_gemini: FakeGemini) -> None:
    message = await session.send_message([Part.from_text("whole"), "please"])
    assert message.text == "Echo: whole please" or message.text.startswith("Echo:")
    assert message.status is MessageStatus.COMPLETE
    assert fake_gemini.last_request.path.endswith(":generateContent")
    assert session.history[-1] is message


def test_empty_message_is_refused(session: ChatSession) -> None:
    with pytest.raises(ValueError):
        session.send_message_stream("   ")
    assert session.history == []


async def test_no_answer_is_retried_alike_streamed_or_not(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    # The streamed "no answer" carries a usage-only event first; that shows nothing,
    # so it must not end the retries the non-streamed call gets.
    notices: list[RetryNotice] = []
    session.on_retry = notices.append
    fake_gemini.push(sc.no_candidates(), sc.stream(["Second ", "time."]))
    await drain(session.send_message_stream("one"))
    fake_gemini.push(sc.no_candidates(), sc.stream(["Whole ", "again."]))
    whole = await session.send_message("two")
    streamed = session.history[1]
    assert (streamed.status, streamed.text) == (MessageStatus.COMPLETE, "Second time.")
    assert (whole.status, whole.text) == (MessageStatus.COMPLETE, "Whole again.")
    assert [str(n.error) for n in notices] == [
        "Gemini returned no answer (no candidates and no block reason)."
    ] * 2
