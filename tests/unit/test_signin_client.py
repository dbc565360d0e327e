"""The control-plane and provisioning clients against each answer of the contract (no network)."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from softphone.core.models import AutoAnswerMode, DtmfMethod, SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.core.session_events import SessionReason
from softphone.provisioning import answers, https
from softphone.provisioning import client as c
from softphone.provisioning import errors as e

PASSWORD = "vici-pass-123"
SIP_PASSWORD = "sip-secret-987"
TOKEN = "tok-abcdef-555"
PROVISION_URL = "https://acme.vicifast.net/vicidial/acme/provision"


def login_ok(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "session": {"token": TOKEN, "reauth_after_s": 3600},
        "server": {"slug": "acme", "host": "acme.vicifast.net", "provision_url": PROVISION_URL},
        "firewall": {"ip": "203.0.113.7", "expires_at": "2025-01-31T08:00:00Z", "ttl_s": 86400},
    }
    for path, value in overrides.items():
        section, key = path.split("__")
        if value is _DROP:
            del body[section][key]
        else:
            body[section][key] = value
    return body


def sip_ok(**overrides: Any) -> dict[str, Any]:
    sip: dict[str, Any] = {
        "extension": "1001",
        "password": SIP_PASSWORD,
        "domain": "acme.vicifast.net",
        "proxy": "",
        "transport": "tls",
        "port": 5061,
        "srtp": "optional",
        "codecs": ["PCMU", "G722"],
        "reg_expires_s": 300,
        "keepalive_s": 15,
        "auto_answer": "after=3",
        "display_name": "Agent One",
        "dtmf": "info",
    }
    for key, value in overrides.items():
        if value is _DROP:
            del sip[key]
        else:
            sip[key] = value
    return {"sip": sip, "config_version": 4}


_DROP = object()


class Server:
    """A MockTransport that answers with one scripted response and keeps the requests."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def body(self, i: int = -1) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.requests[i].content)
        return data


def reply(status: int, body: Any = None, **kw: Any) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _r: httpx.Response(status, json=body, **kw)


def control(server: Server, base: str = "https://vicifast.com") -> c.ControlPlaneClient:
    device = c.DeviceInfo("linux", "0.1.0", "dev-1")
    return c.ControlPlaneClient(base, transport=httpx.MockTransport(server), device=device)


def login(respond: Callable[[httpx.Request], httpx.Response]) -> answers.LoginResult:
    with control(Server(respond)) as client:
        return client.login("ACME", "agent1", Secret(PASSWORD))


def provision(respond: Callable[[httpx.Request], httpx.Response]) -> answers.ProvisionedAccount:
    transport = httpx.MockTransport(Server(respond))
    with c.ProvisioningClient(transport=transport) as client:
        return client.provision(PROVISION_URL, "agent1", Secret(PASSWORD))


