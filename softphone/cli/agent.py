"""The ``agent`` command: its flags (:func:`add_agent_parser`) and its run (:func:`run_agent`),
a :class:`~softphone.headless.agent.HeadlessAgent` with the account or sign-in that
:mod:`softphone.cli.agent_inputs` makes of the flags; ``agent --signout`` wipes the saved
sign-in like the app's sign-out."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from softphone.cli.agent_inputs import (
    PASSWORD_ENV,
    SIGNIN_PASSWORD_ENV,
    TOTP_ENV,
    account_from_args,
    signin_plan,
)
from softphone.cli.prompts import add_password_arguments
from softphone.core.errors import ConfigError
from softphone.core.models import DtmfMethod, EngineConfig, SrtpMode, Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from softphone.audio.backend import AudioStream
    from softphone.audio.ring import AudioRings


def add_agent_parser(sub: Any) -> None:
    """The ``agent`` subcommand, on the top-level parser's ``sub`` (its subparsers)."""
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


def run_agent(args: argparse.Namespace) -> int:
    from softphone.headless.agent import AgentPlan, HeadlessAgent

    if args.signout:
        return _sign_out()
    if not args.signin and (args.company or args.username or args.control_plane):
        raise ConfigError("--company, --username and --control-plane go with --signin.")
    if args.insecure_test_server and not (args.signin and args.control_plane):
        raise ConfigError("--insecure-test-server goes with --signin and --control-plane.")
    signin = signin_plan(args) if args.signin else None
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
