"""``vicifast-phone qr make|batch|scan`` end to end, in process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from softphone.cli.command import main
from softphone.cli.qr import PASSWORD_ENV
from softphone.provisioning import qr_decode


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["qr", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_make_signin_then_scan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "signin.png"
    code, _, _ = run(capsys, "make", "--kind", "signin", "--company", "acme", "--out", str(png))
    assert code == 0
    code, out, _ = run(capsys, "scan", "--image", str(png), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["text"] == "vicifast://signin?v=1&c=acme"
    assert report["kind"] == "signin"
    assert report["fields"]["company"] == "acme"


def test_make_sip_prints_the_pin_once_and_scan_opens_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-Pa55")
    svg = tmp_path / "sip.svg"
    png = tmp_path / "sip.png"
    args = ["make", "--kind", "sip", "--server", "pbx.example.com", "--extension", "1001"]
    code, out, err = run(capsys, *args, "--out", str(png))
    assert code == 0
    pin = out.strip().splitlines()[-1]
    assert pin.isdigit() and len(pin) == 8
    assert "s3cret" not in out + err
    # the variable was taken out of the environment when it was read: a second run gets the
    # password another way
    password_file = tmp_path / "password"
    password_file.write_text("s3cret-Pa55\n")
    password_file.chmod(0o600)
    assert run(capsys, *args, "--out", str(svg), "--password-file", str(password_file))[0] == 0
    assert svg.read_bytes().lstrip().startswith(b"<?xml")

    code, out, _ = run(capsys, "scan", "--image", str(png), "--json", "--pin", pin)
    report = json.loads(out)
    assert code == 0 and report["kind"] == "sip"
    assert report["fields"]["server"] == "pbx.example.com"
    assert "password" not in report["fields"]

    wrong = "0" * 8 if pin != "0" * 8 else "1" * 8
    code, out, _ = run(capsys, "scan", "--image", str(png), "--json", "--pin", wrong)
    assert code == 0  # a code was read; it just does not open
    assert json.loads(out)["error"] == "wrong_pin"

    code, out, _ = run(capsys, "scan", "--image", str(png), "--json")
    assert code == 0 and json.loads(out)["error"] == "pin_required"

    for decoder in ("zbar", "opencv"):
        code, out, _ = run(capsys, "scan", "--image", str(png), "--json", "--decoder", decoder)
        assert code == 0 and json.loads(out)["text"].startswith("vicifast://sip?")


def test_sip_code_needs_the_password_from_env_not_a_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = run(
        capsys, "make", "--kind", "sip", "--server", "pbx", "--extension", "1", "--out",
        str(tmp_path / "x.png"),
    )  # fmt: skip
    assert code == 2 and PASSWORD_ENV in err
    with pytest.raises(SystemExit):
        main(["qr", "make", "--kind", "sip", "--password", "x", "--out", "x.png"])


def test_scan_without_a_code_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200), 255, np.uint8))
    code, out, _ = run(capsys, "scan", "--image", str(blank), "--json")
    assert code == 1
    report = json.loads(out)
    assert report == {**report, "ok": False, "text": None, "kind": None, "error": "no_code"}
    assert "No VICIfast code found" in report["message"]
    code, _, err = run(capsys, "scan", "--image", str(tmp_path / "none.png"))
    assert code == 2 and "no such file" in err


def render_pdf_pages(path: Path) -> list[np.ndarray]:
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument(None)
    assert document.load(str(path)) == QPdfDocument.Error.None_
    pages = []
    for index in range(document.pageCount()):
        image = document.render(index, QSize(1654, 2339)).convertToFormat(
            QImage.Format.Format_RGBA8888
        )
        rgba = np.frombuffer(image.constBits(), np.uint8).reshape(
            image.height(), image.bytesPerLine() // 4, 4
        )[:, : image.width()]
        alpha = rgba[:, :, 3].astype(np.float32) / 255  # the page is transparent: print on white
        pixels = (rgba[:, :, 1] * alpha + 255 * (1 - alpha)).astype(np.uint8)
        pages.append(pixels.copy())
    document.close()
    return pages


def test_batch_writes_a_sheet_that_scans_back_and_pins_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agents = tmp_path / "agents.csv"
    rows = ["name,extension,password"] + [f"Agent {i},{1000 + i},pw-{i}" for i in range(14)]
    rows.insert(3, "Broken,10@2,pw")
    agents.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sheet, pins = tmp_path / "sheet.pdf", tmp_path / "pins.csv"
    code, _, err = run(
        capsys, "batch", str(agents), "--kind", "sip", "--server", "pbx.example.com",
        "--out", str(sheet), "--pins", str(pins),
    )  # fmt: skip
    assert code == 1  # a bad row was reported
    assert "line 4 (Broken, 10@2):" in err and "Wrote 14 codes on 2 page(s)" in err
    pin_rows = pins.read_text(encoding="utf-8").splitlines()
    assert len(pin_rows) == 15
    pdf = sheet.read_bytes()
    assert pdf.startswith(b"%PDF")
    for line in pin_rows[1:]:
        assert line.split(",")[2].encode() not in pdf

    pages = render_pdf_pages(sheet)
    assert len(pages) == 2
    # Cut the first cell (top left, about 62 x 85 mm at 200 dpi) out of page 1 and read it.
    first = pages[0][:700, :560]
    found = qr_decode.scan_image(first)
    assert found is not None and found.text.startswith("vicifast://sip?")


def test_batch_sip_requires_a_pin_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agents = tmp_path / "agents.csv"
    agents.write_text("name,extension,password\nA,1,pw\n", encoding="utf-8")
    code, _, err = run(capsys, "batch", str(agents), "--kind", "sip", "--out", "x.pdf")
    assert code == 2 and "--pins" in err


def scan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code, out, _ = run(capsys, "scan", "--json", *argv)
    lines = out.splitlines()
    assert len(lines) == 1, out  # exactly one JSON object, whatever the outcome
    return code, json.loads(lines[0])


def test_scan_json_reports_a_refused_code_instead_of_no_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: a javascript: control plane was "no_code"; the user must hear why it is refused.
    from softphone.provisioning import qr_make

    png = tmp_path / "js.png"
    qr_make.write_image("vicifast://signin?v=1&c=acme&api=javascript:alert%281%29", png)
    code, report = scan_json(capsys, "--image", str(png))
    assert code == 0
    assert report["ok"] is False and report["error"] == "insecure_api"


def test_scan_json_with_a_lone_surrogate_in_the_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15: this code was accepted, then printing the report died with UnicodeEncodeError.
    from softphone.provisioning import qr_format, qr_make

    plain = b'["pbx.example.com",5060,0,"1001","pw","Jane\\ud800",0,1798761600]'
    uri = qr_format.seal_plaintext(plain, "48213907", salt=bytes(16), nonce=bytes(12))
    png = tmp_path / "surrogate.png"
    qr_make.write_image(uri, png)
    code, report = scan_json(capsys, "--image", str(png), "--pin", "48213907")
    assert code == 0
    assert report["ok"] is False and report["error"] == "malformed_account"


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda p: p.write_bytes(b""), "not_an_image"),
        (lambda p: p.mkdir(), "not_a_file"),
        (lambda p: None, "no_such_file"),
    ],
)
def test_scan_json_errors_go_to_stdout_as_one_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, error: str
) -> None:
    # Issue 15: with --json, errors went to stderr only and stdout got nothing.
    path = tmp_path / "input.png"
    make(path)  # type: ignore[operator]
    code, report = scan_json(capsys, "--image", str(path))
    assert code == 2
    assert report["ok"] is False and report["error"] == error and report["message"]


def test_a_usage_error_with_json_is_one_json_object_on_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["qr", "scan", "--json"])  # --image missing
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    (line,) = out.splitlines()
    report = json.loads(line)
    assert report["ok"] is False and report["error"] == "usage"
    assert "--image" in report["message"]
    assert err == ""


def test_a_usage_error_without_json_is_argparse_usage_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["qr", "scan"])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "--image" in err


def test_a_skipped_rows_agent_is_named_without_the_files_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    agents = tmp_path / "agents.csv"
    agents.write_text(
        "name,extension,company,username\n"
        "Ann Lee,1001,acme,ann\n"
        "Evil\x1b[2J\x07,1002,bad company!,bob\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "batch", str(agents), "--out", str(tmp_path / "sheet.pdf"))
    assert code == 1
    assert "line 3 (Evil?[2J?, 1002): " in err  # whom the row was for, found in the file
    assert "\x1b" not in err and "\x07" not in err
