"""A local stand-in for the Gemini Developer API (v1beta REST + SSE), for tests.

It is a real HTTP/1.1 server on 127.0.0.1 in a background thread, so sync tests,
asyncio tests, Qt tests and other processes all talk to it over a socket, exactly as
Rill talks to Google. See /work/shared/GEMINI-PROTOCOL.md for the protocol it imitates.

In-process::

    with FakeGemini() as server:                      # api_key "test-key"
        server.push(stream(["Hel", "lo"]))            # next generate/stream request
        ...client at server.base_url...               # "http://127.0.0.1:PORT"
        assert server.requests[-1].json["contents"]

Standalone (CLI and end-to-end tests)::

    python -m tests.fakes.gemini_server [--port N] [--api-key K]

prints ``PORT=<n>`` when listening and offers control endpoints: ``GET /_fake/requests``,
``GET /_fake/streams``, ``POST /_fake/push`` (a Scenario.to_dict(), a list of them, or
``{"builder": "http_error", "args": [503]}``), ``POST /_fake/clear``, ``POST /_fake/release``.

Which answer a generate/stream request gets:

1. A ``fake-*`` model id picks a scenario by name (and leaves the queue alone):

   ==========================  ====================================================
   fake-echo                   the default echo answer
   fake-blocked                200 + promptFeedback.blockReason PROHIBITED_CONTENT
   fake-no-candidates          200 + usage alone: no candidates and no block reason
   fake-error-event            "Partial ", "answer ", then a 503 UNAVAILABLE error event
   fake-no-finish              clean end of body without finishReason (dropped stream)
   fake-hold                   "Hello", then holds the connection (until release/hang-up)
   fake-finish-hold            the whole echo (finishReason, usage), then holds the connection
   fake-slow                   20 chunks "Slow chunk N. ", 100 ms apart
   fake-huge                   300,000 characters (huge_text) in 1,000-character chunks
   fake-thoughts               thought chunks (if includeThoughts) + DEFAULT_SIGNATURE
   fake-bad-json               1 chunk, then an event that is not valid JSON
   fake-abrupt                 1 chunk, then half an event and the socket closes
   fake-content-less-finish    finishReason in a last chunk without content
   fake-empty-part-finish      last chunk = empty text part + finishReason
   fake-max-tokens             echo ending with finishReason MAX_TOKENS
   fake-safety                 echo ending with finishReason SAFETY (+ safetyRatings)
   fake-400 / fake-403         HTTP 400 INVALID_ARGUMENT / 403 PERMISSION_DENIED
   fake-429                    HTTP 429 RESOURCE_EXHAUSTED, RetryInfo retryDelay "1s"
   fake-500 / 503 / 504        HTTP 500 INTERNAL / 503 UNAVAILABLE / 504 DEADLINE_EXCEEDED
   fake-404                    404 NOT_FOUND, as for an unknown model
   fake-flaky                  odd-numbered requests (since clear) 503, even ones echo
   fake-code / fake-grounded   a code run / a Google Search grounded answer (tools: see
   fake-url-context            gemini_tool_scenarios; also fake-image, fake-function-call,
                               fake-bad-image, fake-cited)
   any other fake-...          the echo answer
   ==========================  ====================================================

2. Otherwise the next pushed Scenario (FIFO), else ``default_scenario`` (the echo:
   "Echo: <last user text>" in chunks of three words, running usageMetadata,
   finishReason STOP, modelVersion = model id, a fresh responseId).

Model ids that are neither ``fake-*`` nor in ``models`` answer 404 NOT_FOUND, and so
does a listed model without generateContent (the embedding model).
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.gemini_catalogue import DEFAULT_MODELS, fake_model_entry, is_fake_model
from tests.fakes.gemini_files import FileStore, UploadedFile
from tests.fakes.gemini_handler import FakeHTTPServer
from tests.fakes.gemini_scenarios import FAKE_MODEL_SCENARIOS, Scenario, http_error
from tests.fakes.gemini_stream import StreamRecord
from tests.fakes.gemini_tool_scenarios import TOOL_MODEL_SCENARIOS
from tests.fakes.gemini_wire import normalize
from tests.fakes.served import ServedFake

__all__ = ["FakeGemini", "RecordedRequest", "StreamRecord", "main"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it (control endpoints are not recorded)."""

    method: str
    path: str  # decoded path without the query, e.g. /v1beta/models/x:streamGenerateContent
    target: str  # the raw request-target, query included: assert the key never shows here
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    json: Any  # parsed body, or None when empty or not JSON
    received_at: float = field(default_factory=time.monotonic)

    @property
    def normalized(self) -> Any:
        """The JSON body with snake_case field names turned to camelCase."""
        return normalize(self.json)

    @property
    def model(self) -> str | None:
        """The model id of a models/{id}:action call."""
        if "/models/" not in self.path:
            return None
        return self.path.split("/models/", 1)[1].split(":", 1)[0]

    @property
    def action(self) -> str | None:
        """generateContent, streamGenerateContent, countTokens, or None."""
        tail = self.path.rsplit("/", 1)[-1]
        return tail.split(":", 1)[1] if ":" in tail else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form served by GET /_fake/requests."""
        return {
            "method": self.method,
            "path": self.path,
            "target": self.target,
            "query": self.query,
            "headers": self.headers,
            "json": self.json,
            "body_text": self.body.decode("utf-8", "replace"),
            "received_at": self.received_at,
        }


class FakeGemini(ServedFake):
    """The fake Gemini API server. Thread-safe; start()/stop() or use as a context manager.

    `models` is the catalogue `GET models` pages through (a plain list: tests may edit it);
    `default_scenario` answers when nothing was pushed; `crlf=False` makes that default
    end its events with LF-only blank lines (pushed scenarios carry their own `crlf`).
    `file_active_after_polls`: a new upload is PROCESSING until its Nth `GET files/{id}`,
    which (like every later one) reports ACTIVE; 0 means ACTIVE already at finalize.
    Uploaded files expire 48 hours after upload on `files`' clock: `files.advance(s)`
    moves it on, and an expired (or `files.delete`d) file answers Google's 403
    PERMISSION_DENIED "You do not have permission to access the File ID or it may not
    exist." both to `GET files/ID` and to a generate request naming it.
    The api key is checked on every call except the upload session URL, which is its
    own credential, as on Google.
    """

    def __init__(
        self,
        api_key: str = "test-key",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        crlf: bool = True,
        models: Iterable[dict[str, Any]] | None = None,
        file_active_after_polls: int = 2,
        verbose: bool = False,
    ) -> None:
        super().__init__(host, port)
        self.api_key = api_key
        self.verbose = verbose
        # Vertex AI mode: /v1/projects/P/locations/L/publishers/google/models/M:action
        # answers to "Authorization: Bearer <bearer_token>" (None: every token is refused).
        self.bearer_token: str | None = None
        self.models: list[dict[str, Any]] = [dict(m) for m in (models or DEFAULT_MODELS)]
        self.default_scenario = Scenario(crlf=crlf, label="default")
        self.files = FileStore(file_active_after_polls)
        self._requests: list[RecordedRequest] = []
        self._queue: deque[Scenario] = deque()
        self._streams: list[StreamRecord] = []
        self._disconnects_taken = 0
        self._release_count = 0
        self._counters: dict[str, int] = {}

    # ---- lifecycle ----------------------------------------------------------------

    thread_name = "fake-gemini"

    def _make_server(self, address: tuple[str, int]) -> FakeHTTPServer:
        return FakeHTTPServer(address, self)

    @property
    def base_url(self) -> str:
        """Scheme, host and port only: clients append /v1beta/... themselves."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"http://{host}:{self.port}"

    # ---- what tests inspect -------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every recorded request, oldest first."""
        with self.lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self.lock:
            if not self._requests:
                raise AssertionError("the fake Gemini server has received no request")
            return self._requests[-1]

    def requests_for(self, action: str) -> list[RecordedRequest]:
        """Recorded model calls with this action, e.g. "streamGenerateContent"."""
        return [r for r in self.requests if r.action == action]

    def wait_for_requests(self, count: int = 1, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least `count` requests were recorded; raise on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"expected {count} requests, got {len(self._requests)}")
            return list(self._requests)

    @property
    def streams(self) -> list[StreamRecord]:
        """One record per generate/stream response: timing, hang-up, completion."""
        with self.lock:
            return list(self._streams)

    def wait_for_disconnect(self, timeout: float = 5.0) -> float | None:
        """The monotonic time the server noticed the next client hang-up during a response.

        Each call consumes one hang-up (oldest first); None if none came within `timeout`.
        """

        def next_one() -> float | None:
            times = sorted(s.disconnected_at for s in self._streams if s.disconnected_at)
            return times[self._disconnects_taken] if len(times) > self._disconnects_taken else None

        with self._cond:
            if not self._cond.wait_for(lambda: next_one() is not None, timeout):
                return None
            found = next_one()
            self._disconnects_taken += 1
            return found

    def wait_for_hold(self, timeout: float = 5.0) -> StreamRecord | None:
        """Block until a response is being held open (its first chunks are out)."""
        with self._cond:
            self._cond.wait_for(lambda: any(s.held for s in self._streams), timeout)
            return next((s for s in self._streams if s.held), None)

    def wait_for_stream_end(self, timeout: float = 5.0) -> StreamRecord | None:
        """Block until the latest response finished, failed or lost its client."""

        def done() -> bool:
            return bool(self._streams) and (
                self._streams[-1].completed or self._streams[-1].disconnected_at is not None
            )

        with self._cond:
            return self._streams[-1] if self._cond.wait_for(done, timeout) else None

    @property
    def last_byte_sent_at(self) -> float | None:
        """When the latest response wrote its last byte (monotonic)."""
        with self.lock:
            return self._streams[-1].last_byte_at if self._streams else None

    def uploaded(self, name: str) -> UploadedFile | None:
        """An uploaded file by "files/ID"; `.data` holds the bytes the client sent."""
        return self.files.get(name)

    @property
    def file_active_after_polls(self) -> int:
        return self.files.active_after_polls

    @file_active_after_polls.setter
    def file_active_after_polls(self, polls: int) -> None:
        self.files.active_after_polls = polls

    # ---- what tests control -------------------------------------------------------

    def push(self, *scenarios: Scenario | Iterable[Scenario]) -> None:
        """Queue answers for the next generate/stream requests (lists are flattened)."""
        with self.lock:
            for item in scenarios:
                self._queue.extend([item] if isinstance(item, Scenario) else list(item))

    @property
    def pending_scenarios(self) -> int:
        with self.lock:
            return len(self._queue)

    def release(self) -> None:
        """Let every response held since before this call carry on to its end."""
        with self._cond:
            self._release_count += 1
            self._cond.notify_all()

    def clear(self) -> None:
        """Forget requests, queued scenarios, stream records and fake-flaky counts."""
        with self.lock:
            self._requests.clear()
            self._queue.clear()
            self._streams.clear()
            self._disconnects_taken = 0
            self._counters.clear()

    # ---- used by the handler ------------------------------------------------------

    def record_request(
        self,
        method: str,
        path: str,
        target: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> RecordedRequest:
        try:
            parsed = json.loads(body) if body.strip() else None
        except (ValueError, UnicodeDecodeError):
            parsed = None
        rec = RecordedRequest(method, path, target, query, headers, body, parsed)
        with self._cond:
            self._requests.append(rec)
            self._cond.notify_all()
        return rec

    def new_stream_record(self, path: str, model: str, streaming: bool) -> StreamRecord:
        record = StreamRecord(path, model, streaming, time.monotonic())
        with self.lock:
            self._streams.append(record)
        return record

    def new_response_id(self) -> str:
        return secrets.token_urlsafe(17)[:23]

    def release_mark(self) -> int:
        with self.lock:
            return self._release_count

    def released_since(self, mark: int) -> bool:
        with self.lock:
            return self._release_count > mark

    def model_entry(self, model_id: str) -> dict[str, Any] | None:
        """The catalogue entry for an id; fake-* ids get a synthesised one (not fake-404)."""
        if model_id == "fake-404":
            return None
        if is_fake_model(model_id):
            return fake_model_entry(model_id)
        return next((m for m in self.models if m.get("name") == f"models/{model_id}"), None)

    def scenario_for(self, model_id: str) -> Scenario:
        """Pick the answer for one generate/stream call (see the module docstring)."""
        with self.lock:
            if model_id == "fake-flaky":
                self._counters[model_id] = self._counters.get(model_id, 0) + 1
                return http_error(503) if self._counters[model_id] % 2 else Scenario()
            if is_fake_model(model_id):
                chosen = FAKE_MODEL_SCENARIOS.get(model_id) or TOOL_MODEL_SCENARIOS.get(model_id)
                return (chosen or Scenario)()
            return self._queue.popleft() if self._queue else self.default_scenario


def main(argv: list[str] | None = None) -> int:
    """Run standalone until SIGTERM/SIGINT (or stdin EOF with --exit-on-stdin-eof)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--lf", action="store_true", help="end default events with \\n\\n")
    parser.add_argument("--file-active-after-polls", type=int, default=2)
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when the parent closes our stdin (or dies)",
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    if args.exit_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            done.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    server = FakeGemini(
        args.api_key,
        host=args.host,
        port=args.port,
        crlf=not args.lf,
        file_active_after_polls=args.file_active_after_polls,
        verbose=args.verbose,
    ).start()
    print(f"PORT={server.port}", flush=True)
    try:
        while not done.wait(0.2):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
