"""Gemini's tools end to end against the fake server: what the request asks for, what
comes back decoded into provider-neutral parts, and the parts sent back exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rill.core.answer_types import CodeResult, CodeRun, FunctionCall, Outcome
from rill.core.chat import ChatSession
from rill.core.errors import InvalidRequestError
from rill.core.providers import gemini_wire as wire
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.gemini_tools import tool_support, unsupported
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes import gemini_scenarios as sc
from tests.fakes import gemini_tool_scenarios as tools
from tests.fakes.gemini_server import FakeGemini


@pytest.fixture
async def provider(fake_gemini: FakeGemini):  # type: ignore[no-untyped-def]
    p = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=5.0)
    yield p
    await p.aclose()


def session(provider: GeminiProvider, model: str = "gemini-2.5-flash", **on: Any) -> ChatSession:
    return ChatSession(provider, GenerationSettings(model=model, **on))


async def ask(chat: ChatSession, text: str) -> Message:
    async for _ in chat.send_message_stream(text):
        pass
    answer = chat.last_answer
    assert answer is not None
    return answer


async def test_tools_and_image_output_go_as_googles_rest_names(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    chat = session(provider, google_search=True, url_context=True, code_execution=True)
    await ask(chat, "hi")
    body = fake_gemini.last_request.json
    assert body["tools"] == [{"googleSearch": {}}, {"urlContext": {}}, {"codeExecution": {}}]
    assert "responseModalities" not in body.get("generationConfig", {})
    fake_gemini.push(tools.image_answer())
    await ask(session(provider, "gemini-2.5-flash-image", image_output=True), "draw")
    body = fake_gemini.last_request.json
    assert body["generationConfig"]["responseModalities"] == ["TEXT", "IMAGE"]
    assert "tools" not in body


async def test_a_code_run_decodes_in_stream_order_and_goes_back_exactly(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(tools.code_run(figure=tools.tiny_png(), outcome="OUTCOME_FAILED"))
    chat = session(provider, code_execution=True)
    answer = await ask(chat, "sum")
    kinds = [
        "code" if p.code else "result" if p.code_result else "image" if p.is_image else "text"
        for p in answer.parts
    ]
    assert kinds == ["text", "code", "result", "image", "text"]
    assert answer.parts[1].code == CodeRun(tools.CODE, "python")
    assert answer.parts[2].code_result == CodeResult(Outcome.FAILED, "55\n")
    assert answer.answer_text == "Let me add them up. The sum is 55."
    assert f"```python\n{tools.CODE}```" in answer.text  # what a text-only view shows
    await ask(chat, "again")
    sent = fake_gemini.last_request.json["contents"][1]["parts"]
    assert sent[1] == {"executableCode": {"language": "PYTHON", "code": tools.CODE}}
    assert sent[2] == {"codeExecutionResult": {"outcome": "OUTCOME_FAILED", "output": "55\n"}}
    assert sent[3]["inlineData"]["mimeType"] == "image/png"


async def test_a_function_call_keeps_its_id_args_and_signature_on_the_same_part(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(tools.function_call(text="Let me check. "))
    chat = session(provider)
    answer = await ask(chat, "weather?")
    call = answer.parts[-1]
    assert call.function_call == FunctionCall(
        "get_weather",
        json.dumps({"city": "Zürich", "days": 2}, ensure_ascii=False, separators=(",", ":")),
        "call-7f3a",
    )
    assert call.thought_signature == sc.DEFAULT_SIGNATURE
    await ask(chat, "and tomorrow?")
    model_turn = fake_gemini.last_request.json["contents"][1]
    assert model_turn == {
        "role": "model",
        "parts": [
            {"text": "Let me check. "},
            {
                "functionCall": {
                    "id": "call-7f3a",
                    "name": "get_weather",
                    "args": {"city": "Zürich", "days": 2},
                },
                "thoughtSignature": sc.DEFAULT_SIGNATURE,
            },
        ],
    }


async def test_grounding_url_context_and_citations_reach_the_answer(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(tools.grounded())
    answer = await ask(session(provider, google_search=True), "what is rill")
    g = answer.grounding
    assert g is not None and g.queries == ("what is rill chat", "rill gemini desktop")
    assert [s.title for s in g.sources] == ["rill.example", "docs.example"]
    first_end = len(tools.GROUNDED_TEXTS[0].encode())
    assert [(s.start, s.end, s.sources) for s in g.supports] == [
        (0, first_end, (0,)),
        (first_end, first_end + len(tools.GROUNDED_TEXTS[1].encode()), (1,)),
    ]
    assert g.search_entry_point == tools.ENTRY_POINT_HTML
    fake_gemini.push(tools.url_context())
    answer = await ask(session(provider, url_context=True), "read")
    assert [(r.url, r.status) for r in answer.url_context] == [
        ("https://example.com/rill", "success"),
        ("https://example.com/paywalled", "paywall"),
    ]
    fake_gemini.push(tools.cited())
    answer = await ask(session(provider), "recite")
    assert answer.citations[0].uri == "https://example.com/hamlet"
    # Unary answers carry the same metadata.
    fake_gemini.push(tools.grounded())
    chat = session(provider, google_search=True, stream=False)
    whole = await chat.send_message("again")
    assert whole.grounding == g


async def test_an_image_with_bad_base64_is_an_error_line_and_the_rest_stays(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(tools.bad_image())
    chat = session(provider)
    answer = await ask(chat, "draw")
    assert answer.answer_text == "Before the picture. After the picture."
    assert [p.error for p in answer.parts] == [None, wire.BAD_IMAGE, None]
    await ask(chat, "again")  # the error line is never sent to the model
    sent = fake_gemini.last_request.json["contents"][1]["parts"]
    assert sent == [{"text": "Before the picture. "}, {"text": "After the picture."}]


async def test_a_refused_tool_names_the_tool_and_the_model(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    chat = session(provider, "gemini-2.0-flash", url_context=True)
    with pytest.raises(InvalidRequestError) as info:
        await ask(chat, "read this")
    message = str(info.value)
    assert "gemini-2.0-flash" in message and "URL context" in message
    assert "Url Context is not supported" in message  # the server's own words stay
    assert chat.history[0].text == "read this"  # the user's turn is kept
    request = GenerateRequest((Message(Role.USER, [Part.from_text("x")]),), chat.settings)
    with pytest.raises(InvalidRequestError, match="URL context"):
        await provider.generate(request)


def test_the_support_table_follows_googles_model_pages() -> None:
    assert tool_support("gemini-2.5-flash").allows("url_context")
    assert not tool_support("gemini-2.0-flash").allows("url_context")
    assert tool_support("gemini-2.0-flash").allows("google_search")
    assert not tool_support("gemini-2.5-flash").image_output
    image = tool_support("gemini-2.5-flash-image")
    assert image.image_output and not image.google_search and image.reasons["google_search"]
    assert tool_support("gemini-3-pro-image-preview").google_search
    assert not tool_support("gemma-3-27b-it").code_execution
    assert tool_support("some-future-model").code_execution  # unknown: the server decides
    asked = GenerationSettings(model="gemini-2.0-flash", url_context=True, image_output=True)
    assert unsupported(asked) == ["URL context", "Images in answers"]


def test_decoding_never_raises_on_malformed_metadata() -> None:
    odd: dict[str, Any] = {
        "candidates": [
            {
                "content": {"parts": [{"text": "x"}, {"functionCall": {"args": [1]}}]},
                "groundingMetadata": {
                    "webSearchQueries": ["q", 3],
                    "groundingChunks": [None, {"web": {"uri": 5}}, {"retrievedContext": {}}],
                    "groundingSupports": [
                        {"segment": {"endIndex": "9"}},
                        {"segment": {"endIndex": 1}, "groundingChunkIndices": ["a", 0, True]},
                        7,
                    ],
                    "searchEntryPoint": "not an object",
                },
                "urlContextMetadata": {"urlMetadata": [{"retrievedUrl": None}, "x"]},
                "citationMetadata": {"citationSources": [{"startIndex": "0"}, None]},
                "finishReason": "STOP",
            }
        ]
    }
    chunk = wire.decode_chunk(odd)
    assert chunk.parts[0].text == "x" and chunk.parts[1].function_call is not None
    assert chunk.grounding is not None and chunk.grounding.queries == ("q",)
    assert len(chunk.grounding.sources) == 3  # indices still count the odd ones
    assert [s.sources for s in chunk.grounding.supports] == [(0,)]
    assert chunk.url_context == () and len(chunk.citations) == 1
