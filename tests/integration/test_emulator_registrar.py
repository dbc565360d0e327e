"""The emulator's kamailio enforces the firewall at SIP level: a REGISTER or INVITE from a
source IP without a live allow-rule gets 403. Loopback addresses stand for agents' IPs."""

from __future__ import annotations

import json
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from softphone.emulator import totp
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from tests.support.emulator import DEVICE, invite, register
from tests.support.process import ManagedProcess, wait_until

pytestmark = pytest.mark.integration

OK = "SIP/2.0 200 OK"
CHALLENGE = "SIP/2.0 401 Unauthorized"
TOTP = "JBSWY3DPEHPK3PXP"  # agent2's, in the demo seed
FIREWALLED = "SIP/2.0 403 Forbidden (no firewall allow-rule for this IP)"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    state = EmulatorState.from_seed()
    registrar = Registrar(state.sip_users())
    server = EmulatorServer(state, port=0, ca_out=tmp_path / "ca.pem", registrar=registrar)
    with server:
        yield server
    assert not registrar.running


class Agent:
    """One emulated agent device at a loopback address."""

    def __init__(self, emulator: EmulatorServer, ip: str) -> None:
        self.emulator, self.ip = emulator, ip
        assert emulator.ca_file is not None
        context = ssl.create_default_context(cafile=str(emulator.ca_file))
        self.http = httpx.Client(
            transport=httpx.HTTPTransport(verify=context, local_address=ip), timeout=10
        )

    def sign_in(
        self, username: str = "agent1", password: str = "demo-pass-1", code: str = ""
    ) -> dict[str, str]:
        body = {"username": username, "password": password, "company_code": "DEMO"}
        if code:
            body["totp"] = code
        login = self.http.post(
            f"{self.emulator.url}/api/mobile/login", json=body | {"device": DEVICE}
        )
        assert login.status_code == 200, login.text
        url = login.json()["server"]["provision_url"]
        sip = self.http.post(url, json={"username": username, "password": password})
        account: dict[str, str] = sip.json()["sip"]
        return account

    def register(self, account: dict[str, str], password: str | None = None) -> list[str]:
        server = (str(account["proxy"]), int(account["port"]))
        return register(
            server, account["extension"], password or account["password"], local_ip=self.ip
        )

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def agents(emulator: EmulatorServer) -> Iterator[dict[str, Agent]]:
    made = {ip: Agent(emulator, ip) for ip in ("127.0.0.2", "127.0.0.3")}
    yield made
    for agent in made.values():
        agent.close()


def test_provisioning_points_at_the_registrar(
    emulator: EmulatorServer, agents: dict[str, Agent]
) -> None:
    account = agents["127.0.0.2"].sign_in()
    assert emulator.registrar is not None
    assert (account["proxy"], account["port"]) == ("127.0.0.1", emulator.registrar.port)
    assert emulator.info()["sip"] == {
        "host": "127.0.0.1",
        "port": emulator.registrar.port,
        "transport": "udp",
    }


def test_register_needs_a_live_lease_for_the_source_ip(agents: dict[str, Agent]) -> None:
    account = agents["127.0.0.2"].sign_in()
    assert agents["127.0.0.2"].register(account) == [CHALLENGE, OK]
    # the same credentials from an IP that never signed in: stopped before any auth
    assert agents["127.0.0.3"].register(account) == [FIREWALLED]
    # a wrong password from a whitelisted IP is the registrar's ordinary refusal
    assert agents["127.0.0.2"].register(account, "wrong")[-1] == "SIP/2.0 403 Forbidden"


def test_invite_needs_a_live_lease_for_the_source_ip(
    emulator: EmulatorServer, agents: dict[str, Agent]
) -> None:
    assert emulator.registrar is not None
    server = ("127.0.0.1", emulator.registrar.port)
    agents["127.0.0.2"].sign_in()
    # past the firewall, kamailio looks the callee up (nobody is registered here): 404
    assert invite(server, "1001", local_ip="127.0.0.2") == "SIP/2.0 404 Not Found"
    assert invite(server, "1001", local_ip="127.0.0.3") == FIREWALLED


