"""One Rill window per user and profile: a second launch hands over and exits.

The first process listens on a local socket (a Unix socket or a Windows named pipe)
whose name is derived from the user id and the resolved profile location, so two
profiles (``RILL_HOME``) — or two users — never talk to each other. A later launch
connects, says "activate", and the first process brings its window to the front.

On Unix the check runs before the window's first paint without Qt's network module
(~10 ms of start-up, issue 14 item 7): a lock on a file next to the socket (``flock``,
which the kernel drops when the process ends, so a crash leaves nothing that stops
the next launch) says who owns the name, and the owner binds the socket and listens
at once, so a later launch's "activate" waits in the kernel's queue. Serving it
(``QLocalServer`` adopting that socket) starts after the paint: :meth:`SingleInstance.serve`.
On Windows Qt's named pipe is both the check and the claim, as before.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from rill.core.paths import rill_home

if TYPE_CHECKING:
    import _socket

    from PySide6.QtNetwork import QLocalServer, QLocalSocket
    from PySide6.QtWidgets import QWidget

ACTIVATE = b"activate\n"
log = logging.getLogger(__name__)
CONNECT_TIMEOUT_MS = 500  # a live first instance answers at once; a dead socket fails fast
# A launch that finds the name owned keeps asking this long: the owner may be between
# taking its lock and listening (microseconds), or its start may be slow on a busy machine.
OWNER_WAIT_S = 3.0
_RETRY_S = 0.02
_MAX_SOCKET_PATH = 100  # sockaddr_un.sun_path holds 108 bytes on Linux
LOCK_SUFFIX = ".lock"
# Set to "1" to allow a second, independent window (debugging two copies side by side).
DISABLE_ENV_VAR = "RILL_MULTI_INSTANCE"
UNIX = os.name == "posix"


def _sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` in hex, from CPython's own implementation (the one
    hashlib falls back to): hashlib loads OpenSSL (~3 ms) for this one short digest."""
    for name in ("_sha2", "_sha256"):  # Python 3.12+, 3.11
        try:
            module: Any = importlib.import_module(name)
        except ImportError:
            continue
        return str(module.sha256(text.encode()).hexdigest())
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def server_name() -> str:
    """The socket name for this user and profile.

    On Linux it is a path in ``$XDG_RUNTIME_DIR`` (private to the user, emptied at
    log-out) when that is short enough for a Unix socket; otherwise a plain name,
    which goes in the temporary folder (or names a pipe on Windows).
    """
    if hasattr(os, "getuid"):
        user = str(os.getuid())
    else:
        import getpass

        user = getpass.getuser()
    home = rill_home()
    profile = str(home) if home is not None else "default"
    digest = _sha256_hex(f"{user}\0{profile}")[:16]
    name = f"rill-{user}-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if sys.platform.startswith("linux") and runtime and os.path.isdir(runtime):
        path = os.path.join(runtime, name)
        if len(path.encode()) < _MAX_SOCKET_PATH:
            return path
    return name


def socket_path(name: str) -> str:
    """Where the Unix socket for ``name`` is: ``name`` itself when it is a path, else
    in ``$TMPDIR`` or /tmp, where ``QLocalServer`` puts it (``QDir::tempPath``)."""
    if os.path.isabs(name):
        return name
    return os.path.join(os.environ.get("TMPDIR") or "/tmp", name)


def _unix_socket() -> _socket.socket:
    # The C module under ``socket``: that one turns its constants into enums as it is
    # imported (~2.5 ms before the first paint); a plain stream socket needs none.
    import _socket

    return _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)


def _hand_over_unix(path: str) -> bool:
    sock = _unix_socket()
    try:
        sock.settimeout(CONNECT_TIMEOUT_MS / 1000)
        sock.connect(path)
        sock.sendall(ACTIVATE)  # queued in the kernel until the owner reads it
    except OSError:
        return False
    finally:
        sock.close()
    return True


def _hand_over_qt(name: str) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(ACTIVATE)
    sent = socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return sent


def hand_over(name: str | None = None) -> bool:
    """Ask a running Rill to show its window; True when one was there and got the message."""
    name = name or server_name()
    return _hand_over_unix(socket_path(name)) if UNIX else _hand_over_qt(name)


def bring_to_front(window: QWidget) -> None:
    """Show ``window`` in front: un-minimise it, raise it and ask for the keyboard."""
    log.info("another launch asked for the window: bringing it to the front")
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


