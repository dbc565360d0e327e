"""The provisioning pane's "One agent" tab: the form for one agent's code, its live preview,
and Save / Copy.

PINs: a SIP account code's PIN is generated here, shown in its own box for this agent only, and
never saved by the app nor drawn on the code image; "Next agent" forgets it. Encrypting a SIP
code (scrypt, ~65 ms) runs on the pane's worker; a result for a form that has changed since is
dropped.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core.errors import VicifastError
from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_format, qr_make
from softphone.ui.look import Text, text_font
from softphone.ui.provisioning.code_image import code_pixmap
from softphone.ui.provisioning.worker import Worker

DEBOUNCE_MS = 250
PREVIEW_SIDE = 240


class OneAgentTab(QWidget):
    """Make one agent's code as the supervisor types. Signals: none (it writes files and the
    clipboard only when the supervisor asks)."""

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run = worker
        self._uri = ""
        self._pin = ""
        self._preview_seq = 0
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._rebuild)

        self.kind = QComboBox(self)
        self.kind.setAccessibleName(self.tr("Kind of code"))
        self.kind.addItem(self.tr("Sign-in code (company, user name)"), "signin")
        self.kind.addItem(self.tr("SIP account code (encrypted, with a PIN)"), "sip")
        self.kind.currentIndexChanged.connect(self._kind_changed)

        self.company = self._line(self.tr("Company code"), placeholder=self.tr("e.g. acme"))
        self.username = self._line(self.tr("User name"), placeholder=self.tr("optional"))
        self.api = self._line(
            self.tr("Control plane URL"), placeholder=self.tr("optional, e.g. https://…")
        )
        self.signin_days = QSpinBox()
        self.signin_days.setAccessibleName(self.tr("Sign-in code valid for, days"))
        self.signin_days.setRange(0, 365)
        self.signin_days.setSpecialValueText(self.tr("No expiry"))
        self.signin_days.setSuffix(self.tr(" days"))
        self.signin_days.valueChanged.connect(self._changed)
        signin = QWidget()
        form = QFormLayout(signin)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("&Company code:"), self.company)
        form.addRow(self.tr("&User name:"), self.username)
        form.addRow(self.tr("Control &plane:"), self.api)
        form.addRow(self.tr("&Valid for:"), self.signin_days)

        self.server = self._line(
            self.tr("SIP server host"), placeholder=self.tr("e.g. sip.example.com")
        )
        self.port = QSpinBox()
        self.port.setAccessibleName(self.tr("SIP port"))
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText(self.tr("Default for the transport"))
        self.port.valueChanged.connect(self._changed)
        self.transport = QComboBox()
        self.transport.setAccessibleName(self.tr("Transport"))
        for transport in Transport:
            self.transport.addItem(transport.value.upper(), transport)
        self.transport.currentIndexChanged.connect(self._changed)
        self.extension = self._line(self.tr("Extension"), placeholder="1001")
        self.password = self._line(self.tr("SIP password"), secret=True)
        self.display_name = self._line(self.tr("Display name"), placeholder=self.tr("optional"))
        self.srtp = QComboBox()
        self.srtp.setAccessibleName(self.tr("Media encryption (SRTP)"))
        srtp_names = {
            SrtpMode.OFF: self.tr("off"),
            SrtpMode.OPTIONAL: self.tr("optional"),
            SrtpMode.MANDATORY: self.tr("mandatory"),
        }
        for mode in SrtpMode:
            self.srtp.addItem(srtp_names.get(mode, mode.value), mode)
        self.srtp.currentIndexChanged.connect(self._changed)
        self.sip_days = QSpinBox()
        self.sip_days.setAccessibleName(self.tr("SIP account code valid for, days"))
        self.sip_days.setRange(1, 365)
        self.sip_days.setValue(qr_make.DEFAULT_SIP_VALID_DAYS)
        self.sip_days.setSuffix(self.tr(" days"))
        self.sip_days.valueChanged.connect(self._changed)
        sip = QWidget()
        form = QFormLayout(sip)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("&Server host:"), self.server)
        form.addRow(self.tr("P&ort:"), self.port)
        form.addRow(self.tr("&Transport:"), self.transport)
        form.addRow(self.tr("&Extension:"), self.extension)
        form.addRow(self.tr("SIP pass&word:"), self.password)
        form.addRow(self.tr("&Display name:"), self.display_name)
        form.addRow(self.tr("S&RTP:"), self.srtp)
        form.addRow(self.tr("&Valid for:"), self.sip_days)

        self.forms = QStackedWidget(self)
        self.forms.addWidget(signin)
        self.forms.addWidget(sip)
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName(self.tr("What the code still needs"))

        self.preview = QLabel(self)
        self.preview.setAccessibleName(self.tr("QR code preview"))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(PREVIEW_SIDE + 16, PREVIEW_SIDE + 16)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)

        self.pin_box = QGroupBox(self.tr("PIN for this SIP account code"), self)
        self.pin_box.setAccessibleName(self.tr("PIN for this SIP account code"))
        self.pin_label = QLabel(self.pin_box)
        self.pin_label.setAccessibleName(self.tr("PIN"))
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.pin_label.setFont(text_font(fixed, Text.TITLE, bold=True))
        self.pin_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_pin = QPushButton(self.tr("Copy P&IN"), self.pin_box)
        self.copy_pin.setAccessibleName(self.tr("Copy the PIN"))
        self.copy_pin.clicked.connect(self._copy_pin)
        pin_note = QLabel(
            self.tr(
                "Give the agent this PIN apart from the code (say it, or send it another "
                "way). It is shown only here, for this agent, and is not saved: note it now."
            ),
            self.pin_box,
        )
        pin_note.setWordWrap(True)
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.pin_label, 1)
        pin_row.addWidget(self.copy_pin)
        pin_layout = QVBoxLayout(self.pin_box)
        pin_layout.addLayout(pin_row)
        pin_layout.addWidget(pin_note)

        self.save_png = QPushButton(self.tr("Save &PNG…"), self)
        self.save_png.setAccessibleName(self.tr("Save the code as PNG"))
        self.save_png.clicked.connect(lambda: self._save_dialog("png"))
        self.save_svg = QPushButton(self.tr("Save S&VG…"), self)
        self.save_svg.setAccessibleName(self.tr("Save the code as SVG"))
        self.save_svg.clicked.connect(lambda: self._save_dialog("svg"))
        self.copy_image = QPushButton(self.tr("Cop&y image"), self)
        self.copy_image.setAccessibleName(self.tr("Copy the code image to the clipboard"))
        self.copy_image.clicked.connect(self.copy_image_to_clipboard)
        self.next_agent = QPushButton(self.tr("&Next agent"), self)
        self.next_agent.setAccessibleName(self.tr("Clear the form for the next agent"))
        self.next_agent.clicked.connect(self.clear_agent)

        left = QVBoxLayout()
        kind_row = QFormLayout()
        kind_row.addRow(self.tr("&Kind:"), self.kind)
        left.addLayout(kind_row)
        left.addWidget(self.forms)
        left.addWidget(self.problem)
        left.addStretch(1)
        left.addWidget(self.next_agent, 0, Qt.AlignmentFlag.AlignLeft)
        right = QVBoxLayout()
        right.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_png)
        buttons.addWidget(self.save_svg)
        buttons.addWidget(self.copy_image)
        right.addLayout(buttons)
        right.addWidget(self.pin_box)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right)
        self._kind_changed()

    def _line(self, name: str, *, placeholder: str = "", secret: bool = False) -> QLineEdit:
        field = QLineEdit()
        field.setAccessibleName(name)
        field.setPlaceholderText(placeholder)
        if secret:
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData)
        field.textChanged.connect(self._changed)
        return field

    def current_uri(self) -> str:
        """The code the preview shows (what Save and Copy write)."""
        return self._uri

    def current_pin(self) -> str:
        return self._pin

    def _kind_changed(self) -> None:
        sip = self.kind.currentData() == "sip"
        self.forms.setCurrentIndex(1 if sip else 0)
        self._changed()

    def _changed(self) -> None:
        self._preview_seq += 1  # a code still being encrypted is now stale
        self._set_code("")
        self._debounce.start()

    def _rebuild(self) -> None:
        if self.kind.currentData() == "signin":
            try:
                code = qr_format.SignInCode(
                    company=self.company.text().strip(),
                    username=self.username.text().strip(),
                    api=self.api.text().strip(),
                    exp=qr_make.expiry(self.signin_days.value())
                    if self.signin_days.value()
                    else None,
                )
                uri = qr_format.encode_signin(code)
            except VicifastError as err:
                self._show_problem(err, needs=not self.company.text().strip())
                return
            self._set_code(uri)
            return
        if not (self.server.text().strip() and self.extension.text() and self.password.text()):
            self._show_problem(None, needs=True)
            return
        if not self._pin:
            self._pin = qr_format.generate_pin(8)
        pin = self._pin
        try:
            account = qr_format.SipAccountCode(
                server=self.server.text().strip(),
                port=self.port.value(),
                transport=self.transport.currentData(),
                extension=self.extension.text().strip(),
                password=Secret(self.password.text()),
                display_name=self.display_name.text().strip(),
                srtp=self.srtp.currentData(),
                exp=qr_make.expiry(self.sip_days.value()),
            )
        except VicifastError as err:
            self._show_problem(err, needs=False)
            return
        self.problem.setText(self.tr("Encrypting…"))
        seq = self._preview_seq
        self._run(lambda: qr_format.encode_sip(account, pin), lambda v: self._sip_encoded(v, seq))

    def _sip_encoded(self, value: object, seq: int) -> None:
        if seq != self._preview_seq:
            return  # the form changed while this one was being encrypted
        if isinstance(value, str):
            self._set_code(value)
        elif isinstance(value, VicifastError):
            self._show_problem(value, needs=False)

    def _show_problem(self, err: VicifastError | None, *, needs: bool) -> None:
        self._set_code("")
        if needs or err is None:
            if self.kind.currentData() == "signin":
                self.problem.setText(self.tr("Enter the company code to make a sign-in code."))
            else:
                self.problem.setText(
                    self.tr("Enter the server host, extension and SIP password to make the code.")
                )
        else:
            self.problem.setText(str(err))

    def _set_code(self, uri: str) -> None:
        self._uri = uri
        for button in (self.save_png, self.save_svg, self.copy_image):
            button.setEnabled(bool(uri))
        sip = self.kind.currentData() == "sip"
        self.pin_box.setVisible(sip and bool(uri))
        self.pin_label.setText(self._pin if sip and uri else "")
        if uri:
            self.problem.setText(self.tr("Ready: %n character(s) in the code.", "", len(uri)))
            ratio = self.devicePixelRatioF()
            self.preview.setPixmap(code_pixmap(uri, PREVIEW_SIDE, ratio))
        else:
            self.preview.clear()
            self.preview.setText(self.tr("The code appears here\nas you type."))

    def _copy_pin(self) -> None:
        if self._pin:
            QGuiApplication.clipboard().setText(self._pin)

    def copy_image_to_clipboard(self) -> None:
        if self._uri:
            image = QImage.fromData(qr_make.render(self._uri, "png", scale=8))
            QGuiApplication.clipboard().setImage(image)

    def save_image(self, path: Path) -> None:
        """Write the previewed code as PNG or SVG (by the file's suffix)."""
        if self._uri:
            qr_make.write_image(self._uri, path)

    def _save_dialog(self, fmt: str) -> None:
        if not self._uri:
            return
        name = (self.extension.text() or self.company.text() or "code").strip() or "code"
        filters = {"png": self.tr("PNG image (*.png)"), "svg": self.tr("SVG image (*.svg)")}
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the QR code"), f"vicifast-{name}.{fmt}", filters[fmt]
        )
        if not path:
            return
        target = Path(path) if Path(path).suffix.lower() == f".{fmt}" else Path(f"{path}.{fmt}")
        try:
            self.save_image(target)
        except VicifastError as err:
            self.problem.setText(str(err))
        else:
            self.problem.setText(self.tr("Saved %1.").replace("%1", target.name))

    def clear_agent(self) -> None:
        """Forget this agent: fields, code and PIN (a new PIN for the next SIP code)."""
        for field in (
            self.company,
            self.username,
            self.api,
            self.server,
            self.extension,
            self.password,
            self.display_name,
        ):
            if field not in (self.company, self.server, self.api):  # shared by a team
                field.clear()
        self._pin = ""
        self._changed()

    def forget(self) -> None:
        """Stop a pending preview and forget the PIN (the pane is closing)."""
        self._debounce.stop()
        self._pin = ""
