"""`vicifast-phone emulator` and its admin CLI, each run as a process the way a tester runs them:
the emulator serving HTTPS (and kamailio, where a test needs the firewall at SIP level) on free
loopback ports, every admin subcommand as its own process, and what it did observed through the
server's API (sign-in, provisioning, REGISTER) rather than through its own output alone."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from softphone.emulator.registrar import kamailio_path
from tests.support.emulator import DEVICE, register
from tests.support.process import ManagedProcess

pytestmark = pytest.mark.integration

AGENT_IP = "127.0.0.2"
OTHER_IP = "127.0.0.3"
FIREWALLED = "SIP/2.0 403 Forbidden (no firewall allow-rule for this IP)"
OK = "SIP/2.0 200 OK"
START_S = 30.0
RUN_S = 30.0

SEED = """\
[settings]
ttl_s = 600
reauth_after_s = 120

[[companies]]
code = "ACME"
slug = "acme"
name = "Acme Contact Centre"
addon = true
host = "127.0.0.1"

[[companies.agents]]
username = "zoe"
password = "zoe-test-pass"
extension = "2001"
sip_password = "sip-2001-test"
display_name = "Zoe"
"""


def cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "softphone.cli", *map(str, args)]


@dataclass(frozen=True)
class Ran:
    """One finished admin command: its exit status and what it printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Emulator:
    """A running `vicifast-phone emulator` process and what its --info-out file says."""

    process: ManagedProcess
    info_path: Path
    info: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.info["url"])

    def http(self, ip: str = AGENT_IP) -> httpx.Client:
        """A client that trusts the emulator's CA and leaves from `ip` (the agent's address)."""
        context = ssl.create_default_context(cafile=self.info["ca_file"])
        transport = httpx.HTTPTransport(verify=context, local_address=ip)
        return httpx.Client(transport=transport, timeout=10)

    def login(
        self, username: str = "agent1", password: str = "demo-pass-1", company: str = "DEMO"
    ) -> httpx.Response:
        body = {"username": username, "password": password, "company_code": company}
        with self.http() as http:
            return http.post(f"{self.url}/api/mobile/login", json=body | {"device": DEVICE})


Admin = Callable[..., Ran]
EmulatorFactory = Callable[..., Emulator]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., ManagedProcess]]:
    """spawn(*cli args) -> `vicifast-phone …` started; each stopped by its PID at teardown."""
    started: list[ManagedProcess] = []

    def start(*args: str | Path) -> ManagedProcess:
        log = tmp_path / f"process{len(started)}.log"
        started.append(ManagedProcess(cli(*args), log_path=log))
        return started[-1].start()

    yield start
    for proc in reversed(started):
        proc.stop()


@pytest.fixture
def start_emulator(tmp_path: Path, spawn: Callable[..., ManagedProcess]) -> EmulatorFactory:
    """start(*extra args, sip=False) -> a served emulator (stopped at `spawn`'s teardown)."""
    count = [0]

    def start(*extra: str | Path, sip: bool = False) -> Emulator:
        if sip and kamailio_path() is None:
            pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
        count[0] += 1
        info_path = tmp_path / f"emu{count[0]}.json"
        ca = tmp_path / "ca.pem"
        argv: list[str | Path] = [
            "emulator",
            "--port",
            "0",
            "--info-out",
            info_path,
            "--ca-out",
            ca,
        ]
        argv += [] if sip else ["--no-sip"]
        proc = spawn(*argv, *extra)
        proc.wait_for_log(r"^admin token: ", START_S)  # printed after --info-out is written
        return Emulator(proc, info_path, json.loads(info_path.read_text()))

    return start


@pytest.fixture
def emulator(start_emulator: EmulatorFactory) -> Emulator:
    return start_emulator()


@pytest.fixture
def admin_of() -> Iterator[Callable[[Emulator], Admin]]:
    """admin_of(emulator)(subcommand, *args) runs `vicifast-phone emulator admin --info FILE …`
    to its end; one still running at teardown (a timed-out wait) is killed by its PID."""
    running: list[subprocess.Popen[str]] = []

    def bind(emulator: Emulator) -> Admin:
        def run(*args: str) -> Ran:
            argv = cli("emulator", "admin", "--info", emulator.info_path, *args)
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            running.append(proc)
            out, err = proc.communicate(timeout=RUN_S)
            return Ran(proc.returncode, out, err)

        return run

    yield bind
    for proc in running:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def admin(emulator: Emulator, admin_of: Callable[[Emulator], Admin]) -> Admin:
    return admin_of(emulator)


