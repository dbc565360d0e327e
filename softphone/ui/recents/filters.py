"""Recents' filter chips: "All", then a direction (Incoming / Outgoing) and a result
(Answered / Missed / Declined / Failed) that combine, so "incoming and missed" or "outgoing and
failed" is two clicks, and "Missed" alone is one.

Each group holds at most one choice (clicking the chosen chip again lets it go), which is what
the history's queries and its CSV export filter on (one outcome, one direction).
"""

from __future__ import annotations

from functools import partial
from typing import Final

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QToolButton, QWidget

from softphone.core import events as ev
from softphone.storage.history import Outcome

# Button ids: the first four kept their meaning from the single-choice chips.
ALL, MISSED, INCOMING, OUTGOING, ANSWERED, DECLINED, FAILED = range(7)
FILTERS: Final = ("all", "missed", "incoming", "outgoing", "answered", "declined", "failed")
_DIRECTIONS: Final = {INCOMING: ev.Direction.INBOUND, OUTGOING: ev.Direction.OUTBOUND}
_OUTCOMES: Final = {
    ANSWERED: Outcome.ANSWERED,
    MISSED: Outcome.MISSED,
    DECLINED: Outcome.REJECTED,
    FAILED: Outcome.FAILED,
}
_VISUAL: Final = (ALL, INCOMING, OUTGOING, ANSWERED, MISSED, DECLINED, FAILED)


class CallFilters(QWidget):
    """The chips in a row; ``group`` holds them by id (``ALL`` … ``FAILED``). ``changed`` is
    emitted (GUI thread) once per change a person or :meth:`show_only` makes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recentsFilters")
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # the groups' rules are kept by _on_toggled
        labels = {
            ALL: (self.tr("&All"), self.tr("Show all calls")),
            INCOMING: (self.tr("&Incoming"), self.tr("Show incoming calls only")),
            OUTGOING: (self.tr("&Outgoing"), self.tr("Show outgoing calls only")),
            ANSWERED: (self.tr("A&nswered"), self.tr("Show answered calls only")),
            MISSED: (self.tr("&Missed"), self.tr("Show missed calls only")),
            DECLINED: (self.tr("D&eclined"), self.tr("Show calls you declined only")),
            FAILED: (self.tr("&Failed"), self.tr("Show calls that failed only")),
        }
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for key in _VISUAL:
            label, name = labels[key]
            chip = QToolButton(self)
            chip.setText(label)
            chip.setCheckable(True)
            chip.setAutoRaise(False)
            chip.setObjectName(f"filter_{FILTERS[key]}")
            chip.setAccessibleName(name)
            chip.setToolTip(name)
            chip.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            # the chosen filters are bold: a cue that does not rest on the style's pressed shade
            # (faint on a dark palette) nor on colour
            chip.toggled.connect(partial(_embolden, chip))
            self.group.addButton(chip, key)
            if key in (ALL, OUTGOING):  # a thin rule between All, direction and result
                layout.addWidget(chip)
                layout.addWidget(_rule(self))
            else:
                layout.addWidget(chip)
        self._syncing = False
        self.chip(ALL).setChecked(True)
        self.group.idToggled.connect(self._on_toggled)

    def chip(self, key: int) -> QToolButton:
        button = self.group.button(key)
        assert isinstance(button, QToolButton)
        return button

    def chips(self) -> list[QToolButton]:
        """In the order they are shown (and tabbed through)."""
        return [self.chip(key) for key in _VISUAL]

    @property
    def direction(self) -> ev.Direction | None:
        return next((d for k, d in _DIRECTIONS.items() if self.chip(k).isChecked()), None)

    @property
    def outcome(self) -> Outcome | None:
        return next((o for k, o in _OUTCOMES.items() if self.chip(k).isChecked()), None)

    @property
    def active(self) -> bool:
        """Whether anything is filtered out."""
        return not self.chip(ALL).isChecked()

    def show_only(
        self, outcome: Outcome | None = None, direction: ev.Direction | None = None
    ) -> None:
        """Choose these filters (None: that group's any), as if clicked; e.g. missed calls only
        for the missed-call badge."""
        wanted = {k for k, o in _OUTCOMES.items() if o is outcome}
        wanted |= {k for k, d in _DIRECTIONS.items() if d is direction}
        self._set_checked(wanted or {ALL})
        self.changed.emit()

    @Slot(int, bool)
    def _on_toggled(self, key: int, checked: bool) -> None:
        if self._syncing:
            return
        chosen = {k for k in range(len(FILTERS)) if self.chip(k).isChecked()}
        if key == ALL:
            chosen = {ALL}  # "All" clears the others, and clicking it again keeps it
        elif checked:
            same_group = _DIRECTIONS if key in _DIRECTIONS else _OUTCOMES
            chosen = (chosen - set(same_group) - {ALL}) | {key}
        chosen = chosen or {ALL}
        self._set_checked(chosen)
        self.changed.emit()

    def _set_checked(self, chosen: set[int]) -> None:
        self._syncing = True
        try:
            for key in range(len(FILTERS)):
                self.chip(key).setChecked(key in chosen)
        finally:
            self._syncing = False


def _rule(parent: QWidget) -> QFrame:
    rule = QFrame(parent)
    rule.setFrameShape(QFrame.Shape.VLine)
    rule.setFrameShadow(QFrame.Shadow.Sunken)
    return rule


def _embolden(chip: QToolButton, on: bool) -> None:
    font = chip.font()
    font.setBold(on)
    chip.setFont(font)
