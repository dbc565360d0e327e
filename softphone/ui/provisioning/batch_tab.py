"""The provisioning pane's "Batch from CSV" tab: one code per row of a CSV file, a report of the
rows by line, a printable PDF sheet and a separate PIN list.

A batch's PINs are never shown; they leave the app only through "Save PIN list…", a file apart
from the sheet (which never carries a PIN). Reading the CSV (one scrypt per SIP code) and writing
the PDFs run on the pane's worker; the reading's progress comes to the GUI thread through the
bridge, and Cancel stops it between rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from softphone.core.errors import VicifastError
from softphone.provisioning import qr_make
from softphone.ui import qr_sheet
from softphone.ui.bridge import QtBridge
from softphone.ui.look import Tone, tone_color
from softphone.ui.provisioning.code_image import code_pixmap
from softphone.ui.provisioning.worker import Worker

SKIPPED_LISTED = 5  # skipped rows named in the summary; the table shows every one


class _Cancelled(Exception):
    pass


def batch_columns_help(kind: str) -> str:
    """The CSV columns, from qr_make's own lists (so this text follows the code)."""
    extra = qr_make.SIGNIN_COLUMNS if kind == "signin" else qr_make.SIP_COLUMNS
    required = list(qr_make.COMMON_COLUMNS) + (["password"] if kind == "sip" else [])
    optional = [c for c in extra if c not in required]
    text = QCoreApplication.translate("ProvisioningView", "Required: {0}. Optional: {1}.")
    return text.format(", ".join(required), ", ".join(optional))


