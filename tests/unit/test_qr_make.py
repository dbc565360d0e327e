"""Making codes: PNG/SVG that scan back, batch CSV with per-line problems, the PIN list apart."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from softphone.provisioning import qr_decode, qr_format, qr_make
from softphone.provisioning.qr_errors import QrBatchError, QrImageError

SIGNIN = "vicifast://signin?v=1&c=acme&u=jdoe"


def test_png_scans_back_and_svg_is_svg(tmp_path: Path) -> None:
    png = tmp_path / "a.png"
    qr_make.write_image(SIGNIN, png)
    found = qr_decode.scan_image(png)
    assert found is not None and found.text == SIGNIN
    svg = qr_make.render(SIGNIN, "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    with pytest.raises(QrImageError, match=r"\.png or \.svg"):
        qr_make.write_image(SIGNIN, tmp_path / "a.gif")


def test_error_level_is_m_or_boosted() -> None:
    symbol = qr_make.make_symbol(SIGNIN)
    assert symbol.error in ("M", "Q", "H")


def batch(text: str, **defaults: object) -> qr_make.BatchResult:
    return qr_make.parse_batch(
        text.splitlines(keepends=True),
        qr_make.BatchDefaults(**defaults),  # type: ignore[arg-type]
    )


def test_signin_batch_reports_bad_rows_by_line_and_keeps_good_ones() -> None:
    result = batch(
        "Name,Extension,company,username\n"
        "Ann Lee,1001,acme,ann\n"
        "\n"
        "Bob,1002,bad company!,bob\n"
        "Cy,1003,,cy\n"
        "Dee,1004\n"
        ",1005,acme,x\n"
        "Eve,1006,,eve\n",
        company="",
    )
    assert [e.name for e in result.entries] == ["Ann Lee"]
    assert [p.line for p in result.problems] == [4, 5, 6, 7, 8]
    assert "company" in str(result.problems[0]).lower()
    assert str(result.problems[2]).startswith("line 6: 2 columns")
    decoded = qr_format.decode(result.entries[0].uri)
    assert isinstance(decoded, qr_format.SignInCode) and decoded.username == "ann"


def test_default_company_fills_empty_cells() -> None:
    result = batch("name,extension,company\nA,1,\nB,2,other\n", company="acme")
    assert [qr_format.decode(e.uri).company for e in result.entries] == ["acme", "other"]  # type: ignore[union-attr]


def test_sip_batch_gives_each_agent_a_pin_that_opens_only_its_code(tmp_path: Path) -> None:
    result = batch(
        "name,extension,password,transport,port\n"
        "Ann,1001,pw-one,udp,5060\n"
        "Bob,1002,pw-two,carrier-pigeon,5060\n"
        "Cy,1003,,udp,5060\n"
        "Dee,1004,pw-four,tls,5061\n",
        kind="sip",
        server="pbx.example.com",
    )
    assert [p.line for p in result.problems] == [3, 4]
    assert "pw-two" not in str(result.problems[0])
    ann, dee = result.entries
    assert len(ann.pin) == 8 and ann.pin != dee.pin
    opened = qr_format.decode(ann.uri, ann.pin)
    assert isinstance(opened, qr_format.SipAccountCode)
    assert opened.display_name == "Ann" and opened.password.reveal() == "pw-one"
    assert "pin" not in repr(ann).lower().split("uri")[0] or ann.pin not in repr(ann)
    pins = tmp_path / "pins.csv"
    qr_make.write_pin_list(result.entries, pins)
    rows = list(csv.reader(pins.read_text(encoding="utf-8").splitlines()))
    assert rows == [
        ["name", "extension", "pin"],
        ["Ann", "1001", ann.pin],
        ["Dee", "1004", dee.pin],
    ]
    assert pins.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("", "signin", "empty"),
        ("name,company\n", "signin", "missing: extension"),
        ("name,extension,password\n", "signin", "unknown: password"),
        ("name,extension\n", "sip", "missing: password"),
        ("name,extension,name\n", "signin", "twice"),
    ],
)
def test_bad_headers_stop_the_batch(text: str, kind: str, message: str) -> None:
    with pytest.raises(QrBatchError, match=message):
        batch(text, kind=kind)


def test_a_non_utf8_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_bytes("name,extension\nJosé,1\n".encode("latin-1"))
    with pytest.raises(QrBatchError, match="UTF-8"):
        qr_make.read_batch(path, qr_make.BatchDefaults(company="acme"))


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_bytes("\ufeffname,extension\nJosé,1\n".encode())
    result = qr_make.read_batch(path, qr_make.BatchDefaults(company="acme"))
    assert [e.name for e in result.entries] == ["José"]
