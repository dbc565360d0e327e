"""The idle half of the phone page: the number field, the dialpad that types into it, and the
Redial and Call buttons.

``DialPage`` only reports what the agent asked for (``callRequested``, ``redialRequested``,
``textChanged``); ``PhoneView`` decides what is dialled and tells the page what to offer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from softphone.ui.phone.call_actions import SHORTCUTS, native_key
from softphone.ui.phone.dialpad import Dialpad, NumberField


class DialPage(QWidget):
    callRequested = Signal()  # Call, or Enter in the number field
    redialRequested = Signal()
    textChanged = Signal()  # the number field's text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        em = self.fontMetrics().height()
        layout.setSpacing(em * 2 // 3)
        self.number_field = NumberField()
        self.number_field.setAccessibleName(self.tr("Number to call"))
        self.number_field.setPlaceholderText(self.tr("Number or SIP address"))
        self.number_field.returnPressed.connect(self.callRequested)
        self.number_field.textChanged.connect(lambda _text: self.textChanged.emit())
        layout.addWidget(self.number_field)
        self.dialpad = Dialpad(plus_on_hold=True)
        self.dialpad.digitPressed.connect(self._on_dial_key)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.dialpad, 100)
        centred.addStretch(1)
        layout.addLayout(centred, 1)
        row = QHBoxLayout()
        row.setSpacing(em // 2)
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

    def update_buttons(self, last_target: str) -> None:
        """Offer Call when there is something to call, Redial when a number was dialled."""
        can_call = bool(self.number_field.text() or last_target)
        self.call_button.setEnabled(can_call)
        self.call_button.setToolTip(
            self.tr("Call the number (Enter)") if can_call else self.tr("Type a number to call")
        )
        self.redial_button.setEnabled(bool(last_target))
        self.redial_button.setToolTip(
            self.tr("Call {0} again ({1})").format(last_target, native_key(SHORTCUTS["redial"]))
            if last_target
            else self.tr("No number dialled yet")
        )

    def _on_dial_key(self, key: str) -> None:
        self.number_field.insert_key(key)
        self.number_field.setFocus(Qt.FocusReason.OtherFocusReason)
