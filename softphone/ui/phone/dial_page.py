"""The idle half of the phone page: the number field, the dialpad that types into it, and the
Redial and Call buttons.

``DialPage`` only reports what the agent asked for (``callRequested``, ``redialRequested``,
``textChanged``); ``PhoneView`` decides what is dialled and tells the page what to offer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.ui.look import Space, space
from softphone.ui.phone.call_actions import SHORTCUTS, native_key
from softphone.ui.phone.dialpad import Dialpad, NumberField
from softphone.ui.phone.phone_numbers import caller_id
from softphone.ui.phone.recent_numbers import MAX_SUGGESTIONS

NUMBER_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 1  # what choosing a suggestion types
Suggest = Callable[[str], list[tuple[str, str]]]  # typed text -> (name, number), best first


class DialPage(QWidget):
    callRequested = Signal()  # Call, or Enter in the number field
    redialRequested = Signal()
    textChanged = Signal()  # the number field's text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        em = self.fontMetrics().height()
        layout.setSpacing(space(self, Space.MEDIUM))
        self.number_field = NumberField()
        self.number_field.setAccessibleName(self.tr("Number to call"))
        self.number_field.setPlaceholderText(self.tr("Number or SIP address"))
        self.number_field.returnPressed.connect(self._on_return)
        self.number_field.textChanged.connect(lambda _text: self.textChanged.emit())
        layout.addWidget(self.number_field)
        self._build_completer()
        self.dialpad = Dialpad(plus_on_hold=True)
        self.dialpad.digitPressed.connect(self._on_dial_key)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.dialpad, 100)
        centred.addStretch(1)
        layout.addLayout(centred, 1)
        row = QHBoxLayout()
        row.setSpacing(space(self, Space.SMALL))
        self.redial_button = QPushButton(self.tr("Redial"))
        self.redial_button.setAccessibleName(self.tr("Redial the last number"))
        self.redial_button.clicked.connect(self.redialRequested)
        self.call_button = QPushButton(self.tr("Call"))
        self.call_button.setObjectName("callButton")
        self.call_button.setAccessibleName(self.tr("Call"))
        self.call_button.setToolTip(self.tr("Call the number (Enter)"))
        self.call_button.clicked.connect(self.callRequested)
        self.call_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.call_button.setMinimumHeight(int(em * 2.4))
        self.redial_button.setMinimumHeight(int(em * 2.4))
        row.addWidget(self.redial_button)
        row.addWidget(self.call_button, 2)
        layout.addLayout(row)
        layout.addStretch(0)

    def _build_completer(self) -> None:
        # The popup lists "name (number)"; choosing one types its number. Which rows to offer is
        # decided here (number or name, newest first), so Qt shows them unfiltered.
        self._suggest: Suggest | None = None
        self._suggestions = QStandardItemModel(self)
        self.completer = QCompleter(self._suggestions, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCompletionRole(NUMBER_ROLE)
        self.completer.setMaxVisibleItems(MAX_SUGGESTIONS)
        if (popup := self.completer.popup()) is not None:
            popup.setAccessibleName(self.tr("Recent numbers"))
        # Driven here, not by QLineEdit.setCompleter: Qt would pre-select the first row, and a
        # number typed fast and Entered would call that row instead. Nothing is selected until
        # the agent moves into the list; keys typed meanwhile still go to the field.
        self.completer.setWidget(self.number_field)
        self.completer.activated.connect(self._on_chosen)
        # After NumberField's own cleaning (connected first).
        self.number_field.textEdited.connect(lambda _text: self._offer())

    def _popup_choice(self) -> bool:
        """The open list has a row selected (Enter then chooses it, not Call)."""
        popup = self.completer.popup()
        return popup is not None and popup.isVisible() and popup.currentIndex().isValid()

    def _on_chosen(self, number: str) -> None:
        """A suggestion was chosen (Enter on it, or a click): it fills the field; calling it
        is the agent's next step."""
        self.number_field.setText(number)
        self.number_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_return(self) -> None:
        # The field hears Enter before the list does: leave a chosen row to the list.
        if self._popup_choice():
            return
        self.hide_suggestions()
        self.callRequested.emit()

    def set_suggestions(self, suggest: Suggest | None) -> None:
        """Where the recent numbers come from (None: no suggestions)."""
        self._suggest = suggest
        self.hide_suggestions()

    def hide_suggestions(self) -> None:
        self._suggestions.clear()
        if (popup := self.completer.popup()) is not None:
            popup.hide()

    def _offer(self) -> None:
        text = self.number_field.text()
        found = self._suggest(text) if self._suggest is not None else []
        self._suggestions.clear()
        for name, number in found:
            item = QStandardItem(caller_id(name, number))
            item.setData(number, NUMBER_ROLE)
            item.setToolTip(number)
            self._suggestions.appendRow(item)
        popup = self.completer.popup()
        if not found or popup is None:
            self.hide_suggestions()
            return
        self.completer.complete()
        popup.setCurrentIndex(QModelIndex())

    def update_buttons(self, last_target: str) -> None:
        """Offer Call when there is something to call, Redial when a number was dialled."""
        can_call = bool(self.number_field.text() or last_target)
        self.call_button.setEnabled(can_call)
        self.call_button.setToolTip(
            self.tr("Call the number (Enter)") if can_call else self.tr("Type a number to call")
        )
        self.redial_button.setEnabled(bool(last_target))
        if last_target:
            # The number itself, shortened in the middle when long (the tooltip has it whole).
            width = self.fontMetrics().height() * 7
            shown = self.fontMetrics().elidedText(last_target, Qt.TextElideMode.ElideMiddle, width)
            self.redial_button.setText(self.tr("Redial {0}").format(shown).replace("&", "&&"))
            self.redial_button.setAccessibleName(self.tr("Redial {0}").format(last_target))
        else:
            self.redial_button.setText(self.tr("Redial"))
            self.redial_button.setAccessibleName(self.tr("Redial the last number"))
        self.redial_button.setToolTip(
            self.tr("Call {0} again ({1})").format(last_target, native_key(SHORTCUTS["redial"]))
            if last_target
            else self.tr("No number dialled yet")
        )

    def _on_dial_key(self, key: str) -> None:
        self.number_field.insert_key(key)
        self.number_field.setFocus(Qt.FocusReason.OtherFocusReason)
