"""Call notices on a Linux desktop go through org.freedesktop.Notifications and are closed by id
when the call no longer rings; with no service on the bus the tray's own balloon shows them.

A real private session bus (dbus-daemon) carries them; a small notification server on it,
written with jeepney on a thread of the test, records what it is asked and answers as the
specification says (``replaces_id`` kept as the id, NotificationClosed after a close).
"""

from __future__ import annotations

import itertools
import queue
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.ui import notifications
from softphone.ui.bridge import QtBridge
from softphone.ui.notifications import DesktopNotices
from softphone.ui.phone.incoming_call import IncomingCallWindow
from softphone.ui.tray import Tray
from tests.support import secret_service
from tests.support.secret_service import SecretService
from tests.ui.phone_fakes import FakePhone, incoming, state

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="a Linux desktop's service")

WAIT = 5000
SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IN = ev.Direction.INBOUND


@dataclass(frozen=True)
class Call:
    member: str
    signature: str
    body: tuple[Any, ...]


class NoticeServer:
    """org.freedesktop.Notifications on ``address``, served by a thread; ``mute``: answers
    nothing (a hung service)."""

    def __init__(self, address: str, *, mute: bool = False) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.mute = mute
        self.conn = open_dbus_connection(bus=address)
        try:
            reply = self.conn.send_and_get_reply(message_bus.RequestName(SERVICE), timeout=5)
            assert reply.body == (1,)  # the primary owner
        except BaseException:
            self.conn.close()
            raise
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._todo: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="notice-server", daemon=True)
        self._thread.start()

    def recorded(self, member: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if member is None or c.member == member]

    def click(self, notice_id: int) -> None:
        """The person clicks the notice (its default action)."""
        self._todo.put(("ActionInvoked", "us", (notice_id, "default")))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.conn.close()

    def _serve(self) -> None:
        from jeepney import DBusAddress, HeaderFields, MessageType, new_signal
        from jeepney.wrappers import new_error, new_method_return

        emitter = DBusAddress(PATH, interface=SERVICE)
        while not self._stop.is_set():
            while not self._todo.empty():
                self.conn.send(new_signal(emitter, *self._todo.get()))
            try:
                msg = self.conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            except OSError:  # the bus went first (a test that failed half-way)
                return
            if msg.header.message_type is not MessageType.method_call:
                continue
            fields = msg.header.fields
            call = Call(
                fields[HeaderFields.member], fields.get(HeaderFields.signature, ""), msg.body
            )
            with self._lock:
                self.calls.append(call)
            if self.mute:
                continue
            if call.member == "Notify":
                notice_id = call.body[1] or next(self._ids)
                self.conn.send(new_method_return(msg, "u", (notice_id,)))
            elif call.member == "CloseNotification":
                self.conn.send(new_method_return(msg))
                self.conn.send(new_signal(emitter, "NotificationClosed", "uu", (call.body[0], 3)))
            else:
                name = "org.freedesktop.DBus.Error.UnknownMethod"
                self.conn.send(new_error(msg, name, "s", ("not here",)))


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[str]:
    if not secret_service.available():
        pytest.fail("dbus-daemon is missing: run scripts/bootstrap.sh test")
    bus = SecretService(tmp_path)
    bus.start_bus()
    yield bus.address
    bus.stop()


@pytest.fixture
def server(session_bus: str) -> Iterator[NoticeServer]:
    served = NoticeServer(session_bus)
    yield served
    served.stop()


class TrayKit:
    """A Tray on the private bus, with what it hands Qt (its balloons) recorded."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.bus = EventBus()
        self.tray = Tray(self.bus, notices=DesktopNotices(address=address), **kwargs)
        self.balloons: list[tuple[str, str]] = []
        self.tray.icon.showMessage = (  # type: ignore[method-assign]
            lambda title, text, *rest: self.balloons.append((title, text))
        )

    def close(self) -> None:
        self.tray.hide()
        self.tray.menu.deleteLater()


@pytest.fixture
def kit(qtbot: QtBot, session_bus: str) -> Iterator[TrayKit]:
    made = TrayKit(session_bus)
    yield made
    made.close()


@pytest.fixture
def windows() -> Iterator[list[IncomingCallWindow]]:
    made: list[IncomingCallWindow] = []
    yield made
    for window in made:
        if shiboken6.isValid(window):
            window.close()


def ring(
    kit: TrayKit,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    call_id: str,
    number: str = "5550109999",
) -> IncomingCallWindow:
    """The call's window, as the app opens it: its notice goes through the tray."""
    call = incoming(call_id, number=number)
    window = IncomingCallWindow(
        FakePhone(), kit.bus, bridge, call, notify=kit.tray.notify, withdraw=kit.tray.withdraw
    )
    windows.append(window)
    window.present()
    return window


