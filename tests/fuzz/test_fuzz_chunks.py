"""Chunk JSON for Gemini and OpenAI: arbitrary JSON shaped like theirs, arbitrary event
text and arbitrary error responses decode to a chunk or a RillError, nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from rill.core.errors import RillError
from rill.core.providers import gemini_wire, openai_wire
from rill.core.providers.openai_errors import error_from_http as openai_error_from_http
from rill.core.types import Chunk
from tests.fuzz.profile import FUZZ
from tests.fuzz.strategies import GEMINI_KEYS, OPENAI_KEYS, json_values

_event_text = st.one_of(
    st.text(max_size=60),
    json_values(GEMINI_KEYS + OPENAI_KEYS).map(json.dumps),
    st.sampled_from(["1" * 5000, "[" * 5000, '{"a":' * 3000, "-" + "9" * 4400, "NaN", "1e999"]),
)


def _only_typed(call: Any) -> None:
    try:
        result = call()
    except RillError as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return
    assert isinstance(result, Chunk | RillError)


@FUZZ
@given(json_values(GEMINI_KEYS))
def test_gemini_chunks(value: Any) -> None:
    _only_typed(lambda: gemini_wire.decode_chunk(value))


@FUZZ
@given(json_values(OPENAI_KEYS))
def test_openai_chunks(value: Any) -> None:
    splitter = openai_wire.ThinkSplitter()
    _only_typed(lambda: openai_wire.decode_chunk(value, splitter))
    _only_typed(lambda: openai_wire.decode_chunk(value, splitter, stream=False))


@FUZZ
@given(_event_text)
def test_event_text_for_both(text: str) -> None:
    _only_typed(lambda: gemini_wire.decode_event(text))
    _only_typed(lambda: openai_wire.decode_event(text, openai_wire.ThinkSplitter()))


_bodies = st.one_of(
    st.binary(max_size=200),
    json_values(GEMINI_KEYS + OPENAI_KEYS).map(lambda v: json.dumps(v).encode()),
)
_ctypes = st.sampled_from(["application/json", "text/html; charset=utf-8", "", "text/plain"])
_retry_after = st.one_of(st.none(), st.text(max_size=40), st.integers(0, 10**6).map(str))


@FUZZ
@given(st.integers(100, 599), _bodies, _ctypes, _retry_after)
# Found by fuzzing: "²".isdigit() is True but float()/int() refuse it.
@example(429, b'{"error": {"code": "\\u00b2", "message": "x"}}', "application/json", "\u00b2")
@example(500, b'{"error": {"code": "%s"}}' % (b"1" * 5000), "application/json", None)
def test_error_responses_for_both(
    status: int, body: bytes, ctype: str, retry_after: str | None
) -> None:
    for error in (
        gemini_wire.error_from_http(status, body, ctype, retry_after, "m"),
        openai_error_from_http(status, body, ctype, retry_after, "m", "Server"),
    ):
        assert isinstance(error, RillError)
        assert str(error) and "\n" not in str(error), repr(str(error))