class TestLogin:
    def test_parses_the_contract_into_frozen_values(self) -> None:
        server = Server(reply(200, login_ok()))
        with control(server) as client:
            result = client.login("ACME", "agent1", Secret(PASSWORD))
        assert result.token == Secret(TOKEN)
        assert result.reauth_after_s == 3600
        assert result.server == answers.ServerInfo("acme", "acme.vicifast.net", PROVISION_URL)
        assert result.firewall.ip == "203.0.113.7"
        assert result.firewall.expires_at == datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
        assert result.firewall.ttl_s == 86400
        assert TOKEN not in repr(result)
        request = server.requests[0]
        assert request.method == "POST"
        assert str(request.url) == "https://vicifast.com/api/mobile/login"
        assert server.body() == {
            "username": "agent1",
            "password": PASSWORD,
            "company_code": "ACME",
            "device": {"platform": "linux", "app_version": "0.1.0", "device_id": "dev-1"},
        }

    def test_sends_a_normalised_totp_only_when_given(self) -> None:
        server = Server(reply(200, login_ok()))
        with control(server) as client:
            client.login("ACME", "agent1", Secret(PASSWORD), totp=" 123 456 ")
            with pytest.raises(e.TotpInvalid, match="6 digits"):
                client.login("ACME", "agent1", Secret(PASSWORD), totp="12345")
        assert server.body()["totp"] == "123456"
        assert len(server.requests) == 1  # a malformed code is not sent

    @pytest.mark.parametrize(
        ("status", "body", "error", "reason", "words"),
        [
            (401, {"error": "invalid_credentials"}, e.InvalidCredentials,
             SessionReason.INVALID_CREDENTIALS, "username or password is not correct"),
            (401, {"error": "totp_required"}, e.TotpRequired, SessionReason.TOTP_REQUIRED,
             "authenticator app"),
            (401, {"error": "totp_invalid"}, e.TotpInvalid, SessionReason.TOTP_INVALID,
             "not correct or has expired"),
            (403, {"error": "account_revoked"}, e.AccountRevoked,
             SessionReason.ACCOUNT_REVOKED, "disabled"),
            (404, {"error": "unknown_company"}, e.UnknownCompany,
             SessionReason.UNKNOWN_COMPANY, "company code"),
            (500, None, e.TransientError, SessionReason.TRANSIENT, "keep trying"),
            (502, {"error": "bad_gateway"}, e.TransientError, SessionReason.TRANSIENT, ""),
            (503, None, e.TransientError, SessionReason.TRANSIENT, ""),
            (401, {"error": "something_new"}, e.MalformedResponse,
             SessionReason.MALFORMED_RESPONSE, "could not be understood"),
            (404, None, e.MalformedResponse, SessionReason.MALFORMED_RESPONSE, ""),
            (302, None, e.MalformedResponse, SessionReason.MALFORMED_RESPONSE, ""),
            (400, {"error": "bad_request"}, e.MalformedResponse,
             SessionReason.MALFORMED_RESPONSE, ""),
        ],
    )  # fmt: skip
    def test_each_error_has_its_class_and_message(
        self,
        status: int,
        body: Any,
        error: type[e.SignInError],
        reason: SessionReason,
        words: str,
    ) -> None:
        with pytest.raises(error) as info:
            login(reply(status, body))
        assert type(info.value) is error
        assert info.value.reason is reason
        assert words in str(info.value)
        assert PASSWORD not in str(info.value) + repr(info.value)
        assert info.value.retryable is (reason is SessionReason.TRANSIENT)

    def test_addon_inactive_shows_the_exact_message(self) -> None:
        exact = (
            "The mobile app is not enabled for your organization. Ask your administrator to "
            "add the Agent Mobile App add-on from the dashboard."
        )
        with pytest.raises(e.AddonInactive) as info:
            login(reply(403, {"error": "addon_inactive", "message": exact}))
        assert str(info.value) == exact
        with pytest.raises(e.AddonInactive) as info:
            login(reply(403, {"error": "addon_inactive"}))
        assert str(info.value) == exact == e.ADDON_INACTIVE_MESSAGE
        with pytest.raises(e.AddonInactive, match=r"^Custom words$"):
            login(reply(403, {"error": "addon_inactive", "message": "Custom words"}))

    def test_rate_limited_says_when_to_try_again(self) -> None:
        with pytest.raises(e.RateLimited) as info:
            login(reply(429, {"error": "rate_limited", "retry_after_s": 120}))
        assert info.value.retry_after_s == 120
        assert "Try again in 2 minutes" in str(info.value)
        assert info.value.retryable
        with pytest.raises(e.RateLimited) as info:
            login(reply(429, {"error": "rate_limited"}, headers={"Retry-After": "45"}))
        assert info.value.retry_after_s == 45
        assert "45 seconds" in str(info.value)
        with pytest.raises(e.RateLimited) as info:
            login(reply(429, None))
        assert info.value.retry_after_s == 3600  # no hint: wait long, do not feed the limiter

    @pytest.mark.parametrize(
        "exc",
        [httpx.ConnectTimeout("t"), httpx.ReadTimeout("t"), httpx.ConnectError("refused"),
         httpx.RemoteProtocolError("eof"), httpx.ReadError("reset")],
    )  # fmt: skip
    def test_timeouts_and_connection_errors_are_transient(self, exc: Exception) -> None:
        def raise_(_r: httpx.Request) -> httpx.Response:
            raise exc

        with pytest.raises(e.TransientError):
            login(raise_)

    def test_an_untrusted_certificate_is_a_tls_error(self) -> None:
        def raise_(_r: httpx.Request) -> httpx.Response:
            try:
                raise ssl.SSLCertVerificationError("certificate verify failed")
            except ssl.SSLError as err:
                raise httpx.ConnectError("handshake failed") from err

        with pytest.raises(e.TlsError) as info:
            login(raise_)
        assert not info.value.retryable
        assert "certificate is not trusted" in str(info.value)

    @pytest.mark.parametrize(
        "body",
        [
            login_ok(session__token=_DROP),
            login_ok(session__token=""),
            login_ok(session__reauth_after_s=_DROP),
            login_ok(session__reauth_after_s="3600"),
            login_ok(session__reauth_after_s=0),
            login_ok(session__reauth_after_s=True),
            login_ok(server__slug=_DROP),
            login_ok(server__host=_DROP),
            login_ok(server__provision_url=_DROP),
            login_ok(firewall__ip=_DROP),
            login_ok(firewall__ip="not-an-ip"),
            login_ok(firewall__expires_at=_DROP),
            login_ok(firewall__expires_at="tomorrow"),
            login_ok(firewall__expires_at="2025-01-31T08:00:00"),  # naive: not UTC
            login_ok(firewall__ttl_s=_DROP),
            login_ok(firewall__ttl_s=-5),
            {"session": {"token": TOKEN, "reauth_after_s": 3600}},
            [],
            "ok",
        ],
    )
    def test_anything_outside_the_contract_is_malformed(self, body: Any) -> None:
        with pytest.raises(e.MalformedResponse) as info:
            login(reply(200, body))
        assert TOKEN not in str(info.value)

    def test_a_body_that_is_not_json_is_malformed(self) -> None:
        with pytest.raises(e.MalformedResponse):
            login(lambda _r: httpx.Response(200, text="<html>hello</html>"))

    def test_an_insecure_provision_url_is_refused(self) -> None:
        with pytest.raises(e.InsecureAddress, match="not https"):
            login(reply(200, login_ok(server__provision_url="http://acme.example/provision")))
        with pytest.raises(e.InsecureAddress, match="not https"):  # loopback too (test_plain_http)
            login(reply(200, login_ok(server__provision_url="http://127.0.0.1:8080/p")))

    def test_expires_at_with_an_offset_becomes_utc(self) -> None:
        result = login(reply(200, login_ok(firewall__expires_at="2025-01-31T10:00:00+02:00")))
        assert result.firewall.expires_at == datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
        assert result.firewall.expires_at.utcoffset() is not None


