"""The incoming-call window: on top, never taking the keyboard, caller ID only in the tray."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.errors import UnknownCall
from softphone.ui.bridge import QtBridge
from softphone.ui.phone.incoming_call import IncomingCallWindow
from softphone.ui.phone.view import PhoneView
from tests.support.xvfb import xvfb_env
from tests.ui.phone_fakes import FakePhone, incoming, state

ROOT = Path(__file__).resolve().parents[2]


class Notifications:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, title: str, text: str) -> None:
        self.sent.append((title, text))


@pytest.fixture
def phone() -> FakePhone:
    return FakePhone()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def notify() -> Notifications:
    return Notifications()


@pytest.fixture
def windows() -> Iterator[list[IncomingCallWindow]]:
    made: list[IncomingCallWindow] = []
    yield made
    for window in made:
        if shiboken6.isValid(window):
            window.close()


def make(
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    call: ev.IncomingCall,
    **kwargs: object,
) -> IncomingCallWindow:
    window = IncomingCallWindow(phone, bus, bridge, call, **kwargs)  # type: ignore[arg-type]
    windows.append(window)
    return window


def test_the_window_is_shown_on_top_and_asked_not_to_activate(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    window = make(phone, bus, bridge, windows, incoming("c1"))
    window.present()
    qtbot.waitExposed(window)
    assert window.isVisible()
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.windowFlags() & Qt.WindowType.Tool
    assert window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)


def test_the_window_comes_forward_without_taking_the_keyboard() -> None:
    """On a real X server (Xvfb): the line edit that had the focus keeps it, and typing lands
    there. The offscreen platform activates every window it shows, so it cannot tell; Xvfb has
    no window manager, so this catches the app activating the window itself (activateWindow,
    focus grabs), while the test above checks the request that window managers honour."""
    with xvfb_env() as env:
        probe = subprocess.run(
            [sys.executable, "-m", "tests.ui.incoming_focus_probe"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["platform"] == "xcb"
    assert seen["focus_before"]
    assert seen["window_visible"]
    assert seen["focus_after"], seen
    assert seen["active_after"], seen
    assert seen["text"] == "typed"


def test_the_notification_carries_only_the_caller_id(
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    notify: Notifications,
) -> None:
    call = incoming("c1", display="Alice Smith", number="5550102030")
    make(phone, bus, bridge, windows, call, notify=notify).present()
    assert len(notify.sent) == 1
    title, text = notify.sent[0]
    assert title == "Incoming call"
    assert text == "Alice Smith (5550102030)"
    # Nothing else: no host, URI, account or call id.
    leftover = text.replace("Alice Smith", "").replace("5550102030", "")
    assert leftover.strip(" ()") == ""
    for private in ("pbx.example.com", "sip:", call.account_id, call.call_id, "transport"):
        assert private not in title + text


def test_a_caller_without_a_name_or_number_is_unknown(
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    notify: Notifications,
) -> None:
    make(
        phone, bus, bridge, windows, incoming("c1", display="", number=""), notify=notify
    ).present()
    assert notify.sent == [("Incoming call", "Unknown caller")]


def test_answer_and_decline_from_the_window(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    first = make(phone, bus, bridge, windows, incoming("c1"))
    first.present()
    assert first.name_label.text() == "Bob Jones"
    assert first.number_label.text() == "5550109999"
    assert "Ctrl+Shift+A" in first.answer_button.toolTip()
    qtbot.mouseClick(first.answer_button, Qt.MouseButton.LeftButton)
    assert phone.named("answer") == [("c1",)]
    assert not first.answer_button.isEnabled()  # until the engine says it is answered
    second = make(phone, bus, bridge, windows, incoming("c2"))
    second.present()
    qtbot.mouseClick(second.decline_button, Qt.MouseButton.LeftButton)
    assert phone.named("reject") == [("c2", 603)]


def test_the_answer_shortcut_works_once_the_window_has_the_keyboard(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    window = make(phone, bus, bridge, windows, incoming("c1"))
    window.present()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(
        window,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert phone.named("answer") == [("c1",)]


@pytest.mark.parametrize(
    "ending",
    [ev.CallState.CONNECTING, ev.CallState.CONFIRMED, ev.CallState.DISCONNECTED],
)
def test_the_window_closes_itself_when_the_call_is_answered_or_over(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    ending: ev.CallState,
) -> None:
    window = make(phone, bus, bridge, windows, incoming("c1"))
    window.present()
    bus.publish(state("c2", ending, direction=ev.Direction.INBOUND))  # another call: stays
    assert window.isVisible()
    bus.publish(state("c1", ending, direction=ev.Direction.INBOUND))
    assert not window.isVisible()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window))  # deleted on close
    bus.publish(state("c1", ending, direction=ev.Direction.INBOUND))  # nobody listening now


def test_the_auto_answer_countdown(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    window = make(phone, bus, bridge, windows, incoming("c1", auto_answer_in_s=3.0))
    window.present()
    assert window.countdown_label.isVisible()
    assert window.countdown_label.text() == "Answering automatically in 3 s"
    qtbot.waitUntil(
        lambda: window.countdown_label.text() == "Answering automatically in 2 s", timeout=3000
    )


def test_a_call_answered_at_once_gets_no_window_and_no_notification(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    notify: Notifications,
) -> None:
    window = make(phone, bus, bridge, windows, incoming("c1", auto_answer_in_s=0.0), notify=notify)
    window.present()
    assert not window.isVisible()
    assert notify.sent == []


def test_a_failed_answer_is_shown_in_the_window(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    phone.fail_next("answer", UnknownCall("That call has already ended."))
    window = make(phone, bus, bridge, windows, incoming("c1"))
    window.present()
    qtbot.mouseClick(window.answer_button, Qt.MouseButton.LeftButton)
    assert window.message_label.isVisible()
    assert window.message_label.text() == "Could not answer: That call has already ended."
    assert window.answer_button.isEnabled()


def test_answering_a_waiting_call_through_the_phone_page_holds_the_other(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
) -> None:
    page = PhoneView(phone, bus, bridge)
    qtbot.addWidget(page)
    bus.publish(state("c1", ev.CallState.CONFIRMED))
    call = incoming("c2", waiting=True)
    bus.publish(call)
    window = make(phone, bus, bridge, windows, call, answer=page.answer_call)
    window.present()
    assert window.answer_button.accessibleName() == "Answer & hold"
    qtbot.mouseClick(window.answer_button, Qt.MouseButton.LeftButton)
    assert phone.calls == [("hold", ("c1",)), ("answer", ("c2",))]


@pytest.mark.parametrize("button", ["answer_button", "decline_button"])
def test_answering_or_declining_withdraws_the_notification_at_once(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    notify: Notifications,
    button: str,
) -> None:
    withdrawn = Notifications()
    window = make(phone, bus, bridge, windows, incoming("c1"), notify=notify, withdraw=withdrawn)
    window.present()
    assert withdrawn.sent == []
    qtbot.mouseClick(getattr(window, button), Qt.MouseButton.LeftButton)
    assert withdrawn.sent == notify.sent  # what was sent, taken down before the engine answers
    window.close()
    assert len(withdrawn.sent) == 1  # once


def test_a_window_that_closes_withdraws_its_notification(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    notify: Notifications,
) -> None:
    withdrawn = Notifications()
    window = make(phone, bus, bridge, windows, incoming("c1"), notify=notify, withdraw=withdrawn)
    window.present()
    bus.publish(state("c1", ev.CallState.DISCONNECTED, direction=ev.Direction.INBOUND))
    assert withdrawn.sent == notify.sent


def _left_to_right(decline: QWidget, answer: QWidget) -> bool:
    """Decline left of Answer, as the person sees them."""
    return decline.mapToGlobal(QPoint(0, 0)).x() < answer.mapToGlobal(QPoint(0, 0)).x()


@pytest.mark.parametrize("waiting", [False, True])
def test_the_popup_and_the_call_page_put_decline_left_and_answer_right(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    windows: list[IncomingCallWindow],
    waiting: bool,
) -> None:
    page = PhoneView(phone, bus, bridge)
    qtbot.addWidget(page)
    page.show()
    if waiting:
        bus.publish(state("c1", ev.CallState.CONFIRMED))
    call = incoming("c2", waiting=waiting)
    bus.publish(call)
    window = make(phone, bus, bridge, windows, call, answer=page.answer_call)
    window.present()
    qtbot.waitExposed(window)
    calls = page.call_page
    on_page = (
        (calls.decline_waiting_button, calls.answer_waiting_button)
        if waiting
        else (calls.decline_button, calls.answer_button)
    )
    assert all(button.isVisible() for button in on_page)
    assert _left_to_right(*on_page)
    assert _left_to_right(window.decline_button, window.answer_button)
