"""Writing a response body the way a real server does, faults included.

`BodyWriter` owns the socket of one response: chunked transfer-encoding, byte-level
splitting, pauses that notice a client hang-up (select + MSG_PEEK, so even an idle
held stream learns of EOF within ~50 ms), and a torn-down connection on demand.
"""

from __future__ import annotations

import contextlib
import io
import json
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.gemini_scenarios import Scenario
from tests.fakes.gemini_wire import Event

_POLL_INTERVAL = 0.02


class ClientGone(Exception):
    """The client closed its end; the server stops writing this response."""


class ServerStopping(Exception):
    """FakeGemini.stop() was called while a response was being written or held."""


@dataclass
class StreamRecord:
    """What happened to one generate/stream response, as seen from the server side."""

    path: str
    model: str
    streaming: bool
    started_at: float
    last_byte_at: float | None = None
    disconnected_at: float | None = None
    completed: bool = False
    held: bool = False
    events_sent: int = 0
    bytes_sent: int = 0


def peer_closed(sock: socket.socket) -> bool:
    """True once the client has hung up: the socket reads as EOF (or reset) without data."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (ConnectionError, OSError):
        return True


def sse_event(payload: dict[str, Any], *, crlf: bool, multi_line: bool) -> bytes:
    """`data: <json>` + blank line; JSON on one line unless asked to spread it."""
    end = "\r\n" if crlf else "\n"
    if multi_line:
        lines = json.dumps(payload, ensure_ascii=False, indent=1).split("\n")
        return ("".join(f"data: {line}{end}" for line in lines) + end).encode("utf-8")
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ": "))
    return f"data: {text}{end}{end}".encode()


MALFORMED_DATA = '{"candidates": [{"content": {"parts": [{"text": "this event is cut sh'


class BodyWriter:
    """Writes one response body to the socket, chunked, recording timing in `record`."""

    def __init__(
        self,
        sock: socket.socket,
        wfile: io.BufferedIOBase,
        record: StreamRecord,
        stopping: threading.Event,
        on_change: Callable[[], None],
    ) -> None:
        self._sock = sock
        self._wfile = wfile
        self.record = record
        self._stopping = stopping
        self._on_change = on_change

    def _gone(self) -> ClientGone:
        if self.record.disconnected_at is None:
            self.record.disconnected_at = time.monotonic()
            self._on_change()
        return ClientGone()

    def write_raw(self, data: bytes) -> None:
        """Bytes straight onto the socket (headers, or a deliberately broken body)."""
        try:
            self._wfile.write(data)
            self._wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError) as exc:
            raise self._gone() from exc
        self.record.bytes_sent += len(data)
        self.record.last_byte_at = time.monotonic()

    def write_chunk(self, data: bytes) -> None:
        """One HTTP/1.1 chunk."""
        if data:
            self.write_raw(b"%x\r\n" % len(data) + data + b"\r\n")

    def write_split(self, data: bytes, piece: int | None, pause: float) -> None:
        """`data` as chunks of at most `piece` bytes, a short pause between them."""
        if not piece or piece >= len(data):
            self.write_chunk(data)
            return
        for start in range(0, len(data), piece):
            if start:
                self.pause(pause)
            self.write_chunk(data[start : start + piece])

    def end_chunked(self) -> None:
        self.write_raw(b"0\r\n\r\n")

    def tear_down(self) -> None:
        """Close the TCP connection mid-body, as a proxy or a crashed server would."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._sock.close()

    def pause(self, seconds: float) -> None:
        """Wait, but notice a hang-up or a server stop within ~20 ms."""
        deadline = time.monotonic() + seconds
        while True:
            if self._stopping.is_set():
                raise ServerStopping()
            if peer_closed(self._sock):
                raise self._gone()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                select.select([self._sock], [], [], min(remaining, _POLL_INTERVAL))
            except (OSError, ValueError) as exc:
                raise self._gone() from exc
            if remaining > _POLL_INTERVAL:
                # A readable socket that is not at EOF (pipelined bytes) must not spin.
                time.sleep(0.001)

    def hold(self, released: Callable[[], bool]) -> None:
        """Keep the connection open, sending nothing, until `released()` or a hang-up."""
        self.record.held = True
        self._on_change()
        while not released():
            self.pause(_POLL_INTERVAL)
        self.record.held = False


def write_stream(
    writer: BodyWriter,
    scenario: Scenario,
    events: list[Event],
    *,
    sse: bool,
    released: Callable[[], bool],
) -> None:
    """Act out a streamed answer's events on an already started chunked body."""
    first = True
    for event in events:
        if event.kind == "hold":
            writer.hold(released)
            continue
        if not first and scenario.delay:
            writer.pause(scenario.delay)
        data = _sse_bytes(event, scenario) if sse else _array_bytes(event, first)
        if event.kind == "abrupt":
            writer.write_chunk(data[: max(1, len(data) // 2)])
            writer.tear_down()
            return
        writer.write_split(data, scenario.split_bytes, scenario.split_pause)
        writer.record.events_sent += 1
        first = False
    if not sse:
        writer.write_chunk(b"]" if not first else b"[]")
    writer.end_chunked()
    writer.record.completed = True


def _sse_bytes(event: Event, scenario: Scenario) -> bytes:
    if event.kind == "malformed":
        end = "\r\n" if scenario.crlf else "\n"
        return f"data: {MALFORMED_DATA}{end}{end}".encode()
    return sse_event(event.payload, crlf=scenario.crlf, multi_line=scenario.multi_line_data)


def _array_bytes(event: Event, first: bool) -> bytes:
    text = (
        MALFORMED_DATA
        if event.kind == "malformed"
        else json.dumps(event.payload, ensure_ascii=False, indent=2)
    )
    return (("[" if first else "\r\n,\r\n") + text).encode("utf-8")
