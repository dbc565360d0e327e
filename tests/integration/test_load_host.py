"""A load worker's agents (softphone.load.host) against the real emulator over TLS and its
kamailio: seven agents in one process (the most it holds), each signing in, leasing the firewall
and registering from its own loopback address with the app's own session; an 8th refused with a
clear reason; calls pushed like VICIdial's answered, calls placed, sign-out and sign-in again, a
move to another address."""

from __future__ import annotations

import time

import pytest

from softphone.core import events as ev
from softphone.core.errors import LimitExceeded
from softphone.core.secret import Secret
from softphone.core.session_events import SessionState
from softphone.demo.environment import DemoEnvironment
from softphone.emulator.seed import LOAD_COMPANY_CODE, load_agent
from softphone.load.host import MAX_AGENTS, AgentHost, AgentSpec, EmulatedAgent
from tests.support.process import wait_until

pytestmark = pytest.mark.integration
WAIT = 30.0


def spec(index: int, address: str = "") -> AgentSpec:
    login = load_agent(index)
    return AgentSpec(
        LOAD_COMPANY_CODE, login.username, Secret(login.password), address or f"127.0.1.{index}"
    )


def signed_in(load_host: AgentHost, index: int) -> EmulatedAgent:
    agent = load_host.add_agent(spec(index))
    assert load_host.sign_in(agent).result(WAIT)
    assert agent.registered.wait(WAIT), agent.record.timeline
    return agent


def leased(load_env: DemoEnvironment, ip: str) -> bool:
    return load_env.server.state.allowed(ip, time.time())


def test_seven_agents_of_one_worker_each_register_from_their_own_address(
    load_env: DemoEnvironment, load_host: AgentHost
) -> None:
    agents = [load_host.add_agent(spec(i)) for i in range(1, MAX_AGENTS + 1)]
    for agent in agents:
        assert load_host.sign_in(agent).result(WAIT)
    for agent in agents:
        # kamailio lets a REGISTER through only from an address with a live lease: each
        # agent's came from its own, which its own login opened
        assert agent.registered.wait(WAIT), (agent.spec.username, agent.record.timeline)
        assert agent.state is SessionState.REGISTERED
        assert agent.lease is not None and agent.lease.ip == agent.spec.address
        assert leased(load_env, agent.spec.address)
    assert not leased(load_env, "127.0.0.1")  # nothing signed in from the engine's own address
    with pytest.raises(LimitExceeded, match=f"at most {MAX_AGENTS} agents"):
        load_host.add_agent(spec(MAX_AGENTS + 1))


def test_an_agent_takes_the_call_the_dialler_pushes_and_places_its_own(
    load_env: DemoEnvironment, load_host: AgentHost
) -> None:
    agent = signed_in(load_host, 1)
    extension = load_agent(1).extension
    load_env.ring_agent(
        load_env.agent_uri("", extension)
    )  # answer-after=0, as VICIdial rings agents
    wait_until(lambda: bool(agent.active_calls), WAIT, "the pushed call, up")
    (pushed,) = agent.active_calls
    wait_until(
        lambda: any(c.call_id == pushed for c in agent.record.calls_confirmed),
        WAIT,
        "auto-answered",
    )
    assert agent.record.calls_confirmed[-1].answered_by is ev.AnswerReason.HEADER
    load_host.hangup(pushed).result(WAIT)
    wait_until(lambda: not agent.active_calls, WAIT, "the pushed call, ended")
    placed = load_host.call(agent, load_env.lines["echo"]).result(WAIT)
    wait_until(lambda: any(c.call_id == placed for c in agent.record.calls_confirmed), WAIT, "echo")
    load_host.hangup(placed).result(WAIT)
    wait_until(lambda: len(agent.record.calls_ended) == 2, WAIT, "both calls in the record")
    assert all(c.connected for c in agent.record.calls_ended)


def test_an_agent_signs_out_and_in_again_and_moves_to_another_address(
    load_env: DemoEnvironment, load_host: AgentHost
) -> None:
    agent = signed_in(load_host, 2)
    load_host.sign_out(agent).result(WAIT)
    assert agent.signed_out.wait(WAIT)
    wait_until(lambda: not agent.registered.is_set(), WAIT, "unregistered")
    assert agent.lease is None
    assert load_host.sign_in(agent).result(WAIT)
    assert agent.registered.wait(WAIT)
    # the agent's computer moves to another network: it signs in from there, registers there
    before = registrations(agent)
    load_host.move(agent, "127.0.1.102").result(WAIT)
    wait_until(
        lambda: agent.lease is not None and agent.lease.ip == "127.0.1.102", WAIT, "a new lease"
    )
    wait_until(lambda: registrations(agent) > before, WAIT, "registered from the new address")
    assert agent.line.address == "127.0.1.102"
    assert "session refreshing" in [what for _at, what in agent.record.timeline]


def registrations(agent: EmulatedAgent) -> int:
    return sum(what.startswith("registration registered") for _at, what in agent.record.timeline)
