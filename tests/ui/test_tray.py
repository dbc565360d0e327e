"""The tray icon: status follows registration, calls and missed calls; notifications carry only
the caller ID; the menu's actions reach the app. Here notices go Qt's way (no session bus); the
notification service's way is tests/ui/test_notifications.py's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.ui.icons import tray_icon
from softphone.ui.tray import Tray, TrayStatus


@pytest.fixture(autouse=True)
def _no_session_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    """The desktop's own notification service (if any) never sees these tests' notices."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def tray(qtbot: QtBot, bus: EventBus) -> Iterator[tuple[Tray, list[tuple[str, str]]]]:
    icon = Tray(bus)
    shown: list[tuple[str, str]] = []
    icon.notify = lambda title, text: shown.append((title, text))  # type: ignore[method-assign]
    yield icon, shown
    icon.hide()
    icon.menu.deleteLater()


def registered(bus: EventBus, state: ev.RegistrationState) -> None:
    bus.publish(ev.RegistrationChanged(account_id="session", state=state))


def incoming(call_id: str, auto_in: float | None = None) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id="session",
        remote_uri="sip:5551234@pbx.example.com",
        remote_number="5551234",
        remote_display="Jane Customer",
        auto_answer_in_s=auto_in,
        auto_answer_reason=None,
        waiting=False,
    )


def call_state(call_id: str, state: ev.CallState, **kw: object) -> ev.CallStateChanged:
    fields: dict[str, object] = {
        "call_id": call_id,
        "account_id": "session",
        "state": state,
        "direction": ev.Direction.INBOUND,
        "remote_uri": "sip:5551234@pbx.example.com",
        "remote_number": "5551234",
        "remote_display": "Jane Customer",
        **kw,
    }
    return ev.CallStateChanged(**fields)  # type: ignore[arg-type]


def test_status_follows_registration_calls_and_missed_calls(
    tray: tuple[Tray, list[tuple[str, str]]], bus: EventBus
) -> None:
    icon, _ = tray
    assert icon.status is TrayStatus.NOT_REGISTERED
    registered(bus, ev.RegistrationState.REGISTERED)
    assert icon.status is TrayStatus.REGISTERED
    assert "registered" in icon.icon.toolTip()
    bus.publish(call_state("c1", ev.CallState.CONFIRMED, connected=True))
    assert icon.status is TrayStatus.IN_CALL
    bus.publish(call_state("c1", ev.CallState.DISCONNECTED, connected=True, sip_code=200))
    assert icon.status is TrayStatus.REGISTERED
    bus.publish(call_state("c2", ev.CallState.INCOMING))
    bus.publish(call_state("c2", ev.CallState.DISCONNECTED, sip_code=487))
    assert icon.status is TrayStatus.MISSED and icon.missed == 1
    assert "1 missed" in icon.icon.toolTip()
    icon.clear_missed()
    assert icon.status is TrayStatus.REGISTERED
    registered(bus, ev.RegistrationState.RETRYING)
    assert icon.status is TrayStatus.NOT_REGISTERED


def test_a_rejected_call_is_not_missed(
    tray: tuple[Tray, list[tuple[str, str]]], bus: EventBus
) -> None:
    icon, shown = tray
    registered(bus, ev.RegistrationState.REGISTERED)
    bus.publish(call_state("c1", ev.CallState.DISCONNECTED, sip_code=486))
    assert icon.missed == 0 and shown == []


def test_notifications_carry_only_the_caller_id(
    tray: tuple[Tray, list[tuple[str, str]]], bus: EventBus
) -> None:
    _, shown = tray
    bus.publish(incoming("c1", auto_in=0.0))  # answered by itself: nobody to alert
    assert shown == []
    bus.publish(incoming("c2"))
    bus.publish(call_state("c2", ev.CallState.DISCONNECTED, sip_code=487))
    assert shown == [("Incoming call", "5551234"), ("Missed call", "5551234")]
    assert not any("Jane" in text or "pbx.example.com" in text for _, text in shown)


