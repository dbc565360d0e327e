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

The VICIdial password goes only to the login endpoint and to the ``provision_url``; the SIP
password comes back from the employer's server and is never sent anywhere by these clients.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import httpx

from softphone import __version__
from softphone.core.errors import ConfigError
from softphone.core.models import (
    DEFAULT_CODECS,
    AutoAnswerPolicy,
    DtmfMethod,
    SipAccountConfig,
    SrtpMode,
    Transport,
)
from softphone.core.retry import parse_retry_after
from softphone.core.secret import Secret
from softphone.provisioning import errors as e

_log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://vicifast.com"
LOGIN_PATH = "/api/mobile/login"
DEFAULT_TIMEOUT_S = 15.0
_MAX_BODY = 256 * 1024


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


class _JsonPoster:
    """One ``httpx.Client`` with our TLS rules, and the error mapping both contracts share."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None,
        ca_file: str | None,
        timeout: float,
    ) -> None:
        self._http = httpx.Client(
            verify=make_ssl_context(ca_file),
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy or CA bundle from the environment
            headers={"User-Agent": f"VICIfast-Desktop/{__version__}"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, url: httpx.URL, body: dict[str, Any]) -> tuple[httpx.Response, Any]:
        """POST JSON; the response and its decoded JSON body (None if it is not JSON)."""
        try:
            response = self._http.post(url, json=body)
        except httpx.TimeoutException:
            _log.info("POST %s timed out", url.host)
            raise e.TransientError() from None
        except httpx.TransportError as err:
            if _is_tls_failure(err):
                _log.warning("TLS to %s failed", url.host)
                raise e.TlsError() from None
            _log.info("POST %s failed: %s", url.host, type(err).__name__)
            raise e.TransientError() from None
        _log.info("POST %s -> %d", url.host, response.status_code)
        try:
            data = response.json() if len(response.content) <= _MAX_BODY else None
        except ValueError:
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
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            wait = float(value)
    if wait is None:
        wait = parse_retry_after(response.headers.get("Retry-After", ""))
    # Without a usable wait, guess long rather than feed the limiter more failures.
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
    ) -> None:
        """``insecure_test_server``: a plain-http ``base_url`` to a loopback host is allowed
        (testers only; see the module docstring)."""
        self._login_url = login_url(base_url, insecure_test_server=insecure_test_server)
        self._device = device or DeviceInfo.current()
        super().__init__(transport=transport, ca_file=ca_file, timeout=timeout)

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
            raise e.AddonInactive(message.strip() if isinstance(message, str) else "")
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
    ) -> None:
        """``insecure_test_server``: a plain-http ``provision_url`` to a loopback host is
        allowed; give it only when the control plane is one (``ControlPlaneClient.plain_http``)."""
        self._plain_http = insecure_test_server
        super().__init__(transport=transport, ca_file=ca_file, timeout=timeout)

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


def _str(data: dict[str, Any], key: str, path: str, *, optional: bool = False) -> str:
    value = data.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise _fail(path)
    return value.strip()


def _int(data: Any, key: str, path: str, lo: int, hi: int) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(path)
    return value


def _utc(text: str, path: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(path) from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise _fail(path)  # the contract says UTC; a naive time would be a guess
    return when.astimezone(UTC)


def check_provision_url(url: str, *, plain_http_to_loopback: bool = False) -> httpx.URL:
    """:func:`check_url` for an address a server gave, with a message that says so."""
    try:
        return check_url(url, plain_http_to_loopback=plain_http_to_loopback)
    except e.InsecureAddress:
        raise e.InsecureAddress(e.INSECURE_PROVISION_URL) from None


def parse_login(data: Any, *, plain_http_to_loopback: bool = False) -> LoginResult:
    """A 200 login body → LoginResult, or MalformedResponse naming the first bad field.
    ``plain_http_to_loopback`` only for a plain-http test control plane (it lets
    ``provision_url`` be plain http to a loopback host)."""
    session = _obj(data, "session", "session")
    server = _obj(data, "server", "server")
    firewall = _obj(data, "firewall", "firewall")
    provision_url = _str(server, "provision_url", "server.provision_url")
    check_provision_url(provision_url, plain_http_to_loopback=plain_http_to_loopback)
    ip = _str(firewall, "ip", "firewall.ip")
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise _fail("firewall.ip") from None
    return LoginResult(
        token=Secret(_str(session, "token", "session.token")),
        reauth_after_s=_int(session, "reauth_after_s", "session.reauth_after_s", 1, 2**31),
        server=ServerInfo(
            slug=_str(server, "slug", "server.slug"),
            host=_str(server, "host", "server.host"),
            provision_url=provision_url,
        ),
        firewall=FirewallLease(
            ip=ip,
            expires_at=_utc(
                _str(firewall, "expires_at", "firewall.expires_at"), "firewall.expires_at"
            ),
            ttl_s=_int(firewall, "ttl_s", "firewall.ttl_s", 1, 2**31),
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
    password = sip.get("password")
    if not isinstance(password, str) or not password:
        raise _fail("sip.password")
    auto_answer = _str(sip, "auto_answer", "sip.auto_answer")
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
    except ConfigError as err:  # outside the account's bounds; the message names the field
        raise e.MalformedResponse(
            f"Your employer's server sent a SIP account this app cannot use: {err} "
            "Tell your administrator."
        ) from None
    return ProvisionedAccount(sip=account, config_version=version)
