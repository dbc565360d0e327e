"""Plain http only behind ``agent --insecure-test-server``, only to this computer, and never from
a QR code, Settings, the deployment file or a server's answer (issue 14).

The attacker is a local process that runs a plain-HTTP listener on a loopback address and gets
the app to use it (a crafted code, a file, a hostile control plane). The listener records every TCP
connection it accepts, so "refused" means no connection was even opened.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import httpx
import pytest

from softphone.cli import agent_inputs
from softphone.cli import command as cli
from softphone.core.errors import ConfigError
from softphone.core.secret import MemorySecretStore, Secret
from softphone.desktop.deployment import ENV_VAR, FILE_NAME, SECTION, load_defaults
from softphone.provisioning import client as c
from softphone.provisioning import errors as e
from softphone.provisioning import qr_format as f
from softphone.provisioning.qr_errors import InsecureApiUrl
from softphone.signin.config import SignInConfig
from softphone.signin.service import SignInService
from softphone.storage.settings import AppSettings
from tests.support.http_listener import RecordingHttpListener as Listener
from tests.unit.test_signin_client import PASSWORD, Server, login_ok, reply, sip_ok

ATTACKER = "127.0.0.7"  # any loopback address will do; the audit used this one


def answer(path: str, url: str) -> dict[str, Any]:
    """A login grant whose provision_url points back at the listener, then a SIP account."""
    if path == c.LOGIN_PATH:
        return login_ok(server__provision_url=f"{url}/provision")
    return sip_ok()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(ATTACKER, answer)
    try:
        yield server
    finally:
        server.close()


def control(base: str, server: Server | None = None, **kw: Any) -> c.ControlPlaneClient:
    transport = httpx.MockTransport(server) if server is not None else None
    return c.ControlPlaneClient(base, transport=transport, timeout=5, **kw)


# ---- the control plane ----------------------------------------------------------------------


def test_a_plain_http_control_plane_on_this_computer_is_refused_without_the_option(
    listener: Listener,
) -> None:
    with pytest.raises(e.InsecureAddress) as refused:
        control(listener.url)
    message = str(refused.value)
    assert "only talks to the control plane over HTTPS" in message
    assert "--insecure-test-server" in message  # what a tester does about it
    assert listener.seen() == []


def test_with_the_option_it_signs_in_and_provisions_over_loopback(listener: Listener) -> None:
    with control(listener.url, insecure_test_server=True) as cp:
        assert cp.plain_http
        grant = cp.login("ACME", "agent1", Secret(PASSWORD))
    assert grant.server.provision_url == f"{listener.url}/provision"
    with c.ProvisioningClient(insecure_test_server=cp.plain_http, timeout=5) as prov:
        account = prov.provision(grant.server.provision_url, "agent1", Secret(PASSWORD))
    assert account.sip.extension == "1001"
    assert len(listener.seen()) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:8080",
        "http://vicifast.com",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example:8443",
        "http://127.0.0.1@evil.example",
        "http://0.0.0.0:8443",
        "http://[fe80::1]:8443",
    ],
)
def test_plain_http_to_another_computer_is_refused_even_with_the_option(url: str) -> None:
    server = Server(reply(200, login_ok()))
    with pytest.raises(e.InsecureAddress) as refused:
        control(url, server, insecure_test_server=True)
    assert "only to a test server on this computer" in str(refused.value)
    assert server.requests == []


def test_https_stays_https_with_the_option() -> None:
    server = Server(reply(200, login_ok()))
    with control("https://vicifast.com", server, insecure_test_server=True) as cp:
        assert not cp.plain_http
        cp.login("ACME", "agent1", Secret(PASSWORD))
    assert server.requests[0].url.scheme == "https"


# ---- what a hostile control plane returns ---------------------------------------------------


@pytest.mark.parametrize("option", [False, True])
def test_a_plain_http_provision_url_from_an_https_control_plane_is_refused(
    listener: Listener, option: bool
) -> None:
    """Even for a tester: only a control plane that is itself plain http on this computer may
    hand out a plain-http provision_url."""
    hostile = Server(reply(200, login_ok(server__provision_url=f"{listener.url}/provision")))
    with (
        control("https://vicifast.com", hostile, insecure_test_server=option) as cp,
        pytest.raises(e.InsecureAddress) as refused,
    ):
        cp.login("ACME", "agent1", Secret(PASSWORD))
    assert "your password was not sent there" in str(refused.value)
    with (
        c.ProvisioningClient(insecure_test_server=cp.plain_http, timeout=5) as prov,
        pytest.raises(e.InsecureAddress),
    ):
        prov.provision(f"{listener.url}/provision", "agent1", Secret(PASSWORD))
    assert listener.seen() == []


def test_a_test_control_plane_cannot_send_the_password_to_another_computer() -> None:
    server = Server(reply(200, login_ok(server__provision_url="http://203.0.113.9/provision")))
    with (
        control("http://127.0.0.1:8443", server, insecure_test_server=True) as cp,
        pytest.raises(e.InsecureAddress, match="not sent"),
    ):
        cp.login("ACME", "agent1", Secret(PASSWORD))
    prov_server = Server(reply(200, sip_ok()))
    transport = httpx.MockTransport(prov_server)
    with (
        c.ProvisioningClient(transport=transport, insecure_test_server=True) as prov,
        pytest.raises(e.InsecureAddress),
    ):
        prov.provision("http://203.0.113.9/provision", "agent1", Secret(PASSWORD))
    assert prov_server.requests == []


def service(config: SignInConfig, wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport]
            | None = None) -> SignInService:  # fmt: skip
    return SignInService(
        config,
        engine=cast(Any, object()),  # never reached: no sign-in is started
        store=MemorySecretStore(),
        device_id="dev-1",
        emit=lambda event: None,
        post=lambda fn: fn(),
        scheduler=cast(Any, object()),
        wrap_transport=wrap,
    )


def test_the_sign_in_service_passes_the_option_on_only_for_a_plain_http_control_plane(
    listener: Listener,
) -> None:
    with pytest.raises(e.InsecureAddress):
        service(SignInConfig(control_plane=listener.url, bind_address="127.0.0.1"))
    assert SignInConfig().insecure_test_server is False  # the app never sets it

    def hostile_control_plane(transport: httpx.BaseTransport) -> httpx.BaseTransport:
        made.append(transport)  # the first is the control plane's, the second provisioning's
        if len(made) == 1:
            return httpx.MockTransport(hostile)
        return transport

    made: list[httpx.BaseTransport] = []
    hostile = Server(reply(200, login_ok(server__provision_url=f"{listener.url}/provision")))
    config = SignInConfig(
        control_plane="https://cp.example.net", bind_address="127.0.0.1", insecure_test_server=True
    )
    https = service(config, hostile_control_plane)
    try:
        with pytest.raises(e.InsecureAddress):
            https.control_plane.login("ACME", "agent1", Secret(PASSWORD))
        with pytest.raises(e.InsecureAddress):
            https.provisioning.provision(f"{listener.url}/provision", "agent1", Secret(PASSWORD))
    finally:
        https.close()

    tester = SignInConfig(
        control_plane=listener.url, bind_address="127.0.0.1", insecure_test_server=True
    )
    plain = service(tester)
    try:
        grant = plain.control_plane.login("ACME", "agent1", Secret(PASSWORD))
        account = plain.provisioning.provision(grant.server.provision_url, "agent1", Secret("x"))
        assert account.sip.extension == "1001"
    finally:
        plain.close()
    assert len(listener.seen()) == 2  # only the tester's own two requests


# ---- a sign-in code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "api", ["http://127.0.0.7:8443", "http://localhost:8443/vicifast", "http://[::1]:8443"]
)
def test_a_sign_in_code_never_carries_plain_http(api: str) -> None:
    with pytest.raises(InsecureApiUrl) as refused:
        f.parse(f"vicifast://signin?v=1&c=acme&api={quote(api, safe=':/')}", now=0)
    assert refused.value.code == "insecure_api"
    assert "only talks to servers over verified HTTPS" in str(refused.value)
    assert "new one" in str(refused.value)  # what to do
    with pytest.raises(InsecureApiUrl):
        f.SignInCode("acme", api=api)  # nor can one be made


# ---- Settings and the deployment file -------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.7:8443", "http://localhost:8443"])
def test_settings_refuse_a_plain_http_control_plane(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="https://"):
        AppSettings().with_(custom_control_plane=url)
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"custom_control_plane": url}), encoding="utf-8")
    assert AppSettings.load(path).custom_control_plane == ""


@pytest.fixture
def hostile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: Listener) -> Path:
    path = tmp_path / FILE_NAME
    path.write_text(
        f"[{SECTION}]\ncompany_code = ACME\ncontrol_plane = {listener.url}\n", encoding="utf-8"
    )
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


def test_the_deployment_file_cannot_set_a_plain_http_control_plane(hostile_file: Path) -> None:
    defaults = load_defaults()
    assert defaults.company_code == "ACME"
    assert defaults.control_plane == ""


# ---- the agent's command line ---------------------------------------------------------------


class Reached(Exception):
    """The sign-in got past the address check (to the install ids)."""


@pytest.fixture
def agent_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., int]:
    """``vicifast-phone agent --signin …`` in this process, stopped before it touches anything
    of this computer's (no keychain, no install ids). Without ``$VICIFAST_PASSWORD`` and a
    terminal, reading the password fails: a refusal of the address proves it came first."""
    import softphone.signin.service

    def stop(*args: Any) -> Any:
        raise Reached

    monkeypatch.setattr(softphone.signin.service, "load_install_ids", stop)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "none.ini"))
    monkeypatch.delenv(agent_inputs.SIGNIN_PASSWORD_ENV, raising=False)

    def run(*flags: str) -> int:
        return cli.main(["agent", "--signin", "--company", "ACME", "--username", "u", *flags])

    return run


def test_the_agent_refuses_plain_http_before_asking_for_the_password(
    agent_cli: Callable[..., int], listener: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    assert agent_cli("--control-plane", listener.url) == 2
    err = capsys.readouterr().err
    assert "only talks to the control plane over HTTPS" in err
    assert agent_inputs.TEST_MODE_NOTICE not in err
    assert listener.seen() == []


def test_the_agent_takes_plain_http_to_this_computer_with_the_option(
    agent_cli: Callable[..., int],
    listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(agent_inputs.SIGNIN_PASSWORD_ENV, PASSWORD)
    with pytest.raises(Reached):
        agent_cli("--control-plane", listener.url, "--insecure-test-server")
    assert agent_inputs.TEST_MODE_NOTICE in capsys.readouterr().err  # the tester sees the mode
    assert agent_cli("--control-plane", "http://10.0.0.5:8443", "--insecure-test-server") == 2
    assert "not to 10.0.0.5" in capsys.readouterr().err
    assert listener.seen() == []


def test_the_option_needs_a_control_plane_on_the_command_line(
    agent_cli: Callable[..., int],
    hostile_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A deployment file's control plane never becomes plain http, with the option or not."""
    monkeypatch.setenv(ENV_VAR, str(hostile_file))
    assert agent_cli("--insecure-test-server") == 2
    assert "goes with --signin and --control-plane" in capsys.readouterr().err
    assert cli.main(["agent", "--insecure-test-server", "--server", "pbx", "--extension", "1"]) == 2
    monkeypatch.setenv(agent_inputs.SIGNIN_PASSWORD_ENV, PASSWORD)
    with pytest.raises(Reached):
        agent_cli()  # the file's http control plane was dropped: the default one is used
    args = cli._parser().parse_args(["agent", "--signin", "--username", "u"])
    assert agent_inputs.signin_target(args, load_defaults())[1] == c.DEFAULT_BASE_URL


def test_the_app_has_no_plain_http_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli._parser().parse_args(["--insecure-test-server"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --insecure-test-server" in capsys.readouterr().err
