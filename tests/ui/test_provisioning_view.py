"""ProvisioningView: the live preview encodes what is typed; a SIP code's PIN is shown in its own
box and never lands in the code image, the clipboard image or the QR sheet; a batch reports bad
rows by line and writes the sheet and the PIN list as separate files."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from softphone.provisioning import qr_decode, qr_format
from softphone.ui.provisioning_view import ProvisioningView
from softphone.ui.qr_scan_dialog import qimage_to_gray


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[ProvisioningView]:
    widget = ProvisioningView()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.shutdown()


def decoded(image: QImage) -> str:
    if image.isNull():
        return ""
    found = qr_decode.scan_image(qimage_to_gray(image), accept=qr_decode.any_text)
    return found.text if found else ""


def preview_text(view: ProvisioningView) -> str:
    return decoded(view.preview.pixmap().toImage())


def pdf_text(path: Path) -> str:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    text = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
    document.close()
    return text


def test_typing_updates_the_preview(qtbot: QtBot, view: ProvisioningView) -> None:
    assert view.preview.pixmap().isNull() and not view.save_png.isEnabled()
    qtbot.keyClicks(view.company, "acme")
    qtbot.waitUntil(lambda: preview_text(view) == "vicifast://signin?v=1&c=acme", timeout=5000)
    qtbot.keyClicks(view.username, "jdoe")
    qtbot.waitUntil(
        lambda: preview_text(view) == "vicifast://signin?v=1&c=acme&u=jdoe", timeout=5000
    )
    assert view.current_uri() == "vicifast://signin?v=1&c=acme&u=jdoe"
    assert not view.pin_box.isVisible()  # a sign-in code has no PIN
    qtbot.keyClicks(view.company, " bad!")
    qtbot.waitUntil(lambda: "company code" in view.problem.text(), timeout=5000)
    assert view.preview.pixmap().isNull() and not view.save_png.isEnabled()


def fill_sip(qtbot: QtBot, view: ProvisioningView) -> None:
    view.kind.setCurrentIndex(view.kind.findData("sip"))
    qtbot.keyClicks(view.server, "sip.acme.example")
    qtbot.keyClicks(view.extension, "1001")
    qtbot.keyClicks(view.password, "s3cret-pw")
    qtbot.keyClicks(view.display_name, "Ann Lee")


def test_a_sip_code_shows_its_pin_once_apart_and_never_in_the_image(
    qtbot: QtBot, view: ProvisioningView, tmp_path: Path
) -> None:
    fill_sip(qtbot, view)
    assert view.password.echoMode() == QLineEdit.EchoMode.Password
    qtbot.waitUntil(lambda: view.current_uri().startswith("vicifast://sip?"), timeout=10000)
    qtbot.waitUntil(lambda: preview_text(view) == view.current_uri(), timeout=5000)
    pin = view.current_pin()
    assert view.pin_box.isVisible() and view.pin_label.text() == pin
    assert len(pin) == 8 and pin.isdigit()
    account = qr_format.decode(preview_text(view), pin)
    assert isinstance(account, qr_format.SipAccountCode)
    assert account.server == "sip.acme.example" and account.password.reveal() == "s3cret-pw"

    png, svg = tmp_path / "code.png", tmp_path / "code.svg"
    view.save_image(png)
    view.save_image(svg)
    for path in (png, svg):
        assert pin.encode() not in path.read_bytes()
        assert b"s3cret" not in path.read_bytes()
    scanned = qr_decode.scan_image(png)
    assert scanned is not None and scanned.text == view.current_uri() and pin not in scanned.text

    view.copy_image_to_clipboard()
    assert decoded(QGuiApplication.clipboard().image()) == view.current_uri()
    qtbot.mouseClick(view.copy_pin, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == pin

    qtbot.mouseClick(view.next_agent, Qt.MouseButton.LeftButton)
    assert view.current_pin() == "" and view.pin_label.text() == ""
    assert view.password.text() == "" and view.extension.text() == ""
    assert view.server.text() == "sip.acme.example"  # shared by the team: kept
    qtbot.keyClicks(view.extension, "1002")
    qtbot.keyClicks(view.password, "other-pw")
    qtbot.waitUntil(lambda: view.current_uri().startswith("vicifast://sip?"), timeout=10000)
    assert view.current_pin() != pin  # a new agent gets a new PIN


SIP_CSV = (
    "name,extension,password,server\n"
    "Ann Lee,1001,pw-ann,sip.acme.example\n"
    "Bob,1002,,sip.acme.example\n"
    "Cy Young,1003,pw-cy,\n"
    "Dee,1004,pw-dee,sip.acme.example\n"
)


def test_a_batch_reports_bad_rows_by_line_and_writes_sheet_and_pins_apart(
    qtbot: QtBot, view: ProvisioningView, tmp_path: Path
) -> None:
    csv_path = tmp_path / "agents.csv"
    csv_path.write_text(SIP_CSV, encoding="utf-8")
    view.tabs.setCurrentIndex(1)
    view.batch_kind.setCurrentIndex(view.batch_kind.findData("sip"))
    assert "password" in view.columns_help.text() and "display_name" in view.columns_help.text()
    view.load_batch(csv_path)
    qtbot.waitUntil(lambda: "code(s) ready" in view.batch_summary.text(), timeout=20000)
    assert "2 code(s) ready" in view.batch_summary.text()
    report = dict(view.batch_report())
    assert report["2"] == "ready" and report["5"] == "ready"
    assert "password" in report["3"] and "server" in report["4"]
    assert view.progress.isHidden() and view.progress.value() == 4

    sheet, pins = tmp_path / "sheet.pdf", tmp_path / "pins.pdf"
    done: list[object] = []
    view.save_batch_sheet(sheet, done.append)
    qtbot.waitUntil(lambda: len(done) == 1, timeout=20000)
    view.save_batch_pins(sheet, done.append)  # the sheet's own file: refused
    assert "another file" in view.batch_summary.text() and len(done) == 1
    view.save_batch_pins(pins, done.append)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=20000)
    assert done == [1, 1]  # one page each

    assert view._batch is not None
    entry_pins = [e.pin for e in view._batch.entries]
    sheet_text, pins_text = pdf_text(sheet), pdf_text(pins)
    assert "Ann Lee" in sheet_text and "Dee" in sheet_text
    assert all(pin not in sheet_text for pin in entry_pins)
    assert all(pin.encode() not in sheet.read_bytes() for pin in entry_pins)
    assert all(pin in pins_text for pin in entry_pins) and "Ann Lee" in pins_text
    assert stat.S_IMODE(pins.stat().st_mode) == 0o600
    assert all(pin not in view.batch_summary.text() for pin in entry_pins)

    pins_csv = tmp_path / "pins.csv"
    view.save_batch_pins(pins_csv, done.append)
    qtbot.waitUntil(lambda: len(done) == 3, timeout=20000)
    assert all(pin in pins_csv.read_text() for pin in entry_pins)


def test_a_batch_with_a_bad_header_says_what_is_wrong(
    qtbot: QtBot, view: ProvisioningView, tmp_path: Path
) -> None:
    csv_path = tmp_path / "agents.csv"
    csv_path.write_text("name,phone\nAnn,1001\n", encoding="utf-8")
    view.load_batch(csv_path)
    qtbot.waitUntil(lambda: "line 1" in view.batch_summary.text(), timeout=10000)
    assert "missing: extension" in view.batch_summary.text()
    assert not view.save_sheet.isEnabled()