class TestAddresses:
    @pytest.mark.parametrize(
        "url", ["http://vicifast.com", "http://10.0.0.5:8080", "ftp://vicifast.com", "vicifast.com",
                "", "https://", "http://127.0.0.1:8443", "http://localhost:8443",
                "http://[::1]:8443"],
    )  # fmt: skip
    def test_anything_but_https_is_refused(self, url: str) -> None:
        server = Server(reply(200, login_ok()))
        with pytest.raises(e.InsecureAddress):
            control(server, url)
        assert server.requests == []

    @pytest.mark.parametrize("url", ["https://vicifast.com", "https://203.0.113.9:8443/"])
    def test_https_is_accepted(self, url: str) -> None:
        server = Server(reply(200, login_ok()))
        with control(server, url) as client:
            client.login("ACME", "agent1", Secret(PASSWORD))
        assert server.requests[0].url.path == "/api/mobile/login"

    @pytest.mark.parametrize("url", ["http://127.0.0.1:8443", "http://localhost:8443",
                                     "http://[::1]:8443", "http://127.0.0.7"])  # fmt: skip
    def test_loopback_http_only_with_the_test_option(self, url: str) -> None:
        server = Server(reply(200, login_ok()))
        device = c.DeviceInfo("linux", "0.1.0", "dev-1")
        transport = httpx.MockTransport(server)
        with c.ControlPlaneClient(
            url, transport=transport, device=device, insecure_test_server=True
        ) as client:
            client.login("ACME", "agent1", Secret(PASSWORD))
        assert server.requests[0].url.scheme == "http"

    def test_provisioning_refuses_plain_http_before_sending_the_password(self) -> None:
        server = Server(reply(200, sip_ok()))
        with (
            c.ProvisioningClient(transport=httpx.MockTransport(server)) as client,
            pytest.raises(e.InsecureAddress),
        ):
            client.provision("http://acme.example/p", "agent1", Secret(PASSWORD))
        assert server.requests == []


