"""Command line: ``vicifast-phone [--demo] [LINK]`` opens the app; ``vicifast-phone
demo|agent|emulator|qr …`` run the tools; ``--help`` on each lists options.

This module holds the top-level parser, the ``demo`` subcommand's flags and :func:`main`, which
dispatches; each tool's own flags and run are in its module (:mod:`.agent`, :mod:`.qr`,
``softphone.emulator.cli``)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from softphone import __version__
from softphone.cli.agent_inputs import PASSWORD_ENV, SIGNIN_PASSWORD_ENV, TOTP_ENV
from softphone.cli.prompts import forget_taken, take_from_environment
from softphone.core.errors import VicifastError
from softphone.core.links import is_link
from softphone.desktop.hardening import harden_process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

# Each command's own module (its flags, its run, what they import) is imported when that
# command is given: ``vicifast-phone agent`` does not pay for the emulator's, the QR tools' or
# the load run's imports before it registers (tests/unit/test_startup_imports.py).


class _Parser(argparse.ArgumentParser):
    """Usage errors as one JSON object on stdout when the command line asks for --json (a tester's
    script parses every line), else argparse's usage text on stderr; exit status 2 either way."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if not self.json_errors:
            super().error(message)
        print(json.dumps({"ok": False, "error": "usage", "message": f"{self.prog}: {message}"}))
        sys.exit(2)


def _parser(json_errors: bool = False, only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only`` (a command given first, as in ``vicifast-phone
    agent …``) the other commands' parsers are left out, and their modules unimported: their
    flags cannot come after that command, and the top-level help, which lists them all, cannot
    be asked for after it either."""
    _Parser.json_errors = json_errors  # subcommand parsers are made of the same class
    parser = _Parser(
        prog="vicifast-phone",
        usage="%(prog)s [-h] [--version] [--demo] [sip:/tel:/callto: LINK] | COMMAND ...",
        description="VICIfast Desktop softphone. Without a command it opens the app; a sip:, "
        "tel: or callto: link given after it is dialled once you confirm (an app already "
        "running gets the link instead of a second window opening).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app signed in to a bundled emulator on this computer (its own "
        "control plane, provisioning and, when kamailio is installed, registrar)",
    )
    sub = parser.add_subparsers(dest="command")
    if only is None or only == "demo":
        _add_demo_parser(sub)
    if only is None or only == "agent":
        from softphone.cli.agent import add_agent_parser

        add_agent_parser(sub)
    if only is None or only == "emulator":
        from softphone.emulator.cli import add_parser as add_emulator_parser

        add_emulator_parser(sub)
    if only is None or only == "qr":
        from softphone.cli.qr import add_qr_parser

        add_qr_parser(sub)
    if only is None or only == "load":
        from softphone.cli.load import add_load_parser

        add_load_parser(sub)
    return parser


def _add_demo_parser(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="run the demo self-check: emulator, sign-in, echo and tone lines, auto-answer",
        description="Start the bundled emulator on 127.0.0.1 (HTTPS with its own CA; kamailio "
        "as its registrar when installed) and the demo lines (echo 600, tone 601) in a child "
        "process, sign in as the demo agent, register, call the echo line and the tone line, "
        "let the tone line ring the agent with an auto-answer request, print each step and "
        "exit 0 when all worked. Without kamailio the agent calls the lines directly. With "
        "--loopback: the older demo of two accounts in one engine (no server at all).",
    )
    demo.add_argument("--json", action="store_true", help="print one JSON object per step")
    demo.add_argument(
        "--audio",
        choices=["none", "system"],
        default="none",
        help="none: a simulated sound card measures what the agent hears (the default); "
        "system: the system's microphone and speaker, for a person to listen",
    )
    demo.add_argument(
        "--keep-running", action="store_true", help="after the self-check, stay up until Ctrl+C"
    )
    demo.add_argument(
        "--direct",
        action="store_true",
        help="no kamailio even if installed: call the lines directly",
    )
    demo.add_argument(
        "--loopback", action="store_true", help="the loopback demo: one engine, no server"
    )


_COMMANDS = ("agent", "qr", "emulator", "demo", "load")


def _app_links(given: list[str]) -> list[str]:
    """The sip:/tel:/callto: links meant for the app: those before any subcommand (after one,
    such a value is the subcommand's own, e.g. ``agent --call sip:600@pbx``)."""
    links = []
    for arg in given:
        if arg in _COMMANDS:
            break
        if is_link(arg):
            links.append(arg)
    return links


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # this process's own command line (console script, -m, the bundle)
        harden_process()  # not for tests calling main(ARGS) in their own process
    given = list(sys.argv[1:] if argv is None else argv)
    links = _app_links(given)
    first = given[0] if given and given[0] in _COMMANDS else None
    parser = _parser(json_errors="--json" in given, only=first)
    args = parser.parse_args([a for a in given if a not in links])
    if links and args.command is not None:
        print("vicifast-phone: a link opens the app; give it without a command", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.WARNING if not getattr(args, "sip_trace", False) else logging.DEBUG,
        format="%(asctime)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # Out of the environment before anything can start a process that would inherit them.
    take_from_environment(PASSWORD_ENV, SIGNIN_PASSWORD_ENV, TOTP_ENV)
    try:
        if args.command == "agent":
            from softphone.cli.agent import run_agent

            return run_agent(args)
        if args.command == "qr":
            from softphone.cli.qr import run_qr

            return run_qr(args)
        if args.command == "load":
            from softphone.cli.load import run_load_command

            return run_load_command(args)
        if args.command == "emulator":
            from softphone.emulator.cli import run as run_emulator

            return run_emulator(args)
        if args.command == "demo":
            if args.loopback:
                from softphone.demo.loopback import run_loopback_demo

                return run_loopback_demo(as_json=args.json)
            from softphone.demo.headless import run_demo

            return run_demo(
                as_json=args.json,
                audio=args.audio,
                keep_running=args.keep_running,
                use_kamailio=not args.direct,
            )
        from softphone.app import run as run_app

        return run_app(links, demo=args.demo)
    except VicifastError as err:
        print(f"vicifast-phone: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        forget_taken()


if __name__ == "__main__":
    sys.exit(main())
