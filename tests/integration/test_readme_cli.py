"""``vicifast-phone qr make|batch|scan`` run as processes, the way a supervisor or a tester types
them: a code written by one process is read back by another, and what each prints or writes is
what the README promises (a PIN printed once, a PDF sheet with the PINs in a separate list)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPdf import QPdfDocument

from softphone.cli.agent_inputs import PASSWORD_ENV

pytestmark = pytest.mark.integration

RUN_S = 60.0
QR = [sys.executable, "-m", "softphone.cli", "qr"]

Qr = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def qr(tmp_path: Path) -> Iterator[Qr]:
    """qr(*args) -> `vicifast-phone qr …` run to its end (killed if it outlives RUN_S), with no
    SIP password in its environment unless given."""
    environ = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*QR, *args],
            env={**environ, **(env or {})},
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_S,
        )

    yield run


def _password_file(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "sip-password"
    path.write_text(password + "\n")
    path.chmod(0o600)
    return path


def test_a_signin_code_made_by_one_process_is_read_by_another(qr: Qr, tmp_path: Path) -> None:
    png = tmp_path / "signin.png"
    made = qr(
        "make", "--kind", "signin", "--company", "ACME", "--username", "agent7", "--out", str(png)
    )
    assert made.returncode == 0, made.stderr
    assert png.read_bytes().startswith(b"\x89PNG")
    scanned = qr("scan", "--image", str(png), "--json")
    assert scanned.returncode == 0, scanned.stderr
    report = json.loads(scanned.stdout)
    assert report["ok"] and report["kind"] == "signin"
    assert report["fields"]["company"] == "ACME" and report["fields"]["username"] == "agent7"


def test_a_sip_code_prints_its_pin_once_and_opens_only_with_it(qr: Qr, tmp_path: Path) -> None:
    png = tmp_path / "sip.png"
    made = qr(
        "make", "--kind", "sip", "--server", "pbx.example.com", "--extension", "1001",
        "--out", str(png), "--password-file", str(_password_file(tmp_path, "s3cret-Pa55")),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    pin = made.stdout.strip().splitlines()[-1]
    assert pin.isdigit() and len(pin) == 8
    assert made.stdout.count(pin) == 1 and pin not in made.stderr
    assert "s3cret" not in made.stdout + made.stderr

    opened = json.loads(qr("scan", "--image", str(png), "--json", "--pin", pin).stdout)
    assert opened["ok"] and opened["kind"] == "sip"
    assert opened["fields"]["server"] == "pbx.example.com"
    assert opened["fields"]["extension"] == "1001"
    assert "password" not in opened["fields"]  # the report never prints it
    locked = json.loads(qr("scan", "--image", str(png), "--json").stdout)
    assert locked["error"] == "pin_required"


def test_a_picture_without_a_code_exits_1(qr: Qr, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    image = QImage(QSize(200, 200), QImage.Format.Format_Grayscale8)
    image.fill(255)
    assert image.save(str(blank))
    scanned = qr("scan", "--image", str(blank), "--json")
    assert scanned.returncode == 1
    assert json.loads(scanned.stdout)["error"] == "no_code"


def _first_cell_of_the_first_page(pdf: Path, out: Path) -> Path:
    """Page 1 of ``pdf`` at 200 dpi on white, its top-left cell cut out as a PNG."""
    document = QPdfDocument(None)
    assert document.load(str(pdf)) == QPdfDocument.Error.None_
    page = QImage(QSize(1654, 2339), QImage.Format.Format_RGB32)
    page.fill(0xFFFFFFFF)
    rendered = document.render(0, page.size())
    painter = QPainter(page)
    painter.drawImage(0, 0, rendered)
    painter.end()
    document.close()
    assert page.copy(QRect(0, 0, 560, 700)).save(str(out))
    return out


def test_a_csv_batch_makes_a_pdf_sheet_and_a_separate_pin_list(qr: Qr, tmp_path: Path) -> None:
    agents = tmp_path / "agents.csv"
    rows = ["name,extension,password", *(f"Agent {i},{1000 + i},pw-{i}" for i in range(5))]
    rows.insert(2, "Broken,10@2,pw")
    agents.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sheet, pins = tmp_path / "sheet.pdf", tmp_path / "pins.csv"
    made = qr(
        "batch", str(agents), "--kind", "sip", "--server", "pbx.example.com",
        "--out", str(sheet), "--pins", str(pins),
    )  # fmt: skip
    assert made.returncode == 1  # the bad row is reported by its line and agent, the others made
    assert "line 3 (Broken, 10@2):" in made.stderr and "Wrote 5 codes on 1 page(s)" in made.stderr
    pin_rows = pins.read_text(encoding="utf-8").splitlines()
    assert len(pin_rows) == 6  # a header and one PIN per code
    pdf = sheet.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert not any(row.split(",")[-1].encode() in pdf for row in pin_rows[1:])

    cell = _first_cell_of_the_first_page(sheet, tmp_path / "cell.png")
    agent0_pin = next(row.split(",")[-1] for row in pin_rows if "1000" in row)
    scanned = qr("scan", "--image", str(cell), "--json", "--pin", agent0_pin)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    report = json.loads(scanned.stdout)
    assert report["ok"] and report["fields"]["extension"] == "1000"
