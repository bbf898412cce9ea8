"""openai_wire alone: <think> splitting at every cut, usage, finish reasons, error shapes."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rill.core.errors import (
    AuthError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from rill.core.providers import openai_errors as errors
from rill.core.providers import openai_wire as wire
from rill.core.types import Part


def run_splitter(pieces: list[str]) -> tuple[str, str]:
    splitter = wire.ThinkSplitter()
    parts: list[Part] = []
    for piece in pieces:
        parts.extend(splitter.feed(piece))
    parts.extend(splitter.flush())
    thought = "".join(p.text or "" for p in parts if p.thought)
    text = "".join(p.text or "" for p in parts if not p.thought)
    return thought, text


SAMPLE = "<think>Let me see: a < b, <thin is not a tag.</think>\n\nThe <b>answer</b> is 42."


@given(st.lists(st.integers(min_value=0, max_value=len(SAMPLE)), max_size=12))
def test_think_tags_split_at_any_cuts(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(SAMPLE)]
    pieces = [SAMPLE[a:b] for a, b in itertools.pairwise(bounds)]
    assert run_splitter(pieces) == (
        "Let me see: a < b, <thin is not a tag.",
        "The <b>answer</b> is 42.",
    )


def test_text_without_tags_passes_through_and_a_trailing_lt_is_flushed() -> None:
    assert run_splitter(["a <", "b"]) == ("", "a <b")
    assert run_splitter(["ends with <th"]) == ("", "ends with <th")


def test_an_unclosed_think_stays_thought() -> None:
    assert run_splitter(["<think>still thinking"]) == ("still thinking", "")


def test_usage_takes_reasoning_out_of_output() -> None:
    usage = wire.decode_usage(
        {
            "prompt_tokens": 10,
            "completion_tokens": 30,
            "total_tokens": 40,
            "completion_tokens_details": {"reasoning_tokens": 12},
            "prompt_tokens_details": {"cached_tokens": 4},
        }
    )
    assert usage is not None
    assert (usage.prompt_tokens, usage.output_tokens, usage.thoughts_tokens) == (10, 18, 12)
    assert (usage.cached_tokens, usage.total_tokens) == (4, 40)


@pytest.mark.parametrize(
    ("raw", "mapped"),
    [("stop", "STOP"), ("length", "MAX_TOKENS"), ("content_filter", "SAFETY"), (None, None)],
)
def test_finish_reasons(raw: str | None, mapped: str | None) -> None:
    assert wire.map_finish_reason(raw) == mapped


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (401, {"error": {"message": "bad", "code": "invalid_api_key"}}, AuthError, "(401): bad"),
        (402, {"error": {"code": 402, "message": "no credits"}}, PermissionDeniedError, "402"),
        (404, {"error": {"message": "gone", "code": "model_not_found"}}, NotFoundError, "'m'"),
        (429, {"error": {"message": "slow down"}}, RateLimitedError, "slow down"),
        (400, [{"error": {"code": 400, "message": "Gemini list", "status": "X"}}], None, "Gemini"),
        (422, {"detail": "FastAPI says no"}, InvalidRequestError, "FastAPI says no"),
        (503, {"error": "busy"}, ServerError, "busy"),
    ],
)
def test_error_shapes(status: int, body: object, error: type | None, words: str) -> None:
    mapped = errors.error_from_http(
        status, json.dumps(body).encode(), "application/json", None, "m", "Srv"
    )
    assert isinstance(mapped, error or InvalidRequestError)
    assert words in str(mapped)
    assert str(mapped).startswith(("Srv", "The model"))


def test_rejects_stream_options_recognises_the_refusal() -> None:
    refusal = errors.error_from_http(
        400, b'{"object":"error","message":"stream_options: extra"}', "application/json", None, None
    )
    other = errors.error_from_http(
        400, b'{"error":{"message":"x"}}', "application/json", None, None
    )
    assert errors.rejects_stream_options(refusal)
    assert not errors.rejects_stream_options(other)


def test_models_from_openrouter_use_their_fields() -> None:
    info = wire.decode_model(
        {
            "id": "vendor/model",
            "name": "Vendor: Model",
            "context_length": 32768,
            "architecture": {"input_modalities": ["text"]},
            "supported_parameters": ["reasoning", "top_k"],
            "top_provider": {"max_completion_tokens": 4096},
        }
    )
    assert info is not None
    assert (info.display_name, info.input_token_limit, info.output_token_limit) == (
        "Vendor: Model",
        32768,
        4096,
    )
    assert (info.vision, info.thinking) == (False, True)
    assert wire.decode_model({"id": "text-embedding-3-small"}) is None


def test_typed_content_items_text_thinking_and_unknown_ones() -> None:
    content = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Hm, "}, {"type": "x"}]},
        {"type": "thinking", "thinking": "ok."},
        {"type": "tool_reference", "tool": "web_search", "title": "A page"},
        "a bare string item",
        {"type": "text", "text": 7},
        {"type": "text", "text": "Answer "},
        {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}},
        {"type": "text", "text": "here."},
    ]
    obj = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}
    chunk = wire.decode_chunk(obj, wire.ThinkSplitter())
    assert chunk.thought_text == "Hm, ok."
    assert chunk.text == "Answer here."
    whole = {"choices": [{"index": 0, "message": {"content": content}, "finish_reason": "stop"}]}
    message = wire.decode_chunk(whole, wire.ThinkSplitter(), stream=False)
    assert (message.text, message.thought_text) == ("Answer here.", "Hm, ok.")