def test_addon_off_refuses_every_login_with_the_addon_error_and_on_restores_it(
    emulator: Emulator, admin: Admin
) -> None:
    assert emulator.login().status_code == 200
    off = admin("addon", "--company", "DEMO", "--off")
    assert (off.code, off.json()) == (0, {"ok": True})
    refused = emulator.login()
    assert refused.status_code == 403
    assert refused.json()["error"] == "addon_inactive"
    assert refused.json()["message"]  # the text the app shows the agent
    on = admin("addon", "--company", "demo", "--on")  # a company code in any case
    assert on.code == 0
    assert emulator.login().status_code == 200


def test_settings_sets_the_ttl_and_reauth_of_the_next_lease(
    emulator: Emulator, admin: Admin
) -> None:
    changed = admin("settings", "--ttl", "300", "--reauth", "60")
    assert (changed.code, changed.json()) == (0, {"ttl_s": 300, "reauth_after_s": 60})
    grant = emulator.login().json()
    assert grant["firewall"]["ttl_s"] == 300
    assert grant["session"]["reauth_after_s"] == 60
    assert admin("state").json()["settings"] == {"ttl_s": 300, "reauth_after_s": 60}


def test_settings_refuses_a_ttl_of_zero_and_changes_nothing(
    emulator: Emulator, admin: Admin
) -> None:
    """A lease of 0 s is not a lease: the admin is told so, not answered "done"."""
    refused = admin("settings", "--ttl", "0")
    assert refused.code == 1
    assert "ttl_s" in refused.out and "refused: 400" in refused.err
    assert emulator.login().json()["firewall"]["ttl_s"] == 86400  # the seed's, unchanged


def test_expire_closes_the_lease_the_firewall_and_the_lease_list_agree(
    start_emulator: EmulatorFactory, admin_of: Callable[[Emulator], Admin]
) -> None:
    """After `expire`, kamailio refuses the agent's REGISTER and `leases` shows the lease dead;
    another IP's lease is untouched."""
    emulator = start_emulator(sip=True)
    run = admin_of(emulator)
    grant = emulator.login().json()
    with emulator.http() as http:
        body = {"username": "agent1", "password": "demo-pass-1"}
        account = http.post(grant["server"]["provision_url"], json=body).json()["sip"]
    server = (str(account["proxy"]), int(account["port"]))
    assert register(server, "1001", account["password"], local_ip=AGENT_IP)[-1] == OK
    with emulator.http(OTHER_IP) as http:
        other = {"username": "agent1", "password": "demo-pass-1", "company_code": "DEMO"}
        reply = http.post(f"{emulator.url}/api/mobile/login", json=other | {"device": DEVICE})
    assert reply.status_code == 200

    expired = run("expire", "--ip", AGENT_IP)
    assert (expired.code, expired.json()) == (0, {"expired": 1})
    assert register(server, "1001", account["password"], local_ip=AGENT_IP) == [FIREWALLED]
    live = {lease["ip"]: lease["live"] for lease in run("leases").json()["leases"]}
    assert live == {AGENT_IP: False, OTHER_IP: True}
    assert run("expire", "--ip", AGENT_IP).json() == {"expired": 0}  # nothing live is left


def test_expire_in_seconds_keeps_the_lease_until_then(emulator: Emulator, admin: Admin) -> None:
    emulator.login()
    assert admin("expire", "--ip", AGENT_IP, "--in", "120").json() == {"expired": 1}
    (lease,) = admin("leases").json()["leases"]
    assert lease["live"] is True
    granted = _epoch(lease["granted_at"])
    assert 110 <= _epoch(lease["expires_at"]) - granted <= 130  # not the seed's day


