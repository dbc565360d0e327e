"""The call keys (answer, decline, hang up, mute, hold, keypad, transfer, redial) work from
every tab of the main window, are listed in its Call menu, act once, and leave typing alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.storage.history import HistoryWriter
from softphone.ui.bridge import QtBridge
from softphone.ui.main_window import MainWindow
from softphone.ui.phone.call_actions import SHORTCUTS
from softphone.ui.phone.view import PhoneView
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.view import RecentsView
from tests.ui.phone_fakes import FakePhone, incoming, media, state
from tests.unit.history_kit import MemorySecrets

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


class Shell:
    """The main window with a real phone page and Recents, and a stand-in Settings page."""

    def __init__(self, window: MainWindow, phone: FakePhone, bus: EventBus) -> None:
        self.window, self.phone, self.bus = window, phone, bus
        page = window.page("Phone")
        recents = window.page("Recents")
        assert isinstance(page, PhoneView) and isinstance(recents, RecentsView)
        self.page, self.recents = page, recents
        settings = window.page("Settings")
        assert settings is not None
        self.settings_field = settings.findChild(QLineEdit)

    def action(self, name: str) -> QAction:
        key = SHORTCUTS[name]
        return next(a for a in self.window.call_menu.actions() if a.shortcut().toString() == key)

    def connect_call(self, call_id: str = "c1") -> None:
        self.bus.publish(state(call_id, ev.CallState.CALLING))
        self.bus.publish(state(call_id, ev.CallState.CONFIRMED))

    def ring(self, call_id: str = "c1") -> None:
        self.bus.publish(incoming(call_id))
        self.bus.publish(state(call_id, ev.CallState.INCOMING, direction=ev.Direction.INBOUND))


def settings_stand_in() -> QWidget:
    page = QWidget()
    QVBoxLayout(page).addWidget(QLineEdit())
    return page


@pytest.fixture
def shell(qtbot: QtBot, tmp_path: Path, bridge: QtBridge) -> Iterator[Shell]:
    writer = HistoryWriter(tmp_path, MemorySecrets()).start()
    writer.opened.result(5)
    model = HistoryModel(writer, bridge, page_size=20)
    bus, phone = EventBus(), FakePhone()
    pages = [
        ("Phone", lambda: PhoneView(phone, bus, bridge)),
        ("Recents", lambda: RecentsView(model, bridge, lambda number: None)),
        ("Settings", settings_stand_in),
    ]
    window = MainWindow(bus, QWidget(), pages)
    qtbot.addWidget(window)
    bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    yield Shell(window, phone, bus)
    window.close()
    model.close()
    writer.stop()


def test_the_call_menu_lists_every_call_key(shell: Shell) -> None:
    items = [a for a in shell.window.call_menu.actions() if not a.isSeparator()]
    assert [a.shortcut().toString() for a in items] == list(SHORTCUTS.values())
    texts = [a.text() for a in items]
    assert texts[:3] == ["Answer", "Decline", "Hang up"]


def test_without_a_call_the_call_items_are_disabled(shell: Shell) -> None:
    enabled = {name for name in SHORTCUTS if shell.action(name).isEnabled()}
    assert enabled == set()  # not even redial: nothing dialled yet
    shell.page.dial("2001")
    shell.connect_call("out-1")
    shell.bus.publish(state("out-1", ev.CallState.DISCONNECTED, connected=True))
    enabled = {name for name in SHORTCUTS if shell.action(name).isEnabled()}
    assert enabled == {"redial"}  # the call's number can be dialled again


def test_in_a_call_the_call_items_follow_the_call(shell: Shell) -> None:
    shell.connect_call()
    enabled = {name for name in SHORTCUTS if shell.action(name).isEnabled()}
    assert enabled == {"hangup", "mute", "hold", "keypad", "transfer"}
    shell.bus.publish(media("c1", muted=True))
    assert shell.action("mute").text() == "Unmute"


def test_hang_up_and_mute_keys_act_from_the_recents_tab(qtbot: QtBot, shell: Shell) -> None:
    shell.connect_call()
    shell.window.show_page("Recents")
    shell.recents.search.setFocus()
    qtbot.waitUntil(shell.recents.search.hasFocus)
    assert not shell.page.isVisible()
    qtbot.keyClick(shell.window, Qt.Key.Key_M, CTRL_SHIFT)
    assert shell.phone.named("set_mute") == [("c1", True)]  # once, not twice
    qtbot.keyClick(shell.recents.search, Qt.Key.Key_E, CTRL_SHIFT)
    assert shell.phone.named("hangup") == [("c1",)]
    assert shell.recents.search.text() == ""  # the keys typed nothing


def test_the_answer_key_answers_from_the_settings_tab(qtbot: QtBot, shell: Shell) -> None:
    shell.window.show_page("Settings")
    assert shell.settings_field is not None
    shell.settings_field.setFocus()
    qtbot.waitUntil(lambda: shell.settings_field is not None and shell.settings_field.hasFocus())
    shell.ring()
    assert shell.action("answer").isEnabled() and not shell.action("mute").isEnabled()
    qtbot.keyClick(shell.settings_field, Qt.Key.Key_A, CTRL_SHIFT)
    assert shell.phone.named("answer") == [("c1",)]  # once, not twice
    assert shell.settings_field.text() == ""


def test_the_decline_key_declines_from_the_recents_tab(qtbot: QtBot, shell: Shell) -> None:
    shell.window.show_page("Recents")
    shell.ring()
    qtbot.keyClick(shell.window, Qt.Key.Key_D, CTRL_SHIFT)
    assert shell.phone.named("reject") == [("c1", 603)]


def test_typing_in_the_search_and_the_number_field_is_not_taken(qtbot: QtBot, shell: Shell) -> None:
    shell.window.show_page("Recents")
    search = shell.recents.search
    search.setFocus()
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "ann 5550")
    qtbot.keyClick(search, Qt.Key.Key_Backspace)
    assert search.text() == "ann 555"
    shell.window.show_page("Phone")
    field = shell.page.number_field
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "20019")
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert shell.phone.named("make_call") == [("2001",)]
    assert shell.phone.named("hangup") == []


def test_escape_hangs_up_only_on_the_phone_page(qtbot: QtBot, shell: Shell) -> None:
    shell.connect_call()
    shell.window.show_page("Recents")
    shell.recents.search.setFocus()
    qtbot.waitUntil(shell.recents.search.hasFocus)
    qtbot.keyClick(shell.recents.search, Qt.Key.Key_Escape)
    assert shell.phone.named("hangup") == []
    shell.window.show_page("Phone")
    shell.page.call_page.setFocus()
    qtbot.waitUntil(shell.page.call_page.hasFocus)
    qtbot.keyClick(shell.page.call_page, Qt.Key.Key_Escape)
    assert shell.phone.named("hangup") == [("c1",)]


def test_the_menu_items_trigger_the_phone_page(shell: Shell) -> None:
    shell.connect_call()
    shell.window.show_page("Settings")
    shell.action("hold").trigger()
    assert shell.phone.named("hold") == [("c1",)]
    shell.action("keypad").trigger()
    assert not shell.page.call_page.keypad_box.isHidden()
