"""The headless agent as users run it: a separate process, JSON events, exit statuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from softphone.cli.agent_inputs import PASSWORD_ENV
from softphone.core import events as ev
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT
from tests.enginekit.agent_process import AGENT
from tests.enginekit.recorder import EventRecorder
from tests.enginekit.registrar import kamailio_account
from tests.integration.conftest import AgentFactory
from tests.support.kamailio import Kamailio
from tests.support.sipp import Sipp

pytestmark = pytest.mark.integration


def test_registers_prints_json_and_unregisters_on_sigterm(
    kam: Kamailio, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, "1002")
    registered = agent.wait_event(event="RegistrationChanged", state="registered")
    assert registered["code"] == 200 and isinstance(registered["at"], float)
    kam.wait_registered("1002")
    assert agent.stop() == 0  # SIGTERM: an orderly stop, not a kill
    kam.wait_unregistered("1002")
    assert agent.events()[-1]["event"] == "EngineStopped"


def test_places_a_call_and_exits_zero_when_it_ends(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    uas = sipp.start("uas_answer")
    agent = agent_factory(kam, "1002", "--call", uas.uri(), "--dtmf", "12", "--hangup-after", "0.2")
    assert agent.process.wait_exit(20) == 0
    agent.wait_event(event="CallStateChanged", state="confirmed")
    ended = agent.wait_event(event="CallStateChanged", state="disconnected")
    assert ended["connected"] is True
    uas.wait(15).assert_ok()


def test_a_rejected_password_exits_1_with_a_clear_message(
    kam: Kamailio, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, "1002", password="wrong-password-123")
    assert agent.process.wait_exit(20) == 1
    log = agent.process.log_text()
    assert "vicifast-phone: Registration failed" in log
    assert "wrong-password-123" not in log


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AGENT, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env or {},
        stdin=subprocess.DEVNULL,
    )


def test_the_password_never_comes_from_a_flag_or_a_config_file(tmp_path: Path) -> None:
    base = ["--server", "127.0.0.1", "--extension", "1002"]
    missing = run_cli(*base, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode == 2
    assert f"${PASSWORD_ENV}" in missing.stderr and "--password-file" in missing.stderr
    assert "Traceback" not in missing.stderr
    as_flag = run_cli(*base, "--password", "x")
    # argparse takes --password for a prefix of --password-file/--password-fd: refused as such
    assert as_flag.returncode == 2 and "ambiguous option: --password could" in as_flag.stderr
    config = tmp_path / "agent.toml"
    config.write_text('server = "127.0.0.1"\nextension = "1002"\npassword = "hunter22"\n')
    in_file = run_cli("--config", str(config), env={PASSWORD_ENV: "x"})
    assert in_file.returncode == 2
    assert "contains a password" in in_file.stderr
    assert "hunter22" not in in_file.stderr


def test_attended_transfer_between_two_other_phones(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, agent_factory: AgentFactory
) -> None:
    # The agent (this engine) talks to a customer (1002) and consults a supervisor (1003),
    # both headless agents in their own processes; the attended transfer joins those two.
    customer = agent_factory(kam, "1002", "--answer", "auto")
    supervisor = agent_factory(kam, "1003", "--answer", "auto")
    engine.add_account(kamailio_account(kam, "1001"), "agent").result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="agent", state=ev.RegistrationState.REGISTERED)
    for agent in (customer, supervisor):
        agent.wait_event(event="RegistrationChanged", state="registered")
    first = engine.make_call("agent", "1002").result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=first, state=ev.CallState.CONFIRMED)
    engine.hold(first).result(TIMEOUT)
    consult = engine.make_call("agent", "1003").result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=consult, state=ev.CallState.CONFIRMED)
    engine.transfer_attended(first, consult).result(TIMEOUT)
    final = recorder.wait(ev.TransferProgress, call_id=first, final=True, timeout=15)
    assert final.code == 200
    recorder.wait(ev.CallStateChanged, call_id=first, state=ev.CallState.DISCONNECTED)
    recorder.wait(ev.CallStateChanged, call_id=consult, state=ev.CallState.DISCONNECTED)
    joined = supervisor.wait_event(
        event="CallStateChanged", state="confirmed", remote_number="1002"
    )
    assert joined["direction"] == "inbound"
    customer.wait_event(event="CallStateChanged", state="confirmed", remote_number="1003")
