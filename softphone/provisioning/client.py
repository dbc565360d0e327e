"""HTTP clients of the two server contracts (DESIGN.md, "Server contracts").

``ControlPlaneClient.login`` talks to VICIfast's control plane; ``ProvisioningClient.provision``
to the employer's VICIdial server. Both are blocking (``httpx.Client``): call them on a worker
thread, never on the GUI thread. TLS is always verified (TLS 1.2 or newer, system CAs, or only
the given CA file for a custom control plane or the emulator). Every address must be https. The
one exception is for testers: with ``insecure_test_server`` (``agent --insecure-test-server``,
given by the person running the program, never read from a file, a QR code or a server) the
control plane may be plain http to a loopback host, and only then may the ``provision_url`` it
returns be plain http to a loopback host too. Redirects are not followed: a redirect could carry
the password somewhere else.

Limits (a hostile or broken server must not hang, bloat or corrupt the agent): each request has
a total deadline (``REQUEST_DEADLINE_S``, connection, TLS, headers and body together) on top of
httpx's per-operation timeouts; at the deadline, or when the client is closed, the request's
socket is shut down whatever phase it is in. The body is read as a stream and refused past
``MAX_BODY`` bytes (:class:`~softphone.provisioning.errors.ResponseTooLarge`). Every field of an
answer is checked against its range before anything is built from it (see *strict parsing*).

The VICIdial password goes only to the login endpoint and to the ``provision_url``; the SIP
password comes back from the employer's server and is never sent anywhere by these clients.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import math
import os
import socket
import ssl
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import httpx

from softphone import __version__
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
from softphone.core.retry import parse_retry_after
from softphone.core.secret import Secret
from softphone.provisioning import errors as e

_log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://vicifast.com"
LOGIN_PATH = "/api/mobile/login"
DEFAULT_TIMEOUT_S = 15.0  # per operation: connect, TLS, each read and write
REQUEST_DEADLINE_S = 20.0  # the whole request, body included
MAX_BODY = 256 * 1024
# What a server may say about time, in seconds; anything outside is refused, not trusted.
MAX_REAUTH_AFTER_S = 7 * 86400
MAX_TTL_S = 30 * 86400
MAX_LEASE_AHEAD = timedelta(days=30)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_SLUG_MAX = 64
_TOKEN_MAX = 4096
_URL_MAX = 2048


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the login request says about this installation (no hardware identifiers)."""

    platform: str
    app_version: str
    device_id: str

    @classmethod
    def current(cls, device_id: str = "") -> DeviceInfo:
        """This computer; ``device_id`` should be a random id the app keeps (else a new one)."""
        platform = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
        return cls(platform, __version__, device_id or uuid.uuid4().hex)


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


