"""The scan dialog's PIN page: a SIP account code is sealed with a PIN that never comes in the
code itself; the agent types it here (digits only, shown as dots).

Enter on this page only ever tries the PIN: it never reaches the dialog, whose default-button
handling would otherwise press whichever button took the focus (once that was "Back", dropping
the scanned code after a wrong PIN). The field keeps the focus while a PIN is tried.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone.provisioning import qr_format
from softphone.ui.look import Space, space


class PinPage(QWidget):
    """Emits ``unlockRequested(str)`` with a PIN long enough to try, on the GUI thread; the
    dialog connects ``back_button``."""

    unlockRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._checking = False
        self._error_style = ""
        title = QLabel(f"<h3>{self.tr('This is a SIP account code')}</h3>", self)
        text = QLabel(
            self.tr(
                "Enter the PIN your supervisor gave you with it (6 to 12 digits). The PIN "
                "never comes in the QR code itself."
            ),
            self,
        )
        text.setWordWrap(True)
        self.pin_field = QLineEdit(self)
        self.pin_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_field.setAccessibleName(self.tr("PIN"))
        self.pin_field.setValidator(
            QRegularExpressionValidator(QRegularExpression("[0-9]{0,12}"), self.pin_field)
        )
        self.pin_field.setInputMethodHints(
            Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData
        )
        self.pin_field.setMaxLength(qr_format.PIN_MAX_DIGITS)
        self.pin_field.textChanged.connect(self._pin_changed)
        form = QFormLayout()
        pin_label = QLabel(self.tr("&PIN:"), self)
        pin_label.setBuddy(self.pin_field)
        form.addRow(pin_label, self.pin_field)
        self.pin_error = QLabel(self)
        self.pin_error.setWordWrap(True)
        # Stacked pages do not grow word-wrapped labels by height-for-width: reserve the lines.
        self.pin_error.setMinimumHeight(self.pin_error.fontMetrics().lineSpacing() * 3)
        self.pin_error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.pin_error.setAccessibleName(self.tr("PIN problem"))
        self.unlock_button = QPushButton(self.tr("&Unlock"), self)
        self.unlock_button.setAccessibleName(self.tr("Unlock the code"))
        self.unlock_button.setEnabled(False)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._unlock_clicked)
        self.back_button = QPushButton(self.tr("&Back"), self)
        self.back_button.setAccessibleName(self.tr("Back to scanning"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.pin_error)
        layout.addStretch(1)
        layout.addSpacing(space(self, Space.MEDIUM))  # the buttons apart from the text
        layout.addLayout(buttons)

    def start(self, error_style: str = "") -> None:
        """A new code: an empty field, no problem shown, the focus in the field. ``error_style``
        is the style sheet problems are shown in."""
        self._error_style = error_style
        self._checking = False
        self.pin_field.setReadOnly(False)
        self.pin_field.clear()
        self.pin_error.clear()
        self.pin_field.setFocus()

    def checking(self) -> None:
        """The PIN is being tried: the field is emptied and read-only until :meth:`checked`.
        Read-only rather than disabled, so the focus stays in it."""
        self._checking = True
        self.pin_field.clear()
        self.pin_field.setReadOnly(True)
        self.unlock_button.setEnabled(False)
        self.pin_error.setStyleSheet("")
        self.pin_error.setText(self.tr("Checking the PIN…"))

    def checked(self, problem: str = "") -> None:
        """The try is over; ``problem`` says why the PIN did not open the code, and the field
        is ready for the PIN to be typed again."""
        self._checking = False
        self.pin_field.setReadOnly(False)
        if problem:
            self._show_problem(problem)
            self.pin_field.clear()
            self.pin_field.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # never on to the dialog: Enter here means "try this PIN"
            self._unlock_clicked()
            return
        super().keyPressEvent(event)

    def _pin_changed(self, text: str) -> None:
        self.unlock_button.setEnabled(len(text) >= qr_format.PIN_MIN_DIGITS and not self._checking)

    def _unlock_clicked(self) -> None:
        if self._checking:
            return  # "Checking the PIN…" is on show
        pin = self.pin_field.text()
        if len(pin) < qr_format.PIN_MIN_DIGITS:
            self._show_problem(
                self.tr("The PIN has %1 to %2 digits. Type all of it, then press Enter.")
                .replace("%1", str(qr_format.PIN_MIN_DIGITS))
                .replace("%2", str(qr_format.PIN_MAX_DIGITS))
            )
            self.pin_field.setFocus()
            return
        self.unlockRequested.emit(pin)

    def _show_problem(self, text: str) -> None:
        self.pin_error.setStyleSheet(self._error_style)
        self.pin_error.setText(text)
