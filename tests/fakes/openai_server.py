"""A local stand-in for an OpenAI-compatible server (Chat Completions + SSE), for tests.

A real HTTP/1.1 server on 127.0.0.1 in a background thread, like ``FakeGemini``::

    with FakeOpenAI() as server:                   # api key "test-key" (None: no auth)
        server.push(stream(["Hel", "lo"]))         # the next chat/completions answer
        ...client at server.base_url...            # "http://127.0.0.1:PORT/v1"
        assert server.last_request.json["messages"]

Routes: ``GET /v1/models``, ``POST /v1/chat/completions`` (streamed or not); anything
else is a plain-text 404, like Ollama's. Requests are validated as OpenAI does
(messages, content parts, image URLs, ``stream_options`` only with ``stream``).
With ``reject_stream_options`` it refuses ``stream_options`` the way older vLLM
and some gateways do. A request in absolute form (``POST http://other/v1/...``) is
answered too, so the server doubles as the HTTP proxy in proxy tests.
Standalone: ``python -m tests.fakes.openai_server [--port N] [--api-key K]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.gemini_stream import BodyWriter, ClientGone, ServerStopping, StreamRecord
from tests.fakes.openai_scenarios import OAIScenario
from tests.fakes.openai_wire import (
    build_events,
    completion_body,
    echo_texts,
    error_body,
    prompt_tokens,
    validate,
)
from tests.fakes.served import LocalHTTPServer, ServedFake

DEFAULT_MODELS = ("fake-chat", "fake-vision-vl", "text-embedding-fake")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received (target keeps the raw request-target, proxy form too)."""

    method: str
    path: str
    target: str
    headers: dict[str, str]
    body: bytes
    json: Any
    received_at: float = field(default_factory=time.monotonic)


