"""HistoryModel over a real (encrypted) history on its writer thread, driven through pytest-qt."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.storage.history import HistoryStore, HistoryWriter, Outcome
from softphone.ui.bridge import QtBridge
from softphone.ui.recents.model import ENTRY_ROLE, HistoryModel
from tests.unit.history_kit import call

TIMEOUT = 5000


def fill(writer: HistoryWriter, n: int, **kwargs: object) -> list[int]:
    futures = [writer.record(call(i, **kwargs)) for i in range(n)]  # type: ignore[arg-type]
    return [f.result(5) for f in futures]


@pytest.fixture
def model(qtbot: QtBot, writer: HistoryWriter, bridge: QtBridge) -> Iterator[HistoryModel]:
    m = HistoryModel(writer, bridge, page_size=20)
    yield m
    m.close()


def ids(model: HistoryModel) -> list[int]:
    return [model.entry(row).id for row in range(model.rowCount())]


def test_pages_newest_first_as_the_view_scrolls(
    qtbot: QtBot, writer: HistoryWriter, bridge: QtBridge
) -> None:
    stored = fill(writer, 45)
    model = HistoryModel(writer, bridge, page_size=20)
    qtbot.waitUntil(lambda: model.rowCount() == 20, timeout=TIMEOUT)
    assert ids(model) == stored[::-1][:20]
    while model.rowCount() < 45:
        if model.canFetchMore():
            model.fetchMore()
        qtbot.waitUntil(lambda: not model._fetching, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not model.canFetchMore(), timeout=TIMEOUT)
    assert ids(model) == stored[::-1]
    entry = model.data(model.index(0, 0), ENTRY_ROLE)
    assert entry.id == stored[-1]
    assert model.data(model.index(0, 2)) == entry.remote_number
    assert model.data(model.index(0, 5)) == "0:30"
    model.close()


def test_search_runs_off_the_gui_thread_and_stale_results_are_dropped(
    qtbot: QtBot, writer: HistoryWriter, model: HistoryModel
) -> None:
    fill(writer, 30)
    writer.record(call(40, name="Zoë Ångström")).result(5)
    qtbot.waitUntil(lambda: model.rowCount() == 20, timeout=TIMEOUT)
    threads: list[str] = []
    original = HistoryStore.page

    def spy(self: HistoryStore, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return original(self, **kwargs)  # type: ignore[arg-type]

    HistoryStore.page = spy  # type: ignore[method-assign]
    try:
        # Typed fast: only the last text's results may land in the model.
        with qtbot.waitSignal(model.searchFinished, timeout=TIMEOUT):
            for text in ("z", "zo", "zoe", "zoe a", "zoe an", "zoe ang"):
                model.set_search(text)
    finally:
        HistoryStore.page = original  # type: ignore[method-assign]
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=TIMEOUT)
    assert model.entry(0).remote_name == "Zoë Ångström"
    assert threads and set(threads) == {"history-writer"}
    assert threading.current_thread().name not in threads

    with qtbot.waitSignal(model.searchFinished, timeout=TIMEOUT):
        model.set_search("")
    assert model.rowCount() == 20


def test_filters(qtbot: QtBot, writer: HistoryWriter, model: HistoryModel) -> None:
    fill(writer, 3)
    writer.record(call(10, outcome=Outcome.MISSED, sip_code=487)).result(5)
    out = ev.Direction.OUTBOUND
    writer.record(call(11, direction=out, outcome=Outcome.FAILED, sip_code=486)).result(5)
    with qtbot.waitSignal(model.searchFinished, timeout=TIMEOUT):
        model.set_filter(outcome=Outcome.MISSED)
    assert [model.entry(r).outcome for r in range(model.rowCount())] == [Outcome.MISSED]
    with qtbot.waitSignal(model.searchFinished, timeout=TIMEOUT):
        model.set_filter(direction=out)
    assert model.rowCount() == 1
    assert model.data(model.index(0, 4)) == "Failed (486 Some reason)"


def test_new_calls_and_deletions_show_up(
    qtbot: QtBot, writer: HistoryWriter, model: HistoryModel
) -> None:
    qtbot.waitUntil(lambda: not model._fetching, timeout=TIMEOUT)
    assert model.rowCount() == 0
    first = writer.record(call(1)).result(5)
    qtbot.waitUntil(lambda: ids(model) == [first], timeout=TIMEOUT)
    second = writer.record(call(2)).result(5)
    qtbot.waitUntil(lambda: ids(model) == [second, first], timeout=TIMEOUT)
    with qtbot.waitSignal(model.rowsRemoved, timeout=TIMEOUT):
        assert model.delete_row(0).result(5)
    assert ids(model) == [first]


def test_missed_call_badge(qtbot: QtBot, writer: HistoryWriter, model: HistoryModel) -> None:
    with qtbot.waitSignal(model.missedCountChanged, timeout=TIMEOUT) as badge:
        writer.record(call(1, outcome=Outcome.MISSED, sip_code=487))
    assert badge.args == [1]
    with qtbot.waitSignal(model.missedCountChanged, timeout=TIMEOUT) as badge:
        writer.record(call(2, outcome=Outcome.MISSED, sip_code=487))
    assert badge.args == [2]
    assert model.missed_count == 2
    with qtbot.waitSignal(model.missedCountChanged, timeout=TIMEOUT) as badge:
        model.mark_viewed()
    assert badge.args == [0]


def test_clear_all_empties_the_view(
    qtbot: QtBot, writer: HistoryWriter, model: HistoryModel
) -> None:
    fill(writer, 3, outcome=Outcome.MISSED, sip_code=487)
    qtbot.waitUntil(lambda: model.rowCount() == 3 and model.missed_count == 3, timeout=TIMEOUT)
    with qtbot.waitSignal(model.modelReset, timeout=TIMEOUT):
        writer.clear_all()
    assert model.rowCount() == 0
    assert model.missed_count == 0
    assert not model.canFetchMore()


def test_pyside_keeps_refcounts(qtbot: QtBot, writer: HistoryWriter, bridge: QtBridge) -> None:
    # PySide6 6.12.0 on CPython 3.11 dropped a reference to True per emit() and to None per
    # void call, which aborts the interpreter after a few hundred signals (pyproject excludes it).
    # Other threads create and free objects meanwhile, so the counts wander by a few; the bug
    # took one per call, ``rounds`` in all.
    rounds = 2000
    model = HistoryModel(writer, bridge)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(rounds):
        model.searchFinished.emit()
        model.beginResetModel()
        model.endResetModel()
    assert true_before - sys.getrefcount(True) < rounds // 4
    assert none_before - sys.getrefcount(None) < rounds // 4
    model.close()
