"""Recents' details pane: everything the history holds about the selected call, in words,
with the number as selectable text so it can be copied."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core import events as ev
from softphone.core.quality import verdict
from softphone.core.session_events import ACCOUNT_ID
from softphone.storage.history import CallEntry, Outcome
from softphone.storage.history.calls import ENDED_BY_SLEEP
from softphone.ui.phone.phone_numbers import format_duration

_NO_VALUE = "—"


class CallDetails(QFrame):
    """The selected call's name, number, direction, result (with the SIP cause when it failed
    or was declined), who answered, its times, talk time, account and how it sounded (the
    E-model MOS as it ended); or a line saying that no call is selected. GUI thread only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recentsDetails")
        self.setAccessibleName(self.tr("Call details"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.entry: CallEntry | None = None

        self.none = QLabel(self.tr("Select a call to see its details."), self)
        self.none.setObjectName("recentsDetailsNone")
        self.none.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.none.setEnabled(False)  # the palette's disabled text: quiet on light and dark

        fields = QWidget(self)
        grid = QGridLayout(fields)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.name = self._field(grid, 0, 0, self.tr("Name"))
        self.number = self._field(grid, 0, 2, self.tr("Number"))
        # the number is what people copy: it takes the keyboard too (Tab, then Ctrl+A, Ctrl+C)
        self.number.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.direction = self._field(grid, 1, 0, self.tr("Direction"))
        self.result = self._field(grid, 1, 2, self.tr("Result"))
        self.started = self._field(grid, 2, 0, self.tr("Started"))
        self.answered = self._field(grid, 2, 2, self.tr("Answered"))
        self.ended = self._field(grid, 3, 0, self.tr("Ended"))
        self.talk_time = self._field(grid, 3, 2, self.tr("Talk time"))
        self.account = self._field(grid, 4, 0, self.tr("Account"))
        self.quality = self._field(grid, 4, 2, self.tr("Call quality"))
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.none)
        self.pages.addWidget(fields)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.pages)
        self.show_entry(None)

    def _field(self, grid: QGridLayout, row: int, column: int, title: str) -> QLabel:
        label = QLabel(title + ":", self)
        label.setEnabled(False)  # the captions quiet, the values plain
        value = QLabel(self)
        value.setTextFormat(Qt.TextFormat.PlainText)  # names and reasons come from far ends
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setAccessibleName(title)
        label.setBuddy(value)
        grid.addWidget(label, row, column, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(value, row, column + 1)
        return value

    def show_entry(self, entry: CallEntry | None) -> None:
        self.entry = entry
        if entry is None:
            self.pages.setCurrentWidget(self.none)
            return
        inbound = entry.direction is ev.Direction.INBOUND
        answered = entry.outcome is Outcome.ANSWERED
        self.name.setText(entry.remote_name or _NO_VALUE)
        self.number.setText(entry.remote_number or _NO_VALUE)
        self.direction.setText(self.tr("Incoming") if inbound else self.tr("Outgoing"))
        self.result.setText(self.result_words(entry))
        self.started.setText(self.when(entry.started_at))
        if entry.answered_at is None or not answered:
            self.answered.setText(self.tr("Not answered"))
        else:
            at = self.when(entry.answered_at, since=entry.started_at)
            if inbound:
                how = self.tr("automatically") if entry.auto_answered else self.tr("by hand")
                at = self.tr("%1, %2").replace("%1", at).replace("%2", how)
            self.answered.setText(at)
        self.ended.setText(self.when(entry.ended_at, since=entry.started_at))
        self.talk_time.setText(format_duration(entry.duration_s) if answered else _NO_VALUE)
        self.account.setText(self.account_name(entry.account_id))
        self.quality.setText(self.quality_words(entry.mos))
        self.pages.setCurrentIndex(1)

    def quality_words(self, mos: float | None) -> str:
        """ "Good (MOS 4.4)", "Fair (MOS 3.8)", "Poor (MOS 3.4)"; a dash with no reading."""
        if mos is None:
            return _NO_VALUE
        words = {"good": self.tr("Good"), "fair": self.tr("Fair"), "poor": self.tr("Poor")}
        return self.tr("%1 (MOS %2)").replace("%1", words[verdict(mos)]).replace("%2", f"{mos:.1f}")

    def account_name(self, account_id: str) -> str:
        """The signed-in session's engine account has an internal id: it reads as what it is."""
        if account_id == ACCOUNT_ID:
            return self.tr("Your signed-in account")
        return account_id or _NO_VALUE

    def result_words(self, entry: CallEntry) -> str:
        """ "Answered", "Missed", "Busy (486 Busy Here)", "Declined by you (603 Decline)"."""
        if entry.sip_reason == ENDED_BY_SLEEP:  # this app ended it: say why, not SIP's code
            words = self.tr("Answered") if entry.outcome is Outcome.ANSWERED else self.tr("Ended")
            cause = self.tr("Ended: the computer went to sleep")
            return self.tr("%1 (%2)").replace("%1", words).replace("%2", cause)
        if entry.outcome is Outcome.ANSWERED:
            return self.tr("Answered")
        if entry.outcome is Outcome.MISSED:
            return self.tr("Missed")
        if entry.outcome is Outcome.REJECTED:
            words = self.tr("Declined by you")
        else:
            words = self._failure(entry.sip_code)
        if entry.sip_code:
            cause = f"{entry.sip_code} {entry.sip_reason.strip()}".strip()
            words = self.tr("%1 (%2)").replace("%1", words).replace("%2", cause)
        return words

    def _failure(self, code: int) -> str:
        if code in (486, 600):
            return self.tr("Busy")
        if code == 603:
            return self.tr("Declined")
        if code in (404, 484, 604):
            return self.tr("Number not found")
        if code in (408, 480):
            return self.tr("No answer")
        if code == 487:
            return self.tr("Cancelled")
        if code in (401, 403, 407):
            return self.tr("Not allowed")
        return self.tr("Failed")

    def when(self, at: float, since: float | None = None) -> str:
        """The date and the time with seconds, in the user's short formats; the time only when
        it is the same day as ``since``."""
        moment = QDateTime.fromSecsSinceEpoch(int(at))
        locale = QLocale()
        time_format = locale.timeFormat(QLocale.FormatType.ShortFormat)
        if "ss" not in time_format:  # a call's times are read to the second
            time_format = time_format.replace("mm", "mm:ss", 1)
        time = locale.toString(moment.time(), time_format)
        if since is not None and QDateTime.fromSecsSinceEpoch(int(since)).date() == moment.date():
            return time
        date = locale.toString(moment.date(), QLocale.FormatType.ShortFormat)
        return f"{date} {time}"
