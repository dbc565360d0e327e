"""The phone page as an agent uses it all shift (issue 18): registration said once, Redial names
its number, the number field suggests recent numbers, Esc hangs up only on the call screen,
readable keys on the green and red buttons, and a warning when no microphone or speaker is
there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QCompleter, QLabel, QMenu, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.storage.history import HistoryWriter
from softphone.ui.bridge import QtBridge
from softphone.ui.main_window import MainWindow
from softphone.ui.phone.dialpad import TwoLineButton
from softphone.ui.phone.view import PhoneView
from softphone.ui.recents.model import HistoryModel
from softphone.ui.theme import apply_theme
from softphone.ui.window_status import SignedInAs
from tests.ui.phone_fakes import FakePhone, incoming, state
from tests.unit.history_kit import call

WAIT = 5000
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
SIGNED_OUT = SessionStateChanged(state=SessionState.SIGNED_OUT, reason=SessionReason.USER_SIGN_OUT)


@pytest.fixture
def history(writer: HistoryWriter, bridge: QtBridge) -> Iterator[HistoryModel]:
    model = HistoryModel(writer, bridge, page_size=50)
    yield model
    model.close()


class Devices:
    """What the audio controller would say: is there a microphone, a speaker."""

    def __init__(self) -> None:
        self.mic = True
        self.speaker = True


@pytest.fixture
def devices() -> Devices:
    return Devices()


@pytest.fixture
def window(
    qtbot: QtBot, bridge: QtBridge, history: HistoryModel, devices: Devices
) -> Iterator[MainWindow]:
    bus, phone = EventBus(), FakePhone()
    page = lambda: PhoneView(  # noqa: E731
        phone,
        bus,
        bridge,
        microphone=lambda: devices.mic,
        speaker=lambda: devices.speaker,
        recents=history,
    )
    main = MainWindow(bus, QWidget(), [("Phone", page), ("Settings", QWidget)])
    main.bus, main.phone = bus, phone  # what the tests publish on and read back
    qtbot.addWidget(main)
    bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    main.set_identity(SignedInAs("agent2", "1002", "DEMO"))
    main.show()
    qtbot.waitExposed(main)
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)
    yield main
    main.close()


def phone_page(window: MainWindow) -> PhoneView:
    page = window.page("Phone")
    assert isinstance(page, PhoneView)
    return page


def registration(window: MainWindow, state: ev.RegistrationState, **fields: object) -> None:
    window.bus.publish(ev.RegistrationChanged(account_id="session", state=state, **fields))


def shown_texts(window: MainWindow) -> list[str]:
    return [label.text() for label in window.findChildren(QLabel) if label.isVisible()]


# -- 1. registration, said once -------------------------------------------------------------


def test_registered_is_said_once_and_trouble_still_shows(qtbot: QtBot, window: MainWindow) -> None:
    registration(window, ev.RegistrationState.REGISTERED, code=200)
    page = phone_page(window)
    assert [t for t in shown_texts(window) if "Registered" in t] == ["Registered"]
    assert page.registration_label.isVisible()  # the header, by the dialpad
    assert window.identity_line.dot.isVisible()  # the line over the tabs keeps its dot

    registration(window, ev.RegistrationState.FAILED, code=403, reason="Forbidden")
    assert page.registration_label.text() == "Not registered: Forbidden"
    assert window.status.registration.isVisible()  # on every tab, not only Phone
    assert window.status.registration.text() == "Not registered: 403 Forbidden"
    window.show_page("Settings")
    assert window.status.registration.isVisible()


# -- 2. Redial names its number -------------------------------------------------------------


def test_redial_names_the_number_it_calls(qtbot: QtBot, window: MainWindow) -> None:
    page = phone_page(window)
    assert page.redial_button.text() == "Redial" and not page.redial_button.isEnabled()
    qtbot.keyClicks(page.number_field, "8600051")
    qtbot.keyClick(page.number_field, Qt.Key.Key_Return)
    assert page.redial_button.text() == "Redial 8600051"
    assert "8600051" in page.redial_button.toolTip()

    long_address = "sip:someone.with.a.long.name@pbx.example.com"
    qtbot.keyClicks(page.number_field, long_address)
    qtbot.keyClick(page.number_field, Qt.Key.Key_Return)
    shown = page.redial_button.text()
    assert shown.startswith("Redial ") and "…" in shown and long_address not in shown
    assert long_address in page.redial_button.toolTip()
    assert page.redial_button.width() < page.call_button.width()

    window.bus.publish(SIGNED_OUT)
    assert page.redial_button.text() == "Redial" and not page.redial_button.isEnabled()


# -- 3. suggestions from Recents ------------------------------------------------------------


def seed(writer: HistoryWriter) -> None:
    writer.record(call(1, number="8600051", name="Alice Martin")).result(5)
    writer.record(call(2, number="+1 555 0200", name="Bob Stone")).result(5)
    writer.record(call(3, number="8600099", name="Carol King")).result(5)
    writer.record(call(4, number="8600051", name="Alice Martin")).result(5)  # again, newest


def popup_rows(page: PhoneView) -> list[str]:
    popup = page.dial_page.completer.popup()
    assert popup is not None
    model = popup.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_typing_offers_recent_numbers_newest_first(
    qtbot: QtBot, window: MainWindow, writer: HistoryWriter, history: HistoryModel
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: history.rowCount() == 4, timeout=WAIT)
    page = phone_page(window)
    popup = page.dial_page.completer.popup()
    assert popup is not None
    qtbot.keyClicks(page.number_field, "860")
    qtbot.waitUntil(popup.isVisible, timeout=WAIT)
    assert popup_rows(page) == ["Alice Martin (8600051)", "Carol King (8600099)"]

    qtbot.keyClick(popup, Qt.Key.Key_Down)  # the keys go to the open list: the first one
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=WAIT)
    assert page.number_field.text() == "8600051"
    assert window.phone.named("make_call") == []  # chosen, not called

    page.number_field.clear()
    qtbot.keyClicks(page.number_field, "bob")  # a name
    qtbot.waitUntil(popup.isVisible, timeout=WAIT)
    assert popup_rows(page) == ["Bob Stone (+15550200)"]
    qtbot.mouseClick(
        popup.viewport(),
        Qt.MouseButton.LeftButton,
        pos=popup.visualRect(popup.model().index(0, 0)).center(),
    )
    assert page.number_field.text() == "+15550200"


def test_enter_with_the_popup_closed_calls_what_is_typed(
    qtbot: QtBot, window: MainWindow, writer: HistoryWriter, history: HistoryModel
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: history.rowCount() == 4, timeout=WAIT)
    page = phone_page(window)
    popup = page.dial_page.completer.popup()
    assert popup is not None
    qtbot.keyClicks(page.number_field, "86000")
    qtbot.waitUntil(popup.isVisible, timeout=WAIT)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)  # closes the suggestions, nothing else
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=WAIT)
    assert page.number_field.text() == "86000"
    qtbot.keyClick(page.number_field, Qt.Key.Key_Return)
    assert window.phone.named("make_call") == [("86000",)]


def test_signing_out_takes_the_suggestions_away(
    qtbot: QtBot, window: MainWindow, writer: HistoryWriter, history: HistoryModel
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: history.rowCount() == 4, timeout=WAIT)
    page = phone_page(window)
    popup = page.dial_page.completer.popup()
    assert popup is not None
    qtbot.keyClicks(page.number_field, "860")
    qtbot.waitUntil(popup.isVisible, timeout=WAIT)
    window.bus.publish(SIGNED_OUT)
    writer.clear_all().result(5)  # the session's wipe
    qtbot.waitUntil(lambda: history.rowCount() == 0, timeout=WAIT)
    assert not popup.isVisible()
    qtbot.keyClicks(page.number_field, "860")
    assert popup_rows(page) == []
    assert not popup.isVisible()


# -- 4. Esc hangs up only on the call screen, with nothing open over it ----------------------


def test_escape_closes_a_menu_over_the_call_screen_without_hanging_up(
    qtbot: QtBot, window: MainWindow
) -> None:
    page = phone_page(window)
    window.bus.publish(state("c1", ev.CallState.CALLING))
    window.bus.publish(state("c1", ev.CallState.CONFIRMED))
    qtbot.waitUntil(page.call_page.hasFocus, timeout=WAIT)
    # The caller's number, right-clicked: its Copy menu opens over the call screen.
    label = page.call_page.timer_label
    menu = QMenu(label)
    menu.addAction("Copy")
    menu.popup(label.mapToGlobal(QPoint(2, 2)))
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is menu, timeout=WAIT)
    qtbot.keyClick(menu, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=WAIT)
    assert window.phone.named("hangup") == []
    # With the menu gone, Esc on the call screen hangs up, as the button says.
    qtbot.keyClick(page.call_page, Qt.Key.Key_Escape)
    assert window.phone.named("hangup") == [("c1",)]
    assert "Esc on this screen" in page.call_page.hangup_button.toolTip()


def test_escape_in_a_dialog_over_a_call_only_closes_the_dialog(
    qtbot: QtBot, window: MainWindow
) -> None:
    page = phone_page(window)
    window.bus.publish(state("c1", ev.CallState.CONFIRMED))
    qtbot.waitUntil(page.call_page.hasFocus, timeout=WAIT)
    box = QMessageBox(QMessageBox.Icon.Question, "Sign out?", "Sign out?", parent=window)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.open()  # window-modal, as the app's questions are
    qtbot.waitUntil(lambda: QApplication.activeWindow() is box, timeout=WAIT)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT)
    assert window.phone.named("hangup") == []


def test_escape_closes_a_suggestion_list_on_the_call_screen_without_hanging_up(
    qtbot: QtBot, window: MainWindow
) -> None:
    page = phone_page(window)
    window.bus.publish(state("c1", ev.CallState.CONFIRMED))
    qtbot.waitUntil(page.call_page.hasFocus, timeout=WAIT)
    field = page.call_page.transfer_field
    field.setCompleter(QCompleter(["2001", "2002"], field))  # a list that pops up as one types
    qtbot.keyClick(page.call_page, Qt.Key.Key_T, CTRL_SHIFT)  # Transfer
    qtbot.waitUntil(field.hasFocus, timeout=WAIT)
    qtbot.keyClicks(field, "20")
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=WAIT)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)  # closes the list, and only the list
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=WAIT)
    assert page.call_page.transfer_panel.isVisible() and field.text() == "20"
    assert window.phone.named("hangup") == []
    qtbot.keyClick(field, Qt.Key.Key_Escape)  # then Esc closes the panel
    assert not page.call_page.transfer_panel.isVisible()
    qtbot.keyClick(page.call_page, Qt.Key.Key_Escape)  # and then hangs up
    assert window.phone.named("hangup") == [("c1",)]


# -- 5. the keys on the green and red buttons read -------------------------------------------


def _contrast(a: QColor, b: QColor) -> float:
    def luminance(c: QColor) -> float:
        parts = []
        for v in (c.redF(), c.greenF(), c.blueF()):
            parts.append(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
        return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _detail_contrast(button: TwoLineButton) -> float:
    """The contrast of the shortcut line's brightest pixel against the button's fill."""
    image = button.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    w, h = image.width(), image.height()
    fill = image.pixelColor(w // 8, h // 2)
    best = 0.0
    for y in range(h * 3 // 5, h - 4):  # the second line, in the lower part
        for x in range(6, w - 6):
            best = max(best, _contrast(image.pixelColor(x, y), fill))
    return best


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_shortcut_lines_on_green_and_red_read(
    qtbot: QtBot, window: MainWindow, theme: str
) -> None:
    from softphone.storage.settings import Theme

    apply_theme(Theme(theme))
    try:
        page = phone_page(window)
        window.bus.publish(incoming("c1"))
        window.bus.publish(state("c1", ev.CallState.INCOMING, direction=ev.Direction.INBOUND))
        answer, decline = page.call_page.answer_button, page.call_page.decline_button
        qtbot.waitUntil(answer.isVisible, timeout=WAIT)
        for button in (answer, decline):
            assert isinstance(button, TwoLineButton)
            assert _detail_contrast(button) >= 4.5, button.objectName()
        window.bus.publish(state("c1", ev.CallState.CONFIRMED, direction=ev.Direction.INBOUND))
        hangup = page.call_page.hangup_button
        qtbot.waitUntil(hangup.isVisible, timeout=WAIT)
        assert _detail_contrast(hangup) >= 4.5
    finally:
        apply_theme(Theme.SYSTEM)


# -- 6. no microphone / no speaker, said on the idle page -----------------------------------


def test_the_idle_page_warns_without_a_microphone_or_speaker(
    qtbot: QtBot, window: MainWindow, devices: Devices
) -> None:
    page = phone_page(window)
    warning = page.audio_warning
    assert not warning.isVisible()
    devices.mic = False
    page.on_audio_event(None)  # as the bridge delivers the controller's event
    assert warning.isVisible()
    assert "No microphone" in warning.text() and "Settings → Sound" in warning.text()
    devices.speaker = False
    page.on_audio_event(None)
    assert "No microphone or speaker" in warning.text()
    devices.mic = True
    page.on_audio_event(None)
    assert warning.text().startswith("No speaker")
    # In a call the call page says it its own way; the idle line steps aside.
    window.bus.publish(state("c1", ev.CallState.CONFIRMED))
    assert not warning.isVisible()
    window.bus.publish(state("c1", ev.CallState.DISCONNECTED, connected=True))
    assert warning.isVisible()
    devices.speaker = True  # plugged in
    page.on_audio_event(None)
    assert not warning.isVisible()