class SingleInstance(QObject):
    """The first instance's end: it owns the name (:meth:`take`) and answers on it
    (:meth:`serve`); :meth:`listen` does both.

    Signals:
        activation_requested(): another launch wants this instance's window in front.
    """

    activation_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server: QLocalServer | None = None
        self._bound: _socket.socket | None = None  # Unix: listening, not yet served
        self._lock: int | None = None  # Unix: the lock file's descriptor, while owned
        self._clients: set[QLocalSocket] = set()

    @property
    def owned(self) -> bool:
        """Whether this process holds the name (taken, and not closed since)."""
        return self._bound is not None or self._server is not None

    def try_lock(self) -> bool | None:
        """Unix: take the lock that says who owns the name. True: taken (or already
        held); False: another live process holds it; None: no lock can be had here
        (the file cannot be opened), so the socket alone decides, as Qt's does."""
        if self._lock is not None:
            return True
        import fcntl

        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            # Not inherited by child processes (PEP 446): a tool server outliving a
            # crashed Rill must not keep the lock.
            descriptor = os.open(socket_path(self.name) + LOCK_SUFFIX, flags, 0o600)
        except OSError as error:
            log.warning("single instance: no lock file (%s); the socket alone decides", error)
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            return False
        self._lock = descriptor
        return True

    def take(self) -> bool:
        """Own the name now: True on success, False when it is taken. On Unix the
        socket is bound and queues connections until :meth:`serve`; elsewhere Qt's
        server listens (and serves) at once."""
        if self.owned:
            return True
        if not UNIX:
            return self._listen_qt()
        path = socket_path(self.name)
        sock = _unix_socket()
        previous = os.umask(0o177)  # the socket file is the user's alone (rw-------)
        try:
            sock.bind(path)
            sock.listen(8)
        except OSError:
            sock.close()
            return False
        finally:
            os.umask(previous)
        self._bound = sock
        return True

    def remove_stale(self) -> None:
        """Remove a socket file nobody answers on (a crashed Rill's)."""
        if UNIX:
            try:
                os.unlink(socket_path(self.name))
            except FileNotFoundError:
                pass
            except OSError as error:
                log.warning("single instance: cannot remove a stale socket: %s", error)
        else:
            from PySide6.QtNetwork import QLocalServer

            QLocalServer.removeServer(self.name)

    def serve(self) -> None:
        """Answer on the name taken: a later launch's "activate" (including one that
        waited in the queue) emits ``activation_requested``. Imports Qt's network
        module, so the app calls this after the window's first paint."""
        if self._bound is None:
            return  # not owned, or served already
        server = self._make_server()
        descriptor = self._bound.detach()  # Qt closes it (and removes the file)
        self._bound = None
        if not server.listen(descriptor):
            log.warning("single instance: cannot serve: %s", server.errorString())
            os.close(descriptor)

    def listen(self) -> bool:
        """Own the name and serve it at once; True on success, False when it is taken."""
        if not self.take():
            return False
        self.serve()
        return True

    def close(self) -> None:
        """Stop answering, remove the socket and give up the name, so the next launch
        starts fresh."""
        if self._bound is not None:
            self._bound.close()
            self._bound = None
            self.remove_stale()
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
        for client in list(self._clients):
            client.readyRead.disconnect(self._on_client_ready_read)
            client.disconnected.disconnect(self._on_client_disconnected)
            client.abort()
        self._clients.clear()
        if self._lock is not None:
            # The file stays: removing it could let two launches lock two files.
            os.close(self._lock)
            self._lock = None

    def _make_server(self) -> QLocalServer:
        from PySide6.QtNetwork import QLocalServer

        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._on_server_new_connection)
        self._server = server
        return server

    def _listen_qt(self) -> bool:
        server = self._server or self._make_server()
        if server.listen(self.name):
            return True
        self._server = None
        server.deleteLater()
        return False

    def _on_server_new_connection(self) -> None:
        server = self._server
        while server is not None and (client := server.nextPendingConnection()) is not None:
            # Kept here until it disconnects: a Python wrapper dropped early would let
            # a queued signal reach a deleted socket.
            self._clients.add(client)
            client.readyRead.connect(self._on_client_ready_read)
            client.disconnected.connect(self._on_client_disconnected)
            self._read(client)

    def _on_client_ready_read(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        client = self.sender()
        if isinstance(client, QLocalSocket):
            self._read(client)

    def _on_client_disconnected(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        client = self.sender()
        if isinstance(client, QLocalSocket) and client in self._clients:
            self._clients.discard(client)
            client.deleteLater()

    def _read(self, client: QLocalSocket) -> None:
        if client.bytesAvailable() and ACTIVATE.strip() in bytes(client.readAll().data()):
            self.activation_requested.emit()


def claim(name: str | None = None) -> SingleInstance | None:
    """This process's instance guard, or None when a running Rill took the hand-over.

    The guard owns the name but does not answer on it until :meth:`SingleInstance.serve`
    (the app calls it after the first paint); a launch meanwhile waits in the queue.
    With ``RILL_MULTI_INSTANCE=1`` the guard owns nothing and every launch runs.
    """
    guard = SingleInstance(name)
    if os.environ.get(DISABLE_ENV_VAR) == "1":
        return guard
    if not UNIX:
        return _claim_by_socket(guard)
    deadline = time.monotonic() + OWNER_WAIT_S
    while True:
        locked = guard.try_lock()
        if locked is None:
            return _claim_by_socket(guard)
        if locked:
            # Ours. A Rill from before the lock may still answer on the socket;
            # otherwise what is there is a crashed one's.
            if hand_over(guard.name):
                guard.close()
                return None
            guard.remove_stale()
            if not guard.take():
                log.warning("single instance: cannot listen; running without the guard")
            return guard
        if hand_over(guard.name):
            return None
        if time.monotonic() > deadline:
            # Another process holds the lock but never answers: one window is better
            # than none.
            log.warning("single instance: the running copy does not answer; starting anyway")
            return guard
        time.sleep(_RETRY_S)


def _claim_by_socket(guard: SingleInstance) -> SingleInstance | None:
    """The claim without a lock (Windows, or no lock file here): the socket decides."""
    if hand_over(guard.name):
        return None
    if guard.take():
        return guard
    # The name is taken: a copy starting in the same instant, or a crashed one's socket.
    if hand_over(guard.name):
        return None
    guard.remove_stale()  # stale: nobody answered on it
    guard.take()  # if even this fails, run anyway: one window is better than none
    return guard