class TestTls:
    def test_context_verifies_and_requires_tls12(self) -> None:
        ctx = https.make_ssl_context()
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
        assert ctx.verify_mode == ssl.CERT_REQUIRED
        assert ctx.check_hostname

    def test_clients_use_the_verifying_context(self, monkeypatch: pytest.MonkeyPatch) -> None:
        made: list[str | None] = []
        real = https.make_ssl_context

        def spy(ca_file: str | None = None) -> ssl.SSLContext:
            made.append(ca_file)
            return real(ca_file)

        monkeypatch.setattr(https, "make_ssl_context", spy)
        c.ControlPlaneClient().close()
        c.ProvisioningClient(ca_file=None).close()
        assert made == [None, None]

    def test_a_ca_file_replaces_the_system_cas(self, tmp_path: Path) -> None:
        ca = trustme.CA()
        path = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(path))
        ctx = https.make_ssl_context(str(path))
        assert len(ctx.get_ca_certs()) == 1
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTPS server with a certificate from a private CA; yields (url, ca file)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            payload = json.dumps(login_ok()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", ca_path
    finally:
        httpd.shutdown()
        httpd.server_close()


class TestRealTls:
    def test_an_untrusted_server_is_refused(self, tls_server: tuple[str, Path]) -> None:
        url, _ca = tls_server
        with c.ControlPlaneClient(url, timeout=5) as client, pytest.raises(e.TlsError):
            client.login("ACME", "agent1", Secret(PASSWORD))

    def test_the_given_ca_is_trusted(self, tls_server: tuple[str, Path]) -> None:
        url, ca = tls_server
        with c.ControlPlaneClient(url, ca_file=str(ca), timeout=5) as client:
            assert client.login("ACME", "agent1", Secret(PASSWORD)).server.slug == "acme"


class TestProvision:
    def test_maps_the_account_onto_the_engine_config(self) -> None:
        server = Server(reply(200, sip_ok()))
        with c.ProvisioningClient(transport=httpx.MockTransport(server)) as client:
            result = client.provision(PROVISION_URL, "agent1", Secret(PASSWORD))
        sip = result.sip
        assert result.config_version == 4
        assert (sip.extension, sip.domain, sip.port) == ("1001", "acme.vicifast.net", 5061)
        assert sip.password == Secret(SIP_PASSWORD)
        assert sip.transport is Transport.TLS
        assert sip.srtp is SrtpMode.OPTIONAL
        assert sip.dtmf is DtmfMethod.INFO
        assert sip.codecs == ("PCMU", "G722")
        assert (sip.auto_answer.mode, sip.auto_answer.delay_s) == (AutoAnswerMode.AFTER, 3.0)
        assert sip.display_name == "Agent One"
        assert SIP_PASSWORD not in repr(result)
        assert str(server.requests[0].url) == PROVISION_URL
        assert server.body() == {"username": "agent1", "password": PASSWORD}

    @pytest.mark.parametrize(
        ("status", "body", "error"),
        [
            (401, {"error": "invalid_credentials"}, e.InvalidCredentials),
            (403, {"error": "account_revoked"}, e.AccountRevoked),
            (404, {"error": "unknown_server"}, e.MalformedResponse),
            (429, {"error": "rate_limited", "retry_after_s": 30}, e.RateLimited),
            (500, None, e.TransientError),
            (503, None, e.TransientError),
        ],
    )
    def test_errors(self, status: int, body: Any, error: type[e.SignInError]) -> None:
        with pytest.raises(error) as info:
            provision(reply(status, body))
        assert type(info.value) is error
        if error is e.InvalidCredentials:
            assert "employer's VICIdial server" in str(info.value)

    @pytest.mark.parametrize(
        "body",
        [
            sip_ok(extension=_DROP),
            sip_ok(password=_DROP),
            sip_ok(password=""),
            sip_ok(domain=_DROP),
            sip_ok(proxy=_DROP),
            sip_ok(transport="sctp"),
            sip_ok(transport=_DROP),
            sip_ok(port=0),
            sip_ok(port="5060"),
            sip_ok(srtp="sometimes"),
            sip_ok(codecs="PCMU"),
            sip_ok(codecs=[1, 2]),
            sip_ok(reg_expires_s=_DROP),
            sip_ok(keepalive_s=-1),
            sip_ok(auto_answer=True),
            sip_ok(auto_answer="sometimes"),
            sip_ok(display_name=None),
            sip_ok(dtmf="inband"),
            {"sip": sip_ok()["sip"]},  # no config_version
            {"config_version": 1},
        ],
    )
    def test_anything_outside_the_contract_is_malformed(self, body: Any) -> None:
        with pytest.raises(e.MalformedResponse) as info:
            provision(reply(200, body))
        assert SIP_PASSWORD not in str(info.value) + repr(info.value)

    def test_an_account_out_of_bounds_says_which_bound(self) -> None:
        with pytest.raises(e.MalformedResponse, match="registration expiry"):
            provision(reply(200, sip_ok(reg_expires_s=10)))
        with pytest.raises(e.MalformedResponse, match="Mandatory SRTP"):
            provision(reply(200, sip_ok(transport="udp", srtp="mandatory")))


class TestErrors:
    def test_every_error_is_a_sign_in_error_with_a_reason(self) -> None:
        classes = [
            e.InvalidCredentials, e.TotpRequired, e.TotpInvalid, e.UnknownCompany,
            e.AddonInactive, e.AccountRevoked, e.TransientError, e.TlsError, e.InsecureAddress,
            e.MalformedResponse,
        ]  # fmt: skip
        reasons = {cls.reason for cls in classes} | {e.RateLimited.reason}
        assert len(reasons) == len(classes) + 1
        for cls in classes:
            err = cls()
            assert isinstance(err, e.SignInError)
            assert str(err).endswith(".")
            assert repr(err).startswith(cls.__name__)

    @pytest.mark.parametrize(
        ("seconds", "text"),
        [(0, "1 second"), (1, "1 second"), (59.2, "1 minute"), (60, "1 minute"),
         (61, "2 minutes"), (3600, "60 minutes"), (7200, "2 hours"), (10000, "3 hours")],
    )  # fmt: skip
    def test_waits_read_naturally(self, seconds: float, text: str) -> None:
        assert e.describe_wait(seconds) == text

    def test_device_info(self) -> None:
        device = c.DeviceInfo.current()
        assert device.platform in {"linux", "macos", "windows"}
        assert device.device_id
        assert c.DeviceInfo.current("abc").device_id == "abc"
