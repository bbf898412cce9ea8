"""An incremental Server-Sent Events reader that is exact about framing.

Bytes arrive in arbitrary pieces: an event, a line ending (``\\r\\n`` split between
reads) or a UTF-8 character may be cut anywhere. The decoder keeps what it has not
understood yet and yields an event's data only once its terminating blank line came.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator

from rill.core.errors import ProtocolError

# A generous cap: a real event is a few KB; an endless line is a broken or hostile server.
MAX_EVENT_BYTES = 32 * 1024 * 1024


class SSEDecoder:
    """Feed bytes with :meth:`feed`; get the ``data`` of each complete event back."""

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._pending: list[str] = []  # text not yet split into lines
        self._pending_len = 0
        self._data: list[str] = []  # data lines of the event being read
        self._size = 0
        self._max = max_event_bytes
        self._first = True
        self._failed: ProtocolError | None = None  # raised by the next feed() or close()

    def feed(self, raw: bytes) -> list[str]:
        """Consume ``raw`` and return the data of every event it completed.

        Invalid UTF-8 is a :class:`ProtocolError`; events completed before the bad
        byte in the same read are returned first and the error comes on the next call,
        so the answer that arrived before it is kept.
        """
        if self._failed is not None:
            raise self._failed
        buffered = self._utf8.getstate()[0]
        try:
            text = self._utf8.decode(raw)
        except UnicodeDecodeError as exc:
            self._failed = ProtocolError(
                "The server sent text that is not valid UTF-8.", detail=str(exc)
            )
            good = (buffered + raw)[: exc.start]
            self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
            events = self._feed_text(good.decode("utf-8")) if good else []
            if not events:
                raise self._failed from None
            return events
        return self._feed_text(text)

    def _feed_text(self, text: str) -> list[str]:
        if self._first and text:
            text = text.removeprefix("\ufeff")  # the spec allows one leading BOM
            self._first = False
        if "\n" not in text and "\r" not in text:
            # Mid-line: just collect, so a huge line costs O(n), not O(n^2).
            self._pending.append(text)
            self._pending_len += len(text)
            self._check_size(0)
            return []
        buf = "".join(self._pending) + text
        events: list[str] = []
        start = 0
        length = len(buf)
        while True:
            cr = buf.find("\r", start)
            lf = buf.find("\n", start)
            if cr == -1 and lf == -1:
                break
            if cr == -1 or (lf != -1 and lf < cr):
                end, nxt = lf, lf + 1
            else:
                # A lone "\r" at the end may be the first half of "\r\n": wait for more.
                if cr == length - 1:
                    break
                end = cr
                nxt = cr + 2 if buf[cr + 1] == "\n" else cr + 1
            event = self._line(buf[start:end])
            if event is not None:
                events.append(event)
            start = nxt
        rest = buf[start:]
        self._pending = [rest] if rest else []
        self._pending_len = len(rest)
        self._check_size(0)
        return events

    def _check_size(self, extra: int) -> None:
        if self._pending_len + self._size + extra > self._max:
            raise ProtocolError(
                f"The server sent an event larger than {self._max // (1024 * 1024)} MB."
            )

    def close(self) -> tuple[list[str], str | None]:
        """End of body: return events still completable and an unterminated event's data.

        A final line ended by a lone ``\\r`` is complete, so it can still finish an
        event. Data of an event that never got its blank line is returned separately:
        the SSE spec discards it, and the caller decides whether it means the
        connection broke mid-event.
        """
        if self._failed is not None:
            raise self._failed
        try:
            tail = self._utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            tail = "\ufffd"
        rest = "".join(self._pending) + tail
        self._pending = []
        self._pending_len = 0
        events: list[str] = []
        if rest.endswith("\r"):
            event = self._line(rest[:-1])
            if event is not None:
                events.append(event)
            rest = ""
        if rest:
            self._line(rest)  # an unfinished last line still carries its field
        if self._data:
            partial = "\n".join(self._data)
            self._data = []
            return events, partial
        return events, ("" if rest else None)

    def _line(self, line: str) -> str | None:
        if line == "":
            if not self._data:
                return None
            data = "\n".join(self._data)
            self._data = []
            self._size = 0
            return data
        if line.startswith(":"):
            return None  # a comment, used by some servers as a keep-alive
        field, sep, value = line.partition(":")
        if not sep:
            value = ""
        elif value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
            self._size += len(value) + 1
            self._check_size(0)
        # "event", "id", "retry" and unknown fields carry nothing Rill needs.
        return None


async def iter_sse(
    byte_stream: AsyncIterable[bytes], *, on_truncated: type[Exception] | None = None
) -> AsyncIterator[str]:
    """Yield each event's data from a byte stream.

    If the body ends in the middle of an event and ``on_truncated`` is given, that
    exception is raised (a body cut mid-event is a broken connection, not an end).
    """
    decoder = SSEDecoder()
    async for raw in byte_stream:
        for data in decoder.feed(raw):
            yield data
    events, leftover = decoder.close()
    for data in events:
        yield data
    if leftover is not None and leftover.strip() and on_truncated is not None:
        raise on_truncated("The connection closed in the middle of an event.")
