"""The scan dialog's last page: what the code would do, row by row, before the user presses
Apply (nothing is applied until then). A SIP account code's password is never shown."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from softphone.provisioning.qr_format import SignInCode, SipAccountCode
from softphone.ui.look import Space, space


class ConfirmPage(QWidget):
    """Shows one code (:meth:`show_code`); the dialog connects ``apply_button`` and
    ``back_button``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confirm_title = QLabel(self)
        self.confirm_text = QLabel(self)
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setMinimumHeight(self.confirm_text.fontMetrics().lineSpacing() * 2)
        self.confirm_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.confirm_form = QFormLayout()
        self.confirm_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.apply_button = QPushButton(self.tr("&Apply"), self)
        self.apply_button.setAccessibleName(self.tr("Apply this code"))
        self.apply_button.setDefault(True)
        self.back_button = QPushButton(self.tr("&Back"), self)
        self.back_button.setAccessibleName(self.tr("Back to scanning"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.confirm_title)
        layout.addWidget(self.confirm_text)
        layout.addLayout(self.confirm_form)
        layout.addStretch(1)
        layout.addSpacing(space(self, Space.MEDIUM))  # the buttons apart from the text
        layout.addLayout(buttons)

    def show_code(self, code: SignInCode | SipAccountCode) -> None:
        """Fill the page in for ``code`` (the dialog then shows the page)."""
        while self.confirm_form.rowCount():
            self.confirm_form.removeRow(0)
        rows: list[tuple[str, str]] = []
        if isinstance(code, SignInCode):
            self.confirm_title.setText(f"<h3>{self.tr('Fill in the sign-in form?')}</h3>")
            self.confirm_text.setText(
                self.tr("This code fills in the sign-in form. You still type your password.")
            )
            rows.append((self.tr("Company code"), code.company))
            if code.username:
                rows.append((self.tr("User name"), code.username))
            if code.uses_custom_api:
                rows.append((self.tr("Control plane"), _host_of(code.api)))
                self.confirm_text.setText(
                    self.confirm_text.text()
                    + " "
                    + self.tr("It points the app at a control plane other than VICIfast's.")
                )
            if code.exp is not None:
                rows.append((self.tr("Valid until"), _local_time(code.exp)))
        else:
            self.confirm_title.setText(f"<h3>{self.tr('Use this SIP account?')}</h3>")
            self.confirm_text.setText(
                self.tr("The phone will register this account with the server below.")
            )
            port = str(code.port) if code.port else self.tr("default")
            rows += [
                (self.tr("Server host"), code.server),
                (self.tr("Port"), port),
                (self.tr("Extension"), code.extension),
                (self.tr("Transport"), code.transport.value.upper()),
                (self.tr("Media encryption (SRTP)"), code.srtp.value),
            ]
            if code.display_name:
                rows.append((self.tr("Display name"), code.display_name))
            rows.append((self.tr("Code valid until"), _local_time(code.exp)))
        for label, value in rows:
            field = QLabel(value)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setAccessibleName(label)
            self.confirm_form.addRow(QLabel(label + ":"), field)

    def rows(self) -> dict[str, str]:
        """What the page shows, label → value."""
        rows = {}
        for row in range(self.confirm_form.rowCount()):
            label = self.confirm_form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self.confirm_form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            key = label.widget() if label is not None else None
            value = field.widget() if field is not None else None
            if isinstance(key, QLabel) and isinstance(value, QLabel):
                rows[key.text().rstrip(":")] = value.text()
        return rows


def _host_of(api: str) -> str:
    parts = urlsplit(api)
    host = parts.hostname or api
    return f"{host}:{parts.port}" if parts.port else host


def _local_time(stamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
