"""One running app per user: a second start hands its command line to the first and exits.

The first instance listens on a local server named per user; a later start connects, writes its
arguments as one JSON line and leaves. ``sip:``, ``tel:`` and ``callto:`` links among them
become dial targets (``softphone.core.links``).

On Linux and macOS the server is a Unix socket of Python's own, watched by ``QSocketNotifier``,
where ``QLocalServer`` would put it (Qt's temporary directory and the name; readable and
writable by the user alone), so neither the check before the first window nor the running app
loads Qt Network (about 2.5 MiB resident with the Kerberos libraries it links). On Windows,
whose local servers are named pipes, both are Qt's: ``QLocalServer`` and ``QLocalSocket``.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, Signal

if TYPE_CHECKING:
    from socket import socket

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


def _complete(buffer: bytearray) -> bool:
    return b"\n" in buffer or len(buffer) > _MAX_MESSAGE


def instance_server(name: str, parent: QObject | None = None) -> InstanceServer:
    """This platform's server for ``name``: Qt's on Windows, a Unix socket elsewhere."""
    if sys.platform == "win32":
        return QtInstanceServer(name, parent)
    return UnixInstanceServer(name, parent)


class InstanceServer(QObject):
    """Listens for later starts (:func:`instance_server` makes this platform's); emits
    ``received(list[str])`` (their argv) on the GUI thread."""

    received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name

    def listen(self) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _deliver(self, message: bytes) -> None:
        """A later start's message (its first line): its argv is emitted, unless malformed."""
        line = message.split(b"\n", 1)[0]
        try:
            argv = json.loads(line)["argv"]
        except (ValueError, KeyError, TypeError):
            _log.warning("ignored a malformed message from another start of the app")
            return
        if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
            self.received.emit(argv)


class UnixInstanceServer(InstanceServer):
    """On a Unix socket of Python's own (Linux, macOS)."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(name, parent)
        self._path = Path(server_path(name))
        self._listening: tuple[socket, QSocketNotifier] | None = None
        self._clients: dict[int, tuple[socket, QSocketNotifier, bytearray]] = {}  # by fd

    def listen(self) -> bool:
        import socket as sockets  # the app has it by now (its HTTP clients)

        server = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
        try:
            try:
                server.bind(str(self._path))
            except OSError:  # a crashed instance's socket file (nobody answered): taken over
                self._path.unlink()
                server.bind(str(self._path))
            self._path.chmod(0o600)  # the user's alone, before anyone can connect
            server.listen(8)
        except OSError as err:
            server.close()
            _log.warning("single-instance server: %s", err)
            return False
        server.setblocking(False)
        notifier = QSocketNotifier(server.fileno(), QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._accept)
        self._listening = (server, notifier)
        return True

    def close(self) -> None:
        for fd in list(self._clients):
            self._drop(fd)
        if self._listening is not None:
            server, notifier = self._listening
            self._listening = None
            notifier.setEnabled(False)
            server.close()
            with contextlib.suppress(OSError):
                self._path.unlink()

    def _accept(self) -> None:
        if self._listening is None:
            return
        while True:
            try:
                client, _ = self._listening[0].accept()
            except OSError:  # none left (BlockingIOError), or one that went away meanwhile
                return
            client.setblocking(False)
            notifier = QSocketNotifier(client.fileno(), QSocketNotifier.Type.Read, self)
            # a method, not a lambda: PySide6 crashed deleting a notifier whose slot was one
            notifier.activated.connect(self._readable)
            self._clients[client.fileno()] = (client, notifier, bytearray())

    def _readable(self) -> None:
        notifier = self.sender()
        fd = notifier.socket() if isinstance(notifier, QSocketNotifier) else -1
        if fd not in self._clients:
            return
        client, _, buffer = self._clients[fd]
        try:
            data = client.recv(_MAX_MESSAGE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        buffer += data
        if data and not _complete(buffer):
            return
        self._drop(fd)
        self._deliver(bytes(buffer))

    def _drop(self, fd: int) -> None:
        client, notifier, _ = self._clients.pop(fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        client.close()


class QtInstanceServer(InstanceServer):
    """With ``QLocalServer`` (Windows)."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer

        super().__init__(name, parent)
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
        if _complete(buffer):
            self._finish(socket)

    def _finish(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.pop(socket, None)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        self._drop(socket)
        self._deliver(bytes(buffer))
