"""The phone page, driven by the engine's events on a real bus and a fake PhoneCommands."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.errors import UnknownCall, VicifastError
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.ui.bridge import QtBridge
from softphone.ui.phone.phone_numbers import caller_id, clean_dial_text, format_duration
from softphone.ui.phone.view import PhoneView
from tests.ui.phone_fakes import FakePhone, incoming, media, state

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def phone() -> FakePhone:
    return FakePhone()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def view(qtbot: QtBot, phone: FakePhone, bus: EventBus, bridge: QtBridge) -> Iterator[PhoneView]:
    widget = PhoneView(phone, bus, bridge)
    qtbot.addWidget(widget)
    widget.resize(360, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)
    yield widget


def connected(bus: EventBus, call_id: str = "c1", **fields: object) -> None:
    bus.publish(state(call_id, ev.CallState.CALLING))
    bus.publish(state(call_id, ev.CallState.CONFIRMED, **fields))  # type: ignore[arg-type]


# -- the number field ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("(555) 010-2030", "5550102030"),
        ("+1 555.010.2030", "+15550102030"),
        ("tel:+1-555-010-2030;phone-context=example.com", "+15550102030"),
        ("*72#", "*72#"),
        ("555 0102 + 9", "55501029"),
        ("+", "+"),
        (" ++1", "+1"),
        ("1+2", "12"),
        ("sip:2001@pbx.example.com", "sip:2001@pbx.example.com"),
        ("<sip:alice@example.com>", "sip:alice@example.com"),
        ("alice@example.com", "alice@example.com"),
        ("sip", "sip"),
        ("sip:", "sip:"),
        ("call me", "callme"),
        ("", ""),
    ],
)
def test_dial_text_is_cleaned(typed: str, kept: str) -> None:
    assert clean_dial_text(typed) == kept


def test_durations_and_caller_ids_read_as_people_expect() -> None:
    assert format_duration(0.4) == "00:00"
    assert format_duration(83) == "01:23"
    assert format_duration(3723) == "1:02:03"
    assert caller_id("Alice Smith", "5550102030") == "Alice Smith (5550102030)"
    assert caller_id("", "5550102030") == "5550102030"
    assert caller_id("2001", "2001") == "2001"


def test_pasting_a_formatted_number_dials_only_its_digits(
    qtbot: QtBot, view: PhoneView, phone: FakePhone
) -> None:
    view.number_field.setFocus()
    QApplication.clipboard().setText("(555) 010-2030")
    qtbot.keyClick(view.number_field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert view.number_field.text() == "5550102030"
    qtbot.keyClick(view.number_field, Qt.Key.Key_Return)
    assert phone.named("make_call") == [("5550102030",)]


def test_typing_drops_separators_and_dialpad_keys_type_too(
    qtbot: QtBot, view: PhoneView, phone: FakePhone
) -> None:
    qtbot.keyClicks(view.number_field, "555-01")
    assert view.number_field.text() == "55501"
    qtbot.mouseClick(view.dialpad.buttons["2"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.dialpad.buttons["#"], Qt.MouseButton.LeftButton)
    assert view.number_field.text() == "555012#"
    qtbot.mouseClick(view.call_button, Qt.MouseButton.LeftButton)
    assert phone.named("make_call") == [("555012#",)]


def test_redial_calls_the_last_number_again(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    assert not view.redial_button.isEnabled()
    qtbot.keyClicks(view.number_field, "2001")
    qtbot.keyClick(view.number_field, Qt.Key.Key_Return)
    connected(bus, "out-1", number="2001")
    bus.publish(state("out-1", ev.CallState.DISCONNECTED, number="2001", connected=True))
    assert view.stack.currentWidget() is view.dial_page
    assert view.redial_button.isEnabled()
    qtbot.mouseClick(view.redial_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(view, Qt.Key.Key_R, CTRL_SHIFT)
    assert phone.named("make_call") == [("2001",), ("2001",), ("2001",)]


def test_a_leading_plus_can_be_typed_and_only_there(qtbot: QtBot, view: PhoneView) -> None:
    qtbot.keyClicks(view.number_field, "+15551234")
    assert view.number_field.text() == "+15551234"
    view.number_field.clear()
    qtbot.keyClicks(view.number_field, "1+2")
    assert view.number_field.text() == "12"


def test_a_lone_plus_is_not_dialled(qtbot: QtBot, view: PhoneView, phone: FakePhone) -> None:
    qtbot.keyClicks(view.number_field, "+")
    qtbot.keyClick(view.number_field, Qt.Key.Key_Return)
    assert phone.named("make_call") == []
    assert view.message_label.text() == "Enter a number or a SIP address to call."


def test_holding_0_on_the_dialpad_types_a_plus_and_a_click_a_0(
    qtbot: QtBot, view: PhoneView, phone: FakePhone
) -> None:
    zero = view.dialpad.buttons["0"]
    assert zero.toolTip() == "Key 0 (hold for +)"
    qtbot.mousePress(zero, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(zero.longPressed, timeout=2000):
        pass
    assert view.number_field.text() == "+"  # at once, while the key is still held
    qtbot.mouseRelease(zero, Qt.MouseButton.LeftButton)
    assert view.number_field.text() == "+"
    qtbot.mouseClick(zero, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.dialpad.buttons["1"], Qt.MouseButton.LeftButton)
    assert view.number_field.text() == "+01"
    qtbot.mouseClick(view.call_button, Qt.MouseButton.LeftButton)
    assert phone.named("make_call") == [("+01",)]


def test_holding_0_on_the_keypad_during_a_call_sends_a_0(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    connected(bus)
    qtbot.keyClick(view, Qt.Key.Key_K, CTRL_SHIFT)
    zero = view.call_page.keypad.buttons["0"]
    qtbot.mousePress(zero, Qt.MouseButton.LeftButton)
    with qtbot.assertNotEmitted(zero.longPressed, wait=900):
        pass
    qtbot.mouseRelease(zero, Qt.MouseButton.LeftButton)
    assert phone.named("send_dtmf") == [("c1", "0")]


def test_signing_out_forgets_the_last_number_and_call(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    qtbot.keyClicks(view.number_field, "600")
    qtbot.keyClick(view.number_field, Qt.Key.Key_Return)
    connected(bus, "out-1", number="600")
    bus.publish(state("out-1", ev.CallState.DISCONNECTED, number="600", connected=True))
    assert view.message_label.text().startswith("Call with Alice Smith (600) ended")
    assert view.redial_button.isEnabled()
    qtbot.keyClicks(view.number_field, "55501")
    bus.publish(
        SessionStateChanged(state=SessionState.SIGNED_OUT, reason=SessionReason.USER_SIGN_OUT)
    )
    assert not view.redial_button.isEnabled()
    assert view.redial_button.toolTip() == "No number dialled yet"
    assert view.message_label.text() == ""
    assert view.number_field.text() == ""
    qtbot.keyClick(view, Qt.Key.Key_R, CTRL_SHIFT)  # the redial key does nothing either
    qtbot.keyClick(view.number_field, Qt.Key.Key_Return)  # nor Call on the empty field
    assert phone.named("make_call") == [("600",)]
    assert view.number_field.text() == ""


def test_a_call_cut_by_signing_out_leaves_nothing_behind(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    qtbot.keyClicks(view.number_field, "600")
    qtbot.keyClick(view.number_field, Qt.Key.Key_Return)
    connected(bus, "out-1", number="600")
    bus.publish(
        SessionStateChanged(state=SessionState.SIGNED_OUT, reason=SessionReason.USER_SIGN_OUT)
    )
    bus.publish(state("out-1", ev.CallState.DISCONNECTED, number="600", connected=True))
    assert view.stack.currentWidget() is view.dial_page
    assert view.message_label.text() == ""
    assert not view.redial_button.isEnabled()
    # the next agent signs in and calls: their call's end is said as usual
    bus.publish(SessionStateChanged(state=SessionState.REGISTERED))
    connected(bus, "out-2", number="700")
    bus.publish(state("out-2", ev.CallState.DISCONNECTED, number="700", connected=True))
    assert view.message_label.text().startswith("Call with Alice Smith (700) ended")


# -- one call --------------------------------------------------------------------------------


def test_an_outgoing_call_shows_who_and_how_far_it_got(view: PhoneView, bus: EventBus) -> None:
    page = view.call_page
    bus.publish(state("c1", ev.CallState.CALLING))
    assert view.stack.currentWidget() is page
    assert page.name_label.text() == "Alice Smith"
    assert page.number_label.text() == "5550102030"
    assert page.state_label.text() == "Calling…"
    assert not page.hold_button.isEnabled()
    bus.publish(state("c1", ev.CallState.RINGING))
    assert page.state_label.text() == "Ringing…"
    bus.publish(state("c1", ev.CallState.CONFIRMED))
    assert page.state_label.text() == "Connected"
    assert page.hold_button.isEnabled()


def test_the_timer_runs_from_the_confirmed_event(
    qtbot: QtBot, view: PhoneView, bus: EventBus
) -> None:
    connected(bus, at=time.time())
    assert view.call_page.timer_label.text() == "00:00"
    qtbot.waitUntil(lambda: view.call_page.timer_label.text() == "00:01", timeout=3000)


def test_escape_hangs_up(qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus) -> None:
    connected(bus)
    qtbot.keyClick(view.call_page, Qt.Key.Key_Escape)
    assert phone.named("hangup") == [("c1",)]


def test_the_hang_up_button_and_its_shortcut(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    connected(bus)
    qtbot.mouseClick(view.call_page.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(view, Qt.Key.Key_E, CTRL_SHIFT)
    assert phone.named("hangup") == [("c1",), ("c1",)]
    bus.publish(state("c1", ev.CallState.DISCONNECTED, sip_code=200, connected=True))
    assert view.stack.currentWidget() is view.dial_page
    assert "ended" in view.message_label.text()


def test_digits_typed_during_a_call_are_sent_as_dtmf(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    bus.publish(state("c1", ev.CallState.CALLING))
    qtbot.keyClicks(view.call_page, "9")
    assert phone.named("send_dtmf") == []  # not answered yet: nothing to send to
    bus.publish(state("c1", ev.CallState.CONFIRMED))
    assert view.call_page.hasFocus()
    qtbot.keyClicks(view.call_page, "12#a")
    assert phone.named("send_dtmf") == [("c1", "1"), ("c1", "2"), ("c1", "#")]
    qtbot.keyClick(view, Qt.Key.Key_K, CTRL_SHIFT)
    assert view.call_page.keypad.isVisible()
    qtbot.mouseClick(view.call_page.keypad.buttons["*"], Qt.MouseButton.LeftButton)
    assert phone.named("send_dtmf")[-1] == ("c1", "*")
    assert view.call_page.sent_label.text() == "Sent: 12#*"


def test_mute_and_hold_call_the_commands_and_follow_the_media_events(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    page = view.call_page
    connected(bus)
    qtbot.mouseClick(page.mute_button, Qt.MouseButton.LeftButton)
    assert phone.named("set_mute") == [("c1", True)]
    bus.publish(media("c1", muted=True))
    assert page.mute_button.isChecked()
    assert page.mute_button.title() == "Unmute"
    qtbot.keyClick(view, Qt.Key.Key_M, CTRL_SHIFT)
    assert phone.named("set_mute")[-1] == ("c1", False)
    bus.publish(media("c1", muted=False))
    assert not page.mute_button.isChecked()

    qtbot.mouseClick(page.hold_button, Qt.MouseButton.LeftButton)
    assert phone.named("hold") == [("c1",)]
    bus.publish(media("c1", ev.HoldState.LOCAL))
    assert page.hold_button.isChecked()
    assert page.hold_button.title() == "Resume"
    assert page.state_label.text() == "On hold"
    qtbot.keyClick(view, Qt.Key.Key_H, CTRL_SHIFT)
    assert phone.named("unhold") == [("c1",)]
    bus.publish(media("c1", ev.HoldState.NONE))
    assert not page.hold_button.isChecked()
    assert page.state_label.text() == "Connected"
    bus.publish(media("c1", ev.HoldState.REMOTE))
    assert page.state_label.text() == "Held by the other side"
    assert not page.hold_button.isChecked()


def test_blind_transfer(qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus) -> None:
    page = view.call_page
    connected(bus)
    qtbot.keyClick(view, Qt.Key.Key_T, CTRL_SHIFT)
    assert page.transfer_panel.isVisible()
    assert page.transfer_field.hasFocus()
    qtbot.keyClicks(page.transfer_field, "(200) 1")
    qtbot.mouseClick(page.blind_button, Qt.MouseButton.LeftButton)
    assert phone.named("transfer") == [("c1", "2001")]
    bus.publish(ev.TransferProgress(call_id="c1", code=200, reason="OK", final=True))
    assert view.message_label.text() == "Transferred."


def test_attended_transfer_calls_the_target_first_then_completes(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    page = view.call_page
    connected(bus)
    qtbot.keyClick(view, Qt.Key.Key_T, CTRL_SHIFT)
    qtbot.keyClicks(page.transfer_field, "2001")
    qtbot.mouseClick(page.consult_button, Qt.MouseButton.LeftButton)
    assert phone.named("hold") == [("c1",)]
    assert phone.named("make_call") == [("2001",)]
    bus.publish(media("c1", ev.HoldState.LOCAL))
    bus.publish(state("out-1", ev.CallState.CALLING, number="2001", display="Desk 2001"))
    assert page.name_label.text() == "Desk 2001"
    assert page.consult_box.isVisible()
    assert "Alice Smith" in page.consult_label.text()
    bus.publish(state("out-1", ev.CallState.CONFIRMED, number="2001", display="Desk 2001"))
    assert page.complete_button.isEnabled()
    qtbot.mouseClick(page.complete_button, Qt.MouseButton.LeftButton)
    assert phone.named("transfer_attended") == [("c1", "out-1")]


def test_cancelling_a_consultation_hangs_it_up_and_goes_back(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    page = view.call_page
    connected(bus)
    view.consult("2001")
    bus.publish(state("out-1", ev.CallState.RINGING, number="2001", display=""))
    qtbot.mouseClick(page.cancel_consult_button, Qt.MouseButton.LeftButton)
    assert phone.named("hangup") == [("out-1",)]
    assert page.name_label.text() == "Alice Smith"


# -- incoming calls and call waiting ---------------------------------------------------------


def test_an_incoming_call_can_be_answered_or_declined_from_the_page(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    page = view.call_page
    bus.publish(incoming("c1"))
    bus.publish(state("c1", ev.CallState.INCOMING, direction=ev.Direction.INBOUND))
    assert page.answer_button.isVisible()
    assert page.decline_button.isVisible()
    assert not page.hangup_button.isVisible()
    assert page.state_label.text() == "Incoming call"
    qtbot.keyClick(view, Qt.Key.Key_A, CTRL_SHIFT)
    assert phone.named("answer") == [("c1",)]
    qtbot.mouseClick(page.decline_button, Qt.MouseButton.LeftButton)
    assert phone.named("reject") == [("c1", 603)]


def test_an_auto_answered_call_counts_down(view: PhoneView, bus: EventBus) -> None:
    bus.publish(incoming("c1", auto_answer_in_s=3.0))
    assert view.call_page.state_label.text() == ("Incoming call · answering automatically in 3 s")


def test_call_waiting_answer_and_hold(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    page = view.call_page
    connected(bus)
    assert not page.waiting_bar.isVisible()
    bus.publish(incoming("c2", waiting=True))
    assert page.waiting_bar.isVisible()
    assert page.waiting_label.text() == "Call waiting: Bob Jones (5550109999)"
    assert page.name_label.text() == "Alice Smith"  # still the call in progress
    qtbot.mouseClick(page.answer_waiting_button, Qt.MouseButton.LeftButton)
    assert [name for name, _ in phone.calls] == ["hold", "answer"]
    assert phone.calls == [("hold", ("c1",)), ("answer", ("c2",))]
    bus.publish(media("c1", ev.HoldState.LOCAL))
    bus.publish(
        state("c2", ev.CallState.CONFIRMED, direction=ev.Direction.INBOUND, display="Bob Jones")
    )
    assert not page.waiting_bar.isVisible()
    assert page.name_label.text() == "Bob Jones"
    assert page.other_row.isVisible()
    assert "Alice Smith" in page.other_label.text()
    assert "on hold" in page.other_label.text()
    # Bob hangs up: back to Alice, still on hold until the agent resumes.
    bus.publish(state("c2", ev.CallState.DISCONNECTED, direction=ev.Direction.INBOUND))
    assert page.name_label.text() == "Alice Smith"
    assert page.hold_button.isChecked()


def test_call_waiting_decline(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    connected(bus)
    bus.publish(incoming("c2", waiting=True))
    qtbot.keyClick(view, Qt.Key.Key_D, CTRL_SHIFT)
    assert phone.named("reject") == [("c2", 603)]
    assert phone.named("hold") == []
    bus.publish(state("c2", ev.CallState.DISCONNECTED, direction=ev.Direction.INBOUND))
    assert not view.call_page.waiting_bar.isVisible()
    assert view.call_page.name_label.text() == "Alice Smith"


# -- errors, status, accessibility -----------------------------------------------------------


def test_a_failing_command_shows_its_message_in_place(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    connected(bus)
    phone.fail_next("hold", UnknownCall("That call has already ended."))
    qtbot.mouseClick(view.call_page.hold_button, Qt.MouseButton.LeftButton)
    assert "That call has already ended." in view.message_label.text()
    assert not view.call_page.hold_button.isChecked()  # back to what the engine says


def test_a_failure_on_the_engine_thread_reaches_the_page(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    connected(bus)
    open_future = phone.hold_open("set_mute")
    qtbot.mouseClick(view.call_page.mute_button, Qt.MouseButton.LeftButton)
    assert view.call_page.mute_button.isChecked()  # shown at once, confirmed by the event
    # The engine completes Futures on its own thread; the page must hear of it on the GUI's.
    error = VicifastError("The SIP engine has stopped.")
    worker = threading.Thread(target=open_future.set_exception, args=(error,))
    worker.start()
    worker.join()
    assert view.message_label.text() == ""  # queued, not run on the engine's thread
    qtbot.waitUntil(lambda: "The SIP engine has stopped." in view.message_label.text())
    assert not view.call_page.mute_button.isChecked()


def test_an_unexpected_error_never_reaches_the_screen(
    qtbot: QtBot, view: PhoneView, phone: FakePhone, bus: EventBus
) -> None:
    connected(bus)
    phone.fail_next("hangup", RuntimeError("pj error sip:2001:hunter2@pbx Traceback"))
    qtbot.mouseClick(view.call_page.hangup_button, Qt.MouseButton.LeftButton)
    text = view.message_label.text()
    assert text.startswith("Could not hang up:")
    assert "hunter2" not in text
    assert "Traceback" not in text


def test_a_failed_outgoing_call_says_why(view: PhoneView, bus: EventBus) -> None:
    bus.publish(state("c1", ev.CallState.CALLING))
    bus.publish(state("c1", ev.CallState.DISCONNECTED, sip_code=486, reason="Busy Here"))
    assert view.stack.currentWidget() is view.dial_page
    assert view.message_label.text() == "The line is busy."


def test_registration_indicator(view: PhoneView, bus: EventBus) -> None:
    assert view.registration_label.text() == "Not registered"
    bus.publish(
        ev.RegistrationChanged(
            account_id="acc-1", state=ev.RegistrationState.RETRYING, retry_in_s=8.0
        )
    )
    assert view.registration_label.text() == "Retrying in 8 s"
    bus.publish(ev.RegistrationChanged(account_id="acc-1", state=ev.RegistrationState.REGISTERED))
    assert view.registration_label.text() == "Registered"
    bus.publish(
        ev.RegistrationChanged(
            account_id="acc-1", state=ev.RegistrationState.FAILED, code=403, reason="Forbidden"
        )
    )
    assert view.registration_label.text() == "Not registered: Forbidden"


@pytest.mark.parametrize(
    ("policy", "text"),
    [
        (AutoAnswerPolicy(AutoAnswerMode.OFF), "Auto-answer: off"),
        (AutoAnswerPolicy(AutoAnswerMode.ALWAYS), "Auto-answer: on"),
        (AutoAnswerPolicy(AutoAnswerMode.AFTER, 3.0), "Auto-answer: after 3 s"),
        (AutoAnswerPolicy(AutoAnswerMode.HEADER), "Auto-answer: when the server asks"),
    ],
)
def test_auto_answer_indicator(view: PhoneView, policy: AutoAnswerPolicy, text: str) -> None:
    assert not view.auto_answer_label.isVisible()
    view.set_auto_answer(policy)
    assert view.auto_answer_label.isVisible()
    assert view.auto_answer_label.text() == text


def test_every_control_has_an_accessible_name(view: PhoneView, bus: EventBus) -> None:
    connected(bus)
    bus.publish(incoming("c2", waiting=True))
    view.call_page.toggle_transfer()
    controls = view.findChildren(QAbstractButton) + view.findChildren(QLineEdit)
    assert len(controls) > 30
    unnamed = [c for c in controls if not c.accessibleName().strip()]
    assert unnamed == []


def test_the_page_lets_go_of_the_bus_when_it_is_destroyed(
    qtbot: QtBot, phone: FakePhone, bus: EventBus, bridge: QtBridge
) -> None:
    widget = PhoneView(phone, bus, bridge)
    assert bus._handlers[ev.CallStateChanged]
    shiboken6.delete(widget)
    bus.publish(state("c1", ev.CallState.CALLING))  # no handler left to touch a dead widget
    assert not bus._handlers[ev.CallStateChanged]


def test_an_outcome_for_a_page_that_is_gone_is_dropped(
    qtbot: QtBot,
    phone: FakePhone,
    bus: EventBus,
    bridge: QtBridge,
    caplog: pytest.LogCaptureFixture,
) -> None:
    widget = PhoneView(phone, bus, bridge)
    connected(bus)
    open_future = phone.hold_open("hangup")
    widget.hangup()
    shiboken6.delete(widget)
    caplog.set_level(logging.DEBUG, logger="softphone.ui.bridge")
    error = VicifastError("The SIP engine has stopped.")
    worker = threading.Thread(target=open_future.set_exception, args=(error,))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: "posted for a widget that is gone" in caplog.text)


def test_the_idle_call_button_says_why_it_is_off_until_a_digit_is_typed(
    qtbot: QtBot, view: PhoneView, phone: FakePhone
) -> None:
    assert view.number_field.text() == ""
    assert view.call_button.isVisible() and view.call_button.text() == "Call"
    assert not view.call_button.isEnabled()
    assert view.call_button.toolTip() == "Type a number to call"
    qtbot.keyClicks(view.number_field, "5")
    assert view.call_button.isEnabled()
    assert view.call_button.toolTip() == "Call the number (Enter)"
    qtbot.keyClick(view.number_field, Qt.Key.Key_Backspace)
    assert not view.call_button.isEnabled()
    assert view.call_button.toolTip() == "Type a number to call"
    qtbot.keyClicks(view.number_field, "7")
    qtbot.mouseClick(view.call_button, Qt.MouseButton.LeftButton)
    assert phone.named("make_call") == [("7",)]
