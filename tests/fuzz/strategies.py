"""Hypothesis strategies for hostile stream bytes and chunk JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Bytes that matter to SSE framing and UTF-8, mixed with anything at all.
_INTERESTING = [
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"data:",
    b"data: ",
    b":",
    b" ",
    b"\xef\xbb\xbf",
    b"event: x\n",
    b"[DONE]",
    b"{",
    b"}",
    b'"',
    b"\xff",
    b"\xc3",
    b"\xa9",
    b"\x00",
    b"\xe2\x82",
    b"retry: 5\n",
    b"id: 1\n",
]

stream_bytes = st.lists(
    st.one_of(st.sampled_from(_INTERESTING), st.binary(max_size=40)), max_size=40
).map(b"".join)


def splits(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """``data`` cut into pieces at arbitrary points (empty pieces included)."""
    return st.lists(st.integers(0, len(data)), max_size=12).map(
        lambda cuts: _cut(data, sorted(cuts))
    )


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    pieces, last = [], 0
    for cut in cuts:
        pieces.append(data[last:cut])
        last = cut
    pieces.append(data[last:])
    return pieces


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "STOP",
            "SAFETY",
            "stop",
            "length",
            "error",
            "ERROR",
            "429",
            "²",
            "1" * 30,
            "<think>",
            "</think>",
        ]
    ),
)

GEMINI_KEYS = [
    "candidates",
    "content",
    "parts",
    "text",
    "thought",
    "thoughtSignature",
    "finishReason",
    "usageMetadata",
    "promptTokenCount",
    "candidatesTokenCount",
    "totalTokenCount",
    "modelVersion",
    "responseId",
    "promptFeedback",
    "blockReason",
    "error",
    "code",
    "status",
    "message",
    "details",
    "@type",
    "retryDelay",
    "reason",
    "inlineData",
    "mimeType",
    "data",
    "role",
]
OPENAI_KEYS = [
    "id",
    "object",
    "model",
    "choices",
    "index",
    "delta",
    "message",
    "content",
    "reasoning_content",
    "reasoning",
    "finish_reason",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "completion_tokens_details",
    "reasoning_tokens",
    "error",
    "code",
    "type",
    "detail",
    "role",
]


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON values shaped like the dialect's chunks: its keys, nested, any scalar."""
    return st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.one_of(st.sampled_from(keys), st.text(max_size=5)), inner, max_size=6
            ),
        ),
        max_leaves=30,
    )


def as_event(value: Any) -> bytes:
    return b"data: " + json.dumps(value).encode() + b"\n\n"
