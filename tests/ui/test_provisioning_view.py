"""ProvisioningView: the live preview encodes what is typed; a SIP code's PIN is shown in its own
box and never lands in the code image, the clipboard image or the QR sheet; a batch reports bad
rows by line and writes the sheet and the PIN list as separate files."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QFileDialog, QLineEdit
from pytestqt.qtbot import QtBot

from softphone.provisioning import qr_decode, qr_format, qr_make
from softphone.ui.bridge import QtBridge
from softphone.ui.provisioning.batch_tab import batch_columns_help
from softphone.ui.provisioning.view import ProvisioningView
from softphone.ui.qr_scan.images import qimage_to_gray


@pytest.fixture
def view(qtbot: QtBot, bridge: QtBridge) -> Iterator[ProvisioningView]:
    widget = ProvisioningView(bridge)
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
    return decoded(view.one.preview.pixmap().toImage())


def pdf_text(path: Path) -> str:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    text = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
    document.close()
    return text


def test_typing_updates_the_preview(qtbot: QtBot, view: ProvisioningView) -> None:
    assert view.one.preview.pixmap().isNull() and not view.one.save_png.isEnabled()
    qtbot.keyClicks(view.one.company, "acme")
    qtbot.waitUntil(lambda: preview_text(view) == "vicifast://signin?v=1&c=acme", timeout=5000)
    qtbot.keyClicks(view.one.username, "jdoe")
    qtbot.waitUntil(
        lambda: preview_text(view) == "vicifast://signin?v=1&c=acme&u=jdoe", timeout=5000
    )
    assert view.one.current_uri() == "vicifast://signin?v=1&c=acme&u=jdoe"
    assert not view.one.pin_box.isVisible()  # a sign-in code has no PIN
    qtbot.keyClicks(view.one.company, " bad!")
    qtbot.waitUntil(lambda: "company code" in view.one.problem.text(), timeout=5000)
    assert view.one.preview.pixmap().isNull() and not view.one.save_png.isEnabled()


def fill_sip(qtbot: QtBot, view: ProvisioningView) -> None:
    view.one.kind.setCurrentIndex(view.one.kind.findData("sip"))
    qtbot.keyClicks(view.one.server, "sip.acme.example")
    qtbot.keyClicks(view.one.extension, "1001")
    qtbot.keyClicks(view.one.password, "s3cret-pw")
    qtbot.keyClicks(view.one.display_name, "Ann Lee")


def test_a_sip_code_shows_its_pin_once_apart_and_never_in_the_image(
    qtbot: QtBot, view: ProvisioningView, tmp_path: Path
) -> None:
    fill_sip(qtbot, view)
    assert view.one.password.echoMode() == QLineEdit.EchoMode.Password
    qtbot.waitUntil(lambda: view.one.current_uri().startswith("vicifast://sip?"), timeout=10000)
    qtbot.waitUntil(lambda: preview_text(view) == view.one.current_uri(), timeout=5000)
    pin = view.one.current_pin()
    assert view.one.pin_box.isVisible() and view.one.pin_label.text() == pin
    assert len(pin) == 8 and pin.isdigit()
    account = qr_format.decode(preview_text(view), pin)
    assert isinstance(account, qr_format.SipAccountCode)
    assert account.server == "sip.acme.example" and account.password.reveal() == "s3cret-pw"

    png, svg = tmp_path / "code.png", tmp_path / "code.svg"
    view.one.save_image(png)
    view.one.save_image(svg)
    for path in (png, svg):
        assert pin.encode() not in path.read_bytes()
        assert b"s3cret" not in path.read_bytes()
    scanned = qr_decode.scan_image(png)
    assert (
        scanned is not None and scanned.text == view.one.current_uri() and pin not in scanned.text
    )

    view.one.copy_image_to_clipboard()
    assert decoded(QGuiApplication.clipboard().image()) == view.one.current_uri()
    qtbot.mouseClick(view.one.copy_pin, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == pin

    qtbot.mouseClick(view.one.next_agent, Qt.MouseButton.LeftButton)
    assert view.one.current_pin() == "" and view.one.pin_label.text() == ""
    assert view.one.password.text() == "" and view.one.extension.text() == ""
    assert view.one.server.text() == "sip.acme.example"  # shared by the team: kept
    qtbot.keyClicks(view.one.extension, "1002")
    qtbot.keyClicks(view.one.password, "other-pw")
    qtbot.waitUntil(lambda: view.one.current_uri().startswith("vicifast://sip?"), timeout=10000)
    assert view.one.current_pin() != pin  # a new agent gets a new PIN


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
    view.batch.batch_kind.setCurrentIndex(view.batch.batch_kind.findData("sip"))
    assert (
        "password" in view.batch.columns_help.text()
        and "display_name" in view.batch.columns_help.text()
    )
    view.batch.load_batch(csv_path)
    qtbot.waitUntil(lambda: "code(s) ready" in view.batch.batch_summary.text(), timeout=20000)
    assert "2 code(s) ready" in view.batch.batch_summary.text()
    report = dict(view.batch.batch_report())
    assert report["2"] == "ready" and report["5"] == "ready"
    assert "password" in report["3"] and "server" in report["4"]
    assert view.batch.progress.isHidden() and view.batch.progress.value() == 4

    sheet, pins = tmp_path / "sheet.pdf", tmp_path / "pins.pdf"
    done: list[object] = []
    view.batch.save_batch_sheet(sheet, done.append)
    qtbot.waitUntil(lambda: len(done) == 1, timeout=20000)
    view.batch.save_batch_pins(sheet, done.append)  # the sheet's own file: refused
    assert "another file" in view.batch.batch_summary.text() and len(done) == 1
    view.batch.save_batch_pins(pins, done.append)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=20000)
    assert done == [1, 1]  # one page each

    assert view.batch._batch is not None
    entry_pins = [e.pin for e in view.batch._batch.entries]
    sheet_text, pins_text = pdf_text(sheet), pdf_text(pins)
    assert "Ann Lee" in sheet_text and "Dee" in sheet_text
    assert all(pin not in sheet_text for pin in entry_pins)
    assert all(pin.encode() not in sheet.read_bytes() for pin in entry_pins)
    assert all(pin in pins_text for pin in entry_pins) and "Ann Lee" in pins_text
    assert stat.S_IMODE(pins.stat().st_mode) == 0o600
    assert all(pin not in view.batch.batch_summary.text() for pin in entry_pins)

    pins_csv = tmp_path / "pins.csv"
    view.batch.save_batch_pins(pins_csv, done.append)
    qtbot.waitUntil(lambda: len(done) == 3, timeout=20000)
    assert all(pin in pins_csv.read_text() for pin in entry_pins)


def test_a_batch_with_a_bad_header_says_what_is_wrong(
    qtbot: QtBot, view: ProvisioningView, tmp_path: Path
) -> None:
    csv_path = tmp_path / "agents.csv"
    csv_path.write_text("name,phone\nAnn,1001\n", encoding="utf-8")
    view.batch.load_batch(csv_path)
    qtbot.waitUntil(lambda: "line 1" in view.batch.batch_summary.text(), timeout=10000)
    assert "missing: extension" in view.batch.batch_summary.text()
    assert not view.batch.save_sheet.isEnabled()


def test_a_batch_still_being_read_when_the_pane_closes_is_dropped(
    qtbot: QtBot,
    view: ProvisioningView,
    bridge: QtBridge,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    reading: list[Path] = []

    def read_batch(path: Path, *args: object, **kwargs: object) -> qr_make.BatchResult:
        reading.append(path)
        release.wait(10)
        return qr_make.BatchResult(entries=[], problems=[])

    monkeypatch.setattr(qr_make, "read_batch", read_batch)
    csv_path = tmp_path / "agents.csv"
    csv_path.write_text(SIP_CSV, encoding="utf-8")
    view.batch.load_batch(csv_path)
    qtbot.waitUntil(lambda: bool(reading), timeout=5000)
    view.shutdown()
    release.set()
    view._worker._lane._pool.shutdown(wait=True)  # the read ends and posts its result
    flushed: list[bool] = []
    bridge.post_call(lambda: flushed.append(True))  # queued behind that result
    qtbot.waitUntil(lambda: bool(flushed), timeout=5000)
    assert view.batch.batch_summary.text() == "Reading agents.csv…"  # no report shown
    assert view.batch._batch is None


def test_the_batch_tab_at_first_open_is_ready_for_sign_in_codes(
    qtbot: QtBot, view: ProvisioningView, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = view.batch
    view.tabs.setCurrentIndex(1)
    qtbot.waitUntil(batch.isVisible)
    assert batch.batch_kind.currentData() == "signin"
    assert batch.default_label.text() == "Company &code:"  # the field has its label
    assert batch.batch_default.placeholderText() == "for rows without a company column"
    assert batch.batch_days.text() == "No expiry"  # not "0 days"
    assert batch.columns_help.text() == batch_columns_help("signin")
    assert "Required: " in batch.columns_help.text()
    assert "Choose a CSV file" in batch.batch_summary.text()
    assert not batch.save_sheet.isEnabled()
    assert batch.save_pins.isHidden()  # sign-in codes have no PINs

    asked: list[object] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    batch.save_sheet.click()  # disabled: nothing happens, and no file dialog opens
    assert asked == []

    batch.batch_kind.setCurrentIndex(batch.batch_kind.findData("sip"))
    assert batch.default_label.text() == "SIP &server:"
    assert batch.batch_days.value() == qr_make.DEFAULT_SIP_VALID_DAYS
    assert batch.save_pins.isVisible() and not batch.save_pins.isEnabled()
    batch.batch_kind.setCurrentIndex(batch.batch_kind.findData("signin"))
    assert batch.default_label.text() == "Company &code:"
    assert batch.batch_days.text() == "No expiry"


def test_saving_a_batch_before_any_codes_says_so(
    qtbot: QtBot, view: ProvisioningView, tmp_path: Path
) -> None:
    done: list[object] = []
    view.batch.save_batch_sheet(tmp_path / "sheet.pdf", done.append)
    assert "no codes to save" in view.batch.batch_summary.text()
    assert not (tmp_path / "sheet.pdf").exists() and done == []


def test_the_one_agent_tab_at_first_open_asks_for_the_company(
    qtbot: QtBot, view: ProvisioningView
) -> None:
    one = view.one
    assert one.kind.currentData() == "signin"
    assert one.forms.currentIndex() == 0  # the sign-in form, not the SIP one
    assert one.signin_days.text() == "No expiry"
    assert one.preview.text() == "The code appears here\nas you type."
    assert not one.save_png.isEnabled() and not one.save_svg.isEnabled()
    assert not one.copy_image.isEnabled() and not one.pin_box.isVisible()
    qtbot.waitUntil(lambda: "company code" in one.problem.text(), timeout=5000)


SKIPPING_CSV = (  # line 2 is good; 3 has no company; 4 no extension; 5 a column too many; 6 none
    "name,extension,company\n"
    "Jo Doe,1001,acme\n"
    "Bob Stone,1003,\n"
    "Cy,,acme\n"
    "Dee Lane,1005,acme,extra\n"
    ",,acme\n"
)


def test_skipped_rows_name_the_agent_by_line_name_and_extension(
    qtbot: QtBot, view: ProvisioningView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_path = tmp_path / "agents.csv"
    csv_path.write_text(SKIPPING_CSV, encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(csv_path), ""))
    batch = view.batch
    view.tabs.setCurrentIndex(1)
    qtbot.waitUntil(batch.isVisible)
    qtbot.mouseClick(batch.choose_csv, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "code(s) ready" in batch.batch_summary.text(), timeout=20000)

    shown = {
        batch.report.item(row, 0).text(): [
            batch.report.item(row, col).text() for col in range(1, 4)
        ]
        for row in range(batch.report.rowCount())
    }
    assert shown["2"][:2] == ["Jo Doe", "1001"]
    assert shown["3"][:2] == ["Bob Stone", "1003"] and "company" in shown["3"][2]
    assert shown["4"][:2] == ["Cy", ""]
    assert shown["5"][:2] == ["Dee Lane", "1005"] and "columns" in shown["5"][2]
    assert shown["6"][:2] == ["", ""]

    summary = batch.batch_summary.text().splitlines()
    assert summary[0] == "1 code(s) ready."
    assert summary[1] == "4 row(s) skipped (in red below):"
    assert summary[2].startswith("Line 3, Bob Stone (extension 1003): no company code")
    assert summary[3] == "Line 4, Cy (no extension): name and extension are required"
    assert summary[4] == "Line 5, Dee Lane (extension 1005): 4 columns where the header has 3"
    assert summary[5] == "Line 6, no name or extension: name and extension are required"
