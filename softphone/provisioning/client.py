"""HTTP clients of the two server contracts (DESIGN.md, "Server contracts").

``ControlPlaneClient.login`` talks to VICIfast's control plane; ``ProvisioningClient.provision``
to the employer's VICIdial server. Both are blocking (``httpx.Client``): call them on a worker
thread, never on the GUI thread. They post over :mod:`softphone.provisioning.https` (verified
TLS, https only, a deadline and a size cap per request), turn each error answer of the contract
into its :mod:`softphone.provisioning.errors` class, and parse a success strictly
(:mod:`softphone.provisioning.answers`). The one exception to https is for testers: with
``insecure_test_server`` (``agent --insecure-test-server``, given by the person running the
program, never read from a file, a QR code or a server) the control plane may be plain http to
a loopback host, and only then may the ``provision_url`` it returns be plain http to a loopback
host too.

The VICIdial password goes only to the login endpoint and to the ``provision_url``; the SIP
password comes back from the employer's server and is never sent anywhere by these clients.
"""

from __future__ import annotations

import math
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from softphone import __version__
from softphone.core.retry import parse_retry_after
from softphone.core.secret import Secret
from softphone.provisioning import errors as e
from softphone.provisioning.answers import (
    LoginResult,
    ProvisionedAccount,
    check_provision_url,
    parse_login,
    parse_provisioned,
)
from softphone.provisioning.defaults import DEFAULT_BASE_URL
from softphone.provisioning.https import (
    DEFAULT_TIMEOUT_S,
    REQUEST_DEADLINE_S,
    JsonPoster,
    check_url,
)

LOGIN_PATH = "/api/mobile/login"


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


def login_url(base_url: str, *, insecure_test_server: bool = False) -> httpx.URL:
    """The login endpoint of a control plane, checked by :func:`check_url`."""
    return check_url(base_url.rstrip("/") + LOGIN_PATH, plain_http_to_loopback=insecure_test_server)


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


def _server_message(value: Any) -> str:
    """A server's own words for people: one line of printable text, cut to a sane length."""
    if not isinstance(value, str):
        return ""
    text = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    if len(text) > e.MAX_MESSAGE_CHARS:
        text = text[: e.MAX_MESSAGE_CHARS - 1].rstrip() + "…"
    return text


class ControlPlaneClient(JsonPoster):
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


class ProvisioningClient(JsonPoster):
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
