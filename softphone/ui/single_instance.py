"""One running app per user: a second start hands its command line to the first and exits.

The first instance listens on a ``QLocalServer`` named per user; a later start connects, writes
its arguments as one JSON line and leaves. ``sip:``, ``tel:`` and ``callto:`` links among them
become dial targets (``softphone.core.links``).

A start asks before its first window is shown, so that check stays light: on Linux and macOS it
connects to the server's Unix socket with Python's own ``_socket`` (where ``QLocalServer`` puts
it: Qt's temporary directory and the name), and Qt Network is imported only by the server, once
the app behind the window is built; on Windows, whose local servers are named pipes, the check
is ``QLocalSocket``'s.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

_log = logging.getLogger(__name__)
_CONNECT_MS = 500
_WRITE_MS = 2000
_MAX_MESSAGE = 64 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def instance_name(suffix: str = "") -> str:
    """The per-user server name. The app has one whatever its mode (demo or not): a second
    start hands its links to whichever copy runs. ``suffix``: a test bench's own instance."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (a container without passwd entry)
        user = "user"
    return _SAFE.sub("_", f"vicifast-phone-{user}{suffix}")


def send_to_running(name: str, argv: list[str]) -> bool:
    """Hand ``argv`` to a running instance; False when none answers (be the first one)."""
    message = (json.dumps({"argv": argv}) + "\n").encode()
    if sys.platform == "win32":
        return _send_by_qt(name, message)
    return _send_by_unix_socket(server_path(name), message)


def server_path(name: str) -> str:
    """Where ``QLocalServer.listen(name)`` puts its socket on Linux and macOS: in
    ``QDir.tempPath()``, which is ``$TMPDIR`` (or ``/tmp``) made canonical."""
    temp = os.environ.get("TMPDIR") or "/tmp"  # noqa: S108  (Qt's default: we create nothing there)
    return str(Path(temp).resolve() / name)


def _send_by_unix_socket(path: str, message: bytes) -> bool:
    from _socket import AF_UNIX, SHUT_WR, SOCK_STREAM, socket  # not socket: lighter

    try:
        owner = Path(path).stat().st_uid
    except OSError:  # no socket file: nobody runs
        return False
    if owner != os.getuid():  # made by another user in a shared folder: not our app
        _log.warning("single-instance socket %s belongs to another user: not used", path)
        return False
    sock = socket(AF_UNIX, SOCK_STREAM)
    try:
        sock.settimeout(_CONNECT_MS / 1000)
        try:
            sock.connect(path)
        except OSError:  # a crashed instance's socket file: nobody answers
            return False
        sock.settimeout(_WRITE_MS / 1000)
        try:
            sock.sendall(message)
            sock.shutdown(SHUT_WR)
        except OSError:
            return False
        return True
    finally:
        sock.close()


def _send_by_qt(name: str, message: bytes) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(_CONNECT_MS):
        return False
    socket.write(message)
    sent = socket.waitForBytesWritten(_WRITE_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(_WRITE_MS)
    return sent


class InstanceServer(QObject):
    """Listens for later starts; emits ``received(list[str])`` (their argv) on the GUI thread."""

    received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer  # with the app behind the first window

        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        # A crashed instance leaves its socket file behind: nobody answered, so take it over.
        self._server.removeServer(self.name)
        ok = self._server.listen(self.name)
        if not ok:
            _log.warning("single-instance server: %s", self._server.errorString())
        return ok

    def close(self) -> None:
        for socket in list(self._buffers):
            self._drop(socket)
        self._server.close()

    def _drop(self, socket: QLocalSocket) -> None:
        # No signal of a socket may reach this object once it is going: disconnect first.
        self._buffers.pop(socket, None)
        socket.readyRead.disconnect()
        socket.disconnected.disconnect()
        socket.abort()
        socket.deleteLater()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._finish(s))

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if b"\n" in buffer or len(buffer) > _MAX_MESSAGE:
            self._finish(socket)

    def _finish(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.pop(socket, None)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        self._drop(socket)
        line = bytes(buffer).split(b"\n", 1)[0]
        try:
            argv = json.loads(line)["argv"]
        except (ValueError, KeyError, TypeError):
            _log.warning("ignored a malformed message from another start of the app")
            return
        if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
            self.received.emit(argv)
