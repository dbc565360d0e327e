"""Recents as a call list for a whole shift: the selected call's details pane, the totals of
what the filters show, a Name column that never repeats the number, and headers that sort."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QDate, QDateTime, QLocale, Qt, QTime
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.session_events import ACCOUNT_ID
from softphone.storage.history import CallEntry, CallRecord, HistoryWriter, Outcome
from softphone.ui.bridge import QtBridge
from softphone.ui.recents.details import CallDetails
from softphone.ui.recents.filters import INCOMING, MISSED, OUTGOING
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.table import COL_DURATION, COL_NAME, COL_NUMBER, COL_WHEN
from softphone.ui.recents.view import RecentsView
from tests.unit.history_kit import call

TIMEOUT = 5000
OUT = ev.Direction.OUTBOUND
ACCOUNT = "sip:1001@pbx.example.com"


@pytest.fixture(autouse=True)
def british_english() -> Iterator[None]:
    original = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    yield
    QLocale.setDefault(original)


@pytest.fixture
def view(qtbot: QtBot, writer: HistoryWriter, bridge: QtBridge) -> Iterator[RecentsView]:
    model = HistoryModel(writer, bridge, page_size=20)
    v = RecentsView(model, bridge, lambda number: None)
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    qtbot.waitExposed(v)
    yield v
    model.close()


def record(writer: HistoryWriter, entry: CallRecord) -> None:
    writer.record(entry).result(5)


def seed(writer: HistoryWriter) -> None:
    """Five calls, newest last: two answered (30 s and 95 s), one busy, two missed."""
    replace = dataclasses.replace
    alice = call(1, name="Alice Martin", number="+1 555 0100", account=ACCOUNT, auto=True)
    record(writer, replace(alice, duration_s=30.4, mos=4.39))
    nameless = call(2, number="+1 555 0200", outcome=Outcome.MISSED, sip_code=487)
    record(writer, replace(nameless, remote_name=""))
    zoe = call(3, name="Zoë Ångström", direction=OUT, number="+44 20 7946 0000")
    record(writer, replace(zoe, duration_s=95.9, mos=3.38))
    dana = call(4, name="Dana", number="+1 555 0400", direction=OUT, outcome=Outcome.FAILED,
                sip_code=486)  # fmt: skip
    record(writer, replace(dana, sip_reason="Busy Here"))
    record(writer, call(5, name="Eve", number="+1 555 0500", outcome=Outcome.MISSED, sip_code=487))


def shown(view: RecentsView, column: int) -> list[str]:
    model = view.table.model()
    return [str(model.index(r, column).data() or "") for r in range(model.rowCount())]


def click_row(qtbot: QtBot, view: RecentsView, row: int, double: bool = False) -> None:
    table = view.table
    centre = table.visualRect(table.model().index(row, COL_NAME)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    if double:
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def click_header(qtbot: QtBot, view: RecentsView, column: int) -> None:
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    pos = header.viewport().rect().center()
    pos.setX(x)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_the_details_pane_shows_the_selected_call_in_words(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 5, timeout=TIMEOUT)
    details = view.details
    assert details.isVisible()

    click_row(qtbot, view, 1)  # Dana, outgoing, busy
    assert details.name.text() == "Dana"
    assert details.number.text() == "+1 555 0400"
    assert details.direction.text() == "Outgoing"
    assert details.result.text() == "Busy (486 Busy Here)"
    assert details.answered.text() == "Not answered"
    assert details.talk_time.text() == "—"
    flags = details.number.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse  # it can be copied
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard

    click_row(qtbot, view, 4)  # Alice, incoming, answered by itself
    entry = view.selected_entry()
    assert entry is not None
    started = QDateTime.fromSecsSinceEpoch(int(entry.started_at))
    assert details.name.text() == "Alice Martin"
    assert details.direction.text() == "Incoming"
    assert details.result.text() == "Answered"
    date = QLocale().toString(started.date(), QLocale.FormatType.ShortFormat)
    assert details.started.text() == f"{date} {started.time().toString('HH:mm:ss')}"
    answered = started.addSecs(3).time().toString("HH:mm:ss")
    assert details.answered.text() == f"{answered}, automatically"
    assert details.ended.text() == started.addSecs(33).time().toString("HH:mm:ss")
    assert details.talk_time.text() == "00:30"  # as the Duration column says it
    assert details.account.text() == "sip:1001@pbx.example.com"
    assert details.quality.text() == "Good (MOS 4.4)"  # how it sounded as it ended

    click_row(qtbot, view, 2)  # Zoë, outgoing, answered over a lossy path
    assert details.quality.text() == "Poor (MOS 3.4)"

    click_row(qtbot, view, 3)  # nameless, missed
    assert details.name.text() == "—" and details.number.text() == "+1 555 0200"
    assert details.result.text() == "Missed"
    assert details.quality.text() == "—"  # never connected: no reading


def test_a_declined_call_says_who_declined_and_why(qtbot: QtBot) -> None:
    details = CallDetails()
    qtbot.addWidget(details)
    declined = dataclasses.replace(call(1, outcome=Outcome.REJECTED, sip_code=603),
                                   sip_reason="Decline")  # fmt: skip
    details.show_entry(h_entry(declined))
    assert details.result.text() == "Declined by you (603 Decline)"
    answered_by_hand = h_entry(call(2))
    details.show_entry(answered_by_hand)
    assert details.answered.text().endswith(", by hand")
    assert details.account.text() == "acc1"  # as the history has it
    details.show_entry(h_entry(dataclasses.replace(call(3), account_id=ACCOUNT_ID)))
    assert details.account.text() == "Your signed-in account"  # not the engine's "session"
    details.show_entry(None)
    assert details.pages.currentWidget() is details.none
    assert details.none.text() == "Select a call to see its details."


def h_entry(record_: CallRecord) -> CallEntry:
    """The call as the history hands it back."""
    fields = {f.name: getattr(record_, f.name) for f in dataclasses.fields(record_)}
    return CallEntry(id=int(record_.started_at * 1_000_000), **fields)


def test_enter_and_a_double_click_open_the_folded_pane(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 5, timeout=TIMEOUT)
    total = sum(view.splitter.sizes())
    view.splitter.setSizes([total, 0])  # the person dragged the pane away
    assert view.splitter.sizes()[1] == 0
    view.table.setFocus()
    view.table.selectRow(2)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.splitter.sizes()[1] > 0, timeout=TIMEOUT)
    assert view.details.name.text() == "Zoë Ångström"
    view.splitter.setSizes([total, 0])
    click_row(qtbot, view, 0, double=True)
    qtbot.waitUntil(lambda: view.splitter.sizes()[1] > 0, timeout=TIMEOUT)
    assert view.details.name.text() == "Eve"


def test_no_calls_no_pane(qtbot: QtBot, view: RecentsView) -> None:
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.empty, timeout=TIMEOUT)
    assert not view.details.isVisible()


def test_the_totals_follow_the_search_and_the_filters(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view.totals.text() == "5 calls · talk time 02:05", timeout=TIMEOUT)
    qtbot.mouseClick(view.filters.button(MISSED), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.totals.text() == "2 calls · talk time 00:00", timeout=TIMEOUT)
    qtbot.mouseClick(view.filters.button(MISSED), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.filters.button(OUTGOING), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.totals.text() == "2 calls · talk time 01:35", timeout=TIMEOUT)
    qtbot.mouseClick(view.filters.button(INCOMING), Qt.MouseButton.LeftButton)
    view.focus_search()
    qtbot.keyClicks(view.search, "alice")
    qtbot.waitUntil(lambda: view.totals.text() == "1 call · talk time 00:30", timeout=TIMEOUT)
    qtbot.keyClicks(view.search, "zzz")
    qtbot.waitUntil(lambda: view.totals.text() == "0 calls · talk time 00:00", timeout=TIMEOUT)


def test_totals_count_past_the_first_page_and_an_hour(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    for n in range(1, 26):  # more than a page (20 here)
        record(writer, dataclasses.replace(call(n), duration_s=150.0))
    qtbot.waitUntil(lambda: view.totals.text() == "25 calls · talk time 1:02:30", timeout=TIMEOUT)
    assert view.table.model().rowCount() <= 25


def test_a_call_without_a_name_shows_a_muted_dash_not_the_number_again(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    record(writer, dataclasses.replace(call(1, number="+1 555 0200"), remote_name=""))
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 1, timeout=TIMEOUT)
    model = view.table.model()
    assert model.index(0, COL_NAME).data() == "—"
    assert model.index(0, COL_NUMBER).data() == "+1 555 0200"
    muted = QPalette().color(QPalette.ColorRole.PlaceholderText)
    assert model.index(0, COL_NAME).data(Qt.ItemDataRole.ForegroundRole) == muted


def test_headers_sort_and_show_by_what(
    qtbot: QtBot, view: RecentsView, writer: HistoryWriter
) -> None:
    seed(writer)
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 5, timeout=TIMEOUT)
    header = view.table.horizontalHeader()
    assert header.isSortIndicatorShown()
    assert header.sortIndicatorSection() == COL_WHEN
    assert header.sortIndicatorOrder() is Qt.SortOrder.DescendingOrder  # newest first
    assert shown(view, COL_NAME)[0] == "Eve"

    click_header(qtbot, view, COL_NAME)  # A→Z, calls without a name last
    assert header.sortIndicatorSection() == COL_NAME
    assert header.sortIndicatorOrder() is Qt.SortOrder.AscendingOrder
    want = ["Alice Martin", "Dana", "Eve", "Zoë Ångström", "—"]
    qtbot.waitUntil(lambda: shown(view, COL_NAME) == want, timeout=TIMEOUT)

    click_header(qtbot, view, COL_DURATION)  # the longest first
    assert header.sortIndicatorOrder() is Qt.SortOrder.DescendingOrder
    qtbot.waitUntil(lambda: shown(view, COL_DURATION)[:2] == ["01:35", "00:30"], timeout=TIMEOUT)

    click_header(qtbot, view, COL_WHEN)  # newest first again
    assert header.sortIndicatorOrder() is Qt.SortOrder.DescendingOrder
    qtbot.waitUntil(lambda: shown(view, COL_NAME)[0] == "Eve", timeout=TIMEOUT)
    click_header(qtbot, view, COL_WHEN)  # then the oldest first
    assert header.sortIndicatorOrder() is Qt.SortOrder.AscendingOrder
    qtbot.waitUntil(lambda: shown(view, COL_NAME)[0] == "Alice Martin", timeout=TIMEOUT)


def test_times_read_to_the_second_and_carry_a_date_only_when_it_changes(qtbot: QtBot) -> None:
    details = CallDetails()
    qtbot.addWidget(details)
    start = QDateTime(QDate(2026, 11, 28), QTime(23, 59, 30)).toSecsSinceEpoch()
    assert details.when(start) == "28/11/2026 23:59:30"
    assert details.when(start + 20, since=start) == "23:59:50"
    assert details.when(start + 40, since=start) == "29/11/2026 00:00:10"
