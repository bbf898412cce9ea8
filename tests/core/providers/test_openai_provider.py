"""OpenAICompatProvider against the fake OpenAI-compatible server, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import socket
import time
from collections.abc import AsyncIterator

import pytest

from rill.core.chat import ChatSession
from rill.core.errors import (
    AuthError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    StreamInterruptedError,
)
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.retry import NO_RETRY
from rill.core.types import Chunk, GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes import openai_scenarios as sc
from tests.fakes.openai_server import FakeOpenAI

MODEL = "fake-chat"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def request(text: str = "hello there", **settings: object) -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text(text)])
    values: dict[str, object] = {"model": MODEL, **settings}
    return GenerateRequest(contents=(user,), settings=GenerationSettings(**values))  # type: ignore[arg-type]


async def collect(provider: OpenAICompatProvider, req: GenerateRequest) -> list[Chunk]:
    return [chunk async for chunk in provider.stream(req)]


@pytest.fixture
def fake() -> AsyncIterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server  # type: ignore[misc]


@pytest.fixture
async def provider(fake: FakeOpenAI) -> AsyncIterator[OpenAICompatProvider]:
    p = OpenAICompatProvider(fake.base_url, "test-key", label="Fake", read_timeout=5.0)
    yield p
    await p.aclose()


async def test_streams_text_with_usage_finish_and_model(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.stream(["Once ", "upon ", "a time."], model="fake-chat-0613"))
    chunks = await collect(provider, request())
    assert [c.text for c in chunks if c.text] == ["Once ", "upon ", "a time."]
    last = chunks[-1]
    assert last.finish_reason == "STOP"
    assert last.model_version == "fake-chat-0613"
    assert last.response_id == "chatcmpl-fake123"
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.output_tokens) == (2, 4)
    assert last.usage.total_tokens == 6
    sent = fake.last_request
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert "test-key" not in sent.target
    assert sent.json["stream"] is True
    assert sent.json["stream_options"] == {"include_usage": True}
    assert sent.json["messages"] == [{"role": "user", "content": "hello there"}]


async def test_settings_system_history_and_images_on_the_wire(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    history = (
        Message(role=Role.USER, parts=[Part.from_text("first")]),
        Message(
            role=Role.MODEL,
            parts=[Part(text="pondering", thought=True), Part.from_text("reply")],
        ),
        Message(role=Role.USER, parts=[Part.from_bytes(PNG, "image/png"), Part.from_text("see")]),
    )
    settings = GenerationSettings(
        model=MODEL,
        temperature=0.5,
        top_p=0.9,
        top_k=20,
        max_output_tokens=64,
        stop_sequences=("END",),
        seed=7,
        system_instruction="Be brief.",
    )
    chunks = await collect(provider, GenerateRequest(contents=history, settings=settings))
    assert "".join(c.text for c in chunks) == "Echo: see"
    body = fake.last_request.json
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "reply"},  # the thought never goes back
        {
            "role": "user",
            "content": [
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()},
                },
                {"type": "text", "text": "see"},
            ],
        },
    ]
    assert (body["temperature"], body["top_p"], body["top_k"]) == (0.5, 0.9, 20)
    assert (body["max_tokens"], body["stop"], body["seed"]) == (64, ["END"], 7)


async def test_top_k_is_left_out_for_servers_that_refuse_it(fake: FakeOpenAI) -> None:
    provider = OpenAICompatProvider(fake.base_url, "test-key", send_top_k=False)
    try:
        await collect(provider, request(top_k=5))
    finally:
        await provider.aclose()
    assert "top_k" not in fake.last_request.json
    assert provider.capabilities.top_k is False


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_fields_become_thoughts(
    provider: OpenAICompatProvider, fake: FakeOpenAI, field: str
) -> None:
    scenario = sc.OAIScenario(
        texts=("The answer.",),
        reasoning=("Let me ", "think."),
        reasoning_field=field,  # type: ignore[arg-type]
    )
    fake.push(scenario)
    chunks = await collect(provider, request())
    assert "".join(c.thought_text for c in chunks) == "Let me think."
    assert "".join(c.text for c in chunks) == "The answer."
    usage = chunks[-1].usage
    assert usage is not None and usage.thoughts_tokens == 3 and usage.output_tokens == 2


async def test_mistral_typed_content_streamed_keeps_every_piece(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    # The answer "391" arrives as ["3" in a one-item list, then "91" as a string].
    fake.push(sc.mistral())
    chunks = await collect(provider, request())
    assert "".join(c.text for c in chunks) == "391"
    assert "".join(c.thought_text for c in chunks) == "17 times 23 is 391."


async def test_mistral_typed_content_not_streamed_keeps_answer_and_thoughts(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.mistral())
    message = await provider.generate(request())
    assert message.text == "391"
    assert message.thought_text == "17 times 23 is 391."
    assert message.finish_reason == "STOP"


@pytest.mark.parametrize("split", [1, 2, 5])
async def test_think_tags_split_across_chunks_and_bytes(
    provider: OpenAICompatProvider, fake: FakeOpenAI, split: int
) -> None:
    texts = ("<thi", "nk>Hmm, ", "ok.</th", "ink>\n\nDone", " — 東京 🎉")
    fake.push(sc.stream(texts, split_bytes=split))
    chunks = await collect(provider, request())
    assert "".join(c.thought_text for c in chunks) == "Hmm, ok."
    assert "".join(c.text for c in chunks) == "Done — 東京 🎉"


@pytest.mark.parametrize(
    ("raw", "mapped"),
    [("stop", "STOP"), ("length", "MAX_TOKENS"), ("content_filter", "SAFETY")],
)
async def test_finish_reasons_are_mapped(
    provider: OpenAICompatProvider, fake: FakeOpenAI, raw: str, mapped: str
) -> None:
    fake.push(sc.stream(["x"], finish_reason=raw))
    chunks = await collect(provider, request())
    assert chunks[-1].finish_reason == mapped


async def test_keepalive_comments_and_crlf_are_ignored(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.stream(["a", "b"], keepalive=True, crlf=True))
    chunks = await collect(provider, request())
    assert "".join(c.text for c in chunks) == "ab"


async def test_chat_session_records_usage_and_finish(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    session = ChatSession(provider, GenerationSettings(model=MODEL), retry_policy=NO_RETRY)
    text = "".join([c.text async for c in session.send_message_stream("one two")])
    assert text == "Echo: one two"
    answer = session.last_answer
    assert answer is not None and answer.finish_reason == "STOP"
    assert answer.usage is not None and answer.usage.output_tokens == 3
    session2 = "".join([c.text async for c in session.send_message_stream("again")])
    assert session2 == "Echo: again"
    assert [m["role"] for m in fake.last_request.json["messages"]] == ["user", "assistant", "user"]


async def test_generate_returns_the_whole_answer(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.OAIScenario(texts=("<think>hm</think>\n\nWhole ", "answer"), label="whole"))
    message = await provider.generate(request())
    assert message.text == "Whole answer"
    assert message.thought_text == "hm"
    assert message.finish_reason == "STOP"
    assert message.usage is not None and message.usage.prompt_tokens == 2
    assert fake.last_request.json["stream"] is False
    assert "stream_options" not in fake.last_request.json


async def test_a_server_that_ignores_stream_true_still_answers(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.OAIScenario(texts=("all ", "at once"), ignore_stream=True))
    chunks = await collect(provider, request())
    assert "".join(c.text for c in chunks) == "all at once"
    assert chunks[-1].finish_reason == "STOP"


async def test_stream_options_refused_is_retried_without_it() -> None:
    with FakeOpenAI(reject_stream_options=True) as fake:
        provider = OpenAICompatProvider(fake.base_url, "test-key")
        try:
            first = await collect(provider, request("a b"))
            second = await collect(provider, request("c"))
        finally:
            await provider.aclose()
        assert "".join(c.text for c in first) == "Echo: a b"
        assert "".join(c.text for c in second) == "Echo: c"
        sent = fake.completions()
        assert ["stream_options" in r.json for r in sent] == [True, False, False]
        assert first[-1].usage is None  # the server cannot say


async def test_list_models_keeps_chat_models(provider: OpenAICompatProvider) -> None:
    models = await provider.list_models()
    assert [m.id for m in models] == ["fake-chat", "fake-vision-vl"]
    assert [m.vision for m in models] == [False, True]


# ---------------------------------------------------------------- errors


async def test_a_bad_key_is_an_auth_error(fake: FakeOpenAI) -> None:
    provider = OpenAICompatProvider(fake.base_url, "wrong", label="Fake")
    try:
        with pytest.raises(AuthError, match=r"Fake did not accept the API key \(401\)"):
            await collect(provider, request())
    finally:
        await provider.aclose()


async def test_no_key_says_none_is_set(fake: FakeOpenAI) -> None:
    provider = OpenAICompatProvider(fake.base_url, None, name="myserver")
    try:
        with pytest.raises(AuthError, match="No API key is set for provider 'myserver'"):
            await collect(provider, request())
    finally:
        await provider.aclose()
    assert "authorization" not in fake.last_request.headers


async def test_unknown_model_is_not_found(provider: OpenAICompatProvider) -> None:
    with pytest.raises(NotFoundError, match=r"The model 'nope' was not found \(404\)"):
        await collect(provider, request(model="nope"))


@pytest.mark.parametrize(
    ("scenario", "error", "words"),
    [
        (sc.http_error(400, "Bad thing."), InvalidRequestError, r"rejected the request \(400\)"),
        (sc.http_error(403), PermissionDeniedError, r"denied access \(403\)"),
        (sc.http_error(500), ServerError, r"server error \(500\)"),
        (sc.http_error(503), ServerError, r"server error \(503\): The engine"),
        (
            sc.raw_error(400, {"object": "error", "message": "vLLM says no", "code": 400}),
            InvalidRequestError,
            "vLLM says no",
        ),
        (sc.raw_error(404, {"error": "model 'x' not found"}), NotFoundError, "model 'x' not found"),
        (
            sc.raw_error(502, "<html>Bad Gateway</html>", "text/html"),
            ServerError,
            r"\(502\)",
        ),
    ],
)
async def test_http_errors_map_onto_the_hierarchy(
    provider: OpenAICompatProvider,
    fake: FakeOpenAI,
    scenario: sc.OAIScenario,
    error: type[Exception],
    words: str,
) -> None:
    fake.push(scenario)
    with pytest.raises(error, match=words):
        await collect(provider, request())


async def test_rate_limit_carries_retry_after(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.http_error(429, retry_after="7"))
    with pytest.raises(RateLimitedError) as caught:
        await collect(provider, request())
    assert caught.value.retry_after == 7.0
    assert "rate limit" in str(caught.value)


async def test_wrong_base_url_says_to_check_it(fake: FakeOpenAI) -> None:
    provider = OpenAICompatProvider(fake.origin, "test-key")  # no /v1
    try:
        with pytest.raises(NotFoundError, match=r"check the base URL \(it usually ends in /v1\)"):
            await collect(provider, request())
    finally:
        await provider.aclose()


async def test_error_event_mid_stream_keeps_the_text_before_it(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.OAIScenario(texts=("Partial ", "answer"), error_after=1))
    got: list[str] = []
    with pytest.raises(ServerError, match="server error"):
        async for chunk in provider.stream(request()):
            got.append(chunk.text)
    assert got == ["Partial "]


@pytest.mark.parametrize(
    "scenario",
    [
        sc.OAIScenario(texts=("cut",), send_done=False, finish_reason=None),
        sc.OAIScenario(texts=("a", "b"), abrupt_after=1),
    ],
    ids=["no-done-no-finish", "abrupt"],
)
async def test_a_body_that_ends_early_is_interrupted(
    provider: OpenAICompatProvider, fake: FakeOpenAI, scenario: sc.OAIScenario
) -> None:
    fake.push(scenario)
    with pytest.raises(StreamInterruptedError):
        await collect(provider, request())


async def test_finish_without_done_is_complete(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.stream(["fine"], send_done=False))
    chunks = await collect(provider, request())
    assert chunks[-1].finish_reason == "STOP"


async def test_malformed_event_is_a_protocol_error(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.OAIScenario(texts=("a", "b"), malformed_after=1))
    with pytest.raises(ProtocolError, match="not valid JSON"):
        await collect(provider, request())


async def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = OpenAICompatProvider(f"http://127.0.0.1:{port}/v1")
    try:
        with pytest.raises(NetworkError, match="refused the connection; is the server running"):
            await collect(provider, request())
    finally:
        await provider.aclose()


async def test_idle_read_timeout(fake: FakeOpenAI) -> None:
    fake.push(sc.hold_open())
    provider = OpenAICompatProvider(fake.base_url, "test-key", read_timeout=0.3)
    got: list[str] = []
    try:
        with pytest.raises(RequestTimeoutError, match=r"sent nothing for 0\.3 s"):
            async for chunk in provider.stream(request()):
                got.append(chunk.text)
    finally:
        await provider.aclose()
        fake.release()
    assert got == ["Hello"]


async def test_cancel_closes_the_connection(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    fake.push(sc.hold_open())
    got_first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream(request()):
            got_first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_first.wait(), 5)
    assert await asyncio.to_thread(fake.wait_for_hold, 5) is not None
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    seen = await asyncio.to_thread(fake.wait_for_disconnect, 2.0)
    assert seen is not None and seen - cancelled_at < 1.0


async def test_gs_uri_is_refused_before_sending(
    provider: OpenAICompatProvider, fake: FakeOpenAI
) -> None:
    user = Message(role=Role.USER, parts=[Part.from_uri("gs://b/x.png", "image/png")])
    req = GenerateRequest(contents=(user,), settings=GenerationSettings(model=MODEL))
    with pytest.raises(InvalidRequestError, match="cannot read gs:// files"):
        await collect(provider, req)
    assert fake.requests == []


async def test_count_tokens_is_an_estimate(provider: OpenAICompatProvider) -> None:
    assert await provider.count_tokens(request("x" * 40)) == 10
