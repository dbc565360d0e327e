"""Demo mode end to end: the emulator over TLS, its kamailio, the demo lines' child process and
the engine signed in as the demo agent; and the same with no kamailio (direct mode).

With ``--audio none`` the demo's simulated sound card measures what the agent hears (its own
550 Hz echoed, the tone line's 1 kHz), and the lines report the RTP packets they saw. Every
process the demo starts must be gone when it returns.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.demo.headless import run_demo, start_demo_environment
from softphone.demo.loopback import run_loopback_demo
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.state import EmulatorState
from tests.support.emulator import register
from tests.support.ports import free_port
from tests.support.proc_watch import alive_in, children_of

pytestmark = pytest.mark.integration

ALL_STEPS = [
    "environment", "keychain", "signed_in", "registered",
    "echo_connected", "echo_heard", "echo_ended",
    "tone_connected", "tone_heard", "tone_ended",
    "ring", "ring_answered", "ring_heard", "ring_ended", "done",
]  # fmt: skip
FIREWALLED = "SIP/2.0 403 Forbidden (no firewall allow-rule for this IP)"


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    before = set(children_of(os.getpid()))
    yield
    assert set(children_of(os.getpid())) - before == set(), "the demo left child processes behind"


def _steps(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]  # every line of stdout is JSON


def _check_run(steps: list[dict[str, Any]], *, registered: bool) -> None:
    names = [s["step"] for s in steps if s["step"] != "firewall"]
    assert names == ALL_STEPS, json.dumps(steps, indent=1)
    by = {s["step"]: s for s in steps}
    assert by["registered"]["registered"] is registered
    assert bool(by["environment"]["registrar"]) is registered
    assert by["echo_heard"]["heard_hz"] == 550.0  # its own tone, sent back by the echo line
    assert by["echo_ended"]["rx_packets"] > 0 and by["echo_ended"]["tx_packets"] > 0
    assert by["tone_heard"]["heard_hz"] == 1000.0
    assert by["ring_answered"]["answered_by"] == "header"  # Call-Info: answer-after=0
    assert by["ring_heard"]["heard_hz"] == 1000.0
    assert any(s["step"] == "firewall" and s["ip"] == "127.0.0.1" for s in steps)
    assert alive_in(by["environment"]["pids"]) == []


def test_demo_signs_in_registers_calls_both_lines_and_is_rung(no_leftovers: None) -> None:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    out = io.StringIO()
    assert run_demo(out, as_json=True) == 0, out.getvalue()
    steps = _steps(out.getvalue())
    _check_run(steps, registered=True)
    assert "demo-pass-1" not in out.getvalue()  # the demo password is not printed


def test_the_cli_demo_without_kamailio_calls_the_lines_directly(tmp_path: Path) -> None:
    # PATH without kamailio (python is started by its absolute path); Python buffered as a user
    # runs it, so output pjlib printed into C's stdout buffer would surface at exit.
    hidden = os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep) if not Path(d, "kamailio").exists()
    )
    assert shutil.which("kamailio", path=hidden) is None
    result = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "demo", "--json"],
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"} | {"PATH": hidden},
        capture_output=True,
        text=True,
        timeout=90,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    _check_run(_steps(result.stdout), registered=False)


def test_the_human_output_says_each_step_and_where_the_credentials_are(
    no_leftovers: None,
) -> None:
    out = io.StringIO()
    assert run_demo(out, use_kamailio=False) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert all(line.startswith("demo: ") for line in lines)
    assert any("credentials kept in the" in line for line in lines)
    assert lines[-1] == "demo: every step worked"


def test_the_environment_for_the_gui_and_its_close(tmp_path: Path, no_leftovers: None) -> None:
    env = start_demo_environment(tmp_path)
    try:
        assert env.control_plane.startswith("https://127.0.0.1:")
        assert env.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert "demo-pass" not in repr(env) and "demo-pass" not in repr(env.credentials)
        assert env.credentials.password.reveal() == "demo-pass-1"
        assert set(env.lines) == {"echo", "tone"}
        assert all(uri.startswith(("sip:600@", "sip:601@")) for uri in env.lines.values())
        pids = env.pids()
        assert len(alive_in(pids)) >= len(pids)
    finally:
        env.close()
    assert alive_in(pids) == []


def test_kamailio_trusts_exactly_the_lines_address(tmp_path: Path) -> None:
    """The firewall exemption is one ip:port, not the IP: an agent on the same address
    without a lease is still refused."""
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    state = EmulatorState.from_seed()
    state.add_sip_line("600", "line-secret", 0)
    trusted_port = free_port("udp")
    with Registrar(state.sip_users()) as registrar:
        registrar.trust("127.0.0.1", trusted_port)
        server = (registrar.host, registrar.port)
        assert register(
            server, "600", "line-secret", local_ip="127.0.0.1", local_port=trusted_port
        )[-1].startswith("SIP/2.0 200")
        assert register(server, "600", "line-secret", local_ip="127.0.0.1") == [FIREWALLED]
    assert not registrar.running


def test_the_loopback_demo_walks_a_call_through_auto_answer_dtmf_hold_and_hang_up() -> None:
    out = io.StringIO()
    assert run_loopback_demo(out, as_json=True) == 0
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [e["event"] for e in events]
    assert names[0] == "EngineStarted" and names[-1] == "EngineStopped"
    answered = [e for e in events if e["event"] == "CallStateChanged" and e["state"] == "confirmed"]
    assert {e["answered_by"] for e in answered} == {None, "header"}
    assert "".join(e["digit"] for e in events if e["event"] == "DtmfReceived") == "1234#"
    holds = [e["hold"] for e in events if e["event"] == "CallMediaChanged"]
    assert "local" in holds and "remote" in holds
    assert events[-1]["clean"] is True