def test_outage_answers_503_for_its_requests_then_ends(emulator: Emulator, admin: Admin) -> None:
    started = admin("outage", "--requests", "2")
    assert (started.code, started.json()) == (0, {"requests": 2})
    for _ in range(2):
        down = emulator.login()
        assert (down.status_code, down.json()["error"]) == (503, "unavailable")
    assert emulator.login().status_code == 200  # the outage is over by itself


def test_outage_zero_ends_an_outage_at_once(emulator: Emulator, admin: Admin) -> None:
    assert admin("outage", "--requests", "50").code == 0
    assert emulator.login().status_code == 503
    assert admin("outage", "--requests", "0").json() == {"requests": 0}
    assert emulator.login().status_code == 200


def test_leases_and_state_print_what_the_server_holds(emulator: Emulator, admin: Admin) -> None:
    assert admin("leases").json() == {"leases": []}
    emulator.login()
    (lease,) = admin("leases").json()["leases"]
    assert (lease["ip"], lease["company"], lease["username"], lease["live"]) == (
        AGENT_IP,
        "demo",
        "agent1",
        True,
    )
    shown = admin("state")
    assert shown.code == 0
    state = shown.json()
    assert state["settings"] == {"ttl_s": 86400, "reauth_after_s": 3600}
    companies = {c["code"]: c for c in state["companies"]}
    assert set(companies) == {"DEMO", "NOADDON"}
    assert companies["NOADDON"]["addon_active"] is False
    agents = {a["username"]: a for a in companies["DEMO"]["agents"]}
    assert agents["agent2"]["totp"] is True and agents["gone"]["active"] is False
    assert "demo-pass" not in shown.out and "sip-1001" not in shown.out  # no passwords


def test_revoke_closes_the_agents_lease_and_restore_lets_it_back_in(
    emulator: Emulator, admin: Admin
) -> None:
    """(Revoke's refusal at login and the audit are in test_emulator_server.py; here the lease
    it closes and `restore`.)"""
    emulator.login()
    assert admin("revoke", "--company", "DEMO", "--agent", "agent1").code == 0
    assert admin("leases").json() == {"leases": []}
    assert emulator.login().json()["error"] == "account_revoked"
    restored = admin("restore", "--company", "DEMO", "--agent", "agent1")
    assert (restored.code, restored.json()) == (0, {"ok": True})
    assert emulator.login().status_code == 200
    assert [lease["username"] for lease in admin("leases").json()["leases"]] == ["agent1"]


def test_an_admin_command_with_the_wrong_token_is_refused(
    emulator: Emulator, admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VICIFAST_EMULATOR_TOKEN", "not-the-token")
    refused = admin("addon", "--company", "DEMO", "--off")
    assert refused.code == 1 and "refused: 401" in refused.err
    assert emulator.login().status_code == 200  # the add-on is still on


def test_seed_serves_its_own_company_and_not_the_demo(
    start_emulator: EmulatorFactory, admin_of: Callable[[Emulator], Admin], tmp_path: Path
) -> None:
    seed = tmp_path / "seed.toml"
    seed.write_text(SEED)
    emulator = start_emulator("--seed", seed)
    grant = emulator.login("zoe", "zoe-test-pass", "ACME")
    assert grant.status_code == 200, grant.text
    assert grant.json()["firewall"]["ttl_s"] == 600
    assert grant.json()["session"]["reauth_after_s"] == 120
    with emulator.http() as http:
        body = {"username": "zoe", "password": "zoe-test-pass"}
        sip = http.post(grant.json()["server"]["provision_url"], json=body).json()["sip"]
    assert (sip["extension"], sip["display_name"]) == ("2001", "Zoe")
    demo = emulator.login()
    assert (demo.status_code, demo.json()["error"]) == (404, "unknown_company")
    codes = [c["code"] for c in admin_of(emulator)("state").json()["companies"]]
    assert codes == ["ACME"]


def test_a_broken_seed_stops_the_emulator_with_the_reason(
    spawn: Callable[..., ManagedProcess], tmp_path: Path
) -> None:
    seed = tmp_path / "seed.toml"
    seed.write_text(SEED.replace('extension = "2001"', 'extension = "20 01"'))
    proc = spawn("emulator", "--port", "0", "--no-sip", "--seed", seed)
    assert proc.wait_exit(START_S) == 2
    assert "extension '20 01' has unsupported characters" in proc.log_text()


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
