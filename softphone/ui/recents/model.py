"""The Recents view's table model over the call history.

Every query runs on the history's writer thread (``HistoryWriter``); results and the history's
changes come back to the GUI thread through the bridge (``QtBridge.post_call``, dropped if the
model is gone by then), and a page is dropped if the search or filter changed meanwhile.

Sorting: newest first comes a page at a time; any other order (a header clicked) reads every
call the search and filters match, on the writer thread, and sorts them there. The totals of
what the search and filters match (``totals``) are counted there too.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from softphone.core import events as ev
from softphone.storage.history import (
    PAGE_SIZE,
    CallEntry,
    HistoryChanged,
    HistoryStore,
    HistoryWriter,
    Outcome,
)
from softphone.storage.history.calls import ENDED_BY_SLEEP
from softphone.storage.history.search import fold_text, number_key
from softphone.ui.bridge import QtBridge

COLUMNS: Final = ("When", "", "Number", "Name", "Result", "Duration")
ENTRY_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 1  # the row's CallEntry
_ARROWS: Final = {ev.Direction.INBOUND: "↙", ev.Direction.OUTBOUND: "↗"}
_Index = QModelIndex | QPersistentModelIndex
_NEWEST_FIRST: Final = (0, Qt.SortOrder.DescendingOrder)
_EVERY: Final = sys.maxsize  # "asked" for a sorted load: it reads every match
_RESULT_ORDER: Final = (Outcome.ANSWERED, Outcome.MISSED, Outcome.REJECTED, Outcome.FAILED)


class HistoryModel(QAbstractTableModel):
    """Newest first, a page at a time as the view scrolls (``canFetchMore``/``fetchMore``).

    Lives on the GUI thread and emits its signals there. ``searchFinished`` follows each
    search or filter change once its first page is in; ``totalsChanged`` once its totals are
    counted; ``failed`` carries a message for people.
    """

    missedCountChanged = Signal(int)
    searchFinished = Signal()
    totalsChanged = Signal()
    failed = Signal(str)

    def __init__(
        self,
        writer: HistoryWriter,
        bridge: QtBridge,
        page_size: int = PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._writer = writer
        self._bridge = bridge
        self._page_size = page_size
        self._rows: list[CallEntry] = []
        self._search = ""
        self._outcome: Outcome | None = None
        self._direction: ev.Direction | None = None
        self._generation = 0
        self._exhausted = False
        self._fetching = False
        self._missed = 0
        self._sort: tuple[int, Qt.SortOrder] = _NEWEST_FIRST
        self._totals: tuple[int, int] | None = None  # calls, talk seconds; None while counting
        self._totals_generation = 0
        writer.add_listener(self._hear)
        self.reload()

    def close(self) -> None:
        """Stop listening to the history (before the model goes away)."""
        self._writer.remove_listener(self._hear)

    # -- what the view asks ---------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008  (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(entry, index.column())
        return None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._fetching

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent) and self._rows:
            self._request(before=self._rows[-1].id, replace=False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Newest first is paged; any other order reads every match (see the module doc)."""
        if (column, order) != self._sort and 0 <= column < len(COLUMNS):
            self._sort = (column, order)
            self.reload()

    # -- what the Recents view does -------------------------------------------------------

    @property
    def missed_count(self) -> int:
        return self._missed

    @property
    def search_text(self) -> str:
        return self._search

    @property
    def totals(self) -> tuple[int, int] | None:
        """The calls the search and filters match, and their talk time in whole seconds (as
        the Duration column counts it); None until counted."""
        return self._totals

    def entry(self, row: int) -> CallEntry:
        return self._rows[row]

    def set_search(self, text: str) -> None:
        """Search as the user types; only the newest text's results are shown."""
        if text != self._search:
            self._search = text
            self.reload()

    def set_filter(
        self, outcome: Outcome | None = None, direction: ev.Direction | None = None
    ) -> None:
        if (outcome, direction) != (self._outcome, self._direction):
            self._outcome, self._direction = outcome, direction
            self.reload()

    def reload(self) -> None:
        """Start again from the newest call (older pages come back as the view scrolls)."""
        self._generation += 1
        self._exhausted = False
        self._request(before=None, replace=True, limit=max(self._page_size, len(self._rows)))
        self._refresh_missed()
        self._refresh_totals()

    def delete_row(self, row: int) -> Future[bool]:
        return self._writer.delete(self._rows[row].id)

    def clear_all(self) -> Future[None]:
        """Erase the whole history, then open a new, empty one so later calls are recorded."""
        self._writer.clear_all()
        return self._writer.start_fresh()

    def export_csv(self, path: Path) -> Future[int]:
        """Write what the view shows (the current search and filter, every page) as CSV."""
        search, outcome, direction = self._search, self._outcome, self._direction
        return self._writer.submit(
            lambda store: store.export_csv(
                path, search=search, outcome=outcome, direction=direction
            )
        )

    def mark_viewed(self) -> Future[None]:
        """The user looked at Recents: the missed-call badge goes back to zero."""
        return self._writer.mark_viewed()

    # -- the writer thread's side ---------------------------------------------------------

    def _request(self, *, before: int | None, replace: bool, limit: int | None = None) -> None:
        generation = self._generation
        search, outcome, direction = self._search, self._outcome, self._direction
        sort = None if self._sort == _NEWEST_FIRST else self._sort
        count = (limit or self._page_size) if sort is None else _EVERY
        self._fetching = True

        def stale() -> bool:
            return generation != self._generation

        def query(store: HistoryStore) -> list[CallEntry] | None:
            # Runs on the writer thread: a search the user has typed past is skipped.
            if stale():
                return None
            if sort is not None:
                rows = list(_matching(store, search, outcome, direction, stale))
                return None if stale() else _sorted(rows, *sort)
            return store.page(
                search=search, outcome=outcome, direction=direction, before=before, limit=count
            )

        def done(future: Future[list[CallEntry] | None]) -> None:
            result = future.exception() or future.result()
            self._bridge.post_call(
                lambda: self._on_page(generation, replace, count, result), owner=self
            )

        self._writer.submit(query).add_done_callback(done)

    def _refresh_missed(self) -> None:
        def done(future: Future[int]) -> None:
            result = future.exception() or future.result()
            self._bridge.post_call(lambda: self._on_missed(result), owner=self)

        self._writer.submit(lambda store: store.missed_count()).add_done_callback(done)

    def _refresh_totals(self) -> None:
        self._totals_generation += 1
        generation = self._totals_generation
        search, outcome, direction = self._search, self._outcome, self._direction

        def stale() -> bool:
            return generation != self._totals_generation

        def count(store: HistoryStore) -> tuple[int, int] | None:
            calls = talk = 0
            for entry in _matching(store, search, outcome, direction, stale):
                calls += 1
                talk += _talk_seconds(entry)
            return None if stale() else (calls, talk)

        def done(future: Future[tuple[int, int] | None]) -> None:
            result = future.exception() or future.result()
            self._bridge.post_call(lambda: self._on_totals(generation, result), owner=self)

        self._writer.submit(count).add_done_callback(done)

    def _hear(self, change: HistoryChanged) -> None:
        """The writer's listener (writer thread): the change is handled on the GUI thread."""
        self._bridge.post_call(lambda: self._on_changed(change), owner=self)

    # -- back on the GUI thread -----------------------------------------------------------

    def _on_page(self, generation: int, replace: bool, asked: int, result: object) -> None:
        if generation != self._generation:
            return  # stale: the search or filter changed since it was asked
        self._fetching = False
        if isinstance(result, BaseException):
            self._exhausted = True
            self.failed.emit(str(result))
            return
        if not isinstance(result, list):
            return
        self._exhausted = len(result) < asked
        if replace:
            self.beginResetModel()
            self._rows = result
            self.endResetModel()
            self.searchFinished.emit()
        elif result:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(result) - 1)
            self._rows.extend(result)
            self.endInsertRows()

    def _on_totals(self, generation: int, result: object) -> None:
        if generation == self._totals_generation and isinstance(result, tuple):
            self._totals = result
            self.totalsChanged.emit()

    def _on_missed(self, result: object) -> None:
        if isinstance(result, int) and result != self._missed:
            self._missed = result
            self.missedCountChanged.emit(result)

    def _on_changed(self, change: object) -> None:
        if isinstance(change, HistoryChanged) and change.kind == "deleted":
            rows = [i for i, e in enumerate(self._rows) if e.id == change.entry_id]
            for row in rows[::-1]:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
            self._refresh_missed()
            self._refresh_totals()
            return
        if isinstance(change, HistoryChanged) and change.kind == "set_aside":
            self.failed.emit(
                self.tr(
                    "Your earlier call history could not be opened any more (its key was gone). "
                    "It was kept, renamed, in its folder; new calls are recorded as usual."
                )
            )
        if isinstance(change, HistoryChanged) and change.kind == "cleared":
            self._generation += 1
            self._exhausted, self._fetching = True, False
            self.beginResetModel()
            self._rows = []
            self.endResetModel()
            self._on_missed(0)
            self._totals_generation += 1
            self._totals = (0, 0)
            self.totalsChanged.emit()
            return
        self.reload()


