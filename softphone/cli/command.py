"""Command line: ``vicifast-phone [--demo] [LINK]`` opens the app; ``vicifast-phone
demo|agent|emulator|qr …`` run the tools; ``--help`` on each lists options."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from softphone import __version__
from softphone.cli.prompts import (
    FLAGS,
    add_password_arguments,
    forget_taken,
    from_environment,
    read_secret_from_args,
    take_from_environment,
)
from softphone.cli.qr import add_qr_parser, run_qr
from softphone.core.errors import ConfigError, VicifastError
from softphone.core.links import is_link
from softphone.core.models import (
    DEFAULT_CODECS,
    AutoAnswerPolicy,
    DtmfMethod,
    EngineConfig,
    SipAccountConfig,
    SrtpMode,
    Transport,
)
from softphone.core.secret import Secret
from softphone.desktop.hardening import harden_process

if TYPE_CHECKING:
    from softphone.audio.backend import AudioStream
    from softphone.audio.ring import AudioRings
    from softphone.desktop.deployment import DeploymentDefaults
    from softphone.signin.service import SignInPlan

PASSWORD_ENV = "VICIFAST_SIP_PASSWORD"
SIGNIN_PASSWORD_ENV = "VICIFAST_PASSWORD"  # the VICIdial password, for --signin
TOTP_ENV = "VICIFAST_TOTP"
TEST_MODE_NOTICE = "Test mode: plain HTTP allowed to loopback (--insecure-test-server)."
_ACCOUNT_KEYS = {
    "server",
    "domain",
    "proxy",
    "port",
    "transport",
    "extension",
    "auth_user",
    "display_name",
    "srtp",
    "dtmf",
    "ca_file",
    "reg_expires_s",
    "keepalive_s",
    "answer",
    "register",
    "codecs",
    "accept_direct_calls",
}


class _Parser(argparse.ArgumentParser):
    """Usage errors as one JSON object on stdout when the command line asks for --json (a tester's
    script parses every line), else argparse's usage text on stderr; exit status 2 either way."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if not self.json_errors:
            super().error(message)
        print(json.dumps({"ok": False, "error": "usage", "message": f"{self.prog}: {message}"}))
        sys.exit(2)


