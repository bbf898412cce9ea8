"""Byte-level wire format, raw-request validation, held/cancelled streams, fake-* model
ids and the subprocess server: what the SDK test alone cannot show."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors, types

from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_process import FakeGeminiProcess
from tests.fakes.gemini_server import FakeGemini
from tests.fakes_tests.sdk_helpers import KEY, make_client, stream, texts_of

STREAM = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def post(
    server: FakeGemini,
    path: str,
    body: Any,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> httpx.Response:
    sent = {"x-goog-api-key": KEY} if headers is None else headers
    content = raw if raw is not None else json.dumps(body).encode()
    return httpx.post(server.base_url + path, content=content, headers=sent, timeout=5)


# ---- wire format ----------------------------------------------------------------------


def test_sse_bytes_on_the_wire(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.stream(["a ", "b"]))
    with httpx.stream(
        "POST",
        fake_gemini.base_url + STREAM + "?alt=sse",
        json=BODY,
        headers={"x-goog-api-key": KEY},
    ) as response:
        raw = b"".join(response.iter_raw())
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    events = raw.split(b"\r\n\r\n")
    assert events[-1] == b"" and len(events) == 3
    assert all(e.startswith(b"data: {") and b"\n" not in e for e in events[:-1])
    assert b"[DONE]" not in raw and b"event:" not in raw
    last = json.loads(events[1][len(b"data: ") :])
    assert last["candidates"][0]["finishReason"] == "STOP"
    assert set(last) == {"candidates", "usageMetadata", "modelVersion", "responseId"}


def test_stream_without_alt_sse_is_one_json_array(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.stream(["a ", "b"]))
    response = post(fake_gemini, STREAM, BODY)
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    chunks = response.json()
    assert [c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks] == ["a ", "b"]


def test_missing_key_is_403_pretty_json(fake_gemini: FakeGemini) -> None:
    response = post(fake_gemini, STREAM + "?alt=sse", BODY, headers={})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    assert response.text.startswith('{\n  "error": {\n    "code": 403,')
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_query_key_works_and_is_recorded(fake_gemini: FakeGemini) -> None:
    response = post(fake_gemini, STREAM + f"?alt=sse&key={KEY}", BODY, headers={})
    assert response.status_code == 200
    assert KEY in fake_gemini.last_request.target  # so tests can catch a key in a URL


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "Invalid JSON payload received"),
        (b"", "contents is not specified"),
        (json.dumps({"contents": []}).encode(), "contents is not specified"),
        (
            json.dumps({"contents": [{"role": "user", "parts": [{"txt": "x"}]}]}).encode(),
            'Unknown name "txt"',
        ),
        (json.dumps({"contents": [{"role": "user", "parts": []}]}).encode(), "must not be empty"),
        (
            json.dumps(
                {**BODY, "safetySettings": [{"category": "HARASSMENT", "threshold": "BLOCK_NONE"}]}
            ).encode(),
            "safety_settings[0].category",
        ),
        (json.dumps({**BODY, "generationConfig": {"temperature": 3}}).encode(), "temperature"),
        (
            json.dumps({**BODY, "generation_config": {"max_tokens": 3}}).encode(),
            'Unknown name "maxTokens"',
        ),
        (
            json.dumps(
                {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "@@"}}]}]}
            ).encode(),
            "Base64 decoding failed",
        ),
    ],
)
def test_bad_bodies_are_400(fake_gemini: FakeGemini, body: bytes, needle: str) -> None:
    response = post(fake_gemini, STREAM + "?alt=sse", None, raw=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and needle in error["message"]


def test_snake_case_body_is_understood(fake_gemini: FakeGemini) -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"inline_data": {"mime_type": "image/png", "data": png}},
                    {"text": "look"},
                ],
            }
        ],
        "system_instruction": {"parts": [{"text": "be brief"}]},
        "generation_config": {"thinking_config": {"include_thoughts": True}},
        "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "OFF"}],
    }
    chunks = post(fake_gemini, STREAM, body).json()
    parts = [c["candidates"][0]["content"]["parts"][0] for c in chunks]
    assert parts[0] == {"text": sc.DEFAULT_THOUGHT, "thought": True}
    assert "".join(p["text"] for p in parts[1:]) == "Echo: look"
    assert chunks[-1]["usageMetadata"]["promptTokenCount"] == 1 + 2 + 1  # words + image


def test_unknown_route_is_googles_html_404(fake_gemini: FakeGemini) -> None:
    response = httpx.get(fake_gemini.base_url + "/v1beta/nothing", headers={"x-goog-api-key": KEY})
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]


def test_scenario_round_trips_through_json() -> None:
    for scenario in (
        sc.rate_limited("3s", retry_after=3),
        sc.thinking(),
        sc.huge(5000, 100),
        sc.error_event_after(1),
        sc.hold_open(),
    ):
        assert sc.Scenario.from_dict(json.loads(json.dumps(scenario.to_dict()))) == scenario


# ---- held, slow and cancelled streams -----------------------------------------------


async def test_hold_then_release(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.hold_open(["Hello"], [", world."]))
    async with make_client(fake_gemini).aio as sdk:
        chunks = await sdk.models.generate_content_stream(model="gemini-2.5-flash", contents="x")
        first = await anext(chunks)
        assert texts_of([first]) == ["Hello"]
        held = await asyncio.to_thread(fake_gemini.wait_for_hold, 5)
        assert held is not None and held.events_sent == 1
        fake_gemini.release()
        rest = [c async for c in chunks]
    assert texts_of(rest) == [", world."]
    assert rest[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_hang_up_on_held_stream_is_noticed_fast(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.hold_open())
    with httpx.stream(
        "POST",
        fake_gemini.base_url + STREAM + "?alt=sse",
        json=BODY,
        headers={"x-goog-api-key": KEY},
    ) as response:
        body = response.iter_raw()  # kept: dropping the generator would close the stream
        next(body)
        assert fake_gemini.wait_for_hold(5) is not None
        closed_at = time.monotonic()
        response.close()
    noticed = fake_gemini.wait_for_disconnect(5)
    assert noticed is not None and 0 <= noticed - closed_at < 0.25
    record = fake_gemini.streams[-1]
    assert record.last_byte_at is not None and record.last_byte_at < closed_at
    assert not record.completed
    assert fake_gemini.wait_for_disconnect(0.05) is None  # each hang-up is reported once


async def test_cancelling_a_slow_stream_with_the_async_sdk(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.slow(0.05))
    async with make_client(fake_gemini).aio as sdk:
        chunks = await sdk.models.generate_content_stream(model="gemini-2.5-flash", contents="x")
        got = [texts_of([await anext(chunks)]) for _ in range(2)]
        await chunks.aclose()
    assert got == [["Slow chunk 1. "], ["Slow chunk 2. "]]
    noticed = await asyncio.to_thread(fake_gemini.wait_for_disconnect, 5)
    assert noticed is not None
    assert fake_gemini.streams[-1].events_sent < len(sc.SLOW_TEXTS)


async def test_parallel_streams_do_not_mix(fake_gemini: FakeGemini) -> None:
    async with make_client(fake_gemini).aio as sdk:

        async def one(i: int) -> str:
            chunks = await sdk.models.generate_content_stream(
                model="gemini-2.5-flash", contents=f"chat number {i} says hello"
            )
            return "".join([t async for c in chunks for t in texts_of([c])])

        answers = await asyncio.gather(*(one(i) for i in range(6)))
    assert answers == [f"Echo: chat number {i} says hello" for i in range(6)]
    assert len({s.path for s in fake_gemini.streams}) == 1 and len(fake_gemini.streams) == 6


def test_stop_cuts_held_streams() -> None:
    server = FakeGemini().start()
    server.push(sc.hold_open())
    with make_client(server) as sdk:
        chunks = sdk.models.generate_content_stream(model="gemini-2.5-flash", contents="x")
        assert texts_of([next(chunks)]) == ["Hello"]
        assert server.wait_for_hold(5) is not None
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(Exception, match=r"incomplete chunked read|closed"):
            list(chunks)


# ---- fake-* model ids ------------------------------------------------------------------


def test_fake_model_ids(fake_gemini: FakeGemini) -> None:
    with make_client(fake_gemini) as sdk:
        assert "".join(texts_of(stream(sdk, "hi", model="fake-echo"))) == "Echo: hi"
        assert "".join(texts_of(stream(sdk, "hi", model="fake-anything"))) == "Echo: hi"
        blocked = stream(sdk, model="fake-blocked")
        assert blocked[0].prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
        assert (
            stream(sdk, "a b c d e f", model="fake-no-finish")[-1].candidates[0].finish_reason
            is None
        )
        thoughts = stream(
            sdk,
            model="fake-thoughts",
            config=types.GenerateContentConfig(
                thinking_config=types.ThinkingConfig(include_thoughts=True)
            ),
        )
        assert len(texts_of(thoughts, thought=True)) == 2
        assert "".join(texts_of(stream(sdk, model="fake-huge"))) == sc.huge_text(300_000)
        for model, finish in (
            ("fake-max-tokens", "MAX_TOKENS"),
            ("fake-safety", "SAFETY"),
            ("fake-content-less-finish", "STOP"),
            ("fake-empty-part-finish", "STOP"),
        ):
            assert stream(sdk, model=model)[-1].candidates[0].finish_reason == finish
        for model, code in (
            ("fake-400", 400),
            ("fake-403", 403),
            ("fake-404", 404),
            ("fake-429", 429),
            ("fake-500", 500),
            ("fake-503", 503),
            ("fake-504", 504),
        ):
            with pytest.raises(errors.APIError) as info:
                stream(sdk, model=model)
            assert info.value.code == code
        seen: list[str] = []
        with pytest.raises(errors.ServerError):
            for chunk in sdk.models.generate_content_stream(model="fake-error-event", contents="x"):
                seen.extend(texts_of([chunk]))
        assert seen == ["Partial ", "answer "]
        with pytest.raises(errors.UnknownApiResponseError):
            stream(sdk, model="fake-bad-json")
        with pytest.raises(Exception, match="incomplete chunked read"):
            stream(sdk, model="fake-abrupt")
        slow = sdk.models.generate_content_stream(model="fake-slow", contents="x")
        assert texts_of([next(slow)]) == ["Slow chunk 1. "]
        slow.close()
    assert fake_gemini.pending_scenarios == 0


def test_fake_flaky_alternates(fake_gemini: FakeGemini) -> None:
    with make_client(fake_gemini) as sdk:
        with pytest.raises(errors.ServerError):
            sdk.models.generate_content(model="fake-flaky", contents="x")
        assert sdk.models.generate_content(model="fake-flaky", contents="x").text == "Echo: x"


def test_file_can_be_active_at_once(fake_gemini: FakeGemini) -> None:
    fake_gemini.file_active_after_polls = 0
    with make_client(fake_gemini) as sdk:
        import io

        uploaded = sdk.files.upload(
            file=io.BytesIO(b"plain text"), config={"mime_type": "text/plain"}
        )
    assert uploaded.state == types.FileState.ACTIVE
    assert fake_gemini.uploaded(uploaded.name).data == b"plain text"
    assert "x-goog-upload-file-name" not in fake_gemini.requests[0].headers  # only for paths


# ---- the server as a child process ---------------------------------------------------


def test_subprocess_server(fake_gemini_process: FakeGeminiProcess) -> None:
    server = fake_gemini_process
    server.clear()
    server.push(sc.stream(["from ", "the child"]), {"builder": "http_error", "args": [503]})
    options = types.HttpOptions(base_url=server.base_url, api_version="v1beta")
    with genai.Client(api_key=KEY, http_options=options) as sdk:
        chunks = list(sdk.models.generate_content_stream(model="gemini-2.5-flash", contents="ping"))
        assert texts_of(chunks) == ["from ", "the child"]
        with pytest.raises(errors.ServerError):
            sdk.models.generate_content(model="gemini-2.5-flash", contents="again")
        held = sdk.models.generate_content_stream(model="fake-hold", contents="x")
        assert texts_of([next(held)]) == ["Hello"]
        server.release()
        assert texts_of(list(held)) == [", world."]
    recorded = server.wait_for_requests(3)
    assert recorded[0]["json"]["contents"][0]["parts"] == [{"text": "ping"}]
    assert recorded[0]["query"] == {"alt": "sse"} and KEY not in recorded[0]["target"]
    assert [s["completed"] for s in server.streams()] == [True, True, True]
