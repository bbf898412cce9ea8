"""Helpers shared by the fidelity tests: the SDK client pointed at the fake, and readers."""

from __future__ import annotations

import struct
import zlib

from google import genai
from google.genai import types

from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

KEY = "test-key"


def make_client(
    server: FakeGemini,
    *,
    api_version: str | None = "v1beta",
    key: str = KEY,
    retry: types.HttpRetryOptions | None = None,
) -> genai.Client:
    """The SDK pointed at the fake; retries off unless a test asks for them."""
    options = types.HttpOptions(
        base_url=server.base_url,
        api_version=api_version,
        retry_options=retry or types.HttpRetryOptions(attempts=1),
    )
    return genai.Client(api_key=key, http_options=options)


def stream(
    client: genai.Client,
    text: str = "hello there my friend",
    *,
    model: str = "gemini-2.5-flash",
    config: types.GenerateContentConfig | None = None,
) -> list[types.GenerateContentResponse]:
    """Every chunk of one streamed answer, read with the sync SDK."""
    return list(client.models.generate_content_stream(model=model, contents=text, config=config))


def texts_of(chunks: list[types.GenerateContentResponse], *, thought: bool = False) -> list[str]:
    """The non-empty answer (or thought) texts of the chunks, in order."""
    out = []
    for chunk in chunks:
        for cand in chunk.candidates or []:
            for part in (cand.content.parts if cand.content else None) or []:
                if bool(part.thought) == thought and part.text:
                    out.append(part.text)
    return out


THOUGHT_WORDS = sum(len(t.split()) for t in sc.thinking().thoughts or ())  # 15 tokens
THINK = types.GenerateContentConfig(
    thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
)


def tiny_png() -> bytes:
    """A valid 2x2 red PNG, built by hand so the test needs no image files."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