def _parser(json_errors: bool = False) -> argparse.ArgumentParser:
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

    agent = sub.add_parser(
        "agent",
        help="run a headless SIP agent (no GUI)",
        description="Register one SIP account and optionally place or take calls, printing each "
        f"event. The SIP password comes from --password-file, --password-fd, ${PASSWORD_ENV} or "
        "a prompt, never from the command line itself or the config file. With --signin the "
        "agent signs in like the app instead: VICIdial credentials to the control plane, the SIP "
        "account from the employer's server, the firewall re-opened as the lease requires; the "
        "session is kept in the OS keychain.",
    )
    _add_signin_arguments(agent)
    add_password_arguments(
        agent, "the password this run needs (the SIP password; with --signin the VICIdial one)"
    )
    agent.add_argument(
        "--config",
        type=Path,
        help="TOML or JSON file with the account settings "
        "(same names as the flags, underscores for dashes)",
    )
    agent.add_argument("--server", help="SIP domain/registrar host (alias of --domain)")
    agent.add_argument("--domain", help="SIP domain of the account")
    agent.add_argument("--proxy", help="outbound proxy host (default: the domain)")
    agent.add_argument("--port", type=int, help="port of the first hop (default: by transport)")
    agent.add_argument("--transport", choices=[t.value for t in Transport])
    agent.add_argument("--extension", help="SIP extension (user name)")
    agent.add_argument("--auth-user", help="digest user name when it differs from the extension")
    agent.add_argument("--display-name")
    agent.add_argument("--srtp", choices=[m.value for m in SrtpMode])
    agent.add_argument("--dtmf-method", dest="dtmf", choices=[m.value for m in DtmfMethod])
    agent.add_argument(
        "--ca-file",
        help="CA certificates (PEM) that verify the TLS server (with --signin: the custom "
        "control plane and the employer's server)",
    )
    agent.add_argument("--reg-expires", dest="reg_expires_s", type=int)
    agent.add_argument("--keepalive", dest="keepalive_s", type=int)
    agent.add_argument(
        "--no-register",
        dest="register",
        action="store_false",
        default=None,
        help="do not register (calls still work when addressed directly)",
    )
    agent.add_argument(
        "--accept-direct-calls",
        action="store_true",
        default=None,
        help="let calls from anywhere but the account's own SIP server ring (never answered "
        "automatically); without it a registered account answers them 403 Forbidden",
    )
    agent.add_argument(
        "--bind",
        default="0.0.0.0",
        help="local address to bind SIP and RTP to (with --signin, the sign-in requests too)",
    )
    agent.add_argument(
        "--answer",
        help="auto-answer: off, auto (always), header (when the "
        "INVITE asks, as VICIdial does; the default) or after=SECONDS",
    )
    agent.add_argument("--call", help="number or SIP URI to call once registered")
    agent.add_argument(
        "--dtmf", dest="send_dtmf", default="", help="digits to send once a call is connected"
    )
    agent.add_argument("--hold-after", type=float, help="hold a connected call after S seconds")
    agent.add_argument("--hangup-after", type=float, help="hang up a connected call after S s")
    agent.add_argument(
        "--calls",
        type=int,
        default=0,
        help="exit after N calls ended (default: 1 with --call, else no limit)",
    )
    agent.add_argument("--duration", type=float, help="exit after S seconds")
    agent.add_argument("--register-timeout", type=float, default=15.0)
    agent.add_argument("--json", action="store_true", help="print one JSON event per line")
    agent.add_argument(
        "--audio",
        choices=["none", "system"],
        default="none",
        help="none: calls play into a null device (the default, for tests and load); "
        "system: the system's default microphone and speaker",
    )
    agent.add_argument(
        "--sip-trace", action="store_true", help="log SIP messages to stderr, credentials redacted"
    )
    from softphone.emulator.cli import add_parser as add_emulator_parser

    add_emulator_parser(sub)
    add_qr_parser(sub)
    return parser


def _add_signin_arguments(agent: argparse.ArgumentParser) -> None:
    group = agent.add_argument_group(
        "sign-in",
        f"The VICIdial password comes from --password-file, --password-fd, ${SIGNIN_PASSWORD_ENV} "
        "or a prompt, an "
        f"authenticator code from ${TOTP_ENV} or a prompt. --signin alone resumes the sign-in "
        "saved in the keychain.",
    )
    mode = group.add_mutually_exclusive_group()
    mode.add_argument(
        "--signin",
        action="store_true",
        help="sign in with VICIdial credentials instead of giving a SIP account",
    )
    mode.add_argument(
        "--signout",
        action="store_true",
        help="delete the saved sign-in (all credentials and tokens in the keychain), the call "
        "history and the SIP trace, and exit",
    )
    group.add_argument(
        "--company",
        help="company code (with --signin; default: the one in vicifast-phone.ini, if any)",
    )
    group.add_argument("--username", help="VICIdial username (with --signin)")
    group.add_argument(
        "--control-plane",
        metavar="URL",
        help="a custom control plane or the emulator (default: the one in vicifast-phone.ini, else "
        "https://vicifast.com); always https:// unless --insecure-test-server",
    )
    group.add_argument(
        "--insecure-test-server",
        action="store_true",
        help="TESTING ONLY: let --control-plane be plain http:// to this computer (localhost, "
        "127.x.x.x, [::1]), e.g. an `emulator --insecure-http`; the password then crosses "
        "loopback unencrypted. Never from a file, a QR code or a server's answer",
    )


def _load_config(path: Path) -> dict[str, Any]:
    import tomllib  # only when a config file is given: it costs start-up time otherwise

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"Cannot read {path}: {err.strerror}.") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path} is not valid {path.suffix.lstrip('.').upper()}: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a table of settings.")
    if "password" in data:
        raise ConfigError(f"{path} contains a password. Remove it and use {FLAGS} instead.")
    unknown = set(data) - _ACCOUNT_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown settings {', '.join(sorted(unknown))}.")
    return data


