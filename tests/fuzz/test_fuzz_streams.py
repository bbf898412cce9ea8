"""Whole streams through GeminiProvider and OpenAICompatProvider (httpx mock transport):
arbitrary bytes in arbitrary reads end in chunks or a RillError, never anything else;
a valid answer split anywhere arrives exactly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from hypothesis import given
from hypothesis import strategies as st

from rill.core.errors import RillError
from rill.core.providers.base import Provider
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes.fault_payloads import DIALECTS, Dialect
from tests.fuzz.profile import FUZZ
from tests.fuzz.strategies import splits, stream_bytes

REQUEST = GenerateRequest(
    contents=(Message(role=Role.USER, parts=[Part.from_text("hi")]),),
    settings=GenerationSettings(model="m"),
)


class _Body(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


def _provider(dialect: Dialect, pieces: list[bytes]) -> Provider:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=_Body(pieces)
        )

    transport = httpx.MockTransport(answer)
    if dialect.name == "gemini":
        return GeminiProvider("k", "http://fuzz.test", transport=transport)
    return OpenAICompatProvider("http://fuzz.test/v1", "k", transport=transport)


def _run(dialect: Dialect, pieces: list[bytes]) -> tuple[str, RillError | None]:
    async def go() -> tuple[str, RillError | None]:
        provider = _provider(dialect, pieces)
        text = ""
        try:
            async for chunk in provider.stream(REQUEST):
                text += "".join(p.text or "" for p in chunk.parts if not p.thought)
        except RillError as exc:
            return text, exc
        finally:
            await provider.aclose()
        return text, None

    return asyncio.run(go())


@FUZZ
@given(st.sampled_from(DIALECTS), st.data())
def test_arbitrary_bytes_end_in_chunks_or_a_typed_error(
    dialect: Dialect, data: st.DataObject
) -> None:
    raw = data.draw(stream_bytes)
    # Half the time, hostile bytes after a real event, so decoding gets past the first.
    if data.draw(st.booleans()):
        raw = dialect.event("ok") + raw
    _text, error = _run(dialect, data.draw(splits(raw)))
    if error is not None:
        assert str(error) and "\n" not in str(error)


# No "<": an OpenAI answer's <think>…</think> is a thought by design, not answer text.
_texts = st.lists(
    st.text(st.characters(blacklist_characters="<", blacklist_categories=["Cs"]), min_size=1,
            max_size=12),
    min_size=1,
    max_size=5,
)  # fmt: skip


@FUZZ
@given(st.sampled_from(DIALECTS), _texts, st.data())
def test_a_valid_answer_split_anywhere_arrives_exactly(
    dialect: Dialect, texts: list[str], data: st.DataObject
) -> None:
    raw = dialect.answer(*texts)
    text, error = _run(dialect, data.draw(splits(raw)))
    assert error is None, str(error)
    assert text == "".join(texts)
