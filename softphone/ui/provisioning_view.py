"""The supervisors' provisioning pane: one agent's code with a live preview, or a CSV batch to a
printable PDF sheet and a separate PIN list.

PINs: a SIP account code's PIN is generated here, shown in its own box for this agent only, and
never saved by the app nor drawn on a code image or the QR sheet; "Next agent" forgets it. A
batch's PINs are never shown; they leave the app only through "Save PIN list…", a file apart from
the sheet.

Blocking work (scrypt for SIP codes, ~65 ms each; reading CSV; writing PDFs) runs on one worker
thread; results come back through a queued signal (``_Relay``) whose slots run on the GUI thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core.errors import VicifastError
from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_format, qr_make
from softphone.ui import qr_sheet

DEBOUNCE_MS = 250
PREVIEW_SIDE = 240


class _Cancelled(Exception):
    pass


class _Relay(QObject):
    jobDone = Signal(int, object)
    progress = Signal(int, int)


def code_pixmap(uri: str, side: int, ratio: float = 1.0) -> QPixmap:
    """The code as a crisp black-on-white pixmap about ``side`` logical pixels wide."""
    image = QImage.fromData(qr_make.render(uri, "png", scale=1, border=4))
    device_side = int(side * ratio)
    scaled = image.scaled(
        max(1, device_side // image.width()) * image.width(),
        max(1, device_side // image.height()) * image.height(),
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation,
    )
    pixmap = QPixmap.fromImage(scaled)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def batch_columns_help(kind: str) -> str:
    """The CSV columns, from qr_make's own lists (so this text follows the code)."""
    extra = qr_make.SIGNIN_COLUMNS if kind == "signin" else qr_make.SIP_COLUMNS
    required = list(qr_make.COMMON_COLUMNS) + (["password"] if kind == "sip" else [])
    optional = [c for c in extra if c not in required]
    text = QCoreApplication.translate("ProvisioningView", "Required: {0}. Optional: {1}.")
    return text.format(", ".join(required), ", ".join(optional))


