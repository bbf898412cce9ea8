"""SSE framing under arbitrary bytes and arbitrary splits: only ProtocolError escapes,
and where the bytes are a valid stream, how they are split never changes the events."""

from __future__ import annotations

import asyncio
import contextlib

from hypothesis import given
from hypothesis import strategies as st

from rill.core.errors import ProtocolError, StreamInterruptedError
from rill.core.providers.sse import SSEDecoder
from tests.fakes.event_reader import data_stream, pieces, read_data
from tests.fuzz.profile import FUZZ
from tests.fuzz.strategies import splits, stream_bytes


def _decode(pieces: list[bytes]) -> tuple[list[str], str | None]:
    decoder = SSEDecoder(max_event_bytes=4096)
    events: list[str] = []
    for piece in pieces:
        events += decoder.feed(piece)
    tail, leftover = decoder.close()
    return events + tail, leftover


@FUZZ
@given(st.data())
def test_any_bytes_any_split_raise_only_protocol_errors(data: st.DataObject) -> None:
    raw = data.draw(stream_bytes)
    pieces = data.draw(splits(raw))
    try:
        _decode(pieces)
    except ProtocolError as exc:
        assert str(exc) and "\n" not in str(exc)


_line_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30
)
_event = st.lists(_line_text, min_size=1, max_size=3)
_ending = st.sampled_from(["\n", "\r\n", "\r"])


@FUZZ
@given(st.data())
def test_splitting_a_valid_stream_never_changes_its_events(data: st.DataObject) -> None:
    events = data.draw(st.lists(_event, max_size=6))
    eol = data.draw(_ending)
    comment = data.draw(st.booleans())
    text = "".join(
        (f": keep-alive{eol}" if comment else "")
        + "".join(f"data: {line}{eol}" for line in lines)
        + eol
        for lines in events
    )
    raw = text.encode("utf-8")
    expected = ["\n".join(lines) for lines in events]
    pieces = data.draw(splits(raw))
    decoded, leftover = _decode(pieces)
    assert decoded == expected
    assert leftover is None


@FUZZ
@given(st.data())
def test_the_read_loop_raises_only_typed_errors(data: st.DataObject) -> None:
    raw = data.draw(stream_bytes)
    split = data.draw(splits(raw))

    async def consume() -> None:
        await read_data(data_stream(pieces(split)), [])

    with contextlib.suppress(ProtocolError, StreamInterruptedError):
        asyncio.run(consume())