class BatchTab(QWidget):
    """Make a batch of codes from a CSV file. Signals: none (it writes files only when the
    supervisor asks)."""

    def __init__(self, bridge: QtBridge, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._run = worker
        self._batch: qr_make.BatchResult | None = None
        self._batch_kind = "signin"
        self._sheet_path: Path | None = None
        self._cancel_batch = threading.Event()

        self.batch_kind = QComboBox(self)
        self.batch_kind.setAccessibleName(self.tr("Kind of codes in the batch"))
        self.batch_kind.addItem(self.tr("Sign-in codes"), "signin")
        self.batch_kind.addItem(self.tr("SIP account codes (with PINs)"), "sip")
        self.batch_kind.currentIndexChanged.connect(self._batch_kind_changed)
        self.batch_default = QLineEdit(self)
        self.batch_default.setAccessibleName(self.tr("Default for rows without one"))
        self.batch_days = QSpinBox(self)
        self.batch_days.setAccessibleName(self.tr("Codes valid for, days"))
        self.batch_days.setRange(0, 365)
        self.batch_days.setSuffix(self.tr(" days"))
        self.batch_title = QLineEdit(self)
        self.batch_title.setAccessibleName(self.tr("Sheet title"))
        self.batch_title.setPlaceholderText(self.tr("e.g. Night shift, March"))
        self.columns_help = QLabel(self)
        self.columns_help.setObjectName("columnsHelp")
        self.columns_help.setWordWrap(True)
        self.columns_help.setAccessibleName(self.tr("CSV columns"))
        self.columns_help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        doc = (qr_make.__doc__ or "").split("Batch CSV", 1)[-1].strip()
        self.columns_help.setToolTip("Batch CSV " + doc if doc else "")
        self.default_label = QLabel(self)
        form = QFormLayout()
        form.addRow(self.tr("&Kind:"), self.batch_kind)
        form.addRow(self.default_label, self.batch_default)
        self.default_label.setBuddy(self.batch_default)
        form.addRow(self.tr("&Valid for:"), self.batch_days)
        form.addRow(self.tr("Sheet &title:"), self.batch_title)
        form.addRow(self.tr("Columns:"), self.columns_help)

        self.choose_csv = QPushButton(self.tr("&Choose CSV…"), self)
        self.choose_csv.setAccessibleName(self.tr("Choose a CSV file of agents"))
        self.choose_csv.clicked.connect(self._choose_csv)
        self.cancel_batch = QPushButton(self.tr("Cancel"), self)
        self.cancel_batch.setAccessibleName(self.tr("Cancel making the batch"))
        self.cancel_batch.clicked.connect(self._cancel_batch.set)
        self.cancel_batch.hide()
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName(self.tr("Batch progress"))
        self.progress.hide()
        self.batch_summary = QLabel(self)
        self.batch_summary.setWordWrap(True)
        self.batch_summary.setTextFormat(Qt.TextFormat.PlainText)  # names from the CSV, as typed
        self.batch_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.batch_summary.setAccessibleName(self.tr("Batch report"))
        self.report = QTableWidget(0, 4, self)
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
        self.batch_preview = QLabel(self)
        self.batch_preview.setAccessibleName(self.tr("Selected agent's code"))
        self.batch_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.batch_preview.setFixedSize(180, 180)
        self.batch_preview.setFrameShape(QLabel.Shape.StyledPanel)

        self.save_sheet = QPushButton(self.tr("Save PDF &sheet…"), self)
        self.save_sheet.setAccessibleName(self.tr("Save the printable sheet of codes"))
        self.save_sheet.clicked.connect(self._save_sheet_dialog)
        self.save_pins = QPushButton(self.tr("Save PIN &list…"), self)
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
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(run_row)
        layout.addWidget(self.batch_summary)
        layout.addWidget(self.report, 1)
        layout.addLayout(save_row)
        self._batch_kind_changed()  # the labels, expiry, columns and buttons of the first kind

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
        bridge, cancel = self._bridge, self._cancel_batch
        done = [0]

        def on_row(line: int) -> None:
            if cancel.is_set():
                raise _Cancelled
            done[0] += 1
            count = done[0]
            bridge.post_call(lambda: self._batch_progress(count, total), owner=self)

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
        rows += [
            (p.line, p.name, p.extension, _for_the_form(p.message), False) for p in result.problems
        ]
        rows.sort()
        self.report.setRowCount(len(rows))
        bad = tone_color(Tone.BAD, self.palette())
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
        if sip and good:
            text += self.tr(". Save the sheet and the PIN list to separate files")
        text += "."
        if skipped:
            text += "\n" + self.tr("%n row(s) skipped (in red below):", "", skipped)
            for problem in sorted(result.problems, key=lambda p: p.line)[:SKIPPED_LISTED]:
                text += "\n" + self._skipped_row(problem)
            if skipped > SKIPPED_LISTED:
                text += "\n" + self.tr("…and %n more.", "", skipped - SKIPPED_LISTED)
        self.batch_summary.setText(text)

    def _skipped_row(self, problem: qr_make.BatchProblem) -> str:
        """A skipped row as the supervisor finds it: "Line 4, Bob (extension 1003): why"."""
        name, extension = problem.name, problem.extension
        if name and extension:
            who = self.tr("%1 (extension %2)").replace("%1", name).replace("%2", extension)
        elif name:
            who = self.tr("%1 (no extension)").replace("%1", name)
        elif extension:
            who = self.tr("extension %1 (no name)").replace("%1", extension)
        else:
            who = self.tr("no name or extension")
        return (
            self.tr("Line %1, %2: %3")
            .replace("%1", str(problem.line))
            .replace("%2", who)
            .replace("%3", _for_the_form(problem.message))
        )

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
            self._nothing_to_save()
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
            self._nothing_to_save()
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

    def _nothing_to_save(self) -> None:
        self.batch_summary.setText(
            self.tr("There are no codes to save yet: choose a CSV file of agents first.")
        )

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
        if not self._batch or not self._batch.entries:
            self._nothing_to_save()  # no file dialog for a sheet that cannot be written
            return
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the sheet of QR codes"), "vicifast-codes.pdf", "PDF (*.pdf)"
        )
        if path:
            self.save_batch_sheet(
                Path(path) if path.lower().endswith(".pdf") else Path(path + ".pdf")
            )

    def _save_pins_dialog(self) -> None:
        if not self._batch or not self._batch.entries or self._batch_kind != "sip":
            self._nothing_to_save()
            return
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

    def stop(self) -> None:
        """Cancel a batch being read and forget the one made (the pane is closing)."""
        self._cancel_batch.set()
        self._batch = None


def _for_the_form(message: str) -> str:
    """qr_make's problems name the command line's options; here they are fields above."""
    return message.replace("pass --server", "fill in SIP server above").replace(
        "pass --company", "fill in Company code above"
    )