def _password(args: argparse.Namespace) -> Secret:
    return read_secret_from_args(args, PASSWORD_ENV, "the SIP password")


def account_from_args(args: argparse.Namespace) -> SipAccountConfig:
    settings: dict[str, Any] = _load_config(args.config) if args.config else {}
    for key in _ACCOUNT_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = value
    domain = settings.pop("domain", None) or settings.pop("server", None)
    settings.pop("server", None)
    extension = settings.pop("extension", None)
    if not domain or not extension:
        raise ConfigError("Give at least --server (or --domain) and --extension.")
    answer = AutoAnswerPolicy.parse(str(settings.pop("answer", "header")).replace("auto", "always"))
    try:
        return SipAccountConfig(
            extension=str(extension),
            password=_password(args),
            domain=str(domain),
            proxy=str(settings.pop("proxy", "") or ""),
            transport=Transport(settings.pop("transport", "udp")),
            port=int(settings.pop("port", 0)),
            srtp=SrtpMode(settings.pop("srtp", "off")),
            dtmf=DtmfMethod(settings.pop("dtmf", "rfc2833")),
            auto_answer=answer,
            auth_user=str(settings.pop("auth_user", "") or ""),
            display_name=str(settings.pop("display_name", "") or ""),
            ca_file=str(settings.pop("ca_file", "") or ""),
            reg_expires_s=int(settings.pop("reg_expires_s", 300)),
            keepalive_s=int(settings.pop("keepalive_s", 15)),
            register=bool(settings.pop("register", True)),
            codecs=tuple(settings.pop("codecs", DEFAULT_CODECS)),
            accept_direct_calls=_optional_bool(settings.pop("accept_direct_calls", None)),
        )
    except (ValueError, TypeError) as err:
        raise ConfigError(f"Invalid account setting: {err}") from None


def _optional_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ConfigError("accept_direct_calls must be true or false.")


def signin_target(args: argparse.Namespace, deployed: DeploymentDefaults) -> tuple[str, str, str]:
    """(company code, control plane, CA file) for --signin: the flags, else the deployment
    file's defaults (its company code only with --username: without, the agent resumes)."""
    from softphone.provisioning.client import DEFAULT_BASE_URL

    company = args.company or (deployed.company_code if args.username else "")
    if args.control_plane or not deployed.control_plane:
        return company, args.control_plane or DEFAULT_BASE_URL, args.ca_file or ""
    return company, deployed.control_plane, args.ca_file or deployed.ca_file


def _signin_plan(args: argparse.Namespace) -> SignInPlan:
    from softphone.desktop.deployment import load_defaults
    from softphone.provisioning.client import login_url
    from softphone.signin.service import SignInConfig, SignInPlan, load_install_ids
    from softphone.storage.keychain import KeychainStore

    company, control_plane, ca_file = signin_target(args, load_defaults())
    if args.insecure_test_server:
        print(f"vicifast-phone: {TEST_MODE_NOTICE}", file=sys.stderr)
    # Before the password prompt, the keychain or any file: refuse an address that is not https.
    login_url(control_plane, insecure_test_server=args.insecure_test_server)
    if bool(company) != bool(args.username):
        raise ConfigError("Give both --company and --username (or neither, to resume).")
    password = _signin_password(args) if company else None
    if not company and (args.password_file or args.password_fd is not None):
        raise ConfigError(f"{FLAGS} go with --username: without it --signin resumes.")
    totp = _totp_source()
    ids = load_install_ids()
    store = KeychainStore.open(ids.install_id)
    return SignInPlan(
        config=SignInConfig(
            control_plane=control_plane,
            ca_file=ca_file or None,
            bind_address=args.bind,
            insecure_test_server=args.insecure_test_server,
        ),
        store=store,
        device_id=ids.device_id,
        company=company,
        username=args.username or "",
        password=password,
        totp=totp,
    )