def _display(entry: CallEntry, column: int) -> str:
    if column == 0:
        when = datetime.datetime.fromtimestamp(entry.started_at)
        return when.strftime("%Y-%m-%d %H:%M")
    if column == 1:
        return _ARROWS[entry.direction]
    if column == 2:
        return entry.remote_number
    if column == 3:
        return entry.remote_name
    if column == 4:
        result = entry.outcome.value.capitalize()
        if entry.sip_reason == ENDED_BY_SLEEP:
            result += f" ({ENDED_BY_SLEEP})"
        elif entry.outcome is Outcome.FAILED and entry.sip_code:
            result += f" ({entry.sip_code} {entry.sip_reason})".rstrip()
        if entry.auto_answered:
            result += " (auto)"
        return result
    minutes, seconds = divmod(int(entry.duration_s), 60)  # whole seconds, as the phone page
    return f"{minutes}:{seconds:02d}" if entry.outcome is Outcome.ANSWERED else ""


def _talk_seconds(entry: CallEntry) -> int:
    """Whole seconds, as the Duration column shows each call (answered calls only)."""
    return int(entry.duration_s) if entry.outcome is Outcome.ANSWERED else 0


def _matching(
    store: HistoryStore,
    search: str,
    outcome: Outcome | None,
    direction: ev.Direction | None,
    stale: Callable[[], bool],
) -> Iterator[CallEntry]:
    """Every call the search and filters match, newest first, a thousand at a time; it stops
    early once ``stale`` (the person typed on)."""
    before: int | None = None
    while not stale() and (
        rows := store.page(
            search=search, outcome=outcome, direction=direction, before=before, limit=1000
        )
    ):
        yield from rows
        before = rows[-1].id


def _sorted(rows: list[CallEntry], column: int, order: Qt.SortOrder) -> list[CallEntry]:
    """By ``column``; calls that tie stay newest first, and calls without a name come last."""
    descending = order is Qt.SortOrder.DescendingOrder
    if column == 0:
        return sorted(rows, key=lambda e: e.id, reverse=descending)
    if column == 3:
        named = [e for e in rows if e.remote_name]
        nameless = [e for e in rows if not e.remote_name]
        named.sort(key=lambda e: fold_text(e.remote_name), reverse=descending)
        return named + nameless
    key: Callable[[CallEntry], str | int] = {
        1: lambda e: e.direction.value,
        2: lambda e: number_key(e.remote_number),
        4: lambda e: _RESULT_ORDER.index(e.outcome),
        5: _talk_seconds,
    }[column]
    return sorted(rows, key=key, reverse=descending)  # stable: ties keep newest first
