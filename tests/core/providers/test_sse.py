"""SSE framing: events split anywhere, every line-ending style, multi-line data, UTF-8."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rill.core.errors import ProtocolError, StreamInterruptedError
from rill.core.providers.sse import SSEDecoder
from tests.fakes.event_reader import DataEvents, data_stream, pieces, read_data

EVENTS = [json.dumps({"i": i, "t": "héllo € 𝄞 日本"}, ensure_ascii=False) for i in range(20)]


def feed_in_pieces(raw: bytes, cuts: list[int]) -> tuple[list[str], str | None]:
    decoder = SSEDecoder()
    out: list[str] = []
    last = 0
    for cut in sorted(set(cuts)):
        out += decoder.feed(raw[last:cut])
        last = cut
    out += decoder.feed(raw[last:])
    events, leftover = decoder.close()
    return out + events, leftover


@pytest.mark.parametrize("sep", ["\r\n", "\n", "\r"])
def test_every_split_point_yields_the_same_events(sep: str) -> None:
    raw = "".join(f"data: {e}{sep}{sep}" for e in EVENTS[:3]).encode()
    for cut in range(len(raw) + 1):
        events, leftover = feed_in_pieces(raw, [cut])
        assert events == EVENTS[:3], cut
        assert leftover is None


@settings(max_examples=200, deadline=None)
@given(
    sep=st.sampled_from(["\r\n", "\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=40),
)
def test_random_splits_never_change_the_events(sep: str, cuts: list[int]) -> None:
    raw = "".join(f"data: {e}{sep}{sep}" for e in EVENTS).encode()
    events, leftover = feed_in_pieces(raw, [c % (len(raw) + 1) for c in cuts])
    assert events == EVENTS
    assert leftover is None


def test_multi_line_data_is_joined_with_newlines() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a":\r\ndata: 1}\r\n\r\n') == ['{"a":\n1}']


def test_comments_other_fields_and_no_space_after_colon() -> None:
    decoder = SSEDecoder()
    raw = b": keep-alive\n\nevent: message\nid: 7\nretry: 10\ndata:x\n\n"
    assert decoder.feed(raw) == ["x"]


def test_leading_bom_is_ignored() -> None:
    assert SSEDecoder().feed("\ufeffdata: a\n\n".encode()) == ["a"]


def test_a_lone_cr_at_the_end_of_the_body_still_completes_the_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\r") == []
    assert decoder.close() == (["a"], None)


def test_a_final_line_without_its_blank_line_is_unterminated() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.close() == ([], "a")


def test_an_unterminated_event_is_reported_as_leftover() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"half": ') == []
    assert decoder.close() == ([], '{"half": ')


def test_invalid_utf8_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="UTF-8"):
        SSEDecoder().feed(b"data: \xff\xfe\n\n")


def test_an_oversized_event_is_refused() -> None:
    decoder = SSEDecoder(max_event_bytes=1000)
    with pytest.raises(ProtocolError, match="larger than"):
        for _ in range(100):
            decoder.feed(b"data: " + b"x" * 100)


def test_a_huge_line_in_small_reads_is_linear() -> None:
    decoder = SSEDecoder()
    piece = b"y" * 4096
    decoder.feed(b"data: ")
    for _ in range(2500):  # 10 MB; quadratic joining would take minutes
        assert decoder.feed(piece) == []
    assert decoder.feed(b"\n\n") == ["y" * 4096 * 2500]


async def test_a_body_ending_mid_event_is_a_broken_connection() -> None:
    got: list[str] = []
    with pytest.raises(StreamInterruptedError, match="broke before the answer"):
        await read_data(data_stream(pieces([b"data: one\n\n", b"data: tw"])), got)
    assert got == ["one"]


async def test_a_quiet_server_ends_a_finished_stream_and_comments_do_not_hold_it() -> None:
    """Past the finish, the reader's grace bounds the wait for the next *event*: a
    server that keeps the connection open, sending only keep-alive comments, ends
    the stream with what came (the grace of the old ``until_quiet``)."""

    async def body() -> AsyncIterator[bytes]:
        yield b"data: a\n\ndata: end\n\n"
        for _ in range(100):  # 5 s of comments, 50 ms apart
            await asyncio.sleep(0.05)
            yield b": keep-alive\n\n"
        yield b"data: late\n\n"

    got: list[str] = []
    started = time.monotonic()
    await read_data(data_stream(body(), DataEvents(finish="end", grace=0.3)), got)
    assert got == ["a", "end"]
    assert time.monotonic() - started < 2.5