class _Server(LocalHTTPServer):
    def __init__(self, address: tuple[str, int], fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(address, _Handler)


class FakeOpenAI(ServedFake):
    """The fake server. Thread-safe; start()/stop() or use as a context manager."""

    def __init__(
        self,
        api_key: str | None = "test-key",
        *,
        models: tuple[str, ...] = DEFAULT_MODELS,
        reject_stream_options: bool = False,
        port: int = 0,
    ) -> None:
        super().__init__("127.0.0.1", port)
        self.api_key = api_key
        self.models = list(models)
        self.reject_stream_options = reject_stream_options
        self.default_scenario = OAIScenario(label="default")
        self._requests: list[RecordedRequest] = []
        self._queue: deque[OAIScenario] = deque()
        self._streams: list[StreamRecord] = []
        self._released = 0

    thread_name = "fake-openai"

    def _make_server(self, address: tuple[str, int]) -> _Server:
        return _Server(address, self)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client is configured with: the origin plus ``/v1``."""
        return f"{self.origin}/v1"

    # ---- inspection -----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self.lock:
            if not self._requests:
                raise AssertionError("the fake OpenAI server has received no request")
            return self._requests[-1]

    def completions(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def streams(self) -> list[StreamRecord]:
        with self.lock:
            return list(self._streams)

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> bool:
        """Block until ``predicate()`` (called under the lock) holds; False on timeout."""
        with self._cond:
            return bool(self._cond.wait_for(predicate, timeout))

    def wait_for_hold(self, timeout: float = 5.0) -> StreamRecord | None:
        self.wait_for(lambda: any(s.held for s in self._streams), timeout)
        return next((s for s in self.streams if s.held), None)

    def wait_for_disconnect(self, timeout: float = 5.0) -> float | None:
        """When the server noticed the latest response's client hang up, or None."""
        done = self.wait_for(
            lambda: bool(self._streams) and self._streams[-1].disconnected_at is not None, timeout
        )
        return self.streams[-1].disconnected_at if done else None

    # ---- control --------------------------------------------------------------------

    def push(self, *scenarios: OAIScenario) -> None:
        with self.lock:
            self._queue.extend(scenarios)

    def release(self) -> None:
        with self._cond:
            self._released += 1
            self._cond.notify_all()

    def clear(self) -> None:
        with self.lock:
            self._requests.clear()
            self._queue.clear()
            self._streams.clear()

    # ---- used by the handler --------------------------------------------------------

    def record(self, rec: RecordedRequest) -> None:
        with self._cond:
            self._requests.append(rec)
            self._cond.notify_all()

    def next_scenario(self) -> OAIScenario:
        with self.lock:
            return self._queue.popleft() if self._queue else self.default_scenario

    def new_stream(self, path: str, model: str, streaming: bool) -> StreamRecord:
        record = StreamRecord(path, model, streaming, time.monotonic())
        with self.lock:
            self._streams.append(record)
        return record

    def release_mark(self) -> int:
        with self.lock:
            return self._released


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake.lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.fake.lock:
            self.server.open_sockets.discard(self.connection)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path  # absolute form (via a proxy) too
        try:
            parsed = json.loads(body) if body.strip() else None
        except ValueError:
            parsed = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake.record(RecordedRequest(self.command, path, self.path, headers, body, parsed))
        try:
            self._route(path, headers, body, parsed)
        except (ClientGone, ServerStopping):
            self.close_connection = True

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError as exc:
            raise ClientGone() from exc

    def _json(self, status: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", extra or {})

    def _route(self, path: str, headers: dict[str, str], body: bytes, parsed: Any) -> None:
        fake = self.server.fake
        if path not in ("/v1/models", "/v1/chat/completions"):
            self._send(404, b"404 page not found", "text/plain; charset=utf-8", {})
            return
        if fake.api_key is not None:
            auth = headers.get("authorization", "")
            if not auth:
                self._json(401, error_body("You didn't provide an API key.", None))
                return
            if auth != f"Bearer {fake.api_key}":
                self._json(401, error_body("Incorrect API key provided.", "invalid_api_key"))
                return
        if path == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"}
                for m in fake.models
            ]
            self._json(200, {"object": "list", "data": data})
        elif self.command != "POST":
            self._json(405, error_body("Method not allowed.", None))
        else:
            self._completion(parsed, body)

    def _completion(self, req: Any, raw: bytes) -> None:
        fake = self.server.fake
        problem = validate(req, raw, fake.reject_stream_options)
        if problem is not None:
            self._json(400, problem)
            return
        model = req["model"]
        if model not in fake.models and not model.startswith("fake-"):
            msg = f"The model `{model}` does not exist or you do not have access to it."
            self._json(404, error_body(msg, "model_not_found"))
            return
        scenario = fake.next_scenario()
        streaming = bool(req.get("stream"))
        record = fake.new_stream(self.path, model, streaming)
        writer = BodyWriter(self.connection, self.wfile, record, fake.stopping, fake.notify)
        if scenario.first_delay:
            writer.pause(scenario.first_delay)
        if scenario.http_status is not None:
            self._error(scenario)
        else:
            texts = list(scenario.texts) if scenario.texts is not None else echo_texts(req)
            usage_wanted = bool((req.get("stream_options") or {}).get("include_usage"))
            if streaming and not scenario.ignore_stream:
                self._stream(writer, scenario, req, texts, usage_wanted)
            else:
                self._json(200, completion_body(scenario, req, texts))
        record.completed = record.disconnected_at is None
        record.last_byte_at = time.monotonic()
        fake.notify()

    def _error(self, scenario: OAIScenario) -> None:
        extra = {"Retry-After": scenario.retry_after} if scenario.retry_after else {}
        body = scenario.error_body
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self._send(scenario.http_status or 500, data, scenario.error_content_type, extra)

    def _stream(
        self, writer: BodyWriter, scenario: OAIScenario, req: Any, texts: list[str], usage: bool
    ) -> None:
        fake = self.server.fake
        mark = fake.release_mark()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
        except OSError as exc:
            raise ClientGone() from exc
        end = "\r\n" if scenario.crlf else "\n"
        first = True
        for kind, payload in build_events(scenario, req, texts, prompt_tokens(req), usage):
            if not first and scenario.delay:
                writer.pause(scenario.delay)
            first = False
            if kind == "hold":
                writer.hold(lambda: fake.release_mark() > mark)
                continue
            data = f"data: {payload}{end}{end}".encode()
            if kind == "abrupt":
                writer.write_chunk(data[: len(data) // 2])
                writer.tear_down()
                return
            if scenario.keepalive:
                writer.write_chunk(f": keep-alive{end}{end}".encode())
            if scenario.split_bytes:
                writer.write_split(data, scenario.split_bytes, 0.0)
            else:
                writer.write_chunk(data)
            writer.record.events_sent += 1
        writer.end_chunked()


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; prints ``PORT=<n>`` once listening."""
    parser = argparse.ArgumentParser(description="fake OpenAI-compatible server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="test-key")
    args = parser.parse_args(argv)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    server = FakeOpenAI(args.api_key or None, port=args.port).start()
    print(f"PORT={server.port}", flush=True)
    try:
        done.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
