"""The fake model list and its paging, shaped like `GET v1beta/models` on Google."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tests.fakes.gemini_scenarios import FAKE_MODEL_SCENARIOS

_CHAT_METHODS = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]

# Field names and values as Google lists them; `thinking` is absent (not false) on
# models that cannot think, and embedding models carry no sampling fields at all.
DEFAULT_MODELS: tuple[dict[str, Any], ...] = (
    {
        "name": "models/gemini-2.5-flash",
        "version": "001",
        "displayName": "Gemini 2.5 Flash",
        "description": (
            "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports "
            "up to 1 million tokens, released in June of 2025."
        ),
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": _CHAT_METHODS,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": True,
    },
    {
        "name": "models/gemini-2.5-pro",
        "version": "2.5",
        "displayName": "Gemini 2.5 Pro",
        "description": "Stable release (June 17th, 2025) of Gemini 2.5 Pro",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": _CHAT_METHODS,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": True,
    },
    {
        "name": "models/gemini-embedding-001",
        "version": "001",
        "displayName": "Gemini Embedding 001",
        "description": "Obtain a distributed representation of a text.",
        "inputTokenLimit": 2048,
        "outputTokenLimit": 1,
        "supportedGenerationMethods": [
            "embedContent",
            "countTextTokens",
            "countTokens",
            "asyncBatchEmbedContent",
        ],
    },
    {
        "name": "models/gemini-2.5-flash-lite",
        "version": "001",
        "displayName": "Gemini 2.5 Flash-Lite",
        "description": "Stable version of Gemini 2.5 Flash-Lite, released in July of 2025",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": _CHAT_METHODS,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": True,
    },
    {
        "name": "models/gemini-2.0-flash",
        "version": "2.0",
        "displayName": "Gemini 2.0 Flash",
        "description": "Gemini 2.0 Flash",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": _CHAT_METHODS,
        "temperature": 1,
        "topP": 0.95,
        "topK": 40,
        "maxTemperature": 2,
    },
    {
        "name": "models/gemini-2.5-flash-image",
        "version": "2.0",
        "displayName": "Nano Banana",
        "description": "Gemini 2.5 Flash Image",
        "inputTokenLimit": 65536,
        "outputTokenLimit": 32768,
        "supportedGenerationMethods": _CHAT_METHODS,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
    },
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def fake_model_entry(model_id: str) -> dict[str, Any]:
    """A catalogue entry for a `fake-*` id, so clients that look a model up work."""
    return {
        "name": f"models/{model_id}",
        "version": "001",
        "displayName": f"Fake {model_id[5:].replace('-', ' ').title()}",
        "description": "A scenario model of Rill's fake Gemini server.",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": _CHAT_METHODS,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
        "thinking": True,
    }


def is_fake_model(model_id: str) -> bool:
    """`fake-*` ids are always served (fake-404 aside); unknown ones echo."""
    return model_id.startswith("fake-")


def known_fake_ids() -> list[str]:
    """Every fake id with a special meaning, for documentation and `--list-fake-models`."""
    from tests.fakes.gemini_tool_scenarios import TOOL_MODEL_SCENARIOS

    return sorted([*FAKE_MODEL_SCENARIOS, *TOOL_MODEL_SCENARIOS, "fake-404", "fake-flaky"])


def encode_page_token(offset: int) -> str:
    """An opaque token, as Google's are; it only has to round-trip through the client."""
    return base64.urlsafe_b64encode(f"models-offset:{offset}".encode()).decode("ascii")


def decode_page_token(token: str) -> int | None:
    """The offset a token stands for, or None when the client sent a token we never issued."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    prefix, _, number = raw.partition(":")
    if prefix != "models-offset" or not number.isdigit():
        return None
    return int(number)


def page_of(models: list[dict[str, Any]], page_size: int, offset: int) -> dict[str, Any]:
    """One page: `models`, plus `nextPageToken` unless it is the last page."""
    size = DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)
    body: dict[str, Any] = {"models": models[offset : offset + size]}
    if offset + size < len(models):
        body["nextPageToken"] = encode_page_token(offset + size)
    return body
