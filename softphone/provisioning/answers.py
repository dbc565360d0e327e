"""The answers of the two server contracts (docs/api/openapi.json), parsed strictly.

Every field of an answer is checked against its range before anything is built from it; what
the contract bounds only below, and what a server says about time, is clamped, never trusted.
A body outside the contract is a :class:`~softphone.provisioning.errors.MalformedResponse`
naming the first bad field.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from softphone.core.errors import ConfigError
from softphone.core.hosts import is_host
from softphone.core.models import (
    DEFAULT_CODECS,
    MAX_CODECS,
    AutoAnswerPolicy,
    DtmfMethod,
    SipAccountConfig,
    SrtpMode,
    Transport,
    check_server_account,
    has_control,
)
from softphone.core.secret import Secret
from softphone.provisioning import errors as e
from softphone.provisioning.https import check_url

# What a server may say about time, in seconds; anything outside is refused, not trusted.
MAX_REAUTH_AFTER_S = 7 * 86400
MAX_TTL_S = 30 * 86400
MAX_LEASE_AHEAD = timedelta(days=30)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_SLUG_MAX = 64
_TOKEN_MAX = 4096
_URL_MAX = 2048


@dataclass(frozen=True, slots=True)
class ServerInfo:
    slug: str
    host: str
    provision_url: str


@dataclass(frozen=True, slots=True)
class FirewallLease:
    ip: str
    expires_at: datetime  # timezone-aware, UTC
    ttl_s: int


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: Secret
    reauth_after_s: int
    server: ServerInfo
    firewall: FirewallLease


@dataclass(frozen=True, slots=True)
class ProvisionedAccount:
    sip: SipAccountConfig
    config_version: int


def _fail(field: str) -> e.MalformedResponse:
    return e.MalformedResponse(
        f"The server's answer is missing '{field}' or has it in the wrong form. "
        "Check the server address under Advanced, or try again later; if it keeps happening, "
        "tell your administrator."
    )


def _obj(data: Any, key: str, path: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise _fail(path)
    return value


def _str(
    data: dict[str, Any], key: str, path: str, *, optional: bool = False, limit: int = 1024
) -> str:
    """A text field: no control characters, at most ``limit`` characters (after trimming)."""
    value = data.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise _fail(path)
    value = value.strip()
    if len(value) > limit or has_control(value):
        raise _fail(path)
    return value


def _int(data: Any, key: str, path: str, lo: int, hi: int) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(path)
    return value


def _clamped_int(data: Any, key: str, path: str, lo: int, hi: int) -> int:
    """An integer field the contract bounds only below: at least ``lo``, then capped at ``hi``
    (a server asking for a week-long session gets ``hi``, not an overflow later)."""
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise _fail(path)
    return min(value, hi)


def _utc(text: str, path: str, now: datetime) -> datetime:
    """An ISO-8601 time with a zone, in UTC, at most ``now`` + MAX_LEASE_AHEAD. A time in the
    past stays (the lease is over: re-auth is due), but not before _EARLIEST, so arithmetic on
    it cannot overflow."""
    if len(text) > 64:
        raise _fail(path)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(path) from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise _fail(path)  # the contract says UTC; a naive time would be a guess
    latest = now + MAX_LEASE_AHEAD
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is past datetime's last day in UTC
        return latest
    return min(max(when, _EARLIEST), latest)


def check_provision_url(url: str, *, plain_http_to_loopback: bool = False) -> httpx.URL:
    """:func:`check_url` for an address a server gave, with a message that says so."""
    try:
        return check_url(url, plain_http_to_loopback=plain_http_to_loopback)
    except e.InsecureAddress:
        raise e.InsecureAddress(e.INSECURE_PROVISION_URL) from None


def parse_login(
    data: Any, *, plain_http_to_loopback: bool = False, now: datetime | None = None
) -> LoginResult:
    """A 200 login body → LoginResult, or MalformedResponse naming the first bad field.
    ``plain_http_to_loopback`` only for a plain-http test control plane (it lets
    ``provision_url`` be plain http to a loopback host). Times are clamped: ``reauth_after_s``
    to MAX_REAUTH_AFTER_S, ``ttl_s`` to MAX_TTL_S, ``expires_at`` to ``now`` … ``now`` +
    MAX_LEASE_AHEAD."""
    now = now or datetime.now(UTC)
    session = _obj(data, "session", "session")
    server = _obj(data, "server", "server")
    firewall = _obj(data, "firewall", "firewall")
    provision_url = _str(server, "provision_url", "server.provision_url", limit=_URL_MAX)
    check_provision_url(provision_url, plain_http_to_loopback=plain_http_to_loopback)
    ip = _str(firewall, "ip", "firewall.ip", limit=64)
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise _fail("firewall.ip") from None
    host = _str(server, "host", "server.host", limit=253)
    if not is_host(host) and not is_host(f"[{host}]"):
        raise _fail("server.host")
    expires_at = _str(firewall, "expires_at", "firewall.expires_at")
    return LoginResult(
        token=Secret(_str(session, "token", "session.token", limit=_TOKEN_MAX)),
        reauth_after_s=_clamped_int(
            session, "reauth_after_s", "session.reauth_after_s", 1, MAX_REAUTH_AFTER_S
        ),
        server=ServerInfo(
            slug=_str(server, "slug", "server.slug", limit=_SLUG_MAX),
            host=host,
            provision_url=provision_url,
        ),
        firewall=FirewallLease(
            ip=ip,
            expires_at=_utc(expires_at, "firewall.expires_at", now),
            ttl_s=_clamped_int(firewall, "ttl_s", "firewall.ttl_s", 1, MAX_TTL_S),
        ),
    )


def _enum(data: dict[str, Any], key: str, path: str, choices: tuple[str, ...]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or value not in choices:
        raise _fail(path)
    return value


def parse_provisioned(data: Any) -> ProvisionedAccount:
    """A 200 provisioning body → ProvisionedAccount; MalformedResponse when outside the contract."""
    sip = _obj(data, "sip", "sip")
    codecs = sip.get("codecs")
    if not isinstance(codecs, list) or not all(isinstance(c, str) and c for c in codecs):
        raise _fail("sip.codecs")
    if len(codecs) > MAX_CODECS:
        raise _fail("sip.codecs")
    password = sip.get("password")
    if not isinstance(password, str) or not password or len(password) > 256:
        raise _fail("sip.password")
    auto_answer = _str(sip, "auto_answer", "sip.auto_answer", limit=32)
    if not isinstance(sip.get("proxy"), str):
        raise _fail("sip.proxy")
    if not isinstance(sip.get("display_name"), str):
        raise _fail("sip.display_name")
    version = _int(data, "config_version", "config_version", 1, 2**63)
    try:
        account = SipAccountConfig(
            extension=_str(sip, "extension", "sip.extension"),
            password=Secret(password),
            domain=_str(sip, "domain", "sip.domain"),
            proxy=_str(sip, "proxy", "sip.proxy", optional=True),
            transport=Transport(_enum(sip, "transport", "sip.transport", ("udp", "tcp", "tls"))),
            port=_int(sip, "port", "sip.port", 1, 65535),
            srtp=SrtpMode(_enum(sip, "srtp", "sip.srtp", ("off", "optional", "mandatory"))),
            codecs=tuple(codecs) or DEFAULT_CODECS,
            reg_expires_s=_int(sip, "reg_expires_s", "sip.reg_expires_s", 1, 2**31),
            keepalive_s=_int(sip, "keepalive_s", "sip.keepalive_s", 0, 2**31),
            display_name=_str(sip, "display_name", "sip.display_name", optional=True),
            dtmf=DtmfMethod(_enum(sip, "dtmf", "sip.dtmf", ("rfc2833", "info"))),
            auto_answer=AutoAnswerPolicy.parse(auto_answer),
        )
        check_server_account(account)
    except ConfigError as err:  # outside the account's bounds; the message names the field
        raise e.MalformedResponse(
            f"Your employer's server sent a SIP account this app cannot use: {err} "
            "Tell your administrator."
        ) from None
    return ProvisionedAccount(sip=account, config_version=version)
