"""A private D-Bus bus (``dbus-daemon``) with a fake logind on it: it owns org.freedesktop.login1,
hands out "delay" inhibitor locks (one end of a socket pair; the other end tells when the app
let go) and emits ``PrepareForSleep`` when a test says so.

The bus lives in a short temp dir of its own (a Unix socket path may not exceed ~107 bytes).
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any, Self

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus  # type: ignore[import-untyped]
from jeepney.io.blocking import (  # type: ignore[import-untyped]
    DBusConnection,
    open_dbus_connection,
)

from tests.support.private_bus import start_private_bus
from tests.support.process import ManagedProcess, wait_until

LOGIND = "org.freedesktop.login1"
PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"


def available() -> bool:
    return shutil.which("dbus-daemon") is not None


class FakeLogind:
    """The bus and logind on it. ``address`` is what the app is given as its system bus."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="vflg-"))
        self.address = f"unix:path={self.runtime_dir / 'bus'}"
        self.bus: ManagedProcess | None = None
        self._conn: DBusConnection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._locks: list[socket.socket] = []  # our ends of the locks handed out
        self._lock = threading.Lock()

    def start(self, timeout: float = 10.0) -> Self:
        self.bus = start_private_bus(self.workdir, self.runtime_dir / "bus", timeout)
        conn = open_dbus_connection(bus=self.address, enable_fds=True)
        reply = conn.send_and_get_reply(message_bus.RequestName(LOGIND), timeout=5)
        assert reply.body[0] == 1, "could not own org.freedesktop.login1"
        self._conn = conn
        self._thread = threading.Thread(target=self._serve, name="fake-logind", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._conn is not None:
            self._conn.sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)
        if self._conn is not None:
            self._conn.close()
        for end in self._locks:
            end.close()
        if self.bus is not None:
            self.bus.stop(timeout=5.0)
            self.bus = None
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def prepare_for_sleep(self, sleeping: bool) -> None:
        assert self._conn is not None
        manager = DBusAddress(PATH, interface=MANAGER)
        self._conn.send(new_signal(manager, "PrepareForSleep", "b", (sleeping,)))

    def locks_held(self) -> int:
        """Inhibitor locks the app still holds (its end of the pair is open)."""
        with self._lock:
            return sum(1 for end in self._locks if not _closed_by_peer(end))

    def wait_for_lock(self, timeout: float = 10.0) -> None:
        wait_until(lambda: self.locks_held() > 0, timeout, "the app to take a sleep lock")

    # ---- the service --------------------------------------------------------------------------

    def _serve(self) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while not self._stopping:
                message = conn.receive()
                header = message.header
                if header.message_type is not MessageType.method_call:
                    continue
                if header.fields.get(HeaderFields.member) == "Inhibit":
                    reply, theirs = self._inhibit(message)
                    conn.send(reply)  # the fd is copied into the message as it is sent
                    theirs.close()
                else:
                    conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))
        except (OSError, EOFError, ValueError):
            pass  # stopped

    def _inhibit(self, message: Any) -> tuple[Any, socket.socket]:
        what, _who, _why, mode = message.body
        assert (what, mode) == ("sleep", "delay"), message.body
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        with self._lock:
            self._locks.append(ours)
        return new_method_return(message, "h", (theirs.fileno(),)), theirs


def _closed_by_peer(end: socket.socket) -> bool:
    try:
        return end.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
