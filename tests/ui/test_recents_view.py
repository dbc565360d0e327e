"""RecentsView over a real (encrypted) history: search, filters that combine, call back,
delete, clear all, the missed-call badge, keyboard and accessible names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QMessageBox, QTableView, QWidget
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.storage import history as h
from softphone.storage.history import HistoryWriter, Outcome
from softphone.storage.history.recorder import HistoryRecorder
from softphone.ui.bridge import QtBridge
from softphone.ui.phone.view import PhoneView
from softphone.ui.recents.filters import ALL, ANSWERED, FAILED, INCOMING, MISSED, OUTGOING
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.table import COL_DURATION, COL_NUMBER, COL_RESULT, COL_WHEN
from softphone.ui.recents.view import RecentsView
from tests.ui.phone_fakes import FakePhone, state
from tests.unit.history_kit import MemorySecrets, call

TIMEOUT = 5000


@pytest.fixture
def model(qtbot: QtBot, writer: HistoryWriter, bridge: QtBridge) -> Iterator[HistoryModel]:
    m = HistoryModel(writer, bridge, page_size=20)
    yield m
    m.close()


class Dialled:
    def __init__(self) -> None:
        self.numbers: list[str] = []

    def __call__(self, number: str) -> None:
        self.numbers.append(number)


@pytest.fixture
def dialled() -> Dialled:
    return Dialled()


@pytest.fixture
def view(qtbot: QtBot, model: HistoryModel, bridge: QtBridge, dialled: Dialled) -> RecentsView:
    v = RecentsView(model, bridge, dialled)
    qtbot.addWidget(v)
    v.resize(800, 500)
    v.show()
    qtbot.waitExposed(v)
    return v


def seed(writer: HistoryWriter) -> None:
    out, inn = ev.Direction.OUTBOUND, ev.Direction.INBOUND
    writer.record(call(1, number="+1 555 0100", name="Alice Martin")).result(5)
    writer.record(call(2, number="+1 555 0200", name="Bob Stone", outcome=Outcome.MISSED,
                       sip_code=487)).result(5)  # fmt: skip
    writer.record(call(3, number="+44 20 7946 0000", name="Zoë Ångström", direction=out)).result(5)
    writer.record(call(4, number="+1 555 0400", name="Dana", direction=out,
                       outcome=Outcome.FAILED, sip_code=486)).result(5)  # fmt: skip
    writer.record(call(5, number="+1 555 0500", name="Eve", direction=inn,
                       outcome=Outcome.MISSED, sip_code=487)).result(5)  # fmt: skip


def names(view: RecentsView) -> list[str]:
    model = view._model
    return [model.entry(r).remote_name for r in range(model.rowCount())]


def test_empty_state_then_rows(qtbot: QtBot, view: RecentsView, writer: HistoryWriter) -> None:
    qtbot.waitUntil(lambda: not view._model._fetching, timeout=TIMEOUT)
    assert view.stack.currentWidget() is view.empty
    assert view.empty.text() == "No calls yet."
    assert not view.call_back_button.isEnabled() and not view.delete_button.isEnabled()
    seed(writer)
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    assert view.stack.currentWidget() is view.table
    assert names(view)[0] == "Eve"  # newest first
    assert view.call_back_button.isEnabled()  # a row is current from the start


def test_typing_filters_as_you_type(qtbot: QtBot, view: RecentsView, writer: HistoryWriter) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    view.focus_search()
    qtbot.keyClicks(view.search, "angst")
    qtbot.waitUntil(lambda: names(view) == ["Zoë Ångström"], timeout=TIMEOUT)
    view.search.clear()
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    qtbot.keyClicks(view.search, "555 02")  # number fragments, punctuation ignored
    qtbot.waitUntil(lambda: names(view) == ["Bob Stone"], timeout=TIMEOUT)
    qtbot.keyClicks(view.search, "9")
    qtbot.waitUntil(lambda: view._model.rowCount() == 0, timeout=TIMEOUT)
    assert view.stack.currentWidget() is view.empty and view.empty.text() == "No calls match."
    qtbot.keyClick(view.search, Qt.Key.Key_Escape)
    assert view.search.text() == ""
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)


def test_filters(qtbot: QtBot, view: RecentsView, writer: HistoryWriter) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)

    def click(key: int) -> None:
        qtbot.mouseClick(view.filters.button(key), Qt.MouseButton.LeftButton)

    click(MISSED)  # one click: missed calls
    qtbot.waitUntil(lambda: names(view) == ["Eve", "Bob Stone"], timeout=TIMEOUT)
    click(MISSED)  # again: every call
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    assert view.filters.button(ALL).isChecked()
    click(INCOMING)
    qtbot.waitUntil(lambda: names(view) == ["Eve", "Bob Stone", "Alice Martin"], timeout=TIMEOUT)
    click(ANSWERED)  # incoming AND answered
    qtbot.waitUntil(lambda: names(view) == ["Alice Martin"], timeout=TIMEOUT)
    click(MISSED)  # incoming AND missed (a result replaces the other result)
    qtbot.waitUntil(lambda: names(view) == ["Eve", "Bob Stone"], timeout=TIMEOUT)
    assert not view.filters.button(ANSWERED).isChecked()
    click(OUTGOING)  # outgoing AND missed: none (a direction replaces the other direction)
    qtbot.waitUntil(lambda: view._model.rowCount() == 0, timeout=TIMEOUT)
    assert view.empty.text() == "No calls match."
    click(FAILED)  # outgoing AND failed
    qtbot.waitUntil(lambda: names(view) == ["Dana"], timeout=TIMEOUT)
    failed = view.table.model().index(0, COL_RESULT).data()
    assert failed == "Failed (486 Some reason)"  # the SIP cause of a failed call
    click(FAILED)  # let go of the result: outgoing calls
    qtbot.waitUntil(lambda: names(view) == ["Dana", "Zoë Ångström"], timeout=TIMEOUT)
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # &All by keyboard
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    checked = [b for b in view.filters.buttons() if b.isChecked()]
    assert checked == [view.filters.button(ALL)]


def test_the_missed_badge_opens_on_missed_calls(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    qtbot.mouseClick(view.filters.button(OUTGOING), Qt.MouseButton.LeftButton)
    view.show_missed_calls()
    qtbot.waitUntil(lambda: names(view) == ["Eve", "Bob Stone"], timeout=TIMEOUT)
    assert not view.filters.button(OUTGOING).isChecked()


def test_call_back_by_ctrl_enter_and_button_never_by_a_double_click(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter, dialled: Dialled
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    table = view.table
    rect = table.visualRect(table.model().index(2, 3))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialled.numbers == []  # a double-click shows the details; it dials nobody
    assert view.details.number.text() == "+44 20 7946 0000"
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert dialled.numbers == []
    qtbot.keyClick(table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialled.numbers == ["+1 555 0500"]
    table.selectRow(4)
    view.call_back_button.click()
    assert dialled.numbers == ["+1 555 0500", "+1 555 0100"]


def test_del_deletes_the_selected_row(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    view.table.setFocus()
    view.table.selectRow(1)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: view._model.rowCount() == 4, timeout=TIMEOUT)
    assert "Dana" not in names(view)
    assert writer.submit(lambda s: s.count()).result(5) == 4
    assert view.selected_entry() is not None  # another row is selected for the next Del


def _dialog(view: RecentsView) -> QMessageBox:
    assert view.clear_dialog is not None
    return view.clear_dialog


def test_clear_all_asks_first(qtbot: QtBot, view: RecentsView, writer: HistoryWriter) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view._model.rowCount() == 5, timeout=TIMEOUT)
    view.clear_button.click()
    qtbot.waitUntil(lambda: view.clear_dialog is not None and view.clear_dialog.isVisible())
    dialog = _dialog(view)
    assert dialog.defaultButton() is dialog.escapeButton()  # Enter/Esc keep the history
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=TIMEOUT)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: view.clear_dialog is None, timeout=TIMEOUT)
    assert writer.submit(lambda s: s.count()).result(5) == 5

    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=TIMEOUT)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # fmt: skip
    qtbot.waitUntil(lambda: view.clear_dialog is not None and view.clear_dialog.isVisible())
    confirm = _dialog(view).findChild(QAbstractButton, "confirmClearAll")
    assert confirm is not None
    confirm.click()
    qtbot.waitUntil(lambda: view._model.rowCount() == 0, timeout=TIMEOUT)
    assert writer.submit(lambda s: s.count()).result(5) == 0
    assert view.missed_count == 0
    assert view.stack.currentWidget() is view.empty
    # the history still records after a clear
    writer.record(call(9, name="After")).result(5)
    qtbot.waitUntil(lambda: names(view) == ["After"], timeout=TIMEOUT)


def test_missed_badge(
    qtbot: QtBot, model: HistoryModel, writer: HistoryWriter, bridge: QtBridge
) -> None:
    view = RecentsView(model, bridge, Dialled())  # not shown: nobody looked yet
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.missedCountChanged, timeout=TIMEOUT) as badge:
        writer.record(call(1, outcome=Outcome.MISSED, sip_code=487))
    assert badge.args == [1]
    with qtbot.waitSignal(view.missedCountChanged, timeout=TIMEOUT) as badge:
        writer.record(call(2, outcome=Outcome.MISSED, sip_code=487))
    assert badge.args == [2] and view.missed_count == 2
    with qtbot.waitSignal(view.missedCountChanged, timeout=TIMEOUT) as badge:
        view.show()  # the person looks at Recents
    assert badge.args == [0]


def test_ctrl_f_focuses_the_search_and_every_control_is_named(
    qtbot: QtBot, view: RecentsView
) -> None:
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(view.search.hasFocus, timeout=TIMEOUT)
    controls = [
        w
        for w in view.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QLineEdit | QTableView) and w.isVisibleTo(view)
    ]
    assert len(controls) >= 8
    for control in controls:
        assert control.accessibleName(), control.objectName() or type(control).__name__


def test_when_a_call_was_reads_like_a_phone_does(qtbot: QtBot) -> None:
    from PySide6.QtCore import QDate, QDateTime, QLocale, QTime

    from softphone.ui.recents.table import RecentsProxy

    original = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    try:
        proxy = RecentsProxy()
        today = QDate(2026, 11, 28)  # a Saturday

        def at(y: int, m: int, d: int) -> float:
            return QDateTime(QDate(y, m, d), QTime(20, 29)).toSecsSinceEpoch()

        assert proxy.when_text(at(2026, 11, 28), today) == "Today, 20:29"
        assert proxy.when_text(at(2026, 11, 27), today) == "Yesterday, 20:29"
        assert proxy.when_text(at(2026, 11, 24), today) == "Tue, 20:29"
        assert proxy.when_text(at(2026, 5, 28), today) == "28 May, 20:29"
        assert proxy.when_text(at(2025, 5, 28), today) == "28 May 2025"
    finally:
        QLocale.setDefault(original)


def test_a_history_whose_key_is_gone_is_replaced_and_recents_says_so_once(
    qtbot: QtBot, tmp_path: Path, bridge: QtBridge, dialled: Dialled
) -> None:
    secrets_ = MemorySecrets()
    h.HistoryStore.open(tmp_path, secrets_).close()
    secrets_.delete(h.KEY_NAME)  # a keychain reset: the file can never be read again
    writer = HistoryWriter(tmp_path, secrets_).start()
    model = HistoryModel(writer, bridge, page_size=20)
    try:
        view = RecentsView(model, bridge, dialled)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(
            lambda: "could not be opened any more" in view.status.text(), timeout=TIMEOUT
        )
        writer.record(call(1)).result(5)  # new calls are recorded, and shown
        qtbot.waitUntil(lambda: view.table.model().rowCount() == 1, timeout=TIMEOUT)
    finally:
        model.close()
        writer.stop()


def test_a_call_lasts_as_long_in_recents_as_the_phone_page_said(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter, bridge: QtBridge
) -> None:
    bus = EventBus()
    recorder = HistoryRecorder(writer.record)
    detach = recorder.attach(bus.subscribe)
    phone = PhoneView(FakePhone(), bus, bridge)
    qtbot.addWidget(phone)
    # The engine counted 67.6 s from the CONFIRMED event to the end, and the page hears of the
    # end 0.6 s after it: the phone page and Recents both say the engine's whole seconds.
    confirmed = time.time() - 68.5
    bus.publish(state("c1", ev.CallState.CALLING, at=confirmed - 3))
    bus.publish(state("c1", ev.CallState.CONFIRMED, at=confirmed))
    bus.publish(state("c1", ev.CallState.DISCONNECTED, at=confirmed + 67.9, duration_s=67.6,
                      connected=True, sip_code=200))  # fmt: skip
    detach()
    assert phone.message_label.text() == "Call with Alice Smith (5550102030) ended (01:07)."

    table = view.findChild(QTableView)
    assert table is not None
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=TIMEOUT)
    shown = table.model().index(0, COL_DURATION).data()
    assert shown == "01:07"


def test_the_chosen_filter_reads_bold_in_light_and_dark(qtbot: QtBot, view: RecentsView) -> None:
    def bold() -> list[bool]:
        return [view.filters.button(key).font().bold() for key in (ALL, MISSED, OUTGOING)]

    assert bold() == [True, False, False]  # All, at first
    qtbot.mouseClick(view.filters.button(MISSED), Qt.MouseButton.LeftButton)
    assert bold() == [False, True, False]
    qtbot.mouseClick(view.filters.button(OUTGOING), Qt.MouseButton.LeftButton)
    assert bold() == [False, True, True]  # both filters hold


def test_columns_leave_room_around_a_long_number_and_the_headers(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    number = "+44 20 7946 0000"  # 16 characters, an international number
    writer.record(call(1, number=number, name="Zoë Ångström")).result(5)
    qtbot.waitUntil(lambda: view._model.rowCount() == 1, timeout=TIMEOUT)
    table, header = view.table, view.table.horizontalHeader()
    assert table.model().index(0, COL_NUMBER).data() == number
    qtbot.waitUntil(
        lambda: (
            header.sectionSize(COL_NUMBER) >= table.fontMetrics().horizontalAdvance(number) + 12
        ),
        timeout=TIMEOUT,
    )
    header_metrics = header.fontMetrics()
    for column in (COL_NUMBER, COL_WHEN, COL_DURATION):
        title = header.model().headerData(column, Qt.Orientation.Horizontal)
        assert header.sectionSize(column) >= header_metrics.horizontalAdvance(title) + 16, title
    # Duration, the last column, ends inside the table (no text against its edge)
    end = header.sectionViewportPosition(COL_DURATION) + header.sectionSize(COL_DURATION)
    assert end <= table.viewport().width()
