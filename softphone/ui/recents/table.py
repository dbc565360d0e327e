"""How Recents' table shows the history's rows: translated headers and results, dates as a
phone reads them, tooltips, missed calls in a warning colour that suits the palette, a muted
dash for a caller without a name, and columns with room around their texts."""

from __future__ import annotations

import datetime
from typing import Any, Final

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QIdentityProxyModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from softphone.core import events as ev
from softphone.storage.history import CallEntry, Outcome
from softphone.storage.history.calls import ENDED_BY_SLEEP
from softphone.ui.look import Tone, tone_color
from softphone.ui.phone.phone_numbers import format_duration
from softphone.ui.recents.model import ENTRY_ROLE

# The model's columns: When, direction, Number, Name, Result, Duration.
COL_WHEN, COL_DIR, COL_NUMBER, COL_NAME, COL_RESULT, COL_DURATION = range(6)
VISUAL_ORDER: Final = (COL_DIR, COL_NAME, COL_NUMBER, COL_RESULT, COL_WHEN, COL_DURATION)
_Index = QModelIndex | QPersistentModelIndex
NO_NAME: Final = "—"
# What a first click on a header sorts by: the newest and the longest calls first, else A→Z.
_FIRST_ORDER: Final = {
    COL_WHEN: Qt.SortOrder.DescendingOrder,
    COL_DURATION: Qt.SortOrder.DescendingOrder,
}


class RecentsProxy(QIdentityProxyModel):
    """Translated headers and results, locale dates, tooltips, missed calls in a warning
    colour that suits the palette (dark or light), and a muted dash for no name (never the
    number again)."""

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            # only the title asked for: the header asks often while laying out, and each
            # translation costs a look-up
            titles = (
                lambda: self.tr("When"),
                lambda: "",
                lambda: self.tr("Number"),
                lambda: self.tr("Name"),
                lambda: self.tr("Result"),
                lambda: self.tr("Duration"),
            )
            return titles[section]()
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.InitialSortOrderRole
        ):
            return int(_FIRST_ORDER.get(section, Qt.SortOrder.AscendingOrder).value)
        return super().headerData(section, orientation, role)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = super().data(index, ENTRY_ROLE) if index.isValid() else None
        if not isinstance(entry, CallEntry):
            return super().data(index, role)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_WHEN:
                return self.when_text(entry.started_at)
            if column == COL_RESULT:
                return self.result_text(entry)
            if column == COL_NAME and not entry.remote_name:
                return NO_NAME
            if column == COL_DURATION:  # as the phone page said it when the call ended
                answered = entry.outcome is Outcome.ANSWERED
                return format_duration(entry.duration_s) if answered else ""
        if role == Qt.ItemDataRole.ToolTipRole:  # the whole row: cells elide when narrow
            return self.describe(entry)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == COL_DIR:
            return self.describe(entry)
        if column == COL_NAME and not entry.remote_name:
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return self.tr("No name")
            if role == Qt.ItemDataRole.ForegroundRole:
                return QPalette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.ForegroundRole and entry.outcome is Outcome.MISSED:
            return _warning_colour()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_DURATION:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_DIR:
            return int(Qt.AlignmentFlag.AlignCenter)
        return super().data(index, role)

    def when_text(self, at: float, today: QDate | None = None) -> str:
        """ "Today, 14:03", "Yesterday, 09:12", "Mon, 08:40" within a week, "28 May, 20:29"
        this year, else "28 May 2025" (month and day names in the user's language)."""
        when = QDateTime.fromSecsSinceEpoch(int(at))
        locale = QLocale()
        time = locale.toString(when.time(), QLocale.FormatType.ShortFormat)
        today = today or QDate.currentDate()
        days = when.date().daysTo(today)
        if days == 0:
            return self.tr("Today, %1").replace("%1", time)
        if days == 1:
            return self.tr("Yesterday, %1").replace("%1", time)
        if 1 < days < 7:
            return f"{locale.toString(when.date(), 'ddd')}, {time}"
        if when.date().year() == today.year():
            return f"{locale.toString(when.date(), 'd MMM')}, {time}"
        return locale.toString(when.date(), "d MMM yyyy")

    def result_text(self, entry: CallEntry) -> str:
        text = {
            Outcome.ANSWERED: self.tr("Answered"),
            Outcome.MISSED: self.tr("Missed"),
            Outcome.REJECTED: self.tr("Declined"),
            Outcome.FAILED: self.tr("Failed"),
        }[entry.outcome]
        if entry.sip_reason == ENDED_BY_SLEEP:
            text += " (" + self.tr("Ended: the computer went to sleep") + ")"
        elif entry.outcome is Outcome.FAILED and entry.sip_code:
            text += f" ({entry.sip_code} {entry.sip_reason})".rstrip()
        if entry.auto_answered:
            text += " " + self.tr("(auto)")
        return text

    def describe(self, entry: CallEntry) -> str:
        direction = (
            self.tr("Incoming call")
            if entry.direction is ev.Direction.INBOUND
            else self.tr("Outgoing call")
        )
        when = datetime.datetime.fromtimestamp(entry.started_at).strftime("%Y-%m-%d %H:%M")
        who = entry.remote_name or entry.remote_number
        return f"{direction}, {who}, {self.result_text(entry)}, {when}"


# The widest number a column sized to its contents should still fit when it shows no such row:
# a 16-character international number.
_TYPICAL_NUMBER: Final = "+44 20 7946 0000"


def _padding(widget: QWidget) -> int:
    """The room left around a cell's or a header's text: an em, about half on each side."""
    return widget.fontMetrics().height()


class PaddedDelegate(QStyledItemDelegate):
    """Cells ask for room beyond their text, so columns sized to their contents do not butt
    one text against the next (the direction arrow keeps its snug column)."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self._table = table

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        size = super().sizeHint(option, index)
        if index.column() != COL_DIR:
            size.setWidth(size.width() + _padding(self._table))
        return size


class PaddedHeader(QHeaderView):
    """Header sections with room around their titles, and a Number column that fits a
    16-character international number whatever the rows shown."""

    def sectionSizeFromContents(self, logicalIndex: int) -> QSize:
        size = super().sectionSizeFromContents(logicalIndex)
        if logicalIndex == COL_DIR:
            return size
        width = size.width() + _padding(self)
        if logicalIndex == COL_NUMBER:
            typical = self.fontMetrics().horizontalAdvance(_TYPICAL_NUMBER) + 2 * _padding(self)
            width = max(width, typical)
        size.setWidth(width)
        return size


def _warning_colour() -> QColor:
    return tone_color(Tone.BAD, QPalette())
