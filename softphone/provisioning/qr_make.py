"""Making QR codes: one code as PNG/SVG, and a batch of agents read from a CSV file.

Error correction: level M with segno's boost (a higher level whenever it fits the same symbol
version). bench/qr.py measured M against L and Q on the same distorted frames; see
docs/qr-format.md ("QR symbol") and bench/RESULTS.md.

Batch CSV (UTF-8, a header row, one agent per row; column names are case-insensitive):

- always: ``name`` and ``extension`` (printed under the code);
- sign-in codes: ``company`` (or ``--company`` for all rows), optional ``username``, ``api``;
- SIP account codes: ``password`` (required), optional ``server`` (or ``--server``), ``port``,
  ``transport`` (udp/tcp/tls), ``srtp`` (off/optional/mandatory), ``display_name`` (default:
  ``name``).

A bad row is reported with its line number and skipped; the good rows are still produced.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import segno

from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_format
from softphone.provisioning.qr_errors import QrBatchError, QrError, QrImageError

ERROR_LEVEL: Final = "M"
DEFAULT_SIP_VALID_DAYS: Final = 7
COMMON_COLUMNS: Final = ("name", "extension")
SIGNIN_COLUMNS: Final = ("company", "username", "api")
SIP_COLUMNS: Final = ("password", "server", "port", "transport", "srtp", "display_name")
MAX_ROWS: Final = 5000


def make_symbol(text: str) -> Any:
    """The segno symbol for a code (byte mode, level M boosted when free)."""
    return segno.make(text, error=ERROR_LEVEL, boost_error=True, micro=False)


def modules(text: str) -> list[list[bool]]:
    """The symbol's dark modules, rows top to bottom, without the quiet zone."""
    return [[bool(m) for m in row] for row in make_symbol(text).matrix]


def render(text: str, fmt: str, *, scale: int = 8, border: int = 4) -> bytes:
    """PNG or SVG bytes of the code."""
    if fmt not in ("png", "svg"):
        raise QrImageError(f"Cannot write a QR code as '{fmt}': use .png or .svg.")
    out = io.BytesIO()
    make_symbol(text).save(out, kind=fmt, scale=scale, border=border)
    return out.getvalue()


def write_image(text: str, path: Path, *, scale: int = 8) -> None:
    fmt = path.suffix.lower().lstrip(".")
    data = render(text, fmt, scale=scale)
    try:
        path.write_bytes(data)
    except OSError as err:
        raise QrImageError(f"Cannot write {path}: {err.strerror}.") from None


def expiry(days: float, now: float | None = None) -> int:
    return int((time.time() if now is None else now) + days * 86400)


# ---- batch -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One agent's code and label; ``pin`` is set for SIP account codes (never printed with it)."""

    line: int
    name: str
    extension: str
    uri: str
    pin: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class BatchProblem:
    """A skipped row: its line, why, and the name and extension it had (to find the agent)."""

    line: int
    message: str
    name: str = ""
    extension: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class BatchResult:
    entries: list[BatchEntry]
    problems: list[BatchProblem]


@dataclass(frozen=True, slots=True)
class BatchDefaults:
    kind: str = "signin"  # or "sip"
    company: str = ""
    api: str = ""
    server: str = ""
    valid_days: float | None = None  # signin: no expiry unless given; sip: 7 days
    pin_digits: int = 8


def read_batch(
    path: Path, defaults: BatchDefaults, *, on_row: Callable[[int], None] | None = None
) -> BatchResult:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise QrBatchError(f"Cannot read {path}: {err.strerror}.") from None
    except UnicodeDecodeError:
        raise QrBatchError(f"{path} is not UTF-8 text: save it as CSV UTF-8.") from None
    return parse_batch(text.splitlines(keepends=True), defaults, on_row=on_row)


