"""The fake Gemini server, driven by Google's own SDK: if google-genai reads our answers
the way it reads Google's, Rill's tests against the fake mean something."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

from tests.fakes import gemini_scenarios as sc
from tests.fakes import gemini_tool_scenarios as tools
from tests.fakes.gemini_server import FakeGemini
from tests.fakes_tests.sdk_helpers import (
    KEY,
    THINK,
    THOUGHT_WORDS,
    make_client,
    stream,
    texts_of,
    tiny_png,
)


@pytest.fixture
def client(fake_gemini: FakeGemini) -> Iterator[genai.Client]:
    sdk = make_client(fake_gemini)
    yield sdk
    sdk.close()


# ---- the default answer -------------------------------------------------------------


def test_default_echo_stream_looks_like_google(
    fake_gemini: FakeGemini, client: genai.Client
) -> None:
    chunks = stream(client, "hello there my friend, how are you")
    assert texts_of(chunks) == ["Echo: hello there ", "my friend, how ", "are you"]
    assert [c.candidates[0].finish_reason for c in chunks] == [None, None, types.FinishReason.STOP]
    assert all(c.candidates[0].content.role == "model" for c in chunks)
    assert {c.model_version for c in chunks} == {"gemini-2.5-flash"}
    assert len({c.response_id for c in chunks}) == 1 and chunks[0].response_id
    usage = [c.usage_metadata for c in chunks]
    assert [u.prompt_token_count for u in usage] == [7, 7, 7]  # words of the prompt
    assert [u.candidates_token_count for u in usage] == [3, 6, 8]  # running totals
    assert [u.total_token_count for u in usage] == [10, 13, 15]
    assert usage[-1].thoughts_token_count is None  # proto3 JSON omits zero counts
    assert usage[-1].prompt_tokens_details[0].modality == types.MediaModality.TEXT

    rec = fake_gemini.last_request
    assert rec.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert rec.query == {"alt": "sse"} and rec.headers["x-goog-api-key"] == KEY
    assert KEY not in rec.target
    assert rec.json["contents"] == [
        {"parts": [{"text": "hello there my friend, how are you"}], "role": "user"}
    ]


def test_sdk_default_api_version_v1_is_served_too(fake_gemini: FakeGemini) -> None:
    # google-genai 3.x talks to /v1/ unless told otherwise; Rill uses /v1beta/.
    with make_client(fake_gemini, api_version=None) as sdk:
        assert "".join(texts_of(stream(sdk, "hi"))) == "Echo: hi"
    assert fake_gemini.last_request.path == "/v1/models/gemini-2.5-flash:streamGenerateContent"


def test_request_body_as_the_sdk_serialised_it(
    fake_gemini: FakeGemini, client: genai.Client
) -> None:
    config = types.GenerateContentConfig(
        system_instruction="You are a creative poet who writes in rhyme.",
        temperature=0.9,
        top_p=0.95,
        top_k=40,
        max_output_tokens=500,
        stop_sequences=["END"],
        seed=7,
        candidate_count=1,
        thinking_config=types.ThinkingConfig(thinking_budget=1024, include_thoughts=True),
        safety_settings=[
            types.SafetySetting(
                category=types.HarmCategory.HARM_CATEGORY_HARASSMENT,
                threshold=types.HarmBlockThreshold.BLOCK_ONLY_HIGH,
            )
        ],
    )
    history = [
        types.Content(role="user", parts=[types.Part(text="first")]),
        types.Content(role="model", parts=[types.Part(text="answer")]),
        types.Content(role="user", parts=[types.Part(text="second question")]),
    ]
    chunks = list(
        client.models.generate_content_stream(
            model="gemini-2.5-flash", contents=history, config=config
        )
    )
    assert "".join(texts_of(chunks)) == "Echo: second question"

    sent = fake_gemini.last_request.json
    # The SDK writes camelCase outside and snake_case inside thinkingConfig.
    assert sent["generationConfig"]["thinkingConfig"] == {
        "include_thoughts": True,
        "thinking_budget": 1024,
    }
    assert sent["systemInstruction"] == {
        "parts": [{"text": "You are a creative poet who writes in rhyme."}],
        "role": "user",
    }
    assert sent["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
    ]
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    parsed = fake_gemini.last_request.normalized["generationConfig"]
    assert parsed == {
        "temperature": 0.9,
        "topP": 0.95,
        "topK": 40,
        "maxOutputTokens": 500,
        "stopSequences": ["END"],
        "seed": 7,
        "candidateCount": 1,
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024},
    }
    # The server parsed the snake_case flag: thoughts came back.
    assert texts_of(chunks, thought=True) == [sc.DEFAULT_THOUGHT]
    # promptTokenCount counts the system instruction and every turn.
    assert chunks[-1].usage_metadata.prompt_token_count == 9 + 1 + 1 + 2


# ---- scenarios ----------------------------------------------------------------------


def test_pushed_stream_order_usage_and_cache(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(
        sc.stream(
            ["One ", "two ", "three."],
            cached_tokens=4,
            usage={"candidatesTokenCount": 42, "totalTokenCount": 99},
            model_version="gemini-2.5-flash-001",
            response_id="resp-1",
        )
    )
    chunks = stream(client)
    assert texts_of(chunks) == ["One ", "two ", "three."]
    last = chunks[-1]
    assert last.usage_metadata.candidates_token_count == 42
    assert last.usage_metadata.total_token_count == 99
    assert last.usage_metadata.cached_content_token_count == 4
    assert last.model_version == "gemini-2.5-flash-001" and last.response_id == "resp-1"
    assert fake_gemini.pending_scenarios == 0
    # The queue is empty again: the next request gets the echo.
    assert "".join(texts_of(stream(client, "again"))) == "Echo: again"


def test_usage_only_on_last_chunk_like_older_traffic(
    client: genai.Client, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.stream(["a ", "b"], usage_on_every_chunk=False))
    chunks = stream(client)
    assert [c.usage_metadata is None for c in chunks] == [True, False]


def test_thoughts_and_signature_round_trip(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.thinking(texts=["The ", "answer."]))
    chat = client.chats.create(model="gemini-2.5-flash", config=THINK)
    chunks = list(chat.send_message_stream("think about it"))
    assert texts_of(chunks, thought=True) == list(sc.thinking().thoughts or ())
    assert texts_of(chunks) == ["The ", "answer."]
    signed = [p for c in chunks for p in c.candidates[0].content.parts if p.thought_signature]
    expected = base64.b64decode(sc.DEFAULT_SIGNATURE)
    assert [p.thought_signature for p in signed] == [expected]  # on the last answer part
    usage = chunks[-1].usage_metadata
    assert usage.thoughts_token_count == THOUGHT_WORDS == 15
    assert usage.total_token_count == usage.prompt_token_count + 2 + THOUGHT_WORDS

    chat.send_message("and now?")
    history = fake_gemini.last_request.json["contents"]
    sent_back = [
        p["thoughtSignature"] for c in history for p in c["parts"] if "thoughtSignature" in p
    ]
    # Same bytes; note the SDK re-encodes them as URL-safe base64.
    assert [base64.urlsafe_b64decode(s) for s in sent_back] == [expected]


def test_thoughts_withheld_without_include_thoughts(
    fake_gemini: FakeGemini, client: genai.Client
) -> None:
    fake_gemini.push(sc.thinking(texts=["ok"]))
    chunks = stream(client)
    assert texts_of(chunks, thought=True) == [] and texts_of(chunks) == ["ok"]
    assert chunks[-1].usage_metadata.thoughts_token_count == THOUGHT_WORDS  # it still thought


def test_blocked_prompt(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.blocked("SAFETY"))
    chunks = stream(client)
    assert len(chunks) == 1 and chunks[0].candidates is None
    assert chunks[0].prompt_feedback.block_reason == types.BlockedReason.SAFETY
    assert chunks[0].usage_metadata.prompt_token_count == 4


def test_error_event_after_chunks(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.error_event_after(2, texts=["a ", "b ", "c ", "d"]))
    seen: list[str] = []
    with pytest.raises(errors.ServerError) as info:
        for chunk in client.models.generate_content_stream(model="gemini-2.5-flash", contents="x"):
            seen.extend(texts_of([chunk]))
    assert seen == ["a ", "b "]
    assert (info.value.code, info.value.status) == (503, "UNAVAILABLE")
    assert info.value.message == "The model is overloaded. Please try again later."


@pytest.mark.parametrize("builder", [sc.content_less_finish, sc.empty_part_finish])
def test_finish_variants(fake_gemini: FakeGemini, client: genai.Client, builder: Any) -> None:
    fake_gemini.push(builder(["Hi ", "there"], "MAX_TOKENS"))
    chunks = stream(client)
    last = chunks[-1].candidates[0]
    assert texts_of(chunks) == ["Hi ", "there"]
    assert last.finish_reason == types.FinishReason.MAX_TOKENS
    if builder is sc.content_less_finish:
        assert last.content is None
    else:
        assert [p.text for p in last.content.parts] == [""]


def test_no_finish_ends_cleanly(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.no_finish(["cut ", "off"]))
    chunks = stream(client)
    assert texts_of(chunks) == ["cut ", "off"]
    assert all(c.candidates[0].finish_reason is None for c in chunks)


def test_abrupt_close_raises(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.abrupt_close(1, ["first ", "second"]))
    seen: list[str] = []
    # google-genai uses httpx2 (a fork of httpx) when it is installed, so match by name.
    with pytest.raises(Exception, match="incomplete chunked read") as info:
        for chunk in client.models.generate_content_stream(model="gemini-2.5-flash", contents="x"):
            seen.extend(texts_of([chunk]))
    assert seen == ["first "]
    assert type(info.value).__name__ == "RemoteProtocolError"


def test_malformed_json_event(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.malformed_json(1, ["good ", "never"]))
    seen: list[str] = []
    with pytest.raises(errors.UnknownApiResponseError):
        for chunk in client.models.generate_content_stream(model="gemini-2.5-flash", contents="x"):
            seen.extend(texts_of([chunk]))
    assert seen == ["good "]


def test_huge_answer(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.huge(300_000, 1000))
    chunks = stream(client)
    assert len(chunks) == 300
    assert "".join(texts_of(chunks)) == sc.huge_text(300_000)


@pytest.mark.parametrize(
    "fields",
    [
        {"split_bytes": 3, "crlf": True},
        {"split_bytes": 1, "crlf": False, "split_pause": 0.0002},
        {"multi_line_data": True, "crlf": False},
        {"multi_line_data": True, "split_bytes": 5},
    ],
)
def test_byte_level_framing(
    fake_gemini: FakeGemini, client: genai.Client, fields: dict[str, Any]
) -> None:
    texts = ["naïve café ", "日本語 ", "😀 done"]
    fake_gemini.push(sc.stream(texts, **fields))
    chunks = stream(client)
    assert texts_of(chunks) == texts
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_default_line_ending_can_be_lf() -> None:
    with FakeGemini(crlf=False) as server, make_client(server) as sdk:
        assert "".join(texts_of(stream(sdk, "lf please"))) == "Echo: lf please"


# ---- errors before the stream ---------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (400, "INVALID_ARGUMENT", errors.ClientError),
        (403, "PERMISSION_DENIED", errors.ClientError),
        (404, "NOT_FOUND", errors.ClientError),
        (500, "INTERNAL", errors.ServerError),
        (503, "UNAVAILABLE", errors.ServerError),
        (504, "DEADLINE_EXCEEDED", errors.ServerError),
    ],
)
def test_http_errors(
    fake_gemini: FakeGemini,
    client: genai.Client,
    code: int,
    status: str,
    kind: type[errors.APIError],
) -> None:
    fake_gemini.push(sc.http_error(code))
    with pytest.raises(kind) as info:
        stream(client)
    assert (info.value.code, info.value.status) == (code, status)
    assert info.value.message == sc.DEFAULT_MESSAGES[code]
    assert info.value.response.headers["content-type"] == "application/json; charset=UTF-8"


def test_rate_limit_details_readable(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.rate_limited("57.2s", retry_after=58))
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents="x")
    err = info.value
    assert (err.code, err.status, err.message) == (429, "RESOURCE_EXHAUSTED", sc.QUOTA_MESSAGE)
    retry = [
        d
        for d in err.details["error"]["details"]
        if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo"
    ]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "57.2s"}]
    assert err.response.headers["retry-after"] == "58"


def test_sdk_retries_fail_n_times_then_ok(fake_gemini: FakeGemini) -> None:
    fake_gemini.push(sc.fail_n_times_then_ok(2, 503))
    retry = types.HttpRetryOptions(attempts=3, initial_delay=0.01, max_delay=0.02, jitter=0)
    with make_client(fake_gemini, retry=retry) as sdk:
        response = sdk.models.generate_content(model="gemini-2.5-flash", contents="retry me")
    assert response.text == "Echo: retry me"
    assert len(fake_gemini.requests_for("generateContent")) == 3


def test_unknown_and_non_generating_models_404(client: genai.Client) -> None:
    for model in ("gemini-9-ultra", "gemini-embedding-001", "fake-404"):
        with pytest.raises(errors.ClientError) as info:
            stream(client, model=model)
        assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
        assert f"models/{model} is not found for API version v1beta" in info.value.message


def test_bad_api_key(fake_gemini: FakeGemini) -> None:
    with make_client(fake_gemini, key="wrong") as sdk, pytest.raises(errors.ClientError) as info:
        stream(sdk)
    err = info.value
    assert (err.code, err.status) == (400, "INVALID_ARGUMENT")
    assert err.message == "API key not valid. Please pass a valid API key."
    info_detail = err.details["error"]["details"][0]
    assert info_detail["reason"] == "API_KEY_INVALID" and info_detail["domain"] == "googleapis.com"


def test_invalid_bodies_are_400(client: genai.Client) -> None:
    bad_role = [types.Content(role="assistant", parts=[types.Part(text="hi")])]
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents=bad_role)
    assert info.value.code == 400 and "valid role" in info.value.message
    gif = types.Part.from_bytes(data=b"GIF89a", mime_type="image/gif")
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents=[gif, "what?"])
    assert info.value.message == "Unsupported MIME type: image/gif"


# ---- unary, counting, listing ---------------------------------------------------------


def test_generate_content_merges_like_google(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(sc.thinking(texts=["Hello ", "world."]))
    response = client.models.generate_content(model="gemini-2.5-flash", contents="x", config=THINK)
    parts = response.candidates[0].content.parts
    assert [(p.thought, p.text) for p in parts] == [
        (True, "".join(sc.thinking().thoughts or ())),
        (None, "Hello world."),
    ]
    assert parts[1].thought_signature == base64.b64decode(sc.DEFAULT_SIGNATURE)
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.text == "Hello world."
    assert response.usage_metadata.candidates_token_count == 2
    assert response.model_version == "gemini-2.5-flash" and response.response_id
    assert fake_gemini.last_request.path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_count_tokens(fake_gemini: FakeGemini, client: genai.Client) -> None:
    image = types.Part.from_bytes(data=tiny_png(), mime_type="image/png")
    result = client.models.count_tokens(
        model="gemini-2.5-flash", contents=[image, "what is this image about?"]
    )
    assert result.total_tokens == 5 + 1  # words + one per image
    sent = fake_gemini.last_request
    assert sent.action == "countTokens"
    data = sent.json["contents"][0]["parts"][0]["inlineData"]["data"]
    assert base64.urlsafe_b64decode(data) == tiny_png()  # the SDK sends URL-safe base64


def test_models_list_pages(fake_gemini: FakeGemini, client: genai.Client) -> None:
    models = list(client.models.list(config={"page_size": 2}))
    assert [m.name for m in models] == [
        "models/gemini-2.5-flash",
        "models/gemini-2.5-pro",
        "models/gemini-embedding-001",
        "models/gemini-2.5-flash-lite",
        "models/gemini-2.0-flash",
        "models/gemini-2.5-flash-image",
    ]
    pages = [r for r in fake_gemini.requests if r.path == "/v1beta/models"]
    assert [r.query.get("pageSize") for r in pages] == ["2", "2", "2"]
    assert "pageToken" not in pages[0].query and all("pageToken" in r.query for r in pages[1:])
    chat = [m for m in models if "generateContent" in (m.supported_actions or [])]
    assert len(chat) == 5  # the embedding model must be filtered out by clients
    flash = models[0]
    assert (flash.display_name, flash.input_token_limit, flash.output_token_limit) == (
        "Gemini 2.5 Flash",
        1048576,
        65536,
    )
    assert (flash.temperature, flash.max_temperature, flash.top_p, flash.top_k, flash.thinking) == (
        1,
        2,
        0.95,
        64,
        True,
    )
    assert models[4].thinking is None


def test_models_get(client: genai.Client) -> None:
    model = client.models.get(model="gemini-2.5-pro")
    assert model.display_name == "Gemini 2.5 Pro" and model.thinking is True
    with pytest.raises(errors.ClientError) as info:
        client.models.get(model="gemini-nope")
    assert info.value.code == 404


# ---- files ----------------------------------------------------------------------------


def test_files_upload_reaches_active(
    fake_gemini: FakeGemini, client: genai.Client, tmp_path: Path
) -> None:
    png = tmp_path / "red.png"
    png.write_bytes(tiny_png())
    uploaded = client.files.upload(file=png, config={"display_name": "Red dot"})
    assert uploaded.state == types.FileState.PROCESSING
    assert uploaded.mime_type == "image/png" and uploaded.size_bytes == len(tiny_png())
    assert uploaded.display_name == "Red dot"
    assert uploaded.uri == "https://generativelanguage.googleapis.com/v1beta/" + uploaded.name

    part = types.Part.from_uri(file_uri=uploaded.uri, mime_type="image/png")
    with pytest.raises(errors.ClientError) as info:  # not ACTIVE yet
        client.models.generate_content(model="gemini-2.5-flash", contents=[part, "what?"])
    assert info.value.status == "FAILED_PRECONDITION"

    states = [client.files.get(name=uploaded.name).state for _ in range(2)]
    assert states == [types.FileState.PROCESSING, types.FileState.ACTIVE]
    assert fake_gemini.uploaded(uploaded.name).data == tiny_png()
    answer = client.models.generate_content(model="gemini-2.5-flash", contents=[part, "what?"])
    assert answer.text == "Echo: what?"

    start, transfer = fake_gemini.requests[:2]
    # The SDK writes this body in snake_case, with size_bytes as a number.
    assert start.path == "/upload/v1beta/files" and start.json == {
        "file": {"display_name": "Red dot", "mime_type": "image/png", "size_bytes": len(tiny_png())}
    }
    assert start.headers["x-goog-upload-protocol"] == "resumable"
    assert start.headers["x-goog-upload-command"] == "start"
    assert start.headers["x-goog-upload-header-content-length"] == str(len(tiny_png()))
    assert start.headers["x-goog-upload-header-content-type"] == "image/png"
    assert transfer.headers["x-goog-upload-command"] == "upload, finalize"
    assert transfer.headers["x-goog-upload-offset"] == "0" and transfer.body == tiny_png()
    # The session URL is the credential: the SDK sends no API key with the bytes.
    assert "x-goog-api-key" not in transfer.headers and "upload_id" in transfer.query


def test_unknown_file_uri_is_refused(client: genai.Client) -> None:
    part = types.Part.from_uri(
        file_uri="https://generativelanguage.googleapis.com/v1beta/files/nosuchfile",
        mime_type="image/png",
    )
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents=[part, "x"])
    assert (info.value.code, info.value.status) == (403, "PERMISSION_DENIED")


def test_key_only_ever_sent_as_header(fake_gemini: FakeGemini, client: genai.Client) -> None:
    stream(client)
    client.models.count_tokens(model="gemini-2.5-flash", contents="a")
    list(client.models.list())
    assert fake_gemini.requests
    for rec in fake_gemini.requests:
        assert KEY not in rec.target and rec.headers["x-goog-api-key"] == KEY


# ---- what tools put in an answer (issue 16) -------------------------------------------


def _parts(chunks: list[types.GenerateContentResponse]) -> list[types.Part]:
    return [
        part
        for chunk in chunks
        for cand in chunk.candidates or []
        for part in (cand.content.parts if cand.content else None) or []
    ]


def test_sdk_reads_a_code_run_in_stream_order(
    fake_gemini: FakeGemini, client: genai.Client
) -> None:
    fake_gemini.push(tools.code_run(figure=tiny_png()))
    config = types.GenerateContentConfig(
        tools=[types.Tool(code_execution=types.ToolCodeExecution())]
    )
    parts = _parts(stream(client, "add 1 to 10", config=config))
    code = next(p.executable_code for p in parts if p.executable_code)
    result = next(p.code_execution_result for p in parts if p.code_execution_result)
    assert code.language == types.Language.PYTHON and code.code == tools.CODE
    assert result.outcome == types.Outcome.OUTCOME_OK and result.output == "55\n"
    kinds = [
        "code"
        if p.executable_code
        else "result"
        if p.code_execution_result
        else "image"
        if p.inline_data
        else "text"
        for p in parts
        if p.text != ""
    ]
    assert kinds == ["text", "code", "result", "image", "text"]
    assert next(p.inline_data for p in parts if p.inline_data).data == tiny_png()
    # The SDK sends the tool as Google's REST reference names it.
    assert fake_gemini.last_request.normalized["tools"] == [{"codeExecution": {}}]


def test_sdk_reads_grounding_metadata(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(tools.grounded())
    config = types.GenerateContentConfig(tools=[types.Tool(google_search=types.GoogleSearch())])
    chunks = stream(client, "what is rill", config=config)
    meta = chunks[-1].candidates[0].grounding_metadata
    assert meta is not None and meta.web_search_queries == [
        "what is rill chat",
        "rill gemini desktop",
    ]
    assert [c.web.title for c in meta.grounding_chunks] == ["rill.example", "docs.example"]
    first, second = meta.grounding_supports
    size = len(tools.GROUNDED_TEXTS[0].encode("utf-8"))
    assert first.segment.start_index is None and first.segment.end_index == size
    assert second.segment.start_index == size and second.grounding_chunk_indices == [1]
    assert first.confidence_scores == [0.9]
    assert meta.search_entry_point.rendered_content == tools.ENTRY_POINT_HTML
    assert fake_gemini.last_request.normalized["tools"] == [{"googleSearch": {}}]


def test_sdk_reads_url_context_and_citations(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(tools.url_context())
    config = types.GenerateContentConfig(tools=[types.Tool(url_context=types.UrlContext())])
    meta = stream(client, "read it", config=config)[-1].candidates[0].url_context_metadata
    assert meta is not None
    assert [(m.retrieved_url, m.url_retrieval_status) for m in meta.url_metadata] == [
        ("https://example.com/rill", types.UrlRetrievalStatus.URL_RETRIEVAL_STATUS_SUCCESS),
        ("https://example.com/paywalled", types.UrlRetrievalStatus.URL_RETRIEVAL_STATUS_PAYWALL),
    ]
    fake_gemini.push(tools.cited())
    cited = stream(client, "recite")[-1].candidates[0].citation_metadata
    assert cited is not None and cited.citations[0].uri == "https://example.com/hamlet"
    assert cited.citations[0].license == "public domain"


def test_sdk_reads_a_function_call_and_sends_its_signature_back(
    fake_gemini: FakeGemini, client: genai.Client
) -> None:
    fake_gemini.push(tools.function_call())
    chunks = stream(client, "weather in Zürich?")
    (part,) = [p for p in _parts(chunks) if p.function_call]
    assert part.function_call.name == "get_weather" and part.function_call.id == "call-7f3a"
    assert part.function_call.args == {"city": "Zürich", "days": 2}
    assert part.thought_signature == base64.b64decode(sc.DEFAULT_SIGNATURE)
    assert chunks[-1].function_calls[0].name == "get_weather"
    # The model turn goes back with its signature, then the function's response.
    history = [
        types.Content(role="user", parts=[types.Part(text="weather in Zürich?")]),
        chunks[-1].candidates[0].content,
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="get_weather", response={"temp": 21})],
        ),
    ]
    client.models.generate_content(model="gemini-2.5-flash", contents=history)
    sent = fake_gemini.last_request.normalized["contents"]
    assert sent[1]["parts"][-1]["functionCall"]["name"] == "get_weather"
    assert sent[1]["parts"][-1]["thoughtSignature"].rstrip("=") in (
        sc.DEFAULT_SIGNATURE.rstrip("="),
        sc.DEFAULT_SIGNATURE.replace("+", "-").replace("/", "_").rstrip("="),
    )
    assert sent[2]["parts"][0]["functionResponse"]["response"] == {"temp": 21}


def test_sdk_reads_an_image_answer(fake_gemini: FakeGemini, client: genai.Client) -> None:
    fake_gemini.push(tools.image_answer())
    config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
    parts = _parts(stream(client, "draw", model="gemini-2.5-flash-image", config=config))
    (image,) = [p for p in parts if p.inline_data]
    assert image.inline_data.mime_type == "image/png" and image.inline_data.data == tools.tiny_png()
    assert image.thought_signature == base64.b64decode(sc.DEFAULT_SIGNATURE)
    sent = fake_gemini.last_request.normalized["generationConfig"]
    assert sent["responseModalities"] == ["TEXT", "IMAGE"]


def test_a_tool_the_model_refuses_is_a_400(client: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[types.Tool(url_context=types.UrlContext())])
    with pytest.raises(errors.ClientError) as info:
        stream(client, "read", model="gemini-2.0-flash", config=config)
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")
    assert "Url Context" in (info.value.message or "")
    images = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
    with pytest.raises(errors.ClientError):
        stream(client, "draw", model="gemini-2.5-flash", config=images)
