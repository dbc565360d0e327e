"""Desktop notices through org.freedesktop.Notifications, sent by us so we can take them down.

On a StatusNotifier desktop Qt hands a tray notice to the notification service and keeps no
handle on it: an "Incoming call" notice stayed up after the call was answered. Sent here, the
service's id is ours: a new notice replaces the one shown (``replaces_id``) and
:meth:`DesktopNotices.close` takes it down (``CloseNotification``).

PySide6's QtDBus cannot send the spec's unsigned types (a Python int goes out as int32, so
``replaces_id``, the id to close and the urgency byte would have the wrong signature, which GLib's
and Qt's servers refuse). jeepney (on Linux with keyring) builds and parses the messages without
any I/O; a non-blocking socket watched by QSocketNotifiers carries them on the GUI thread, so no
call ever waits. A notice the service does not take (no bus, no service on it, an error, no answer
within ``REPLY_MS``) comes back through ``failed`` for the tray to show its own way.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

if sys.platform == "linux":  # the only platform with this service (and with jeepney)
    from jeepney import (  # type: ignore[import-untyped]
        DBusAddress,
        HeaderFields,
        MatchRule,
        MessageType,
        Parser,
        message_bus,
        new_method_call,
    )
    from jeepney.auth import BEGIN, AuthenticationError, Authenticator  # type: ignore[import-untyped]
    from jeepney.bus import get_connectable_addresses  # type: ignore[import-untyped]

REPLY_MS = 3000  # past this the notice is shown the tray's way (a late one is closed at once)
_SERVICE = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"
_NOTIFY_SIGNATURE = "susssasa{sv}i"
# the service is not there (rather than failing one call): the tray's own balloon is the notice
_ABSENT = frozenset(
    {
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.DBus.Error.UnknownInterface",
    }
)


@dataclass
class _Sent:
    """A Notify the service has not answered yet."""

    title: str
    text: str
    timer: QTimer
    wanted: bool = True  # False once closed, replaced or given up before the id came back


def _done(sent: _Sent) -> None:
    sent.timer.stop()


class DesktopNotices(QObject):
    """One notice at a time on org.freedesktop.Notifications of the session bus (``address``:
    a D-Bus address, default ``DBUS_SESSION_BUS_ADDRESS``). Emits on the GUI thread:
    ``failed(title, text, absent)`` for a notice the service did not take (``absent``: there is
    no service, so nothing of ours is on screen), ``activated`` when the person clicks the
    notice shown."""

    failed = Signal(str, str, bool)
    activated = Signal()

    def __init__(self, parent: QObject | None = None, *, address: str | None = None) -> None:
        super().__init__(parent)
        self._sock: socket.socket | None = None
        self._notifiers: list[QSocketNotifier] = []
        self._out = bytearray()
        self._waiting: list[bytes] = []  # messages held until the bus has let us in
        self._serial = 0
        self._replies: dict[int, Callable[[Any], None]] = {}
        self._sent: dict[int, _Sent] = {}
        self.shown = 0  # the service's id of the notice on screen, 0 for none
        self._service = ""  # the unique bus name that answered Notify: signals count from it only
        self._auth: Any = None  # jeepney's Authenticator until the bus has let us in
        self._parser: Any = None
        if address is None:
            address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if sys.platform == "linux" and address:
            self._open(address)

    @property
    def usable(self) -> bool:
        """A session bus is connected (or connecting): notices go to the service."""
        return self._sock is not None

    def show(
        self, title: str, text: str, *, urgent: bool, timeout_ms: int, action: str = ""
    ) -> None:
        """Show ``title``/``text`` in place of the notice shown. ``action``: the label of the
        click on the notice (servers that support actions), which emits ``activated``."""
        if self._sock is None:
            self.failed.emit(title, text, True)
            return
        replaces, self.shown = self.shown, 0
        for sent in self._sent.values():  # replaced before it was on screen: closed once it is
            sent.wanted = False
        hints: dict[str, tuple[str, object]] = {"urgency": ("y", 2 if urgent else 1)}
        if urgent:
            hints["category"] = ("s", "im.received")
        actions = ["default", action] if action else []
        body = ("VICIfast Desktop", replaces, "", title, text, actions, hints, timeout_ms)
        serial = self._call("Notify", _NOTIFY_SIGNATURE, body, self._notified)
        if not self.usable:  # the bus went away as we wrote
            self.failed.emit(title, text, True)
            return
        timer = QTimer()  # no parent: it goes with its _Sent (a deleteLater here could outlive us)
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: self._no_answer(serial))
        timer.start(REPLY_MS)
        self._sent[serial] = _Sent(title, text, timer)

    def close(self) -> None:
        """Take the notice down (and one still on its way, once it arrives)."""
        for sent in self._sent.values():
            sent.wanted = False
        if self.shown and self._sock is not None:
            self._call("CloseNotification", "u", (self.shown,), None)
        self.shown = 0

    def stop(self) -> None:
        """Close the notice shown and the connection (the tray is going away)."""
        self.close()
        for sent in self._sent.values():
            _done(sent)
        self._sent.clear()
        self._disconnect()

    # ---- messages ------------------------------------------------------------------------------

    def _call(
        self,
        member: str,
        signature: str,
        body: tuple[object, ...],
        reply: Callable[[Any], None] | None,
    ) -> int:
        address = DBusAddress(_PATH, bus_name=_SERVICE, interface=_SERVICE)
        return self._send(new_method_call(address, member, signature, body), reply)

    def _send(self, message: Any, reply: Callable[[Any], None] | None) -> int:
        self._serial += 1
        if reply is not None:
            self._replies[self._serial] = reply
        data: bytes = message.serialise(serial=self._serial)
        if self._auth is None:
            self._write(data)
        else:
            self._waiting.append(data)
        return self._serial

    def _notified(self, message: Any) -> None:
        serial = message.header.fields[HeaderFields.reply_serial]
        sent = self._sent.pop(serial, None)
        if sent is None:
            return
        _done(sent)
        if message.header.message_type is MessageType.error:
            if sent.wanted:
                name = message.header.fields.get(HeaderFields.error_name, "")
                self.failed.emit(sent.title, sent.text, name in _ABSENT)
            return
        notice_id = int(message.body[0])
        self._service = str(message.header.fields.get(HeaderFields.sender, ""))
        if sent.wanted:
            self.shown = notice_id
        else:
            self._call("CloseNotification", "u", (notice_id,), None)

    def _no_answer(self, serial: int) -> None:
        sent = self._sent.get(serial)
        if sent is not None and sent.wanted:
            sent.wanted = False  # should it still come, it is closed at once
            self.failed.emit(sent.title, sent.text, False)

    def _received(self, message: Any) -> None:
        fields = message.header.fields
        if message.header.message_type is MessageType.signal:
            # any client of the bus may emit these: only the service that took our notice counts
            if fields.get(HeaderFields.interface) != _SERVICE or (
                not self._service or fields.get(HeaderFields.sender) != self._service
            ):
                return
            member = fields.get(HeaderFields.member)
            if member == "NotificationClosed" and message.body[0] == self.shown:
                self.shown = 0
            elif member == "ActionInvoked" and message.body == (self.shown, "default"):
                self.activated.emit()
            return
        reply = self._replies.pop(fields.get(HeaderFields.reply_serial, 0), None)
        if reply is not None:
            reply(message)

    # ---- the socket ----------------------------------------------------------------------------

    def _open(self, address: str) -> None:
        try:
            path = next(get_connectable_addresses(address))
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        except (RuntimeError, ValueError, StopIteration, OSError):
            return  # not a bus we can reach: the tray's own notices
        sock.setblocking(False)
        try:
            sock.connect(path)
        except BlockingIOError:
            pass  # connecting: writable once it is
        except OSError:
            sock.close()
            return
        self._sock = sock
        self._auth = Authenticator()
        self._parser = Parser()
        for kind, slot in (
            (QSocketNotifier.Type.Read, self._readable),
            (QSocketNotifier.Type.Write, self._flush),
        ):
            notifier = QSocketNotifier(sock.fileno(), kind, self)
            notifier.activated.connect(slot)
            self._notifiers.append(notifier)
        self._write(self._auth.data_to_send())
        match = MatchRule(type="signal", interface=_SERVICE, path=_PATH)
        self._send(message_bus.Hello(), None)
        self._send(message_bus.AddMatch(match), None)

    def _write(self, data: bytes) -> None:
        self._out += data
        self._flush()

    def _flush(self) -> None:
        if self._sock is None:
            return
        try:
            while self._out:
                sent = self._sock.send(self._out)
                del self._out[:sent]
        except BlockingIOError:
            pass
        except OSError:
            self._lost()
            return
        self._notifiers[1].setEnabled(bool(self._out))

    def _readable(self) -> None:
        if self._sock is None:
            return
        try:
            data = self._sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lost()
            return
        if self._auth is not None:
            self._authenticating(data)
            return
        try:
            messages = self._parser.feed(data)
        except ValueError:  # not D-Bus: give up on this bus
            self._lost()
            return
        for message in messages:
            self._received(message)

    def _authenticating(self, data: bytes) -> None:
        try:
            self._auth.feed(data)
        except AuthenticationError:
            self._lost()
            return
        if not self._auth.authenticated:
            self._write(self._auth.data_to_send() or b"")
            return
        self._auth = None
        waiting, self._waiting = self._waiting, []
        self._write(BEGIN + b"".join(waiting))

    def _lost(self) -> None:
        """The bus went away (or never let us in): what is on its way is shown the tray's way."""
        self._disconnect()
        self.shown = 0
        sent, self._sent = list(self._sent.values()), {}
        for item in sent:
            _done(item)
            if item.wanted:
                self.failed.emit(item.title, item.text, True)

    def _disconnect(self) -> None:
        for notifier in self._notifiers:  # ours until we go (no reconnection): only disabled
            notifier.setEnabled(False)
        self._notifiers.clear()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._out.clear()
        self._waiting.clear()
        self._replies.clear()
