"""``vicifast-phone qr make|batch|scan``: QR codes for supervisors and testers.

Secrets: a SIP password comes from --password-file, --password-fd, $VICIFAST_SIP_PASSWORD or a
prompt, never from the command line itself; a generated PIN is printed once to the terminal
(stderr) and never written next to its code; ``--pin`` for ``scan`` exists for testers (the GUI
asks for it instead). ``batch`` reads SIP passwords from its CSV file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softphone.cli.prompts import FLAGS, add_password_arguments, read_secret_from_args
from softphone.core.errors import ConfigError
from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret

if TYPE_CHECKING:
    from softphone.provisioning import qr_make

PASSWORD_ENV = "VICIFAST_SIP_PASSWORD"


def add_qr_parser(subparsers: Any) -> None:
    """Add the ``qr`` command group to the main parser's subparsers."""
    qr = subparsers.add_parser(
        "qr",
        help="make, batch-print and scan VICIfast QR codes",
        description="QR provisioning codes (format v1, docs/qr-format.md).",
    )
    sub = qr.add_subparsers(dest="qr_command", required=True)

    make = sub.add_parser(
        "make",
        help="one sign-in or SIP account code as PNG or SVG",
        description="Write one code. For --kind sip a PIN is generated and printed once; the "
        f"SIP password comes from --password-file, --password-fd, ${PASSWORD_ENV} or a prompt, "
        "never from the command line itself.",
    )
    make.add_argument("--kind", choices=["signin", "sip"], required=True)
    make.add_argument("--out", type=Path, required=True, help="F.png or F.svg")
    make.add_argument("--company", help="company code (signin)")
    make.add_argument("--username", default="", help="VICIdial user name (signin, optional)")
    make.add_argument("--api", default="", help="custom control plane https URL (signin)")
    make.add_argument("--server", help="SIP server host (sip)")
    make.add_argument("--port", type=int, default=0, help="SIP port (sip; 0: by transport)")
    make.add_argument("--transport", choices=[t.value for t in Transport], default="udp")
    make.add_argument("--extension", help="SIP extension (sip)")
    make.add_argument("--display-name", default="")
    make.add_argument("--srtp", choices=[m.value for m in SrtpMode], default="off")
    make.add_argument(
        "--valid-days",
        type=float,
        help="expiry in days (sip: default 7; signin: no expiry unless given)",
    )
    make.add_argument("--pin-digits", type=int, default=8, help="length of the generated PIN")
    make.add_argument("--scale", type=int, default=8, help="pixels per module (PNG)")
    add_password_arguments(make, "the SIP password (--kind sip)")

    batch = sub.add_parser(
        "batch",
        help="a CSV of agents to one printable PDF (+ a separate PIN list for sip codes)",
        description="Columns (UTF-8 CSV with a header): name, extension; signin: company, "
        "username, api; sip: password, server, port, transport, srtp, display_name. Bad rows "
        "are reported by line number, with the name and extension they had, and skipped; the "
        "others are produced.",
    )
    batch.add_argument("csv", type=Path)
    batch.add_argument("--out", type=Path, required=True, help="the PDF sheet")
    batch.add_argument("--pins", type=Path, help="the PIN list (CSV), required for --kind sip")
    batch.add_argument("--kind", choices=["signin", "sip"], default="signin")
    batch.add_argument("--company", default="", help="company code for rows without one")
    batch.add_argument("--api", default="", help="custom control plane for rows without one")
    batch.add_argument("--server", default="", help="SIP server for rows without one")
    batch.add_argument("--valid-days", type=float)
    batch.add_argument("--title", default="")

    scan = sub.add_parser(
        "scan",
        help="read a code from an image file (for testers)",
        description="Exit status 0 when a code was read (the report says whether it is usable), "
        "1 when none was found, 2 when the image could not be scanned. With --json every outcome "
        'is one JSON object on stdout with "ok" and, when not ok, "error" and "message".',
    )
    scan.add_argument("--image", type=Path, required=True)
    scan.add_argument("--decoder", choices=["zxing", "zbar", "opencv"], default="zxing")
    scan.add_argument("--pin", help="PIN to open a SIP account code (testers only)")
    scan.add_argument("--json", action="store_true", help="print one JSON object")
    scan.add_argument(
        "--any", action="store_true", help="accept any QR code, not only vicifast:// ones"
    )


def run_qr(args: argparse.Namespace) -> int:
    if args.qr_command == "make":
        return _make(args)
    if args.qr_command == "batch":
        return _batch(args)
    return _scan(args)


def _password(args: argparse.Namespace) -> Secret:
    return read_secret_from_args(args, PASSWORD_ENV, "the SIP password")


