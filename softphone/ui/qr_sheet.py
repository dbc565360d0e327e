"""The printable sheet of QR codes: several codes per A4 page, name and extension under each.

Drawn with Qt's PDF writer (vector modules, so codes stay sharp at any printer resolution).
Only codes and labels go on the sheet; PINs never do: they go to a separate list, a CSV
(softphone.provisioning.qr_make) or the separate PDF :func:`write_pin_sheet` draws. Runs on the
thread that calls it; needs a QGuiApplication for fonts and creates an offscreen one when there
is none (the command line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)
from PySide6.QtWidgets import QApplication

from softphone.core.errors import VicifastError
from softphone.provisioning.qr_errors import QrImageError
from softphone.provisioning.qr_format import SCHEME
from softphone.provisioning.qr_make import modules

DPI: Final = 600
COLUMNS: Final = 3
ROWS: Final = 4
MARGIN_MM: Final = 12.0
QUIET_MODULES: Final = 4
_SIP_PREFIX: Final = f"{SCHEME}sip?"


@dataclass(frozen=True, slots=True)
class SheetItem:
    uri: str
    name: str
    extension: str


@dataclass(frozen=True, slots=True)
class PinItem:
    name: str
    extension: str
    pin: str = field(repr=False)


PIN_ROWS: Final = 24


def _mm(value: float) -> float:
    return value / 25.4 * DPI


_app: QGuiApplication | None = None


def _ensure_gui_app() -> None:
    global _app  # noqa: PLW0603 - one application object per process, kept alive here
    existing = QGuiApplication.instance()
    if existing is None:
        # A QApplication (not just a QGuiApplication): the process may go on to show widgets
        # (the GUI, or pytest-qt after a command-line test), which needs the widget subclass.
        _app = QApplication(["vicifast-phone", "-platform", "offscreen"])
    elif not isinstance(existing, QGuiApplication):
        # Fonts need a GUI application; Qt aborts the process rather than raise without one.
        raise VicifastError(
            "Cannot draw the PDF sheet in this process: it already runs a non-GUI Qt "
            "application. Run the sheet from the app or the command line."
        )


def _begin(path: Path, title: str) -> tuple[QPdfWriter, QPainter]:
    _ensure_gui_app()
    writer = QPdfWriter(str(path))
    writer.setResolution(DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    writer.setTitle(title)
    writer.setCreator("VICIfast Desktop")
    painter = QPainter()
    if not painter.begin(writer):
        raise QrImageError(f"Cannot write {path}: the PDF file could not be created.")
    return writer, painter


def write_sheet(items: Sequence[SheetItem], path: Path, *, title: str = "") -> int:
    """Write the PDF; returns the number of pages."""
    if not items:
        raise QrImageError("There is no code to put on the sheet.")
    writer, painter = _begin(path, title or "VICIfast QR codes")
    per_page = COLUMNS * ROWS
    pages = 0
    try:
        for start in range(0, len(items), per_page):
            if start:
                writer.newPage()
            _draw_page(painter, items[start : start + per_page], pages + 1, title)
            pages += 1
    finally:
        painter.end()
    if not path.is_file():
        raise QrImageError(f"Cannot write {path}.")
    return pages


def write_pin_sheet(items: Sequence[PinItem], path: Path, *, title: str = "") -> int:
    """The PIN list as its own PDF (never the codes' sheet): a table to cut into slips, one per
    agent. Only the owner may read the file. Returns the number of pages."""
    if not items:
        raise QrImageError("There is no PIN to put on the list.")
    try:  # owner-only before the first byte is written
        path.touch(mode=0o600)
        path.chmod(0o600)
    except OSError as err:
        raise QrImageError(f"Cannot write the PIN list {path}: {err.strerror}.") from None
    writer, painter = _begin(path, f"{title or 'VICIfast'} PINs")
    pages = 0
    try:
        for start in range(0, len(items), PIN_ROWS):
            if start:
                writer.newPage()
            _draw_pin_page(painter, items[start : start + PIN_ROWS], pages + 1, title)
            pages += 1
    finally:
        painter.end()
    return pages


def _draw_pin_page(painter: QPainter, items: Sequence[PinItem], page: int, title: str) -> None:
    width = _mm(210.0)
    margin = _mm(MARGIN_MM) * 1.5
    header = _mm(16.0)
    row_h = (_mm(297.0) - 2 * margin - header) / PIN_ROWS
    inner = width - 2 * margin
    columns = (0.0, inner * 0.55, inner * 0.75)
    small = QFont("Helvetica")
    small.setPointSizeF(8.5)
    painter.setFont(small)
    painter.setPen(Qt.GlobalColor.black)
    painter.drawText(
        QRectF(margin, margin, inner, header),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
        f"{title or 'VICIfast'} — SIP account PINs, page {page}. Keep this list apart from the "
        "QR sheet; cut along the lines and give each agent only their own PIN.",
    )
    text_font = QFont("Helvetica")
    text_font.setPointSizeF(10.0)
    pin_font = QFont("Courier")
    pin_font.setPointSizeF(12.0)
    pin_font.setBold(True)
    dashed = QPen(Qt.GlobalColor.darkGray)
    dashed.setStyle(Qt.PenStyle.DashLine)
    dashed.setWidthF(_mm(0.2))
    top = margin + header
    for index, item in enumerate(items):
        y = top + index * row_h
        cells = (item.name, f"Ext. {item.extension}", item.pin)
        for col, text in enumerate(cells):
            painter.setFont(pin_font if col == 2 else text_font)
            painter.setPen(Qt.GlobalColor.black)
            left = margin + columns[col]
            right = margin + (columns[col + 1] if col + 1 < len(columns) else inner)
            painter.drawText(
                QRectF(left, y, right - left, row_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                painter.fontMetrics().elidedText(
                    text, Qt.TextElideMode.ElideRight, int(right - left - _mm(2.0))
                ),
            )
        painter.setPen(dashed)
        painter.drawLine(QPointF(margin, y + row_h), QPointF(margin + inner, y + row_h))
    painter.setPen(Qt.GlobalColor.black)


def sheet_header(items: Sequence[SheetItem], page: int, title: str = "") -> str:
    """The line atop a page of codes. Only SIP account codes have a PIN, so only a page with
    one of them says where the PIN is (a sign-in code needs none)."""
    text = f"{title or 'VICIfast QR codes'} — page {page}. Scan in the VICIfast app."
    if any(item.uri.startswith(_SIP_PREFIX) for item in items):
        text += " The PIN for a SIP account code comes separately."
    return text


def _draw_page(painter: QPainter, items: Sequence[SheetItem], page: int, title: str) -> None:
    width, height = _mm(210.0), _mm(297.0)
    margin = _mm(MARGIN_MM)
    header = _mm(8.0)
    cell_w = (width - 2 * margin) / COLUMNS
    cell_h = (height - 2 * margin - header) / ROWS
    label_h = _mm(11.0)
    code_side = min(cell_w - _mm(6.0), cell_h - label_h - _mm(4.0))

    small = QFont("Helvetica")
    small.setPointSizeF(8.0)
    painter.setFont(small)
    painter.setPen(Qt.GlobalColor.black)
    painter.drawText(
        QRectF(margin, margin, width - 2 * margin, header),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        sheet_header(items, page, title),
    )
    name_font = QFont("Helvetica")
    name_font.setPointSizeF(10.0)
    name_font.setBold(True)
    ext_font = QFont("Helvetica")
    ext_font.setPointSizeF(9.0)
    for index, item in enumerate(items):
        col, row = index % COLUMNS, index // COLUMNS
        x = margin + col * cell_w
        y = margin + header + row * cell_h
        left = x + (cell_w - code_side) / 2
        _draw_code(painter, item.uri, left, y + _mm(2.0), code_side)
        label_top = y + _mm(2.0) + code_side
        painter.setFont(name_font)
        painter.drawText(
            QRectF(x, label_top, cell_w, label_h / 2),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(item.name, Qt.TextElideMode.ElideRight, int(cell_w)),
        )
        painter.setFont(ext_font)
        painter.drawText(
            QRectF(x, label_top + label_h / 2, cell_w, label_h / 2),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
            f"Ext. {item.extension}",
        )


def _draw_code(painter: QPainter, uri: str, left: float, top: float, side: float) -> None:
    matrix = modules(uri)
    count = len(matrix) + 2 * QUIET_MODULES
    module = side / count
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(Qt.GlobalColor.black)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            run = c
            while run < len(row) and row[run]:
                run += 1
            painter.drawRect(
                QRectF(
                    left + (QUIET_MODULES + c) * module,
                    top + (QUIET_MODULES + r) * module,
                    (run - c) * module,
                    module,
                )
            )
            c = run
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(Qt.GlobalColor.black)
