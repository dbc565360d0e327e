"""The emulator as a real HTTPS service on 127.0.0.1 (free port), and its command line."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from softphone.core.secret import Secret
from softphone.emulator.errors import UnsafeBinding
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from softphone.provisioning.client import ControlPlaneClient, ProvisioningClient
from softphone.provisioning.errors import InsecureAddress
from tests.support.emulator import DEVICE
from tests.support.process import ManagedProcess

pytestmark = pytest.mark.integration

LOGIN = {"username": "agent1", "password": "demo-pass-1", "company_code": "DEMO", "device": DEVICE}
JSON = {"content-type": "application/json"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorState.from_seed(), port=0, ca_out=tmp_path / "ca.pem") as emu:
        yield emu


def client(ca_file: Path | None, local_ip: str = "127.0.0.1", **ssl_opts: object) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    for key, value in ssl_opts.items():
        setattr(context, key, value)
    transport = httpx.HTTPTransport(verify=context, local_address=local_ip)
    return httpx.Client(transport=transport, timeout=10)


def test_login_then_provision_over_verified_tls(server: EmulatorServer, tmp_path: Path) -> None:
    assert server.url.startswith("https://127.0.0.1:")
    assert server.ca_file == tmp_path / "ca.pem"
    with client(server.ca_file, "127.0.0.2") as http:
        login = http.post(f"{server.url}/api/mobile/login", json=LOGIN)
        assert login.status_code == 200, login.text
        body = login.json()
        assert body["firewall"]["ip"] == "127.0.0.2"  # the request's real source address
        assert body["server"]["provision_url"] == f"{server.url}/vicidial/demo/provision"
        sip = http.post(
            body["server"]["provision_url"], json={"username": "agent1", "password": "demo-pass-1"}
        )
    assert sip.status_code == 200
    assert sip.json()["sip"]["extension"] == "1001"
    assert server.state.allowed("127.0.0.2", server._clock())
    assert not server.state.allowed("127.0.0.1", server._clock())


def test_a_forwarded_for_header_cannot_choose_the_whitelisted_ip(server: EmulatorServer) -> None:
    with client(server.ca_file, "127.0.0.3") as http:
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"}
        body = http.post(f"{server.url}/api/mobile/login", json=LOGIN, headers=headers).json()
    assert body["firewall"]["ip"] == "127.0.0.3"


def test_hostile_requests_over_tls_get_4xx_and_leave_it_serving(server: EmulatorServer) -> None:
    """Issue 15 over the real stack (uvicorn, h11, TLS): bodies are capped, JSON only, the
    Host header does not choose provision_url, and the IP blocked on login is on provisioning."""
    url = f"{server.url}/api/mobile/login"
    with client(server.ca_file, "127.0.0.4") as http:
        big = http.post(url, content=b"{" + b" " * 100_000 + b"}", headers=JSON)
        assert (big.status_code, big.json()["error"]) == (413, "payload_too_large")
        typed = http.post(url, content=json.dumps(LOGIN), headers={"content-type": "text/plain"})
        assert (typed.status_code, typed.json()["error"]) == (415, "unsupported_media_type")
        deep = http.post(url, content=b"[" * 1000, headers=JSON)
        assert (deep.status_code, deep.json()["error"]) == (400, "bad_request")
        evil = http.post(url, json=LOGIN, headers={"host": "evil.example"})
        provision_url = evil.json()["server"]["provision_url"]
        assert provision_url == f"{server.url}/vicidial/demo/provision"
        for _ in range(10):
            http.post(url, json={**LOGIN, "password": "wrong"})
        blocked = http.post(provision_url, json={"username": "agent1", "password": "demo-pass-1"})
        assert (blocked.status_code, blocked.json()["error"]) == (429, "rate_limited")
    with client(server.ca_file, "127.0.0.5") as http:
        assert http.post(url, json=LOGIN).status_code == 200  # still serving


def test_a_client_that_does_not_trust_the_ca_is_refused(server: EmulatorServer) -> None:
    with client(None) as http, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        http.post(f"{server.url}/api/mobile/login", json=LOGIN)
    assert server.state.audit(server._clock()) == []  # nothing reached the app


def test_tls_older_than_1_2_is_refused(server: EmulatorServer) -> None:
    old = {
        "minimum_version": ssl.TLSVersion.MINIMUM_SUPPORTED,
        "maximum_version": ssl.TLSVersion.TLSv1_1,
    }
    # Python warns that asking for TLS 1.1 is deprecated: that is the point of this client
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ssl.TLSVersion.TLSv1_1", DeprecationWarning)
        old_client = client(server.ca_file, **old)
    with old_client as http, pytest.raises(httpx.ConnectError):
        http.post(f"{server.url}/api/mobile/login", json=LOGIN)


def test_plain_http_only_on_loopback(tmp_path: Path) -> None:
    with pytest.raises(UnsafeBinding, match="loopback"):
        EmulatorServer(EmulatorState.from_seed(), host="0.0.0.0", port=0, insecure_http=True)
    with EmulatorServer(EmulatorState.from_seed(), port=0, insecure_http=True) as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.ca_file is None
        login = httpx.post(f"{emu.url}/api/mobile/login", json=LOGIN, timeout=10)
        assert login.json()["server"]["provision_url"].startswith("http://127.0.0.1:")


def test_the_apps_clients_use_a_plain_http_emulator_only_in_test_mode() -> None:
    """What `agent --signin --insecure-test-server` does against `emulator --insecure-http`."""
    password = Secret(LOGIN["password"])
    with EmulatorServer(EmulatorState.from_seed(), port=0, insecure_http=True) as emu:
        with pytest.raises(InsecureAddress, match="--insecure-test-server"):
            ControlPlaneClient(emu.url)
        with ControlPlaneClient(emu.url, insecure_test_server=True, timeout=10) as cp:
            grant = cp.login("DEMO", "agent1", password)
        assert grant.server.provision_url.startswith("http://127.0.0.1:")
        with ProvisioningClient(timeout=10) as https_only, pytest.raises(InsecureAddress):
            https_only.provision(grant.server.provision_url, "agent1", password)
        with ProvisioningClient(insecure_test_server=cp.plain_http, timeout=10) as prov:
            account = prov.provision(grant.server.provision_url, "agent1", password)
    assert account.sip.extension == "1001"
    assert [entry.outcome for entry in emu.state.audit(emu._clock())] == ["ok"]  # one login


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "softphone.cli", *args]


def test_cli_refuses_plain_http_on_a_public_address(tmp_path: Path) -> None:
    proc = ManagedProcess(
        cli("emulator", "--host", "0.0.0.0", "--port", "0", "--insecure-http", "--no-sip"),
        log_path=tmp_path / "emu.log",
    )
    with proc:
        assert proc.wait_exit(30) == 2
    assert "only allowed on a loopback address" in proc.log_text()


def test_cli_print_demo(tmp_path: Path) -> None:
    proc = ManagedProcess(cli("emulator", "--print-demo"), log_path=tmp_path / "demo.log")
    with proc:
        assert proc.wait_exit(30) == 0
    out = proc.log_text()
    assert "company code: DEMO" in out
    assert "username:     agent1" in out
    assert "password:     demo-pass-1" in out


def test_cli_serves_and_its_admin_commands_drive_it(tmp_path: Path) -> None:
    info_path, ca = tmp_path / "emu.json", tmp_path / "ca.pem"
    argv = ["emulator", "--port", "0", "--no-sip", "--info-out", str(info_path)]
    proc = ManagedProcess(cli(*argv, "--ca-out", str(ca)), log_path=tmp_path / "emu.log")
    with proc:
        proc.wait_for(info_path.exists, 30, "the emulator's info file")
        info = json.loads(info_path.read_text())
        assert info["ca_file"] == str(ca)
        assert (info_path.stat().st_mode & 0o777) == 0o600
        with client(ca, "127.0.0.2") as http:
            assert http.post(f"{info['url']}/api/mobile/login", json=LOGIN).status_code == 200

        def admin(*args: str) -> tuple[int, str]:
            argv = cli("emulator", "admin", "--info", str(info_path), *args)
            run = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return run.returncode, run.stdout + run.stderr

        code, out = admin("revoke", "--company", "DEMO", "--agent", "agent1")
        assert (code, json.loads(out)) == (0, {"ok": True})
        with client(ca, "127.0.0.2") as http:
            refused = http.post(f"{info['url']}/api/mobile/login", json=LOGIN)
        assert refused.json() == {"error": "account_revoked"}
        code, out = admin("audit")
        assert code == 0
        assert [e["outcome"] for e in json.loads(out)["entries"]] == ["ok", "account_revoked"]
        code, out = admin("revoke", "--company", "DEMO", "--agent", "nobody")
        assert code == 1
        assert "no agent 'nobody'" in out
        assert proc.running
        assert proc.stop() == 0  # SIGTERM: an orderly exit
    log = proc.log_text()
    assert "admin token:" in log
    assert "demo-pass-1" not in log