def _make(args: argparse.Namespace) -> int:
    from softphone.provisioning import qr_format, qr_make

    if args.kind == "signin":
        if args.password_file or args.password_fd is not None:
            raise ConfigError(f"{FLAGS} go with --kind sip: a sign-in code holds no password.")
        if not args.company:
            raise ConfigError("A sign-in code needs --company.")
        exp = qr_make.expiry(args.valid_days) if args.valid_days is not None else None
        code = qr_format.SignInCode(args.company, args.username, args.api, exp)
        qr_make.write_image(qr_format.encode_signin(code), args.out, scale=args.scale)
        print(f"Wrote {args.out}.", file=sys.stderr)
        return 0
    if not args.server or not args.extension:
        raise ConfigError("A SIP account code needs --server and --extension.")
    days = args.valid_days if args.valid_days is not None else qr_make.DEFAULT_SIP_VALID_DAYS
    account = qr_format.SipAccountCode(
        server=args.server,
        port=args.port,
        transport=Transport(args.transport),
        extension=args.extension,
        password=_password(args),
        display_name=args.display_name,
        srtp=SrtpMode(args.srtp),
        exp=qr_make.expiry(days),
    )
    pin = qr_format.generate_pin(args.pin_digits)
    qr_make.write_image(qr_format.encode_sip(account, pin), args.out, scale=args.scale)
    print(f"Wrote {args.out}. Give the agent this PIN separately (it is shown only now):")
    print(pin)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from softphone.provisioning import qr_make
    from softphone.provisioning.qr_errors import QrBatchError
    from softphone.ui.qr_sheet import SheetItem, write_sheet

    if args.kind == "sip" and args.pins is None:
        raise QrBatchError("SIP account codes need --pins FILE: the PINs go on a separate list.")
    if args.pins is not None and args.pins.resolve() == args.out.resolve():
        raise QrBatchError("The PIN list and the sheet must be different files.")
    defaults = qr_make.BatchDefaults(
        kind=args.kind,
        company=args.company,
        api=args.api,
        server=args.server,
        valid_days=args.valid_days,
    )
    result = qr_make.read_batch(args.csv, defaults)
    for problem in result.problems:
        print(f"{args.csv}: {_skipped(problem)}", file=sys.stderr)
    if not result.entries:
        print(f"{args.csv}: no agent could be made; nothing written.", file=sys.stderr)
        return 1
    items = [SheetItem(e.uri, e.name, e.extension) for e in result.entries]
    pages = write_sheet(items, args.out, title=args.title)
    print(f"Wrote {len(items)} codes on {pages} page(s) to {args.out}.", file=sys.stderr)
    if args.kind == "sip":
        qr_make.write_pin_list(result.entries, args.pins)
        print(
            f"Wrote the PINs to {args.pins}: hand them out apart from the sheet.", file=sys.stderr
        )
    return 1 if result.problems else 0


def _skipped(problem: qr_make.BatchProblem) -> str:
    """A skipped row with the agent it was for, as the file has it (name, extension), so the
    supervisor can find whom it leaves without a code. The file's text is shown with its
    control characters replaced: it reaches a terminal."""
    who = ", ".join(_printable(text) for text in (problem.name, problem.extension) if text)
    return f"line {problem.line} ({who}): {problem.message}" if who else str(problem)


def _printable(text: str, limit: int = 60) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def _scan(args: argparse.Namespace) -> int:
    from softphone.provisioning.qr_errors import QrError

    try:
        report, status = _scan_report(args)
    except QrError as err:  # the image or the decoder, not the code
        report, status = {"ok": False, "error": err.code, "message": str(err)}, 2
        if not args.json:
            raise
    except Exception as err:  # one JSON object on stdout, whatever happened
        if not args.json:
            raise
        message = f"The scan failed unexpectedly ({type(err).__name__}): please report this."
        report, status = {"ok": False, "error": "internal_error", "message": message}, 2
    _emit(args.json, report)
    return status


def _scan_report(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from softphone.provisioning import qr_decode, qr_format
    from softphone.provisioning.qr_errors import QrError

    accept = qr_decode.any_text if args.any else qr_decode.is_vicifast_code
    found = qr_decode.scan_image(args.image, args.decoder, accept=accept)
    if found is None:
        what = "QR" if args.any else "VICIfast"
        message = f"No {what} code found in {args.image}."
        return {"ok": False, "text": None, "kind": None, "error": "no_code", "message": message}, 1
    report: dict[str, Any] = {
        "ok": True,
        "text": found.text,
        "kind": None,
        "decoder": found.decoder,
        "pass": found.pass_name,
    }
    try:
        code = qr_format.parse(found.text)
        report["kind"] = code.kind
        if isinstance(code, qr_format.SealedSipCode):
            if args.pin is None:
                report["sealed"] = True
                report["error"] = "pin_required"
                report["message"] = "A SIP account code: give --pin to open it."
            else:
                report["fields"] = code.open(args.pin).to_json()
        else:
            report["fields"] = code.to_json()
    except QrError as err:
        report["error"] = err.code
        report["message"] = str(err)
    report["ok"] = "error" not in report
    return report, 0


def _emit(as_json: bool, report: dict[str, Any]) -> None:
    if as_json:
        # ASCII JSON: whatever a code holds (even a lone surrogate) and whatever stdout's encoding.
        print(json.dumps(report, ensure_ascii=True))
        return
    if report.get("text") is None:
        print(_safe(report["message"]), file=sys.stderr)
        return
    print(_safe(report["text"]))
    for key, value in report.get("fields", {}).items():
        print(f"  {key}: {_safe(str(value))}")
    if "message" in report:
        print(f"  {_safe(report['message'])}", file=sys.stderr)


def _safe(text: str) -> str:
    """Text any stream can print (a code's text may hold anything a QR symbol can carry)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding, "replace")
