"""Reading a streamed answer: bytes to Server-Sent Events to chunks, in one loop.

Bytes arrive in arbitrary pieces: an event, a line ending (``\\r\\n`` split between
reads) or a UTF-8 character may be cut anywhere. :class:`SSEDecoder` keeps what it
has not understood yet and gives an event's data only once its terminating blank
line came. :class:`EventStream` is the read loop every HTTP provider shares: it reads
the body, decodes its events and hands each event's data to the provider's
:class:`EventReader` (the wire format's half), so a chunk goes from the socket to
the caller through this module and the wire module alone. The provider's own module
is visited only while the stream opens.
"""

from __future__ import annotations

import asyncio
import codecs
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Protocol

from rill.core.errors import ProtocolError, RillError, StreamInterruptedError
from rill.core.types import Chunk

# After an answer's finish, how long to wait for what may still follow it (usage after
# the finish, [DONE]) before the response is closed and the answer is complete.
FINISH_GRACE = 1.0
# Once the answer is whole (finish and usage in), how long to wait for the body's end:
# a well-behaved server's is on its way, and reading it keeps the connection pooled.
END_GRACE = 0.25
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


class EventReader(Protocol):
    """A wire format's half of the read loop: each event's data to a chunk."""

    @property
    def done(self) -> bool:
        """Whether the last event ended the stream (OpenAI's ``[DONE]``)."""
        ...

    def event(self, data: str) -> Chunk | None:
        """The chunk one event's data carries (None: nothing to pass on yet).

        Raises the error the event reports, mapped onto Rill's errors.
        """
        ...

    def grace(self) -> float | None:
        """How long to wait for the next event: None while the answer is still coming
        (the client's read timeout bounds each read), seconds once it is complete, so
        a server that keeps the connection open cannot hold a finished answer."""
        ...

    def end(self) -> Chunk | None:
        """The stream ended: a last chunk, if any; raises when the answer is not whole."""
        ...


class EventStream:
    """One streamed response read as chunks: the read loop of every HTTP provider.

    ``close`` ends the response (a stopped answer's connection is dropped at once);
    ``network_error`` maps a failed read onto Rill's errors; ``host`` names the server
    when the body ends in the middle of an event.
    """

    def __init__(
        self,
        body: AsyncIterator[bytes],
        reader: EventReader,
        *,
        host: str,
        close: Callable[[], Awaitable[None]],
        network_error: Callable[[Exception], RillError],
    ) -> None:
        self._body = body
        self._reader = reader
        self._host = host
        self._close = close
        self._network_error = network_error
        # httpx is imported here, not with the module: the wire modules take this
        # module's graces, and the offline model's provider reads no HTTP at all (with
        # httpx, ~6 MB and ~90 modules more at idle for an app that never streams).
        import httpx

        self._read_errors: type[Exception] = httpx.HTTPError
        self._decoder = SSEDecoder()
        self._events: deque[str] = deque()  # decoded, not yet handed to the reader
        self._head: Chunk | None = None  # read by first(), not yet taken
        self._ended = False  # the body ended, went quiet or the reader said done
        self._finished = False  # the reader's end() was asked
        self._failed: RillError | None = None  # raised once the events before it are out

    async def first(self) -> None:
        """Read up to the first chunk and keep it for :meth:`next`.

        An error before any chunk is raised here, while the provider opening the
        stream can still send its request again; the stream is closed then.
        """
        try:
            self._head = await self.next()
        except BaseException:
            await self.aclose()
            raise

    async def next(self) -> Chunk | None:
        """The next chunk; None once the stream has ended."""
        if self._head is not None:
            head, self._head = self._head, None
            return head
        while True:
            if self._events:
                chunk = self._reader.event(self._events.popleft())
                if self._reader.done:
                    self._events.clear()
                    self._ended = True
                if chunk is not None:
                    return chunk
            elif self._failed is not None:
                raise self._failed
            elif not self._ended:
                await self._read()
            elif self._finished:
                return None
            else:
                self._finished = True
                return self._reader.end()

    async def _read(self) -> None:
        """Read until the body gives an event or ends; once the answer is complete,
        a wait longer than the reader's grace ends the stream (quiet after the end)."""
        try:
            async with asyncio.timeout(self._reader.grace()) as timer:
                while not self._events and not self._ended:
                    raw = await anext(self._body, None)
                    if raw is None:
                        self._body_ended()
                    else:
                        self._events.extend(self._decoder.feed(raw))
        except TimeoutError:
            if not timer.expired():
                raise
            self._ended = True
        except self._read_errors as exc:
            raise self._network_error(exc) from None

    def _body_ended(self) -> None:
        self._ended = True
        events, leftover = self._decoder.close()
        self._events.extend(events)
        if leftover is not None and leftover.strip():
            # A body cut mid-event is a broken connection, not an end.
            self._failed = StreamInterruptedError(
                f"The connection to {self._host} broke before the answer was finished.",
                detail="The connection closed in the middle of an event.",
            )

    async def aclose(self) -> None:
        """End the response (again is harmless)."""
        await self._close()


async def read_stream(
    open_stream: Callable[[], Awaitable[EventStream | Chunk]],
) -> AsyncGenerator[Chunk, None]:
    """A provider's ``stream()``: ``open_stream()`` at the first read (sending the
    request and reading to the first chunk, with the provider's own retries), then
    the chunks straight from the :class:`EventStream`; closed when the caller stops.
    A chunk from ``open_stream()`` is an answer that came whole (a server that
    ignored the request to stream)."""
    stream = await open_stream()
    if isinstance(stream, Chunk):
        yield stream
        return
    try:
        while (chunk := await stream.next()) is not None:
            yield chunk
    finally:
        await stream.aclose()