def make_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Verifying context, TLS 1.2 minimum; ``ca_file`` replaces the system CAs when given."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, plain_http_to_loopback: bool = False) -> httpx.URL:
    """The URL if it is https; plain http only to a loopback host, and only when
    ``plain_http_to_loopback`` (the tester's ``--insecure-test-server``). Else InsecureAddress."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise e.InsecureAddress() from None
    if not parsed.host:
        raise e.InsecureAddress()
    if parsed.scheme == "https":
        return parsed
    if parsed.scheme == "http" and plain_http_to_loopback:
        if is_loopback_host(parsed.host):
            return parsed
        raise e.InsecureAddress(e.TEST_SERVER_NOT_LOCAL.format(host=parsed.host))
    if parsed.scheme == "http" and is_loopback_host(parsed.host):
        raise e.InsecureAddress(f"{e.InsecureAddress.default_message} {e.TEST_SERVER_HINT}")
    raise e.InsecureAddress()


def login_url(base_url: str, *, insecure_test_server: bool = False) -> httpx.URL:
    """The login endpoint of a control plane, checked by :func:`check_url`."""
    return check_url(base_url.rstrip("/") + LOGIN_PATH, plain_http_to_loopback=insecure_test_server)


class _Deadline:
    """Ends one request at its deadline, or at once on :meth:`fire`: shuts its socket down, so a
    read blocked in any phase (TLS handshake, headers, body) returns.

    The socket comes from httpcore's ``trace`` extension when the connection is made; we keep a
    duplicate of its descriptor, so the shutdown can never reach a descriptor the system has
    since given to something else.
    """

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._done = False
        self._timer = threading.Timer(seconds, self.fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self._done:
                return
            self._release()
            self._sock = socket.socket(fileno=os.dup(sock.fileno()))
            if self.expired:
                self._shut()

    def left(self) -> float:
        return self.ends - time.monotonic()

    def fire(self) -> None:
        with self._lock:
            self.expired = True
            if not self._done:
                self._shut()

    def finish(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._release()

    def _shut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed by the other side
                self._sock.shutdown(socket.SHUT_RDWR)

    def _release(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class _JsonPoster:
    """One ``httpx.Client`` with our TLS rules and limits, and the error mapping both contracts
    share. :meth:`close` may be called from another thread while a request is in flight: the
    request ends at once with :class:`~softphone.provisioning.errors.TransientError`."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None,
        ca_file: str | None,
        timeout: float,
        deadline: float = REQUEST_DEADLINE_S,
    ) -> None:
        self._deadline_s = deadline
        self._timeout = min(timeout, deadline)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._in_flight: set[_Deadline] = set()
        self._http = httpx.Client(
            verify=make_ssl_context(ca_file),
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy or CA bundle from the environment
            # a new connection per request: the deadline's watchdog knows its socket
            # identity: the size cap counts what we hold, not what a gzip bomb would become
            headers={
                "User-Agent": f"VICIfast-Desktop/{__version__}",
                "Connection": "close",
                "Accept-Encoding": "identity",
            },
        )

    def close(self) -> None:
        """Stop any request in flight (thread-safe) and close the client."""
        self._closed.set()
        with self._lock:
            in_flight = list(self._in_flight)
        for deadline in in_flight:
            deadline.fire()
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, url: httpx.URL, body: dict[str, Any]) -> tuple[httpx.Response, Any]:
        """POST JSON; the response and its decoded JSON body (None if it is not JSON)."""
        if self._closed.is_set():
            raise e.TransientError()
        deadline = _Deadline(self._deadline_s)
        with self._lock:
            self._in_flight.add(deadline)
        try:
            return self._send(url, body, deadline)
        except httpx.TimeoutException:
            _log.info("POST %s timed out", url.host)
            raise e.TooSlow() from None
        except httpx.TransportError as err:
            if self._closed.is_set():
                raise e.TransientError() from None
            if deadline.expired:
                _log.info("POST %s passed its deadline", url.host)
                raise e.TooSlow() from None
            if _is_tls_failure(err):
                _log.warning("TLS to %s failed", url.host)
                raise e.TlsError() from None
            _log.info("POST %s failed: %s", url.host, type(err).__name__)
            raise e.TransientError() from None
        except (RuntimeError, OSError) as err:  # closed under us (close() from another thread)
            _log.info("POST %s stopped: %s", url.host, type(err).__name__)
            raise e.TransientError() from None
        finally:
            deadline.finish()
            with self._lock:
                self._in_flight.discard(deadline)

    def _send(
        self, url: httpx.URL, body: dict[str, Any], deadline: _Deadline
    ) -> tuple[httpx.Response, Any]:
        extensions = {"trace": deadline.trace}
        with self._http.stream("POST", url, json=body, extensions=extensions) as response:
            _log.info("POST %s -> %d", url.host, response.status_code)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_BODY:
                raise e.ResponseTooLarge()
            if response.headers.get("Content-Encoding", "identity").lower() != "identity":
                raise e.MalformedResponse()  # we asked for none; compressed could be a bomb
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    _log.info("POST %s: answer over %d bytes, stopped", url.host, MAX_BODY)
                    raise e.ResponseTooLarge()
                if deadline.left() <= 0 or deadline.expired:
                    raise e.TooSlow()
                chunks.append(chunk)
            if deadline.expired:
                raise e.TooSlow()
        raw = b"".join(chunks)
        try:
            data = json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            data = None
        return response, data


