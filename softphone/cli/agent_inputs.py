"""What the ``agent`` command runs with, from its parsed flags: the SIP account (the flags and a
``--config`` file) or, with ``--signin``, the sign-in plan (control plane, VICIdial password,
authenticator codes, the keychain).

Passwords come from :mod:`softphone.cli.prompts` (a file, a descriptor, the ``*_ENV`` variables
below, or a prompt), never from a flag or the config file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from softphone.cli.prompts import FLAGS, from_environment, read_secret_from_args
from softphone.core.errors import ConfigError
from softphone.core.models import (
    DEFAULT_CODECS,
    AutoAnswerPolicy,
    DtmfMethod,
    SipAccountConfig,
    SrtpMode,
    Transport,
)
from softphone.core.secret import Secret

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
    from softphone.provisioning.defaults import DEFAULT_BASE_URL

    company = args.company or (deployed.company_code if args.username else "")
    if args.control_plane or not deployed.control_plane:
        return company, args.control_plane or DEFAULT_BASE_URL, args.ca_file or ""
    return company, deployed.control_plane, args.ca_file or deployed.ca_file


def signin_plan(args: argparse.Namespace) -> SignInPlan:
    from softphone.desktop.deployment import load_defaults
    from softphone.provisioning.client import login_url
    from softphone.signin.config import SignInConfig
    from softphone.signin.service import SignInPlan, load_install_ids
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