def test_an_ip_change_needs_a_new_sign_in(agents: dict[str, Agent]) -> None:
    account = agents["127.0.0.2"].sign_in()
    assert agents["127.0.0.3"].register(account) == [FIREWALLED]
    agents["127.0.0.3"].sign_in()  # the app re-authenticates after its IP changed
    assert agents["127.0.0.3"].register(account) == [CHALLENGE, OK]


def test_expire_now_and_revoke_close_the_firewall(
    emulator: EmulatorServer, agents: dict[str, Agent]
) -> None:
    account = agents["127.0.0.2"].sign_in()
    assert emulator.state.expire_leases("127.0.0.2", emulator._clock()) == 1
    assert agents["127.0.0.2"].register(account) == [FIREWALLED]
    agents["127.0.0.2"].sign_in()
    assert agents["127.0.0.2"].register(account)[-1] == OK
    emulator.state.set_agent_active("DEMO", "agent1", False, emulator._clock())
    assert agents["127.0.0.2"].register(account) == [FIREWALLED]


def test_a_lease_ends_at_its_expiry_without_any_update(
    emulator: EmulatorServer, agents: dict[str, Agent]
) -> None:
    """kamailio compares the rule's expiry with its own clock."""
    account = agents["127.0.0.2"].sign_in()
    assert emulator.registrar is not None
    emulator.registrar.rpc("htable.seti", "fw", "127.0.0.2", int(emulator._clock()) - 1)
    assert agents["127.0.0.2"].register(account) == [FIREWALLED]


def test_a_revoked_agent_is_refused_even_from_an_ip_another_agent_keeps_open(
    emulator: EmulatorServer, agents: dict[str, Agent]
) -> None:
    """Two agents behind one IP (one NAT): revoking one closes its SIP account too."""
    device = agents["127.0.0.2"]
    first = device.sign_in()
    second = device.sign_in("agent2", "demo-pass-2", totp.code_at(TOTP, emulator._clock()))
    emulator.state.set_agent_active("DEMO", "agent1", False, emulator._clock())
    assert emulator.state.allowed("127.0.0.2", emulator._clock())  # agent2's lease
    assert device.register(first) == [CHALLENGE, "SIP/2.0 403 Forbidden"]
    assert device.register(second) == [CHALLENGE, OK]
    emulator.state.set_agent_active("DEMO", "agent1", True, emulator._clock())
    assert device.register(first) == [CHALLENGE, OK]


def test_the_cli_runs_the_registrar_and_stops_it(tmp_path: Path) -> None:
    info_path = tmp_path / "emu.json"
    argv = [sys.executable, "-m", "softphone.cli", "emulator", "--port", "0"]
    proc = ManagedProcess([*argv, "--info-out", info_path], log_path=tmp_path / "emu.log")
    with proc:
        proc.wait_for(info_path.exists, 30, "the emulator's info file")
        info = json.loads(info_path.read_text())
        emulator = SimpleNamespace(url=info["url"], ca_file=Path(info["ca_file"]))
        agent = Agent(emulator, "127.0.0.2")  # type: ignore[arg-type]
        try:
            account = agent.sign_in()
        finally:
            agent.close()
        assert int(account["port"]) == info["sip"]["port"]
        assert agent.register(account) == [CHALLENGE, OK]
        kamailio_pids = _kamailio_children(proc.pid)
        assert kamailio_pids
        assert proc.stop() == 0
    wait_until(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in kamailio_pids),
        10,
        "kamailio to exit with the emulator",
    )


def _kamailio_children(parent: int | None) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            comm = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except (OSError, IndexError):
            continue
        if comm == "kamailio" and int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return pids
