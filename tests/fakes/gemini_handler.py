"""The HTTP side of the fake Gemini server: routing, auth, and answering like Google.

State lives in `FakeGemini` (gemini_server); this module turns one HTTP/1.1 request
into one response, and never keeps anything between requests itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes import gemini_scenarios as scenarios
from tests.fakes.gemini_catalogue import decode_page_token, page_of
from tests.fakes.gemini_scenarios import ErrorSpec, Scenario, error_spec
from tests.fakes.gemini_stream import (
    MALFORMED_DATA,
    BodyWriter,
    ClientGone,
    ServerStopping,
    write_stream,
)
from tests.fakes.gemini_validate import invalid, validate_generate
from tests.fakes.gemini_wire import build_events, merge_chunks, normalize, prompt_info
from tests.fakes.served import LocalHTTPServer

if TYPE_CHECKING:
    from tests.fakes.gemini_server import FakeGemini, RecordedRequest

_MODEL_CALL = re.compile(
    r"^/(v1beta|v1)/models/([^/:]+):(generateContent|streamGenerateContent"
    r"|countTokens)$"
)
# Vertex AI: the same calls under a project and location, with an OAuth bearer token.
_VERTEX = re.compile(r"^/v1/projects/([^/]+)/locations/([^/]+)/publishers/google(/models/.+)$")
VERTEX_BAD_TOKEN = (
    "Request had invalid authentication credentials. Expected OAuth 2 access "
    "token, login cookie or other valid authentication credential."
)
_MODEL_GET = re.compile(r"^/(v1beta|v1)/models/([^/:]+)$")
_MODELS = re.compile(r"^/(v1beta|v1)/models$")
_FILE = re.compile(r"^/(v1beta|v1)/files/([a-z0-9-]+)$")
_FILES = re.compile(r"^/(v1beta|v1)/files$")
_UPLOAD = re.compile(r"^/upload/(v1beta|v1)/files$")

UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established "
    "identity). Please use API Key or other form of API consumer identity to call "
    "this API."
)
BAD_KEY = "API key not valid. Please pass a valid API key."
BAD_KEY_ERROR = ErrorSpec(
    400,
    "INVALID_ARGUMENT",
    BAD_KEY,
    details=(
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": BAD_KEY,
        },
    ),
)
# Headers Google's front end puts on every API answer.
_GOOGLE_HEADERS = (
    ("Vary", "Origin"),
    ("Vary", "X-Origin"),
    ("Vary", "Referer"),
    ("X-XSS-Protection", "0"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Content-Type-Options", "nosniff"),
)
_HTML_404 = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not "
    "Found)!!1</title>\n  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n  <p>The "
    "requested URL <code>{path}</code> was not found on this server.  <ins>That\u2019s "
    "all we know.</ins>\n"
)


def not_found_model(model_id: str, method: str, version: str = "v1beta") -> ErrorSpec:
    """Google's 404 for a model that does not exist or cannot do `method`."""
    return error_spec(
        404,
        f"models/{model_id} is not found for API version {version}, or is not "
        f"supported for {method}. Call ListModels to see the list of "
        "available models and their supported methods.",
    )


class FakeHTTPServer(LocalHTTPServer):
    """The local server that knows its FakeGemini."""

    def __init__(self, address: tuple[str, int], fake: FakeGemini) -> None:
        self.fake = fake
        self.verbose = fake.verbose
        super().__init__(address, GeminiHandler)


