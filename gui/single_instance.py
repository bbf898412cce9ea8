"""One Rill window per user and profile: a second launch hands over and exits.

The first process listens on a local socket (a Unix socket or a Windows named pipe)
whose name is derived from the user id and the resolved profile location, so two
profiles (``RILL_HOME``) — or two users — never talk to each other. A later launch
connects, says "activate", and the first process brings its window to the front.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from rill.core.paths import rill_home

ACTIVATE = b"activate\n"
log = logging.getLogger(__name__)
CONNECT_TIMEOUT_MS = 500  # a live first instance answers at once; a dead socket fails fast
_MAX_SOCKET_PATH = 100  # sockaddr_un.sun_path holds 108 bytes on Linux
# Set to "1" to allow a second, independent window (debugging two copies side by side).
DISABLE_ENV_VAR = "RILL_MULTI_INSTANCE"


def server_name() -> str:
    """The socket name for this user and profile.

    On Linux it is a path in ``$XDG_RUNTIME_DIR`` (private to the user, emptied at
    log-out) when that is short enough for a Unix socket; otherwise a plain name,
    which Qt puts in the temporary folder (or makes a named pipe on Windows).
    """
    user = str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()
    home = rill_home()
    profile = str(home) if home is not None else "default"
    digest = hashlib.sha256(f"{user}\0{profile}".encode()).hexdigest()[:16]
    name = f"rill-{user}-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if sys.platform.startswith("linux") and runtime and os.path.isdir(runtime):
        path = os.path.join(runtime, name)
        if len(path.encode()) < _MAX_SOCKET_PATH:
            return path
    return name


def hand_over(name: str | None = None) -> bool:
    """Ask a running Rill to show its window; True when one was there and got the message."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(ACTIVATE)
    sent = socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return sent


def bring_to_front(window: QWidget) -> None:
    """Show ``window`` in front: un-minimise it, raise it and ask for the keyboard."""
    log.info("another launch asked for the window: bringing it to the front")
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


class SingleInstance(QObject):
    """The first instance's listening end.

    Signals:
        activation_requested(): another launch wants this instance's window in front.
    """

    activation_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_server_new_connection)
        self._clients: set[QLocalSocket] = set()

    def listen(self) -> bool:
        """Start listening; True on success, False when the name is taken."""
        return self._server.listen(self.name)

    def close(self) -> None:
        """Stop listening and remove the socket, so the next launch starts fresh."""
        self._server.close()
        for client in list(self._clients):
            client.readyRead.disconnect(self._on_client_ready_read)
            client.disconnected.disconnect(self._on_client_disconnected)
            client.abort()
        self._clients.clear()

    def _on_server_new_connection(self) -> None:
        while (client := self._server.nextPendingConnection()) is not None:
            # Kept here until it disconnects: a Python wrapper dropped early would let
            # a queued signal reach a deleted socket.
            self._clients.add(client)
            client.readyRead.connect(self._on_client_ready_read)
            client.disconnected.connect(self._on_client_disconnected)
            self._read(client)

    def _on_client_ready_read(self) -> None:
        client = self.sender()
        if isinstance(client, QLocalSocket):
            self._read(client)

    def _on_client_disconnected(self) -> None:
        client = self.sender()
        if isinstance(client, QLocalSocket) and client in self._clients:
            self._clients.discard(client)
            client.deleteLater()

    def _read(self, client: QLocalSocket) -> None:
        if client.bytesAvailable() and ACTIVATE.strip() in bytes(client.readAll().data()):
            self.activation_requested.emit()


def claim(name: str | None = None) -> SingleInstance | None:
    """This process's instance guard, or None when a running Rill took the hand-over.

    With ``RILL_MULTI_INSTANCE=1`` the guard listens nowhere and every launch runs.
    """
    guard = SingleInstance(name)
    if os.environ.get(DISABLE_ENV_VAR) == "1":
        return guard
    if hand_over(guard.name):
        return None
    if guard.listen():
        return guard
    # The name is taken: a copy starting in the same instant, or a crashed one's socket.
    if hand_over(guard.name):
        return None
    QLocalServer.removeServer(guard.name)  # stale: nobody answered on it
    guard.listen()  # if even this fails, run anyway: one window is better than none
    return guard