def test_sign_out_resets_and_menu_actions_emit(
    qtbot: QtBot, tray: tuple[Tray, list[tuple[str, str]]], bus: EventBus
) -> None:
    icon, _ = tray
    assert not icon.sign_out_action.isEnabled()
    bus.publish(SessionStateChanged(state=SessionState.REGISTERED))
    assert icon.sign_out_action.isEnabled()
    registered(bus, ev.RegistrationState.REGISTERED)
    bus.publish(SessionStateChanged(state=SessionState.SIGNED_OUT))
    assert icon.status is TrayStatus.NOT_REGISTERED
    with qtbot.waitSignal(icon.showRequested):
        icon.show_action.trigger()
    with qtbot.waitSignal(icon.quitRequested):
        next(a for a in icon.menu.actions() if a.text() == "Quit").trigger()


def shown_image(icon: Tray) -> bytes:
    image = icon.icon.icon().pixmap(22, 22).toImage()
    return bytes(image.constBits())


def test_the_icon_is_the_one_for_its_status(
    tray: tuple[Tray, list[tuple[str, str]]], bus: EventBus
) -> None:
    icon, _ = tray
    expected = {s: bytes(tray_icon(s).pixmap(22, 22).toImage().constBits()) for s in TrayStatus}
    assert shown_image(icon) == expected[TrayStatus.NOT_REGISTERED]
    registered(bus, ev.RegistrationState.REGISTERED)
    assert shown_image(icon) == expected[TrayStatus.REGISTERED]
    bus.publish(call_state("c1", ev.CallState.CONFIRMED, connected=True))
    assert shown_image(icon) == expected[TrayStatus.IN_CALL]
    bus.publish(call_state("c1", ev.CallState.DISCONNECTED, connected=True, sip_code=200))
    icon.set_missed(2)
    assert shown_image(icon) == expected[TrayStatus.MISSED]


def test_an_incoming_call_notice_is_withdrawn_once_answered(qtbot: QtBot, bus: EventBus) -> None:
    icon = Tray(bus)
    try:
        icon._can_withdraw = True  # Windows' balloon, Qt's own balloon
        sent: list[tuple[str, str]] = []
        icon.icon.showMessage = lambda title, text, *rest: sent.append((title, text))  # type: ignore[method-assign]
        bus.publish(incoming("c1"))
        assert icon.message == ("Incoming call", "5551234") and sent[-1] == icon.message
        bus.publish(call_state("c1", ev.CallState.CONNECTING))
        assert icon.message is None and sent[-1] == ("", "")  # taken down at once
        icon.withdraw("Incoming call", "5551234")  # twice: nothing more is sent
        assert len(sent) == 2
        # another notice is left alone
        icon.notify("Missed call", "5550000")
        icon.withdraw("Incoming call", "5551234")
        assert icon.message == ("Missed call", "5550000") and len(sent) == 3
    finally:
        icon.hide()
        icon.menu.deleteLater()


def test_where_a_notice_cannot_be_recalled_nothing_blank_is_sent(
    qtbot: QtBot, bus: EventBus
) -> None:
    icon = Tray(bus)
    try:
        icon._can_withdraw = False  # a desktop notification service holds it
        sent: list[tuple[str, str]] = []
        icon.icon.showMessage = lambda title, text, *rest: sent.append((title, text))  # type: ignore[method-assign]
        bus.publish(incoming("c1"))
        bus.publish(call_state("c1", ev.CallState.DISCONNECTED, sip_code=603))
        assert icon.message is None and ("", "") not in sent
    finally:
        icon.hide()
        icon.menu.deleteLater()


def test_the_tooltip_says_who_is_signed_in_until_sign_out(
    tray: tuple[Tray, list[tuple[str, str]]], bus: EventBus
) -> None:
    icon, _shown = tray
    assert icon.show_action.text() == "Show VICIfast Desktop"
    registered(bus, ev.RegistrationState.REGISTERED)
    icon.set_identity("agent2 · ext 1002 · DEMO")
    assert icon.icon.toolTip() == "VICIfast Desktop: registered\nagent2 · ext 1002 · DEMO"
    bus.publish(call_state("c1", ev.CallState.CONFIRMED))
    assert icon.status is TrayStatus.IN_CALL
    assert icon.icon.toolTip() == "VICIfast Desktop: in a call\nagent2 · ext 1002 · DEMO"
    bus.publish(SessionStateChanged(state=SessionState.SIGNED_OUT))
    assert icon.icon.toolTip() == "VICIfast Desktop: not registered"
