"""What the fake API servers share: an HTTP server on 127.0.0.1 served by a daemon
thread, that can cut every open connection when it stops (held streams included).

``FakeGemini`` and ``FakeOpenAI`` speak different protocols over the same lifecycle;
each supplies its server (and so its request handler) through ``_make_server``.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class LocalHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that keeps its open sockets, so stop() can cut them."""

    daemon_threads = True
    block_on_close = False  # stop() tears connections down itself; never wait on idle ones
    allow_reuse_address = True
    verbose = False  # show every handler error, even a client vanishing

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.open_sockets: set[socket.socket] = set()
        if ":" in address[0]:  # "::1": the IPv6 loopback
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client vanishing is routine here; anything else is a bug in the fake: show it.
        if self.verbose or not isinstance(sys.exc_info()[1], OSError | ValueError):
            super().handle_error(request, client_address)


class ServedFake:
    """Start/stop, a context manager, and the lock and condition handlers wait on."""

    thread_name = "fake-server"

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self._requested_port = port
        self.lock = threading.RLock()
        self._cond = threading.Condition(self.lock)
        self.stopping = threading.Event()
        self._server: LocalHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self, address: tuple[str, int]) -> LocalHTTPServer:
        raise NotImplementedError

    def start(self) -> Self:
        """Bind (port 0 → a free port) and serve in a daemon thread."""
        if self._server is not None:
            return self
        self.stopping.clear()
        self._server = self._make_server((self.host, self._requested_port))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut every open connection (held streams included)."""
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        self.notify()
        server.shutdown()
        server.server_close()
        with self.lock:
            sockets = list(server.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def notify(self) -> None:
        """Wake every handler waiting on the condition (a release, a stop)."""
        with self._cond:
            self._cond.notify_all()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        return int(self._server.server_address[1])
