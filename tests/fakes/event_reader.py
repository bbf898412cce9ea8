"""The SSE read loop alone, on any bytes: an ``EventReader`` that passes each event's
data on as a text chunk, so tests of ``rill.core.providers.sse.EventStream`` need no
provider and no server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from rill.core.errors import NetworkError, RillError
from rill.core.providers.sse import EventStream
from rill.core.types import Chunk, Part


class DataEvents:
    """Each event's data as one text chunk; ``grace`` once ``finish`` came in."""

    def __init__(self, finish: str = "", grace: float = 0.2) -> None:
        self.done = False
        self._finish = finish
        self._grace = grace
        self._finished = False

    def event(self, data: str) -> Chunk:
        self._finished = self._finished or (bool(self._finish) and data == self._finish)
        return Chunk(parts=(Part.from_text(data),))

    def grace(self) -> float | None:
        return self._grace if self._finished else None

    def end(self) -> None:
        return None


def _network_error(exc: Exception) -> RillError:
    return NetworkError(str(exc))


async def _nothing() -> None:
    return None


def data_stream(body: AsyncIterator[bytes], reader: DataEvents | None = None) -> EventStream:
    """An ``EventStream`` over ``body`` with a :class:`DataEvents` reader."""
    return EventStream(
        body,
        reader or DataEvents(),
        host="test",
        close=_nothing,
        network_error=_network_error,
    )


async def pieces(items: Iterable[bytes]) -> AsyncIterator[bytes]:
    """``items`` as a response body read piece by piece."""
    for item in items:
        yield item


async def read_data(stream: EventStream, into: list[str]) -> None:
    """Every event's data from ``stream`` into ``into`` (kept there if it raises)."""
    while (chunk := await stream.next()) is not None:
        into.append(chunk.text)
