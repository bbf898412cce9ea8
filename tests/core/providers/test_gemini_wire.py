"""Gemini JSON mapping: request bodies, chunk decoding and the error table."""

from __future__ import annotations

import base64

import pytest

from rill.core.errors import (
    AuthError,
    BlockedError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    RillError,
    ServerError,
)
from rill.core.providers import gemini_wire as wire
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role


def test_request_carries_every_option_in_gemini_names() -> None:
    settings = GenerationSettings(
        model="gemini-2.5-flash",
        temperature=0.9,
        top_p=0.95,
        top_k=40,
        max_output_tokens=500,
        stop_sequences=("END",),
        seed=7,
        system_instruction="You are a creative poet who writes in rhyme.",
        thinking_budget=1024,
        include_thoughts=True,
        safety=(("HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"),),
    )
    user = Message(
        role=Role.USER,
        parts=[
            Part.from_bytes(b"\x89PNG", "image/png"),
            Part.from_uri("gs://bucket/scones.jpg", "image/jpeg"),
            Part.from_text("What is this image about?"),
        ],
    )
    model = Message(role=Role.MODEL, parts=[Part(text="Scones.", thought_signature="c2lnIQ==")])
    body = wire.encode_request(GenerateRequest(contents=(user, model), settings=settings))
    assert body == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {
                        "inlineData": {
                            "mimeType": "image/png",
                            "data": base64.b64encode(b"\x89PNG").decode(),
                        }
                    },
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/scones.jpg"}},
                    {"text": "What is this image about?"},
                ],
            },
            {"role": "model", "parts": [{"text": "Scones.", "thoughtSignature": "c2lnIQ=="}]},
        ],
        "systemInstruction": {"parts": [{"text": "You are a creative poet who writes in rhyme."}]},
        "generationConfig": {
            "temperature": 0.9,
            "topP": 0.95,
            "topK": 40,
            "maxOutputTokens": 500,
            "stopSequences": ["END"],
            "seed": 7,
            "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True},
        },
        "safetySettings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
        ],
    }


def test_unset_options_are_not_sent() -> None:
    body = wire.encode_request(
        GenerateRequest(
            contents=(Message(role=Role.USER, parts=[Part.from_text("hi")]),),
            settings=GenerationSettings(model="m"),
        )
    )
    assert body == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def test_chunk_with_thoughts_signature_usage_and_finish() -> None:
    chunk = wire.decode_chunk(
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "**Plan**", "thought": True},
                            {"text": "Hello", "thoughtSignature": "AbC+/="},
                        ],
                    },
                    "finishReason": "MAX_TOKENS",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 9,
                "candidatesTokenCount": 2,
                "thoughtsTokenCount": 5,
                "cachedContentTokenCount": 3,
                "totalTokenCount": 16,
            },
            "modelVersion": "gemini-2.5-flash",
            "responseId": "abc123",
        }
    )
    assert chunk.text == "Hello"
    assert chunk.thought_text == "**Plan**"
    assert chunk.parts[1].thought_signature == "AbC+/="
    assert chunk.finish_reason == "MAX_TOKENS"
    assert chunk.usage is not None
    assert (chunk.usage.prompt_tokens, chunk.usage.output_tokens) == (9, 2)
    assert (chunk.usage.thoughts_tokens, chunk.usage.cached_tokens) == (5, 3)
    assert chunk.usage.total_tokens == 16
    assert (chunk.model_version, chunk.response_id) == ("gemini-2.5-flash", "abc123")


def test_content_less_finish_is_a_chunk_without_parts() -> None:
    chunk = wire.decode_chunk({"candidates": [{"finishReason": "STOP", "index": 0}]})
    assert chunk.parts == () and chunk.finish_reason == "STOP"


def test_blocked_prompt_raises_blocked_with_reason() -> None:
    with pytest.raises(BlockedError) as info:
        wire.decode_chunk({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})
    assert info.value.reason == "PROHIBITED_CONTENT"
    assert str(info.value) == "Gemini blocked the prompt (PROHIBITED_CONTENT)."


