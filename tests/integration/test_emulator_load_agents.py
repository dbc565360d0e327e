"""Load agents: `vicifast-phone emulator --load-agents N` adds company LOAD with agents load0001…
that sign in over HTTPS and REGISTER at kamailio from their own loopback addresses, each with
credentials a load tool computes from the agent's number alone."""

from __future__ import annotations

import json
import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.seed import LOAD_AGENTS_MAX, load_agent
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from tests.support.emulator import DEVICE, register
from tests.support.process import ManagedProcess

pytestmark = pytest.mark.integration

START_S = 60.0
CHALLENGE = "SIP/2.0 401 Unauthorized"
OK = "SIP/2.0 200 OK"
FIREWALLED = "SIP/2.0 403 Forbidden (no firewall allow-rule for this IP)"


def cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "softphone.cli", *map(str, args)]


def agent_ip(index: int) -> str:
    """The loopback address load agent `index` signs in from: 127.0.1.1, … 127.0.1.200."""
    return f"127.0.{1 + (index - 1) // 250}.{1 + (index - 1) % 250}"


def sign_in(url: str, ca_file: str, index: int, password: str = "") -> dict[str, Any]:
    """Sign load agent `index` in from its own address and fetch its SIP account."""
    username, right, _extension = load_agent(index)
    context = ssl.create_default_context(cafile=ca_file)
    transport = httpx.HTTPTransport(verify=context, local_address=agent_ip(index))
    with httpx.Client(transport=transport, timeout=10) as http:
        body = {"username": username, "password": password or right, "company_code": "LOAD"}
        login = http.post(f"{url}/api/mobile/login", json=body | {"device": DEVICE})
        if login.status_code != 200:
            return {"error": login.json()["error"]}
        provision = http.post(
            login.json()["server"]["provision_url"],
            json={"username": username, "password": right},
        )
        assert provision.status_code == 200, provision.text
        account: dict[str, Any] = provision.json()["sip"]
        return account


def register_from(index: int, account: dict[str, Any], password: str = "") -> list[str]:
    server = (str(account["proxy"]), int(account["port"]))
    secret = password or str(account["password"])
    return register(server, str(account["extension"]), secret, local_ip=agent_ip(index))


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., ManagedProcess]]:
    """spawn(*cli args) -> `vicifast-phone …` started; each stopped by its PID at teardown."""
    started: list[ManagedProcess] = []

    def start(*args: str | Path) -> ManagedProcess:
        log = tmp_path / f"process{len(started)}.log"
        started.append(ManagedProcess(cli(*args), log_path=log, env={"COLUMNS": "200"}))
        return started[-1].start()

    yield start
    for proc in reversed(started):
        proc.stop()


def test_200_load_agents_sign_in_and_register_from_their_own_addresses(
    spawn: Callable[..., ManagedProcess], tmp_path: Path
) -> None:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    info_path = tmp_path / "emu.json"
    argv = ["emulator", "--port", "0", "--info-out", info_path, "--ca-out", tmp_path / "ca.pem"]
    proc = spawn(*argv, "--load-agents", "200")
    proc.wait_for_log(r"^admin token: ", START_S)  # printed after --info-out is written
    info = json.loads(info_path.read_text())
    assert info["load_agents"] == 200
    assert set(info) == {"url", "ca_file", "admin_token", "sip", "load_agents"}
    assert "load agents: 200 in company LOAD" in proc.log_text()

    account = sign_in(info["url"], info["ca_file"], 200)
    assert (account["extension"], account["display_name"]) == ("2200", "Load Agent 0200")
    assert account["auto_answer"] == "header"
    assert register_from(200, account) == [CHALLENGE, OK]
    assert register_from(200, account, "sip-2200-demo")[-1] == "SIP/2.0 403 Forbidden"
    # the firewall stays per IP: load0001 has not signed in from 127.0.1.1
    assert register_from(1, {**account, "extension": "2001"}, "sip-2001-load") == [FIREWALLED]

    refused = sign_in(info["url"], info["ca_file"], 1, password="load-pass-0200")
    assert refused == {"error": "invalid_credentials"}


def test_a_load_agent_count_beyond_2000_stops_the_emulator_with_the_reason(
    spawn: Callable[..., ManagedProcess],
) -> None:
    proc = spawn("emulator", "--port", "0", "--no-sip", "--load-agents", "2001")
    assert proc.wait_exit(START_S) == 2
    assert "load agents must be between 1 and 2000" in proc.log_text()


def test_help_says_what_the_load_agents_are(spawn: Callable[..., ManagedProcess]) -> None:
    proc = spawn("emulator", "--help")
    assert proc.wait_exit(START_S) == 0
    text = " ".join(proc.log_text().split())
    for words in ("--load-agents N", "company LOAD", "load0001", "load-pass-0001", "from 2001"):
        assert words in text


def test_kamailio_takes_all_2000_load_agents(tmp_path: Path) -> None:
    """The registrar learns every SIP account at start (its users htable holds them all)."""
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    state = EmulatorState.from_seed(load_agents=LOAD_AGENTS_MAX)
    registrar = Registrar(state.sip_users())
    server = EmulatorServer(state, port=0, ca_out=tmp_path / "ca.pem", registrar=registrar)
    with server:
        assert server.ca_file is not None
        for index in (1, 1000, LOAD_AGENTS_MAX):
            account = sign_in(server.url, str(server.ca_file), index)
            assert register_from(index, account) == [CHALLENGE, OK], index
        tables = {table["name"]: table for table in registrar.rpc("htable.stats")}
        # the demo's three active agents and every load agent
        assert tables["users"]["all"] == 3 + LOAD_AGENTS_MAX