def test_a_ringing_call_shows_only_its_caller_id_and_answering_closes_it(
    qtbot: QtBot,
    server: NoticeServer,
    kit: TrayKit,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    window = ring(kit, bridge, windows, "c1")
    qtbot.waitUntil(lambda: len(server.recorded("Notify")) == 1, timeout=WAIT)
    notify = server.recorded("Notify")[0]
    assert notify.signature == "susssasa{sv}i"  # replaces_id a uint32, as servers insist
    app_name, replaces, icon, summary, body, actions, hints, _timeout = notify.body
    assert (app_name, replaces, icon) == ("VICIfast Desktop", 0, "")
    assert (summary, body) == ("Incoming call", "Bob Jones (5550109999)")  # caller ID only
    assert hints["urgency"] == ("y", 2)
    assert actions == ["default", "Show VICIfast Desktop"]
    assert not any(
        private in repr(notify.body) for private in ("pbx.example.com", "sip:", "c1", "udp")
    )
    qtbot.waitUntil(lambda: kit.tray.notices.shown == 1, timeout=WAIT)
    qtbot.mouseClick(window.answer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(server.recorded("CloseNotification")) == 1, timeout=WAIT)
    assert server.recorded("CloseNotification")[0] == Call("CloseNotification", "u", (1,))
    assert kit.balloons == []  # nothing went Qt's way


def test_declining_before_the_service_answered_still_closes_the_notice(
    qtbot: QtBot,
    server: NoticeServer,
    kit: TrayKit,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    window = ring(kit, bridge, windows, "c1")
    qtbot.mouseClick(window.decline_button, Qt.MouseButton.LeftButton)  # at once
    qtbot.waitUntil(lambda: len(server.recorded("CloseNotification")) == 1, timeout=WAIT)
    assert server.recorded("CloseNotification")[0].body == (1,)
    assert kit.tray.notices.shown == 0


def test_a_second_call_replaces_the_notice_and_answering_it_closes_it(
    qtbot: QtBot, server: NoticeServer, session_bus: str
) -> None:
    kit = TrayKit(session_bus)  # the tray announces calls itself (no call window)
    try:
        kit.bus.publish(incoming("c1", number="5550001111"))
        qtbot.waitUntil(lambda: kit.tray.notices.shown == 1, timeout=WAIT)
        kit.bus.publish(incoming("c2", number="5550002222", waiting=True))
        qtbot.waitUntil(lambda: len(server.recorded("Notify")) == 2, timeout=WAIT)
        second = server.recorded("Notify")[1].body
        assert second[1] == 1 and second[3:5] == ("Incoming call", "5550002222")  # in place
        qtbot.waitUntil(lambda: kit.tray.notices.shown == 1, timeout=WAIT)
        kit.bus.publish(state("c2", ev.CallState.CONFIRMED, direction=IN, number="5550002222"))
        qtbot.waitUntil(lambda: len(server.recorded("CloseNotification")) == 1, timeout=WAIT)
        assert server.recorded("CloseNotification")[0].body == (1,)
        # the first call rings out: a new notice (nothing left to replace) says it was missed
        kit.bus.publish(
            state("c1", ev.CallState.DISCONNECTED, direction=IN, number="5550001111", sip_code=487)
        )
        qtbot.waitUntil(lambda: len(server.recorded("Notify")) == 3, timeout=WAIT)
        missed = server.recorded("Notify")[2].body
        assert missed[1] == 0 and missed[3:5] == ("Missed call", "5550001111")
        assert missed[6]["urgency"] == ("y", 1) and missed[7] == 8000
        qtbot.waitUntil(lambda: kit.tray.notices.shown == 2, timeout=WAIT)
        assert len(server.recorded("CloseNotification")) == 1 and kit.balloons == []
    finally:
        kit.close()


def test_clicking_the_notice_brings_the_window_and_only_the_service_is_heard(
    qtbot: QtBot,
    session_bus: str,
    server: NoticeServer,
    kit: TrayKit,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    ring(kit, bridge, windows, "c1")
    qtbot.waitUntil(lambda: kit.tray.notices.shown == 1, timeout=WAIT)
    shown: list[bool] = []
    kit.tray.showRequested.connect(lambda: shown.append(True))
    # another client of the bus "clicks" and "closes" our notice: nothing happens
    from jeepney import DBusAddress, message_bus, new_signal
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=session_bus) as stranger:
        emitter = DBusAddress(PATH, interface=SERVICE)
        stranger.send(new_signal(emitter, "ActionInvoked", "us", (1, "default")))
        stranger.send(new_signal(emitter, "NotificationClosed", "uu", (1, 2)))
        # the bus has routed both once it answers a later call of the same client
        stranger.send_and_get_reply(message_bus.GetId(), timeout=5)
    with qtbot.waitSignal(kit.tray.showRequested, timeout=WAIT):
        server.click(1)  # the service's own click, after the stranger's in our socket
    assert shown == [True]
    assert kit.tray.notices.shown == 1  # still ours to close


def test_without_a_notification_service_the_tray_shows_its_own_balloon(
    qtbot: QtBot, kit: TrayKit, bridge: QtBridge, windows: list[IncomingCallWindow]
) -> None:
    started = time.monotonic()
    window = ring(kit, bridge, windows, "c1")
    assert time.monotonic() - started < 1.0  # nothing waited on the bus
    qtbot.waitUntil(lambda: kit.balloons == [("Incoming call", window.caller_text)], timeout=WAIT)
    qtbot.mouseClick(window.answer_button, Qt.MouseButton.LeftButton)
    assert kit.balloons[-1] == ("", "")  # Qt's own balloon, taken down at once


def test_without_a_session_bus_notices_are_qts_at_once(qtbot: QtBot) -> None:
    kit = TrayKit("")
    try:
        assert not kit.tray.notices.usable
        kit.tray.notify("Missed call", "5550109999")
        assert kit.balloons == [("Missed call", "5550109999")]
    finally:
        kit.close()


def test_a_service_that_does_not_answer_leaves_the_notice_to_qt(
    qtbot: QtBot, session_bus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notifications, "REPLY_MS", 200)
    server = NoticeServer(session_bus, mute=True)
    try:
        kit = TrayKit(session_bus)
        try:
            kit.tray.notify("Incoming call", "5550109999")
            qtbot.waitUntil(lambda: kit.balloons == [("Incoming call", "5550109999")], timeout=WAIT)
            kit.tray.withdraw("Incoming call", "5550109999")
            assert ("", "") not in kit.balloons  # a blank one could reach the service
        finally:
            kit.close()
    finally:
        server.stop()