class GeminiHandler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive like Google's front end."""

    protocol_version = "HTTP/1.1"
    server: FakeHTTPServer

    def version_string(self) -> str:
        return "scaffolding on HTTPServer2"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            super().log_message(format, *args)

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake.lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            with self.server.fake.lock:
                self.server.open_sockets.discard(self.connection)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # ---- plumbing -------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data.extend(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        fake = self.server.fake
        body = self._read_body()
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            if path.startswith("/_fake/"):
                self._control(path, body)
                return
            rec = fake.record_request(self.command, path, self.path, query, headers, body)
            self._route(rec)
        except ClientGone:
            self.close_connection = True
        except ServerStopping:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (*_GOOGLE_HEADERS, *headers):
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError as exc:
            raise ClientGone() from exc

    def send_json(self, status: int, obj: Any, headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Pretty-printed JSON, as Google sends every non-streamed answer."""
        data = json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        self._send(status, data, "application/json; charset=UTF-8", headers)

    def send_error_spec(self, spec: ErrorSpec, headers: tuple[tuple[str, str], ...] = ()) -> None:
        extra = (("Retry-After", spec.retry_after),) if spec.retry_after else ()
        self.send_json(spec.code, spec.envelope(), (*headers, *extra))

    def _send_html_404(self, path: str) -> None:
        body = _HTML_404.format(path=path).encode("utf-8")
        self._send(404, body, "text/html; charset=UTF-8")

    # ---- routes ---------------------------------------------------------------------

    def _auth_error(self, rec: RecordedRequest) -> ErrorSpec | None:
        offered = [k for k in (rec.headers.get("x-goog-api-key"), rec.query.get("key")) if k]
        if not offered:
            return error_spec(403, UNREGISTERED)
        if self.server.fake.api_key not in offered:
            return BAD_KEY_ERROR
        return None

    def _route(self, rec: RecordedRequest) -> None:
        path, method = rec.path, rec.method
        if vertex := _VERTEX.match(path):
            self._vertex(rec, "/v1" + vertex.group(3))
            return
        if method == "POST" and _UPLOAD.match(path) and "upload_id" in rec.query:
            self._upload_transfer(rec)  # the session URL itself is the credential
            return
        known = any(
            p.match(path) for p in (_MODEL_CALL, _MODEL_GET, _MODELS, _FILE, _FILES, _UPLOAD)
        )
        if not known:
            self._send_html_404(path)
            return
        problem = self._auth_error(rec)
        if problem:
            self.send_error_spec(problem)
            return
        if method == "POST" and (m := _MODEL_CALL.match(path)):
            self._model_call(rec, m.group(2), m.group(3), m.group(1))
        elif method == "GET" and _MODELS.match(path):
            self._list_models(rec)
        elif method == "GET" and (m := _MODEL_GET.match(path)):
            entry = self.server.fake.model_entry(m.group(2))
            if entry is None:
                self.send_error_spec(not_found_model(m.group(2), "getModel", m.group(1)))
            else:
                self.send_json(200, entry)
        elif method == "POST" and _UPLOAD.match(path):
            reply = self.server.fake.files.start(rec.headers, rec.json, self.server.fake.base_url)
            self._upload_reply(reply.status, reply.headers, reply.body, reply.error)
        elif (m := _FILE.match(path)) and method in ("GET", "DELETE"):
            self._file(m.group(2), method)
        elif method == "GET" and _FILES.match(path):
            files = [f.resource() for f in self.server.fake.files.all_files()]
            self.send_json(200, {"files": files} if files else {})
        else:
            self._send_html_404(path)

    def _vertex(self, rec: RecordedRequest, inner: str) -> None:
        """Vertex AI mode (see FakeGemini.bearer_token): bearer auth, then the usual call."""
        token = self.server.fake.bearer_token
        if token is None or rec.headers.get("authorization") != f"Bearer {token}":
            self.send_error_spec(ErrorSpec(401, "UNAUTHENTICATED", VERTEX_BAD_TOKEN))
            return
        call = _MODEL_CALL.match(inner)
        if rec.method != "POST" or call is None:
            self._send_html_404(rec.path)
            return
        self._model_call(rec, call.group(2), call.group(3), "v1")

    def _list_models(self, rec: RecordedRequest) -> None:
        try:
            size = int(rec.query.get("pageSize") or 0)
        except ValueError:
            self.send_error_spec(invalid("Invalid value at 'page_size' (TYPE_INT32)"))
            return
        offset = 0
        if rec.query.get("pageToken"):
            decoded = decode_page_token(rec.query["pageToken"])
            if decoded is None:
                self.send_error_spec(invalid("Invalid page token."))
                return
            offset = decoded
        self.send_json(200, page_of(self.server.fake.models, size, offset))

    def _file(self, file_id: str, method: str) -> None:
        store = self.server.fake.files
        found = store.poll(file_id) if method == "GET" else ({} if store.delete(file_id) else None)
        if found is None:
            self.send_error_spec(
                error_spec(
                    403,
                    f"You do not have permission to access the File {file_id} or it may not exist.",
                )
            )
        else:
            self.send_json(200, found)

    def _upload_transfer(self, rec: RecordedRequest) -> None:
        reply = self.server.fake.files.transfer(rec.query["upload_id"], rec.headers, rec.body)
        self._upload_reply(reply.status, reply.headers, reply.body, reply.error)

    def _upload_reply(
        self,
        status: int,
        headers: dict[str, str],
        body: dict[str, Any] | None,
        error: ErrorSpec | None,
    ) -> None:
        pairs = tuple(headers.items())
        if error is not None:
            self.send_error_spec(error, pairs)
        elif body is not None:
            self.send_json(status, body, pairs)
        else:
            self._send(status, b"", "text/plain; charset=utf-8", pairs)

    def _model_call(self, rec: RecordedRequest, model_id: str, action: str, version: str) -> None:
        fake = self.server.fake
        entry = fake.model_entry(model_id)
        needed = "countTokens" if action == "countTokens" else "generateContent"
        if entry is None or needed not in entry.get("supportedGenerationMethods", []):
            self.send_error_spec(not_found_model(model_id, needed, version))
            return
        if rec.json is None:
            message = (
                "* GenerateContentRequest.contents: contents is not specified\n"
                if not rec.body.strip()
                else "Invalid JSON payload received. Unexpected token.\n"
                f"{rec.body[:40].decode('utf-8', 'replace')}\n^"
            )
            self.send_error_spec(invalid(message))
            return
        body = normalize(rec.json)
        problem = validate_generate(
            body, fake.files, count_only=action == "countTokens", model=model_id
        )
        if problem:
            self.send_error_spec(problem)
            return
        info = prompt_info(body)
        if not entry.get("thinking"):
            info = dataclasses.replace(info, include_thoughts=False)  # it cannot think
        if action == "countTokens":
            details = [{"modality": "TEXT", "tokenCount": info.text_tokens}]
            if info.media_tokens:
                details.append({"modality": "IMAGE", "tokenCount": info.media_tokens})
            self.send_json(200, {"totalTokens": info.total, "promptTokensDetails": details})
            return
        release_mark = fake.release_mark()
        scenario = fake.scenario_for(model_id)
        streaming = action == "streamGenerateContent"
        record = fake.new_stream_record(rec.path, model_id, streaming)
        writer = BodyWriter(self.connection, self.wfile, record, fake.stopping, fake.notify)
        if scenario.first_delay:
            writer.pause(scenario.first_delay)
        if scenario.http_error is not None:
            self.send_error_spec(scenario.http_error)
            record.last_byte_at = time.monotonic()
            record.completed = True
            fake.notify()
            return
        events = build_events(
            scenario,
            info,
            scenario.model_version or model_id,
            scenario.response_id or fake.new_response_id(),
        )
        released = lambda: fake.released_since(release_mark)  # noqa: E731
        if streaming:
            sse = rec.query.get("alt") == "sse"
            self._start_chunked("text/event-stream" if sse else "application/json; charset=UTF-8")
            write_stream(writer, scenario, events, sse=sse, released=released)
        else:
            self._unary(writer, events, released)
        if not record.completed:  # torn down on purpose: this connection is finished
            self.close_connection = True
        fake.notify()

    def _start_chunked(self, content_type: str) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Disposition", "attachment")
            for name, value in _GOOGLE_HEADERS:
                self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
        except OSError as exc:
            raise ClientGone() from exc

    def _unary(self, writer: BodyWriter, events: list[Any], released: Any) -> None:
        payloads: list[dict[str, Any]] = []
        for event in events:
            if event.kind == "hold":
                writer.hold(released)
            elif event.kind == "error":
                spec = event.payload["error"]
                self.send_json(int(spec["code"]), event.payload)
                writer.record.completed = True
                return
            elif event.kind == "malformed":
                self._send(200, MALFORMED_DATA.encode(), "application/json; charset=UTF-8")
                writer.record.completed = True
                return
            elif event.kind == "abrupt":
                data = json.dumps(merge_chunks([*payloads, event.payload]), indent=2).encode()
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n"
                ).encode()
                writer.write_raw(head + data[: len(data) // 2])
                writer.tear_down()
                return
            else:
                payloads.append(event.payload)
        self.send_json(200, merge_chunks(payloads))
        writer.record.last_byte_at = time.monotonic()
        writer.record.completed = True

    # ---- control endpoints (never recorded, no auth) -------------------------------

    def _control(self, path: str, body: bytes) -> None:
        fake = self.server.fake
        if path == "/_fake/requests" and self.command == "GET":
            self.send_json(200, [r.to_dict() for r in fake.requests])
        elif path == "/_fake/streams" and self.command == "GET":
            self.send_json(200, [vars(s) for s in fake.streams])
        elif path == "/_fake/push" and self.command == "POST":
            try:
                spec = json.loads(body or b"null")
                fake.push(*parse_push(spec))
            except (ValueError, TypeError) as exc:
                self.send_error_spec(invalid(f"bad scenario: {exc}"))
                return
            self.send_json(200, {"queued": fake.pending_scenarios})
        elif path == "/_fake/clear" and self.command == "POST":
            fake.clear()
            self.send_json(200, {})
        elif path == "/_fake/release" and self.command == "POST":
            fake.release()
            self.send_json(200, {})
        elif path == "/_fake/health":
            self.send_json(200, {"ok": True})
        else:
            self._send_html_404(path)


_BUILDERS = {
    name: getattr(scenarios, name)
    for name in (
        "stream",
        "thinking",
        "http_error",
        "rate_limited",
        "blocked",
        "no_candidates",
        "error_event_after",
        "content_less_finish",
        "empty_part_finish",
        "slow",
        "hold_open",
        "finish_then_hold",
        "abrupt_close",
        "malformed_json",
        "no_finish",
        "huge",
        "fail_n_times_then_ok",
    )
}


def parse_push(spec: Any) -> list[Scenario]:
    """`/_fake/push` bodies: a Scenario.to_dict(), a list of them, or a builder call
    `{"builder": "http_error", "args": [503], "kwargs": {...}}`."""
    if isinstance(spec, list):
        return [s for item in spec for s in parse_push(item)]
    if not isinstance(spec, dict):
        raise ValueError("expected a JSON object or list")
    if "builder" in spec:
        builder = _BUILDERS.get(spec["builder"])
        if builder is None:
            raise ValueError(f"unknown builder {spec['builder']!r}")
        made = builder(*spec.get("args", []), **spec.get("kwargs", {}))
        return list(made) if isinstance(made, list) else [made]
    return [Scenario.from_dict(spec)]
