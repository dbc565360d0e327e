"""The calls of a load run carry speech, against the real emulator's kamailio and sipp: an agent's
own call to the counterpart's number is routed there, answered and hung up cleanly (by either
side) with speech heard; a dialler call pushes speech to the agent; the route serves that number
only, outlives a restart of the registrar and does not open its firewall to strangers."""

from __future__ import annotations

import select
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.core import events as ev
from softphone.core.secret import Secret
from softphone.demo.environment import DemoEnvironment
from softphone.emulator.seed import LOAD_COMPANY_CODE, load_agent
from softphone.load.counterpart import COUNTERPART_NUMBER, Counterpart
from softphone.load.dialler import Dialler
from softphone.load.host import AgentHost, AgentSpec, EmulatedAgent
from softphone.sip.stack import SipStack
from tests.support.process import wait_until

pytestmark = pytest.mark.integration
WAIT = 30.0


@pytest.fixture
def counterpart(load_env: DemoEnvironment, tmp_path: Path) -> Iterator[Counterpart]:
    """The run's answering side, routed and trusted as run.py does; it hangs up calls the agent
    keeps over 3 s itself."""
    workdir = tmp_path / "counterpart"
    workdir.mkdir()
    made = Counterpart(workdir, hang_up_after_s=3.0)
    registrar = load_env.server.registrar
    assert registrar is not None
    address, port = made.source.rsplit(":", 1)
    registrar.trust(address, int(port))
    registrar.route(made.number, address, int(port))
    made.start()
    try:
        yield made
    finally:
        made.stop()


def signed_in(load_host: AgentHost, index: int) -> EmulatedAgent:
    login = load_agent(index)
    spec = AgentSpec(LOAD_COMPANY_CODE, login.username, Secret(login.password), f"127.0.1.{index}")
    agent = load_host.add_agent(spec)
    assert load_host.sign_in(agent).result(WAIT)
    assert agent.registered.wait(WAIT), agent.record.timeline
    return agent


def heard(load_host: AgentHost, call_id: str) -> int:
    """The level (0-255) of the sound the agent's phone last received on the call: what its
    speaker would play. The engine reports no media statistics, so the test asks pjsua2."""

    def level(stack: SipStack) -> int:
        call = stack.calls._call(call_id)
        # seen from the call's port on the conference bridge: "tx" is what it feeds the bridge
        # (the far end's audio), "rx" what the bridge feeds it (the agent's microphone)
        return int(call.getAudioMedia(-1).getTxLevel())

    return load_host.engine._submit("heard", level).result(WAIT)


def confirmed(agent: EmulatedAgent, call_id: str) -> ev.CallStateChanged | None:
    return next((c for c in agent.record.calls_confirmed if c.call_id == call_id), None)


def ended(agent: EmulatedAgent, call_id: str) -> ev.CallStateChanged | None:
    return next((c for c in agent.record.calls_ended if c.call_id == call_id), None)


def test_an_agents_call_to_the_counterpart_is_answered_with_speech_and_hung_up_either_way(
    load_host: AgentHost, counterpart: Counterpart
) -> None:
    agent = signed_in(load_host, 1)
    placed = load_host.call(agent, COUNTERPART_NUMBER).result(WAIT)
    wait_until(lambda: confirmed(agent, placed) is not None, WAIT, "the counterpart answers")
    wait_until(lambda: heard(load_host, placed) > 0, WAIT, "speech from the counterpart")
    load_host.hangup(placed).result(WAIT)
    wait_until(lambda: ended(agent, placed) is not None, WAIT, "the agent's call, ended")
    # a call the agent keeps too long: the counterpart hangs up itself
    kept = load_host.call(agent, COUNTERPART_NUMBER).result(WAIT)
    wait_until(lambda: ended(agent, kept) is not None, WAIT, "the counterpart hangs up")
    assert all(c.connected for c in agent.record.calls_ended)
    wait_until(lambda: counterpart.result().answered == 2, WAIT, "sipp counted both calls")
    assert counterpart.result().failed == 0


def test_a_dialler_call_brings_speech_to_the_agent(
    load_env: DemoEnvironment, load_host: AgentHost, tmp_path: Path
) -> None:
    agent = signed_in(load_host, 2)
    dialler = Dialler(
        load_env.registrar,
        [load_agent(2).extension],
        tmp_path,
        concurrent=1,
        rate_per_s=1.0,
        hold_s=20.0,
    )
    registrar = load_env.server.registrar
    assert registrar is not None
    dialler_host, port = dialler.source.rsplit(":", 1)
    registrar.trust(dialler_host, int(port))
    dialler.start()
    try:
        wait_until(lambda: bool(agent.record.calls_confirmed), WAIT, "the pushed call, answered")
        pushed = agent.record.calls_confirmed[0].call_id
        assert agent.record.calls_confirmed[0].answered_by is ev.AnswerReason.HEADER
        wait_until(lambda: heard(load_host, pushed) > 0, WAIT, "speech from the dialler")
    finally:
        dialler.stop()


def invite(source: str, registrar: str, number: str) -> int:
    """A raw INVITE for ``number`` from ``source`` (an IP) through the registrar: the status of
    its first final answer (0: none within 5 s)."""
    ip, _, port = registrar.rpartition(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        local = sock.getsockname()[1]
        call_id = uuid.uuid4().hex
        uri = f"sip:{number}@{registrar}"
        sdp = (
            f"v=0\r\no=- 1 1 IN IP4 {source}\r\ns=-\r\nc=IN IP4 {source}\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        request = (
            f"INVITE {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {source}:{local};branch=z9hG4bK{call_id[:16]};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@{source}:{local}>;tag={call_id[16:24]}\r\n"
            f"To: <{uri}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:probe@{source}:{local}>\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(sdp)}\r\n\r\n{sdp}"
        )
        sock.sendto(request.encode(), (ip, int(port)))
        while True:
            readable, _, _ = select.select([sock], [], [], 5.0)
            if not readable:
                return 0
            code = int(sock.recv(65535).split(b" ", 2)[1])
            if code >= 200:
                return code


def test_the_registrar_routes_the_counterparts_number_only_and_keeps_its_firewall(
    load_env: DemoEnvironment, load_host: AgentHost, counterpart: Counterpart
) -> None:
    # a stranger (no sign-in, no lease) cannot reach the counterpart, nor anything else
    assert invite("127.0.0.9", load_env.registrar, COUNTERPART_NUMBER) == 403
    assert invite("127.0.0.9", load_env.registrar, "701") == 403
    # from an address with a lease: the counterpart's number answers, its neighbour does not
    agent = signed_in(load_host, 3)
    assert invite(agent.spec.address, load_env.registrar, "701") == 404
    assert invite(agent.spec.address, load_env.registrar, COUNTERPART_NUMBER) == 200
    # the route outlives a restart of the registrar, as its firewall's rules do
    registrar = load_env.server.registrar
    assert registrar is not None
    registrar.restart()
    assert invite(agent.spec.address, load_env.registrar, COUNTERPART_NUMBER) == 200
    assert invite("127.0.0.9", load_env.registrar, COUNTERPART_NUMBER) == 403
