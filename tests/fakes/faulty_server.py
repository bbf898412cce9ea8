"""A raw-socket HTTP server on 127.0.0.1 that misbehaves on purpose, for fault tests.

Unlike the fake API servers it speaks no protocol by itself: each request is answered
by an *action*, a function that gets the accepted socket and writes whatever bytes
(or resets, or silence) the test wants. Actions are queued with :meth:`push`; when the
queue is empty :attr:`default` answers. Every request is recorded (request line,
headers, body) before its action runs::

    with FaultyServer() as server:
        server.push(respond(502, b"<html>Bad Gateway</html>", "text/html"))
        ...client at server.base_url...
        server.wait_for_requests(1)

``FaultyServer(tls=True)`` serves HTTPS with a freshly generated self-signed
certificate (never trusted by anything), and counts failed handshakes.
:func:`backlog_full_port` gives a port whose accept queue is full, so a connect to it
hangs until the client's connect timeout (deterministic on Linux loopback).

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"


@dataclass(frozen=True)
class RawRequest:
    """One request as it arrived; ``target`` is the raw request-target (query included)."""

    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    received_at: float = field(default_factory=time.monotonic)


class Conn:
    """The accepted socket as an action sees it, with the server's stop flag."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def pause(self, seconds: float) -> bool:
        """Wait (the pacing of a drip); False when the server is stopping."""
        return not self.stopping.wait(seconds)

    def hang(self) -> None:
        """Hold the connection open, silent, until the server stops."""
        self.stopping.wait()

    def reset(self) -> None:
        """Close with an RST (SO_LINGER 0) instead of an orderly FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


Action = Callable[[Conn, RawRequest], None]


# ---------------------------------------------------------------- actions


def head(status: int, content_type: str, extra: dict[str, str] | None = None) -> bytes:
    """A status line and headers for a body that ends when the connection closes."""
    reason = {
        200: "OK",
        302: "Found",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }.get(status, "Status")
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"content-type: {content_type}",
        "connection: close",
        "cache-control: no-cache",
    ]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> Action:
    """A whole response with a content-length, then close."""

    def action(conn: Conn, request: RawRequest) -> None:
        extra = {"content-length": str(len(body)), **(headers or {})}
        conn.send(head(status, content_type, extra) + body)

    return action


def stream(
    pieces: list[bytes],
    *,
    then: str = "close",
    interval: float = 0.0,
    status: int = 200,
    content_type: str = "text/event-stream",
) -> Action:
    """Headers, then ``pieces`` written one by one (``interval`` apart), then ``then``:
    ``"close"`` (FIN), ``"reset"`` (RST) or ``"hang"`` (silent until the server stops)."""

    def action(conn: Conn, request: RawRequest) -> None:
        conn.send(head(status, content_type))
        for piece in pieces:
            if interval and not conn.pause(interval):
                return
            conn.send(piece)
        if then == "reset":
            conn.reset()
        elif then == "hang":
            conn.hang()

    return action


def drip(data: bytes, interval: float, *, fast_prefix: int = 0) -> Action:
    """An event stream written one byte per ``interval`` (after ``fast_prefix`` bytes at once)."""
    pieces = [data[:fast_prefix]] if fast_prefix else []
    rest = data[fast_prefix:]
    first = stream(pieces, then="none")

    def action(conn: Conn, request: RawRequest) -> None:
        first(conn, request)
        for i in range(len(rest)):
            if not conn.pause(interval):
                return
            conn.send(rest[i : i + 1])

    return action


def hang_before_answering() -> Action:
    """Read the request, answer nothing (an idle timeout before the first byte)."""
    return lambda conn, request: conn.hang()


# ---------------------------------------------------------------- TLS


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rill-fault-test")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


# ---------------------------------------------------------------- the server


class FaultyServer:
    """Accepts on 127.0.0.1, records each request, answers it with the next action."""

    def __init__(self, *, tls: bool = False, default: Action | None = None) -> None:
        self.default: Action = default or respond(404, b"no action", "text/plain")
        self.requests: list[RawRequest] = []
        self.tls_failures = 0
        self._queue: deque[Action] = deque()
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._tmp = tempfile.TemporaryDirectory(prefix="rill-faulty-")
        self._tls = self_signed_context(Path(self._tmp.name)) if tls else None
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._acceptor = threading.Thread(target=self._accept, name="faulty-accept", daemon=True)

    @property
    def base_url(self) -> str:
        return f"{'https' if self._tls else 'http'}://{HOST}:{self.port}"

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    def push(self, *actions: Action) -> None:
        with self._cond:
            self._queue.extend(actions)

    def clear(self) -> None:
        with self._cond:
            self._queue.clear()
            self.requests.clear()

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RawRequest]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} requests arrived")
            return list(self.requests)

    # ---- lifecycle

    def start(self) -> FaultyServer:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._cond:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in [self._acceptor, *self._threads]:
            if thread.is_alive():
                thread.join(timeout=5)
        self._tmp.cleanup()

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- serving

    def _accept(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with self._cond:
            self._open.add(sock)
        try:
            sock.settimeout(10)
            if self._tls is not None:
                try:
                    sock = self._tls.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    with self._cond:
                        self.tls_failures += 1
                        self._cond.notify_all()
                    return
                with self._cond:
                    self._open.add(sock)
            request = self._read_request(sock)
            if request is None:
                return
            with self._cond:
                self.requests.append(request)
                action = self._queue.popleft() if self._queue else self.default
                self._cond.notify_all()
            sock.settimeout(None)
            with contextlib.suppress(OSError):
                action(Conn(sock, self._stopping), request)
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._cond:
                self._open.discard(sock)

    @staticmethod
    def _read_request(sock: socket.socket) -> RawRequest | None:
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                piece = sock.recv(65536)
            except OSError:
                return None
            if not piece:
                return None
            data += piece
        raw_head, _, body = data.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
        return RawRequest(method, target, headers, body)

    def wait_for_tls_failures(self, count: int, timeout: float = 10.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.tls_failures >= count, timeout):
                raise TimeoutError(f"{self.tls_failures} of {count} TLS handshakes failed")


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def backlog_full_port() -> Iterator[int]:
    """A port that is listening but whose accept queue is full and never drained.

    With ``listen(0)`` Linux keeps one connection in the queue; once a filler
    connection sits there, the kernel drops further SYNs, so a client's connect
    neither succeeds nor is refused: it times out.
    """
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind((HOST, 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        filler = socket.create_connection((HOST, port), timeout=2)
        fillers.append(filler)
        extra = socket.socket()
        extra.setblocking(False)
        extra.connect_ex((HOST, port))  # belt and braces: a second queued SYN
        fillers.append(extra)
        yield port
    finally:
        for sock in [*fillers, listener]:
            with contextlib.suppress(OSError):
                sock.close()


__all__ = [
    "Action",
    "Conn",
    "FaultyServer",
    "RawRequest",
    "backlog_full_port",
    "drip",
    "hang_before_answering",
    "head",
    "refused_port",
    "respond",
    "self_signed_context",
    "stream",
]