def parse_batch(
    lines: Iterable[str], defaults: BatchDefaults, *, on_row: Callable[[int], None] | None = None
) -> BatchResult:
    """Codes for every good row; bad rows become problems with their line numbers.

    ``on_row(line)`` is called after each row (for progress: a SIP row costs one scrypt); an
    exception it raises stops the batch.
    """
    if defaults.kind not in ("signin", "sip"):
        raise QrBatchError("The batch kind must be 'signin' or 'sip'.")
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise QrBatchError("The CSV file is empty: it needs a header row.") from None
    except csv.Error as err:
        raise QrBatchError(f"line 1: the header is not valid CSV ({err}).") from None
    allowed = COMMON_COLUMNS + (SIGNIN_COLUMNS if defaults.kind == "signin" else SIP_COLUMNS)
    unknown = [h for h in header if h not in allowed]
    missing = [c for c in COMMON_COLUMNS if c not in header]
    if defaults.kind == "sip" and "password" not in header:
        missing.append("password")
    if unknown or missing or len(set(header)) != len(header):
        required_extra = ", password" if defaults.kind == "sip" else ""
        raise QrBatchError(
            f"line 1: the header must name the columns {', '.join(allowed)} "
            f"(required: {', '.join(COMMON_COLUMNS)}{required_extra})"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + ("; a column is named twice" if len(set(header)) != len(header) else "")
            + "."
        )
    entries: list[BatchEntry] = []
    problems: list[BatchProblem] = []
    valid_days = defaults.valid_days
    if valid_days is None and defaults.kind == "sip":
        valid_days = DEFAULT_SIP_VALID_DAYS
    exp = expiry(valid_days) if valid_days is not None else None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(BatchProblem(reader.line_num, f"not valid CSV ({err})"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(entries) >= MAX_ROWS:
            raise QrBatchError(f"A batch has at most {MAX_ROWS} agents; split the file.")
        if len(row) != len(header):
            who = [row[i].strip() if i < len(row) else "" for i in _labels(header)]
            problems.append(
                BatchProblem(line, f"{len(row)} columns where the header has {len(header)}", *who)
            )
            continue
        values = {h: cell.strip() for h, cell in zip(header, row, strict=True)}
        try:
            entries.append(_entry(line, values, defaults, exp))
        except (QrError, ValueError) as err:
            problems.append(
                BatchProblem(line, str(err), values.get("name", ""), values.get("extension", ""))
            )
        if on_row is not None:
            on_row(line)
    return BatchResult(entries, problems)


def _labels(header: list[str]) -> tuple[int, int]:
    """Where the name and the extension are in a row (the header has both)."""
    return header.index("name"), header.index("extension")


def _entry(line: int, v: dict[str, str], d: BatchDefaults, exp: int | None) -> BatchEntry:
    name, extension = v.get("name", ""), v.get("extension", "")
    if not name or not extension:
        raise ValueError("name and extension are required")
    if d.kind == "signin":
        company = v.get("company") or d.company
        if not company:
            raise ValueError("no company code (add a company column or pass --company)")
        code = qr_format.SignInCode(
            company=company, username=v.get("username", ""), api=v.get("api") or d.api, exp=exp
        )
        return BatchEntry(line, name, extension, qr_format.encode_signin(code))
    server = v.get("server") or d.server
    if not server:
        raise ValueError("no SIP server (add a server column or pass --server)")
    if not v.get("password"):
        raise ValueError("no SIP password")
    try:
        transport = Transport((v.get("transport") or "udp").lower())
        srtp = SrtpMode((v.get("srtp") or "off").lower())
        port = int(v.get("port") or 0)
    except ValueError:
        raise ValueError(
            "port, transport (udp/tcp/tls) or srtp (off/optional/mandatory) is not valid"
        ) from None
    assert exp is not None
    account = qr_format.SipAccountCode(
        server=server,
        port=port,
        transport=transport,
        extension=extension,
        password=Secret(v["password"]),
        display_name=v.get("display_name") or name,
        srtp=srtp,
        exp=exp,
    )
    pin = qr_format.generate_pin(d.pin_digits)
    return BatchEntry(line, name, extension, qr_format.encode_sip(account, pin), pin)


def write_pin_list(entries: Sequence[BatchEntry], path: Path) -> None:
    """The PINs, apart from the sheet of codes: name, extension, PIN per agent (CSV)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "extension", "pin"])
    for entry in entries:
        writer.writerow([entry.name, entry.extension, entry.pin])
    try:
        path.touch(mode=0o600)  # owner-only before the first PIN is written
        path.chmod(0o600)
        path.write_text(out.getvalue(), encoding="utf-8")
    except OSError as err:
        raise QrBatchError(f"Cannot write the PIN list {path}: {err.strerror}.") from None