def _is_tls_failure(err: BaseException) -> bool:
    seen: BaseException | None = err
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _error_code(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return ""


def _rate_limited(response: httpx.Response, data: Any) -> e.RateLimited:
    wait: float | None = None
    if isinstance(data, dict):
        value = data.get("retry_after_s")
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                wait = float(value)
            except OverflowError:  # an integer of 400 digits
                wait = e.MAX_RETRY_AFTER_S
            if not (math.isfinite(wait) and wait >= 0):
                wait = None
    if wait is None:
        wait = parse_retry_after(response.headers.get("Retry-After", ""))
    # Without a usable wait, guess long rather than feed the limiter more failures; RateLimited
    # caps what it is given at a day.
    return e.RateLimited(wait if wait is not None else 3600.0)


def _unexpected(response: httpx.Response) -> e.SignInError:
    if response.status_code >= 500:
        return e.TransientError()
    return e.MalformedResponse()


class ControlPlaneClient(_JsonPoster):
    """``POST /api/mobile/login`` on the VICIfast control plane. Blocking; not thread-safe."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: httpx.BaseTransport | None = None,
        ca_file: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        device: DeviceInfo | None = None,
        insecure_test_server: bool = False,
        deadline: float = REQUEST_DEADLINE_S,
    ) -> None:
        """``insecure_test_server``: a plain-http ``base_url`` to a loopback host is allowed
        (testers only; see the module docstring)."""
        self._login_url = login_url(base_url, insecure_test_server=insecure_test_server)
        self._device = device or DeviceInfo.current()
        super().__init__(transport=transport, ca_file=ca_file, timeout=timeout, deadline=deadline)

    @property
    def plain_http(self) -> bool:
        """True for a plain-http test control plane: only then may ``provision_url`` be http."""
        return self._login_url.scheme == "http"

    def login(
        self,
        company_code: str,
        username: str,
        password: Secret,
        totp: str | None = None,
        device: DeviceInfo | None = None,
    ) -> LoginResult:
        dev = device or self._device
        body: dict[str, Any] = {
            "username": username,
            "password": password.reveal(),
            "company_code": company_code,
            "device": {
                "platform": dev.platform,
                "app_version": dev.app_version,
                "device_id": dev.device_id,
            },
        }
        if totp is not None:
            code = "".join(totp.split())
            if not (len(code) == 6 and code.isascii() and code.isdigit()):
                raise e.TotpInvalid(
                    "An authenticator code is 6 digits. Enter the code your app shows now."
                )
            body["totp"] = code
        response, data = self._post(self._login_url, body)
        status, code = response.status_code, _error_code(data)
        if status == 200:
            return parse_login(data, plain_http_to_loopback=self.plain_http)
        if status == 401 and code == "invalid_credentials":
            raise e.InvalidCredentials()
        if status == 401 and code == "totp_required":
            raise e.TotpRequired()
        if status == 401 and code == "totp_invalid":
            raise e.TotpInvalid()
        if status == 403 and code == "account_revoked":
            raise e.AccountRevoked()
        if status == 403 and code == "addon_inactive":
            message = data.get("message") if isinstance(data, dict) else None
            raise e.AddonInactive(_server_message(message))
        if status == 404 and code == "unknown_company":
            raise e.UnknownCompany()
        if status == 429:
            raise _rate_limited(response, data)
        raise _unexpected(response)


class ProvisioningClient(_JsonPoster):
    """``POST {provision_url}`` on the employer's VICIdial server. Blocking; not thread-safe."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        ca_file: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        insecure_test_server: bool = False,
        deadline: float = REQUEST_DEADLINE_S,
    ) -> None:
        """``insecure_test_server``: a plain-http ``provision_url`` to a loopback host is
        allowed; give it only when the control plane is one (``ControlPlaneClient.plain_http``)."""
        self._plain_http = insecure_test_server
        super().__init__(transport=transport, ca_file=ca_file, timeout=timeout, deadline=deadline)

    def provision(self, provision_url: str, username: str, password: Secret) -> ProvisionedAccount:
        url = check_provision_url(provision_url, plain_http_to_loopback=self._plain_http)
        response, data = self._post(url, {"username": username, "password": password.reveal()})
        if response.status_code == 200:
            return parse_provisioned(data)
        if response.status_code == 401:
            raise e.InvalidCredentials(
                "Your employer's VICIdial server did not accept your username and password. "
                "Sign in again with your current VICIdial password."
            )
        if response.status_code == 403:
            raise e.AccountRevoked()
        if response.status_code == 429:
            raise _rate_limited(response, data)
        raise _unexpected(response)


# ---- strict parsing ----------------------------------------------------------------------


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


def _server_message(value: Any) -> str:
    """A server's own words for people: one line of printable text, cut to a sane length."""
    if not isinstance(value, str):
        return ""
    text = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    if len(text) > e.MAX_MESSAGE_CHARS:
        text = text[: e.MAX_MESSAGE_CHARS - 1].rstrip() + "…"
    return text


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