def test_error_event_mid_stream_is_mapped() -> None:
    with pytest.raises(ServerError, match="overloaded"):
        wire.decode_event(
            '{"error": {"code": 503, "message": "The model is overloaded. Please try again later.",'
            ' "status": "UNAVAILABLE"}}'
        )


def test_malformed_event_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        wire.decode_event('{"candidates": [')


def envelope(code: int, status: str, message: str, *details: dict[str, object]) -> bytes:
    import json

    return json.dumps(
        {"error": {"code": code, "message": message, "status": status, "details": list(details)}},
        indent=2,
    ).encode()


BAD_KEY = envelope(
    400,
    "INVALID_ARGUMENT",
    "API key not valid. Please pass a valid API key.",
    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"},
)


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "kind", "line"),
    [
        (400, BAD_KEY, None, AuthError, "Gemini rejected the API key (API_KEY_INVALID)."),
        (
            403,
            envelope(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."),
            None,
            PermissionDeniedError,
            "Gemini denied access (PERMISSION_DENIED): Method doesn't allow unregistered callers.",
        ),
        (
            404,
            envelope(404, "NOT_FOUND", "models/nope is not found for API version v1beta."),
            None,
            NotFoundError,
            "The model 'nope' was not found (NOT_FOUND): models/nope is not found for API "
            "version v1beta.",
        ),
        (
            400,
            envelope(400, "INVALID_ARGUMENT", "Invalid value at 'contents'."),
            None,
            InvalidRequestError,
            "Gemini rejected the request (INVALID_ARGUMENT): Invalid value at 'contents'.",
        ),
        (
            500,
            envelope(500, "INTERNAL", "An internal error has occurred."),
            None,
            ServerError,
            "Gemini had a server error (INTERNAL): An internal error has occurred.",
        ),
        (
            503,
            envelope(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
            None,
            ServerError,
            "Gemini is unavailable (UNAVAILABLE): The model is overloaded. Please try again later.",
        ),
        (
            504,
            envelope(504, "DEADLINE_EXCEEDED", "Deadline expired."),
            None,
            ServerError,
            "Gemini timed out on its side (DEADLINE_EXCEEDED): Deadline expired.",
        ),
        (
            502,
            b"<html><body>Bad Gateway</body></html>",
            None,
            ServerError,
            "Gemini had a server error (502) — the server answered HTTP 502 (text/html).",
        ),
    ],
)
def test_http_errors_map_to_one_human_line(
    status: int, body: bytes, retry_after: str | None, kind: type[RillError], line: str
) -> None:
    ctype = "text/html" if body.startswith(b"<") else "application/json; charset=UTF-8"
    error = wire.error_from_http(status, body, ctype, retry_after, "nope")
    assert type(error) is kind
    assert str(error) == line
    assert "\n" not in str(error)


@pytest.mark.parametrize(("delay", "seconds"), [("15s", 15.0), ("57.2s", 57.2), ("0.5s", 0.5)])
def test_rate_limit_retry_delay(delay: str, seconds: float) -> None:
    body = envelope(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota.",
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
    )
    error = wire.error_from_http(429, body, "application/json", None, "m")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == seconds
    assert error.retryable


def test_rate_limit_retry_after_header() -> None:
    body = envelope(429, "RESOURCE_EXHAUSTED", "Slow down.")
    error = wire.error_from_http(429, body, "application/json", "12", "m")
    assert isinstance(error, RateLimitedError) and error.retry_after == 12.0


def test_retry_after_http_date() -> None:
    assert wire.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0


def test_model_list_entry_decoding_and_filtering() -> None:
    entry = {
        "name": "models/gemini-2.5-flash",
        "displayName": "Gemini 2.5 Flash",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        "temperature": 1.0,
        "maxTemperature": 2.0,
        "topP": 0.95,
        "topK": 64,
        "thinking": True,
    }
    info = wire.decode_model(entry)
    assert info is not None
    assert (info.id, info.max_temperature, info.thinking) == ("gemini-2.5-flash", 2.0, True)
    assert (info.input_token_limit, info.output_token_limit, info.top_k) == (1048576, 65536, 64)
    assert (
        wire.decode_model(
            {"name": "models/embedding-001", "supportedGenerationMethods": ["embedContent"]}
        )
        is None
    )