class ProvisioningView(QWidget):
    """Make one agent's code, or a batch from a CSV. Signals: none (it writes files and the
    clipboard only when the supervisor asks)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qr-make")
        self._relay = _Relay(self)
        self._relay.jobDone.connect(self._job_done)
        self._relay.progress.connect(self._batch_progress)
        self._job = 0
        self._handlers: dict[int, Callable[[object], None]] = {}
        self._uri = ""
        self._pin = ""
        self._preview_seq = 0
        self._batch: qr_make.BatchResult | None = None
        self._batch_kind = "signin"
        self._sheet_path: Path | None = None
        self._cancel_batch = threading.Event()
        self._closed = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._rebuild)

        self.setAccessibleName(self.tr("Provisioning"))
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Provisioning: one agent or a batch"))
        self.tabs.addTab(self._build_one(), self.tr("&One agent"))
        self.tabs.addTab(self._build_batch(), self.tr("&Batch from CSV"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self._kind_changed()

    # ---- one agent -----------------------------------------------------------------------------

    def _line(self, name: str, *, placeholder: str = "", secret: bool = False) -> QLineEdit:
        field = QLineEdit()
        field.setAccessibleName(name)
        field.setPlaceholderText(placeholder)
        if secret:
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData)
        field.textChanged.connect(self._changed)
        return field

    def _build_one(self) -> QWidget:
        tab = QWidget()
        self.kind = QComboBox(tab)
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

        self.forms = QStackedWidget(tab)
        self.forms.addWidget(signin)
        self.forms.addWidget(sip)
        self.problem = QLabel(tab)
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName(self.tr("What the code still needs"))

        self.preview = QLabel(tab)
        self.preview.setAccessibleName(self.tr("QR code preview"))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(PREVIEW_SIDE + 16, PREVIEW_SIDE + 16)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)

        self.pin_box = QGroupBox(self.tr("PIN for this SIP account code"), tab)
        self.pin_box.setAccessibleName(self.tr("PIN for this SIP account code"))
        self.pin_label = QLabel(self.pin_box)
        self.pin_label.setAccessibleName(self.tr("PIN"))
        pin_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        pin_font.setPointSizeF(pin_font.pointSizeF() * 1.6)
        pin_font.setWeight(QFont.Weight.Bold)
        self.pin_label.setFont(pin_font)
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

        self.save_png = QPushButton(self.tr("Save &PNG…"), tab)
        self.save_png.setAccessibleName(self.tr("Save the code as PNG"))
        self.save_png.clicked.connect(lambda: self._save_dialog("png"))
        self.save_svg = QPushButton(self.tr("Save S&VG…"), tab)
        self.save_svg.setAccessibleName(self.tr("Save the code as SVG"))
        self.save_svg.clicked.connect(lambda: self._save_dialog("svg"))
        self.copy_image = QPushButton(self.tr("Cop&y image"), tab)
        self.copy_image.setAccessibleName(self.tr("Copy the code image to the clipboard"))
        self.copy_image.clicked.connect(self.copy_image_to_clipboard)
        self.next_agent = QPushButton(self.tr("&Next agent"), tab)
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
        layout = QHBoxLayout(tab)
        layout.addLayout(left, 1)
        layout.addLayout(right)
        return tab

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

    # ---- batch ---------------------------------------------------------------------------------

    def _build_batch(self) -> QWidget:
        tab = QWidget()
        self.batch_kind = QComboBox(tab)
        self.batch_kind.setAccessibleName(self.tr("Kind of codes in the batch"))
        self.batch_kind.addItem(self.tr("Sign-in codes"), "signin")
        self.batch_kind.addItem(self.tr("SIP account codes (with PINs)"), "sip")
        self.batch_kind.currentIndexChanged.connect(self._batch_kind_changed)
        self.batch_default = QLineEdit(tab)
        self.batch_default.setAccessibleName(self.tr("Default for rows without one"))
        self.batch_days = QSpinBox(tab)
        self.batch_days.setAccessibleName(self.tr("Codes valid for, days"))
        self.batch_days.setRange(0, 365)
        self.batch_days.setSuffix(self.tr(" days"))
        self.batch_title = QLineEdit(tab)
        self.batch_title.setAccessibleName(self.tr("Sheet title"))
        self.batch_title.setPlaceholderText(self.tr("e.g. Night shift, March"))
        self.columns_help = QLabel(tab)
        self.columns_help.setObjectName("columnsHelp")
        self.columns_help.setWordWrap(True)
        self.columns_help.setAccessibleName(self.tr("CSV columns"))
        self.columns_help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        doc = (qr_make.__doc__ or "").split("Batch CSV", 1)[-1].strip()
        self.columns_help.setToolTip("Batch CSV " + doc if doc else "")
        self.default_label = QLabel(tab)
        form = QFormLayout()
        form.addRow(self.tr("&Kind:"), self.batch_kind)
        form.addRow(self.default_label, self.batch_default)
        self.default_label.setBuddy(self.batch_default)
        form.addRow(self.tr("&Valid for:"), self.batch_days)
        form.addRow(self.tr("Sheet &title:"), self.batch_title)
        form.addRow(self.tr("Columns:"), self.columns_help)

        self.choose_csv = QPushButton(self.tr("&Choose CSV…"), tab)
        self.choose_csv.setAccessibleName(self.tr("Choose a CSV file of agents"))
        self.choose_csv.clicked.connect(self._choose_csv)
        self.cancel_batch = QPushButton(self.tr("Cancel"), tab)
        self.cancel_batch.setAccessibleName(self.tr("Cancel making the batch"))
        self.cancel_batch.clicked.connect(self._cancel_batch.set)
        self.cancel_batch.hide()
        self.progress = QProgressBar(tab)
        self.progress.setAccessibleName(self.tr("Batch progress"))
        self.progress.hide()
        self.batch_summary = QLabel(tab)
        self.batch_summary.setWordWrap(True)
        self.batch_summary.setAccessibleName(self.tr("Batch report"))
        self.report = QTableWidget(0, 4, tab)
        self.report.setAccessibleName(self.tr("Rows of the CSV file"))
        self.report.setHorizontalHeaderLabels(
            [self.tr("Line"), self.tr("Name"), self.tr("Extension"), self.tr("Status")]
        )
        self.report.verticalHeader().hide()
        self.report.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.report.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.report.setWordWrap(False)
        header = self.report.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.report.itemSelectionChanged.connect(self._row_selected)
        self.batch_preview = QLabel(tab)
        self.batch_preview.setAccessibleName(self.tr("Selected agent's code"))
        self.batch_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.batch_preview.setFixedSize(180, 180)
        self.batch_preview.setFrameShape(QLabel.Shape.StyledPanel)

        self.save_sheet = QPushButton(self.tr("Save PDF &sheet…"), tab)
        self.save_sheet.setAccessibleName(self.tr("Save the printable sheet of codes"))
        self.save_sheet.clicked.connect(self._save_sheet_dialog)
        self.save_pins = QPushButton(self.tr("Save PIN &list…"), tab)
        self.save_pins.setAccessibleName(self.tr("Save the PIN list, apart from the sheet"))
        self.save_pins.clicked.connect(self._save_pins_dialog)

        top = QHBoxLayout()
        top.addLayout(form, 1)
        top.addWidget(self.batch_preview, 0, Qt.AlignmentFlag.AlignTop)
        run_row = QHBoxLayout()
        run_row.addWidget(self.choose_csv)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.cancel_batch)
        run_row.addStretch(0)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_sheet)
        save_row.addWidget(self.save_pins)
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addLayout(run_row)
        layout.addWidget(self.batch_summary)
        layout.addWidget(self.report, 1)
        layout.addLayout(save_row)
        return tab

    def _batch_kind_changed(self) -> None:
        kind = self.batch_kind.currentData()
        sip = kind == "sip"
        self.default_label.setText(self.tr("SIP &server:") if sip else self.tr("Company &code:"))
        self.batch_default.setPlaceholderText(
            self.tr("for rows without a server column")
            if sip
            else self.tr("for rows without a company column")
        )
        self.batch_days.setSpecialValueText("" if sip else self.tr("No expiry"))
        self.batch_days.setMinimum(1 if sip else 0)
        self.batch_days.setValue(qr_make.DEFAULT_SIP_VALID_DAYS if sip else 0)
        self.columns_help.setText(batch_columns_help(kind))
        self._show_batch(None)

    def _choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose the agents' CSV file"), "", self.tr("CSV files (*.csv)")
        )
        if path:
            self.load_batch(Path(path))

    def load_batch(self, path: Path) -> None:
        """Read and check the CSV on the worker (SIP codes cost one scrypt each)."""
        kind = str(self.batch_kind.currentData())
        default = self.batch_default.text().strip()
        days = self.batch_days.value()
        defaults = qr_make.BatchDefaults(
            kind=kind,
            company=default if kind == "signin" else "",
            server=default if kind == "sip" else "",
            valid_days=float(days) if days else None,
        )
        try:
            total = sum(1 for line in path.read_text("utf-8-sig").splitlines()[1:] if line.strip())
        except (OSError, UnicodeDecodeError):
            total = 0
        self._show_batch(None)
        self._cancel_batch.clear()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_batch.show()
        self.choose_csv.setEnabled(False)
        self.batch_summary.setText(self.tr("Reading %1…").replace("%1", path.name))
        relay, cancel = self._relay, self._cancel_batch
        done = [0]

        def on_row(line: int) -> None:
            if cancel.is_set():
                raise _Cancelled
            done[0] += 1
            with contextlib.suppress(RuntimeError):
                relay.progress.emit(done[0], total)

        self._batch_kind = kind
        self._run(lambda: qr_make.read_batch(path, defaults, on_row=on_row), self._batch_read)

    def _batch_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, done, 1))
        self.progress.setValue(done)

    def _batch_read(self, value: object) -> None:
        self.progress.hide()
        self.cancel_batch.hide()
        self.choose_csv.setEnabled(True)
        if isinstance(value, qr_make.BatchResult):
            self._show_batch(value)
        elif isinstance(value, _Cancelled):
            self.batch_summary.setText(self.tr("Cancelled; nothing was made."))
        elif isinstance(value, VicifastError):
            self.batch_summary.setText(str(value))
        else:
            self.batch_summary.setText(self.tr("The CSV file could not be read."))

    def _show_batch(self, result: qr_make.BatchResult | None) -> None:
        self._batch = result
        self._sheet_path = None
        self.report.setRowCount(0)
        self.batch_preview.clear()
        sip = self._batch_kind == "sip"
        self.save_sheet.setEnabled(bool(result and result.entries))
        self.save_pins.setEnabled(bool(result and result.entries and sip))
        self.save_pins.setVisible(self.batch_kind.currentData() == "sip")
        if result is None:
            self.batch_summary.setText(
                self.tr("Choose a CSV file: one agent per row, with a header row.")
            )
            return
        rows: list[tuple[int, str, str, str, bool]] = [
            (e.line, e.name, e.extension, self.tr("ready"), True) for e in result.entries
        ]
        rows += [(p.line, "", "", _for_the_form(p.message), False) for p in result.problems]
        rows.sort()
        self.report.setRowCount(len(rows))
        dark = self.palette().window().color().lightness() < 128
        bad = QColor("#ff8a80" if dark else "#b3261e")
        for index, (line, name, ext, status, ok) in enumerate(rows):
            cells = (str(line), name, ext, status)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, line if ok else None)
                if not ok:
                    item.setForeground(bad)
                    item.setToolTip(status)
                self.report.setItem(index, col, item)
        good, skipped = len(result.entries), len(result.problems)
        text = self.tr("%n code(s) ready", "", good)
        if skipped:
            text += self.tr("; %n row(s) skipped (see the lines in red)", "", skipped)
        if sip and good:
            text += self.tr(". Save the sheet and the PIN list to separate files")
        self.batch_summary.setText(text + ".")

    def batch_report(self) -> list[tuple[str, str]]:
        """(line, status) for every row the table shows."""
        report = []
        for row in range(self.report.rowCount()):
            line, status = self.report.item(row, 0), self.report.item(row, 3)
            if line is not None and status is not None:
                report.append((line.text(), status.text()))
        return report

    def _row_selected(self) -> None:
        items = self.report.selectedItems()
        line = items[0].data(Qt.ItemDataRole.UserRole) if items else None
        entry = (
            next((e for e in self._batch.entries if e.line == line), None) if self._batch else None
        )
        if entry is None:
            self.batch_preview.clear()
            return
        self.batch_preview.setPixmap(code_pixmap(entry.uri, 164, self.devicePixelRatioF()))

    def save_batch_sheet(self, path: Path, on_done: Callable[[object], None] | None = None) -> None:
        """Write the PDF of codes (no PIN on it) on the worker."""
        if not self._batch or not self._batch.entries:
            return
        items = [qr_sheet.SheetItem(e.uri, e.name, e.extension) for e in self._batch.entries]
        title = self.batch_title.text().strip()
        self._sheet_path = path
        self.batch_summary.setText(self.tr("Writing the sheet…"))
        self._run(
            lambda: qr_sheet.write_sheet(items, path, title=title),
            lambda value: self._saved(value, path, self.tr("sheet"), on_done),
        )

    def save_batch_pins(self, path: Path, on_done: Callable[[object], None] | None = None) -> None:
        """Write the PIN list (PDF or CSV by suffix), never to the sheet's file."""
        if not self._batch or not self._batch.entries or self._batch_kind != "sip":
            return
        if self._sheet_path is not None and path.resolve() == self._sheet_path.resolve():
            self.batch_summary.setText(
                self.tr("Save the PIN list to another file than the sheet: they go apart.")
            )
            return
        entries = list(self._batch.entries)
        title = self.batch_title.text().strip()

        def work() -> object:
            if path.suffix.lower() == ".pdf":
                items = [qr_sheet.PinItem(e.name, e.extension, e.pin) for e in entries]
                return qr_sheet.write_pin_sheet(items, path, title=title)
            qr_make.write_pin_list(entries, path)
            return None

        self.batch_summary.setText(self.tr("Writing the PIN list…"))
        self._run(work, lambda value: self._saved(value, path, self.tr("PIN list"), on_done))

    def _saved(
        self, value: object, path: Path, what: str, on_done: Callable[[object], None] | None
    ) -> None:
        if isinstance(value, VicifastError):
            self.batch_summary.setText(str(value))
        elif isinstance(value, BaseException):
            self.batch_summary.setText(self.tr("Could not write %1.").replace("%1", path.name))
        else:
            self.batch_summary.setText(
                self.tr("Saved the %1 to %2.").replace("%1", what).replace("%2", str(path))
            )
        if on_done is not None:
            on_done(value)

    def _save_sheet_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the sheet of QR codes"), "vicifast-codes.pdf", "PDF (*.pdf)"
        )
        if path:
            self.save_batch_sheet(
                Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf")
            )

    def _save_pins_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            self.tr("Save the PIN list (keep it apart from the sheet)"),
            "vicifast-pins.pdf",
            self.tr("PDF (*.pdf);;CSV (*.csv)"),
        )
        if path:
            target = Path(path)
            if target.suffix.lower() not in (".pdf", ".csv"):
                target = Path(path + (".csv" if "csv" in chosen.lower() else ".pdf"))
            self.save_batch_pins(target)

    # ---- worker ----------------------------------------------------------------------------------

    def _run(self, work: Callable[[], object], handler: Callable[[object], None]) -> None:
        if self._closed:
            return
        self._job += 1
        token = self._job
        self._handlers[token] = handler
        relay = self._relay

        def finished(future: Future[Any]) -> None:
            error = future.exception()
            with contextlib.suppress(RuntimeError):
                relay.jobDone.emit(token, error if error is not None else future.result())

        self._pool.submit(work).add_done_callback(finished)

    def _job_done(self, token: int, value: object) -> None:
        handler = self._handlers.pop(token, None)
        if handler is not None and not self._closed:
            handler(value)

    def shutdown(self) -> None:
        """Stop the worker (the window calls this when it closes)."""
        if self._closed:
            return
        self._closed = True
        self._cancel_batch.set()
        self._debounce.stop()
        self._pin = ""
        self._batch = None
        self._pool.shutdown(wait=True, cancel_futures=True)


def _for_the_form(message: str) -> str:
    """qr_make's problems name the command line's options; here they are fields above."""
    return message.replace("pass --server", "fill in SIP server above").replace(
        "pass --company", "fill in Company code above"
    )