def _signin_password(args: argparse.Namespace) -> Secret:
    return read_secret_from_args(args, SIGNIN_PASSWORD_ENV, "the VICIdial password")


def _totp_source() -> Callable[[object], str | None]:
    from_env = [from_environment(TOTP_ENV) or ""]

    def ask(reason: object) -> str | None:
        if from_env[0]:
            code, from_env[0] = from_env[0], ""  # used once: a wrong code is not resent
            return code
        if sys.stdin.isatty():
            return input("Authenticator code: ").strip() or None
        return None

    return ask


def _sign_out() -> int:
    """The app's sign-out wipe from the command line: the keychain, then the call history
    (whose key just went with the keychain) and the SIP trace, saying what is left, and where."""
    from softphone.core.errors import NotDeleted
    from softphone.signin.service import default_state_dir, load_install_ids
    from softphone.storage.history import erase_all
    from softphone.storage.keychain import KeychainStore
    from softphone.ui.diagnostics import TraceLog

    store = KeychainStore.open(load_install_ids().install_id)
    store.clear()
    left: list[str] = []
    erasers: list[Callable[[], None]] = [
        lambda: erase_all(default_state_dir(), store),
        TraceLog().erase,
    ]
    for erase in erasers:
        try:
            erase()
        except NotDeleted as err:
            left.append(str(err))
    if left:
        print(
            f"vicifast-phone: Signed out, but {'; '.join(left)}. Delete "
            f"{'it' if len(left) == 1 else 'them'} by hand, or run --signout again.",
            file=sys.stderr,
        )
        return 1
    print("Signed out: the saved sign-in, the call history and the SIP trace were deleted.")
    return 0


def _run_agent(args: argparse.Namespace) -> int:
    from softphone.headless.agent import AgentPlan, HeadlessAgent

    if args.signout:
        return _sign_out()
    if not args.signin and (args.company or args.username or args.control_plane):
        raise ConfigError("--company, --username and --control-plane go with --signin.")
    if args.insecure_test_server and not (args.signin and args.control_plane):
        raise ConfigError("--insecure-test-server goes with --signin and --control-plane.")
    signin = _signin_plan(args) if args.signin else None
    account = None if signin is not None else account_from_args(args)
    plan = AgentPlan(
        call=args.call or "",
        dtmf=args.send_dtmf,
        hold_after_s=args.hold_after,
        hangup_after_s=args.hangup_after,
        duration_s=args.duration,
        calls=args.calls or (1 if args.call else 0),
        register_timeout_s=args.register_timeout,
    )
    engine = EngineConfig(
        bind_address=args.bind, sip_trace=args.sip_trace, log_level=4 if args.sip_trace else 0
    )
    rings, stream = _open_audio(args.audio)
    agent = HeadlessAgent(
        account, plan, engine_config=engine, as_json=args.json, audio=rings, signin=signin
    )
    # SIGTERM (a service manager, a test fixture) ends the run like Ctrl-C: unregister first.
    signal.signal(signal.SIGTERM, lambda *_: agent.stop_soon())
    try:
        outcome = agent.run()
    finally:
        if stream is not None:
            stream.close()
    if outcome.exit_code:
        print(f"vicifast-phone: {outcome.message}", file=sys.stderr)
    return outcome.exit_code


def _open_audio(choice: str) -> tuple[AudioRings | None, AudioStream | None]:
    if choice == "none":
        return None, None
    from softphone.audio.ring import AudioRings
    from softphone.audio.sounddevice_backend import SoundDeviceBackend

    rings = AudioRings.create()
    return rings, SoundDeviceBackend().open_duplex(rings.capture, rings.playback)


_COMMANDS = ("agent", "qr", "emulator", "demo")


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
    args = _parser(json_errors="--json" in given).parse_args([a for a in given if a not in links])
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
            return _run_agent(args)
        if args.command == "qr":
            return run_qr(args)
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
