"""GeminiProvider against the local fake Gemini server, over real HTTP."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from rill.core.errors import (
    AuthError,
    BlockedError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    RillError,
    ServerError,
    StreamInterruptedError,
)
from rill.core.providers.gemini import GeminiProvider, default_api_key, default_base_url
from rill.core.types import Chunk, GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

MODEL = "gemini-2.5-flash"


def request(text: str = "hello there", **settings: object) -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text(text)])
    return GenerateRequest(
        contents=(user,),
        settings=GenerationSettings(model=MODEL, **settings),  # type: ignore[arg-type]
    )


async def collect(provider: GeminiProvider, req: GenerateRequest) -> list[Chunk]:
    return [chunk async for chunk in provider.stream(req)]


@pytest.fixture
async def provider(fake_gemini: FakeGemini):  # type: ignore[no-untyped-def]
    p = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=5.0)
    yield p
    await p.aclose()


async def test_streams_text_exactly_with_usage_finish_and_version(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.stream(["Once ", "upon ", "a time."], model_version="gemini-2.5-flash-001"))
    chunks = await collect(provider, request())
    assert "".join(c.text for c in chunks) == "Once upon a time."
    assert [c.text for c in chunks] == ["Once ", "upon ", "a time."]
    assert chunks[-1].finish_reason == "STOP"
    assert chunks[-1].model_version == "gemini-2.5-flash-001"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens
    sent = fake_gemini.last_request
    assert sent.path.endswith(f"/v1beta/models/{MODEL}:streamGenerateContent")
    assert sent.query == {"alt": "sse"}
    assert sent.headers["x-goog-api-key"] == "test-key"
    assert "test-key" not in sent.target


@pytest.mark.parametrize("crlf", [True, False])
@pytest.mark.parametrize("split", [1, 3, 7])
async def test_events_split_across_reads_and_utf8_cut_mid_character(
    provider: GeminiProvider, fake_gemini: FakeGemini, crlf: bool, split: int
) -> None:
    texts = ["Grüße ", "aus 東京 ", "🎉🎉", " done"]
    fake_gemini.push(sc.stream(texts, crlf=crlf, split_bytes=split, split_pause=0.0))
    chunks = await collect(provider, request())
    assert [c.text for c in chunks if c.text] == texts


async def test_multi_line_data_events(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.stream(["a\nb", "c"], multi_line_data=True))
    chunks = await collect(provider, request())
    assert "".join(c.text for c in chunks) == "a\nbc"


async def test_thoughts_and_signature_byte_exact(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.thinking(texts=["The answer."]))
    chunks = await collect(provider, request(include_thoughts=True, thinking_budget=1024))
    thoughts = "".join(c.thought_text for c in chunks)
    assert thoughts.startswith("**Planning the answer**")
    assert "".join(c.text for c in chunks) == "The answer."
    signatures = [p.thought_signature for c in chunks for p in c.parts if p.thought_signature]
    assert signatures == [sc.DEFAULT_SIGNATURE]
    config = fake_gemini.last_request.json["generationConfig"]
    assert config["thinkingConfig"] == {"thinkingBudget": 1024, "includeThoughts": True}


async def test_last_usage_wins_and_older_traffic_with_usage_only_at_the_end(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(
        sc.stream(
            ["a", "b"],
            usage={"promptTokenCount": 9, "candidatesTokenCount": 2, "totalTokenCount": 11},
            usage_on_every_chunk=False,
            cached_tokens=4,
        )
    )
    chunks = await collect(provider, request())
    usages = [c.usage for c in chunks if c.usage is not None]
    assert len(usages) == 1
    assert (usages[0].prompt_tokens, usages[0].output_tokens, usages[0].total_tokens) == (9, 2, 11)
    assert usages[0].cached_tokens == 4


@pytest.mark.parametrize("style", [sc.content_less_finish, sc.empty_part_finish])
async def test_finish_styles(
    provider: GeminiProvider, fake_gemini: FakeGemini, style: object
) -> None:
    fake_gemini.push(style(["x", "y"]))  # type: ignore[operator]
    chunks = await collect(provider, request())
    assert "".join(c.text for c in chunks) == "xy"
    assert chunks[-1].finish_reason == "STOP"


async def test_blocked_prompt(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.blocked("SAFETY"))
    with pytest.raises(BlockedError) as info:
        await collect(provider, request())
    assert info.value.reason == "SAFETY"


async def test_error_event_after_partial_output(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.error_event_after(2, texts=["one ", "two ", "three"]))
    got: list[str] = []
    with pytest.raises(ServerError, match="overloaded"):
        async for chunk in provider.stream(request()):
            got.append(chunk.text)
    assert "".join(got) == "one two "


@pytest.mark.parametrize(
    "scenario",
    [sc.no_finish(["partial ", "answer"]), sc.abrupt_close(2, ["partial ", "answer", "more"])],
    ids=["clean-end-without-finish", "socket-torn-mid-event"],
)
async def test_dropped_connection_is_an_error_after_the_partial_answer(
    provider: GeminiProvider, fake_gemini: FakeGemini, scenario: sc.Scenario
) -> None:
    fake_gemini.push(scenario)
    got: list[str] = []
    with pytest.raises(StreamInterruptedError, match="before the answer was finished"):
        async for chunk in provider.stream(request()):
            got.append(chunk.text)
    assert "".join(got) == "partial answer"


async def test_malformed_event(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.malformed_json(1, ["fine"]))
    with pytest.raises(ProtocolError, match="not valid JSON"):
        await collect(provider, request())


@pytest.mark.parametrize(
    ("scenario", "kind", "line"),
    [
        (sc.http_error(403), PermissionDeniedError, "Gemini denied access (PERMISSION_DENIED)"),
        (sc.http_error(404), NotFoundError, f"The model '{MODEL}' was not found"),
        (sc.http_error(400), RillError, "Gemini rejected the request (INVALID_ARGUMENT)"),
        (
            sc.rate_limited("57.2s"),
            RateLimitedError,
            "Gemini's rate limit or quota was reached (RESOURCE_EXHAUSTED)",
        ),
        (sc.http_error(500), ServerError, "Gemini had a server error (INTERNAL)"),
        (sc.http_error(503), ServerError, "Gemini is unavailable (UNAVAILABLE)"),
        (sc.http_error(504), ServerError, "Gemini timed out on its side (DEADLINE_EXCEEDED)"),
    ],
)
async def test_http_errors(
    provider: GeminiProvider,
    fake_gemini: FakeGemini,
    scenario: sc.Scenario,
    kind: type[RillError],
    line: str,
) -> None:
    fake_gemini.push(scenario)
    with pytest.raises(kind) as info:
        await collect(provider, request())
    assert str(info.value).startswith(line)
    if isinstance(info.value, RateLimitedError):
        assert info.value.retry_after == 57.2


async def test_bad_key_is_an_auth_error(fake_gemini: FakeGemini) -> None:
    provider = GeminiProvider("wrong-key", fake_gemini.base_url)
    try:
        with pytest.raises(AuthError, match=r"Gemini rejected the API key \(API_KEY_INVALID\)"):
            await collect(provider, request())
    finally:
        await provider.aclose()


async def test_missing_key_is_a_permission_error(fake_gemini: FakeGemini) -> None:
    provider = GeminiProvider(None, fake_gemini.base_url)
    try:
        with pytest.raises(PermissionDeniedError):
            await collect(provider, request())
        assert "x-goog-api-key" not in fake_gemini.last_request.headers
    finally:
        await provider.aclose()


async def test_unknown_model_is_not_found(provider: GeminiProvider) -> None:
    req = request()
    req = GenerateRequest(contents=req.contents, settings=GenerationSettings(model="no-such-model"))
    with pytest.raises(NotFoundError, match="no-such-model"):
        await collect(provider, req)


async def test_generate_non_streaming(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.stream(["Whole ", "answer."]))
    message = await provider.generate(request())
    assert message.text == "Whole answer."
    assert message.finish_reason == "STOP"
    assert message.usage is not None and message.usage.total_tokens
    assert fake_gemini.last_request.path.endswith(":generateContent")


async def test_list_models_follows_every_page_and_filters(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    provider.models_page_size = 2
    models = await provider.list_models()
    ids = [m.id for m in models]
    assert MODEL in ids
    assert not any("embedding" in i for i in ids)
    assert len(ids) == len(set(ids)) >= 3
    flash = next(m for m in models if m.id == MODEL)
    assert flash.max_temperature == 2.0 and flash.input_token_limit
    pages = [r for r in fake_gemini.requests if r.method == "GET" and r.path.endswith("/models")]
    assert len(pages) >= 2
    assert pages[0].query.get("pageSize") == "2" and "pageToken" not in pages[0].query
    assert all("pageToken" in r.query for r in pages[1:])


async def test_count_tokens(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    total = await provider.count_tokens(request("one two three four"))
    assert isinstance(total, int) and total > 0
    assert fake_gemini.last_request.path.endswith(f"models/{MODEL}:countTokens")


async def test_cancelling_the_consumer_closes_the_connection_within_a_second(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.hold_open(["Hello"]))
    got_first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream(request()):
            got_first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_first.wait(), 5)
    assert await asyncio.to_thread(fake_gemini.wait_for_hold, 5) is not None
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    seen = await asyncio.to_thread(fake_gemini.wait_for_disconnect, 2.0)
    assert seen is not None
    assert seen - cancelled_at < 1.0


async def test_idle_read_timeout(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.hold_open(["Hello"]))
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=0.3)
    got: list[str] = []
    try:
        with pytest.raises(RequestTimeoutError, match=r"sent nothing for 0\.3 s"):
            async for chunk in provider.stream(request()):
                got.append(chunk.text)
    finally:
        await provider.aclose()
        fake_gemini.release()
    assert got == ["Hello"]


async def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = GeminiProvider("k", f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(NetworkError, match="refused the connection"):
            await collect(provider, request())
    finally:
        await provider.aclose()


def test_defaults_come_from_the_sdk_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    assert default_api_key() == "google-key"
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    assert default_api_key() == "gemini-key"
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:9/")
    assert default_base_url() == "http://127.0.0.1:9/"
    assert GeminiProvider("k").base_url == "http://127.0.0.1:9/v1beta"
