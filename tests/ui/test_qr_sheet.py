"""The printable sheet of codes: its header speaks of a PIN only when it carries SIP account
codes (a sign-in code has none)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPdf import QPdfDocument
from pytestqt.qtbot import QtBot

from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_format, qr_make
from softphone.ui import qr_sheet

PIN_LINE = "The PIN for a SIP account code comes separately."


def pdf_text(path: Path) -> str:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    text = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
    document.close()
    return " ".join(text.split())


def signin_items() -> list[qr_sheet.SheetItem]:
    return [
        qr_sheet.SheetItem(
            qr_format.encode_signin(qr_format.SignInCode(company="acme", username=user)), name, ext
        )
        for user, name, ext in (("ann", "Ann Lee", "1001"), ("bob", "Bob Ray", "1002"))
    ]


def sip_items() -> list[qr_sheet.SheetItem]:
    account = qr_format.SipAccountCode(
        server="sip.acme.example",
        port=5061,
        transport=Transport.TLS,
        extension="1001",
        password=Secret("s3cret-pw"),
        display_name="Ann Lee",
        srtp=SrtpMode.OPTIONAL,
        exp=qr_make.expiry(7),
    )
    return [qr_sheet.SheetItem(qr_format.encode_sip(account, "48151623"), "Ann Lee", "1001")]


def test_a_sign_in_sheet_says_nothing_of_a_pin(qtbot: QtBot, tmp_path: Path) -> None:
    items = signin_items()
    assert "PIN" not in qr_sheet.sheet_header(items, 1, "Night shift")
    path = tmp_path / "signin.pdf"
    assert qr_sheet.write_sheet(items, path, title="Night shift") == 1
    text = pdf_text(path)
    assert "Night shift" in text and "Scan in the VICIfast app." in text
    assert "Ann Lee" in text and "Bob Ray" in text
    assert "PIN" not in text


def test_a_sip_account_sheet_says_the_pin_comes_separately(qtbot: QtBot, tmp_path: Path) -> None:
    items = sip_items()
    assert qr_sheet.sheet_header(items, 1).endswith(PIN_LINE)
    path = tmp_path / "sip.pdf"
    assert qr_sheet.write_sheet(items, path) == 1
    text = pdf_text(path)
    assert PIN_LINE in text and "Ann Lee" in text
    assert "48151623" not in text  # the PIN itself never goes on the sheet
