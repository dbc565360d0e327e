"""An INVITE flood must not kill the phone.

pjsua opens an incoming INVITE's RTP/RTCP sockets before any callback of ours, and pjlib keeps
a closed socket's ioqueue key for 500 ms out of 64: some 30 INVITE + CANCEL within half a second
used to abort the whole process (``pj_ioqueue_register_sock2: Assertion
'!pj_list_empty(&ioqueue->free_list)'``), measured at 70 INVITE+CANCEL per second and above. The
engine now sheds the excess in ``onSelectAccount`` (before the sockets) with 486 Busy Here.

The agent runs in its own process so that a regression aborts the agent, not pytest.
"""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy
from softphone.sip.admission import INBOUND_LIMIT, OUTBOUND_LIMIT, Admission, LegRate
from softphone.sip.engine import SipEngine
from softphone.sip.timers import Timers
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.integration.conftest import AgentFactory
from tests.support.kamailio import Kamailio
from tests.support.process import wait_until
from tests.support.sipp import Sipp, SippResult

pytestmark = pytest.mark.integration

FLOOD_RATE = 300  # INVITE + CANCEL per second; the unguarded engine died from 70
FLOOD_CALLS = 450  # 1.5 s of it


def _hostport(contact_address: str) -> str:
    found = re.search(r"@([0-9.]+:[0-9]+)", contact_address)
    assert found, contact_address
    return found.group(1)


def _flood(sipp: Sipp, hostport: str, user: str, **kwargs: Any) -> SippResult:
    return sipp.run(
        kwargs.pop("scenario", "uac_invite_flood"),
        hostport,
        service=user,
        calls=FLOOD_CALLS,
        pause_ms=0,
        timeout=30,
        extra_args=["-r", str(FLOOD_RATE), "-l", str(FLOOD_RATE)],
        **kwargs,
    )


def test_an_invite_flood_is_shed_and_the_agent_stays_registered_and_answers(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    # Answers when the INVITE asks (as VICIdial's do); the flood comes straight from another
    # process on 127.0.0.1, a "direct call" the agent must accept to see it at all (a stranger's
    # flood is refused before admission: the next test).
    agent = agent_factory(kam, "1002", "--accept-direct-calls")
    agent.wait_event(event="RegistrationChanged", state="registered")
    (contact,) = kam.wait_registered("1002")
    hostport = _hostport(contact.address)

    flood = _flood(sipp, hostport, "1002")

    assert agent.process.returncode is None, agent.process.log_tail(20)
    flood.assert_ok()  # every INVITE got a final answer: rung and CANCELled (487), or shed
    codes = flood.received_codes()
    taken, shed = codes.count(487), codes.count(486)
    assert taken >= INBOUND_LIMIT, f"{taken} calls taken, {shed} shed"
    assert shed >= FLOOD_CALLS // 2, f"{taken} calls taken, {shed} shed"
    assert taken + shed >= FLOOD_CALLS
    # The shed INVITEs are reported (at most once a second), from the flood's address.
    wait_until(
        lambda: sum(e["count"] for e in agent.events() if e["event"] == "IncomingCallsShed") > 0,
        5,
        "the agent to report the shed INVITEs",
    )
    reports = [e for e in agent.events() if e["event"] == "IncomingCallsShed"]
    assert all(s.startswith("127.0.0.1:") for r in reports for s in r["sources"])
    assert "INVITEs are now answered 486" in agent.process.log_text()

    # Still registered: no registration event after the first one, and the binding is there.
    states = [e["state"] for e in agent.events() if e["event"] == "RegistrationChanged"]
    assert states == ["registering", "registered"]
    assert kam.contacts("1002")

    # A call that asks to be answered connects once the flood has passed (the first attempt
    # may still meet the 0.6 s window of the flood's last admitted calls).
    answered: list[SippResult] = []

    def call_connects() -> bool:
        answered.append(sipp.run("uac_autoanswer", kam.hostport(), service="1002", timeout=10))
        return answered[-1].ok

    wait_until(call_connects, 20, "a normal call to connect after the flood", interval=0.3)
    assert len(answered) <= 2, [r.received_codes() for r in answered]
    agent.wait_event(event="CallStateChanged", state="confirmed", answered_by="header")
    assert agent.process.returncode is None


def test_a_strangers_invite_flood_is_refused_before_admission(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, "1003")
    agent.wait_event(event="RegistrationChanged", state="registered")
    (contact,) = kam.wait_registered("1003")
    # From an address that is not the registrar: every INVITE refused 403 before any media
    # socket exists, so none counts against the sockets and none is shed.
    flood = _flood(
        sipp,
        _hostport(contact.address),
        "1003",
        scenario="uac_stranger_invite",
        host="127.0.0.66",
        keys={"hint": "Call-Info: <sip:10.0.0.1>;answer-after=0", "from_host": "127.0.0.66"},
    )
    flood.assert_ok()
    codes = flood.received_codes()
    assert set(codes) <= {100, 403} and codes.count(403) == FLOOD_CALLS, set(codes)
    assert agent.process.returncode is None, agent.process.log_tail(20)
    wait_until(
        lambda: (
            sum(e["count"] for e in agent.events() if e["event"] == "UntrustedRequestsRefused")
            == FLOOD_CALLS
        ),
        5,
        "every refused INVITE to be reported",
    )
    assert not [e for e in agent.events() if e["event"] in ("IncomingCallsShed", "IncomingCall")]


def test_invites_to_an_unknown_user_still_reach_the_account(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp
) -> None:
    # The engine's flood-guard account can be pjsua's default account; a request no account
    # matches must still go to the real one.
    peers = add_peers(
        engine, peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS))
    )
    sipp.run("uac_autoanswer", peers.hostport, service="somebody-else").assert_ok()
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.CONFIRMED)


def test_admission_counts_legs_in_a_sliding_window_and_reports_once_a_second() -> None:
    now = [100.0]
    timers = Timers(clock=lambda: now[0])
    events: list[ev.Event] = []
    admission = Admission(events.append, timers, rate=LegRate(clock=lambda: now[0]))
    assert all(admission.outbound() for _ in range(OUTBOUND_LIMIT))
    assert not admission.outbound()  # placing calls stops first ...
    assert all(admission.incoming("10.0.0.9:5060") for _ in range(INBOUND_LIMIT - OUTBOUND_LIMIT))
    assert not admission.incoming("10.0.0.9:5060")  # ... incoming ones later
    assert admission.incoming("10.0.0.9:5060", can_shed=False)  # no guard: let in, counted
    assert not admission.incoming("10.0.0.7:5070")
    now[0] += 0.61  # the window has passed
    assert admission.incoming("10.0.0.9:5060")
    assert admission.shed_total == 2
    assert not events
    now[0] += 0.4
    timers.run_due()
    assert events == [
        ev.IncomingCallsShed(at=events[0].at, count=2, sources=("10.0.0.9:5060", "10.0.0.7:5070"))
    ]
    admission.close()  # nothing pending: no second report
    assert len(events) == 1


def test_the_outbound_throttle_still_lets_loopback_calls_connect(
    engine: SipEngine, recorder: EventRecorder
) -> None:
    # A loopback call is two legs of this engine (out and in): the incoming one must not be
    # shed while the outgoing one was allowed.
    peers = add_peers(
        engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    for _ in range(OUTBOUND_LIMIT // 2):
        call_id = engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=call_id, state=ev.CallState.CONFIRMED)
        engine.hangup(call_id).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=call_id, state=ev.CallState.DISCONNECTED)
    assert not recorder.of(ev.IncomingCallsShed)


CONNECTION_CHURN = 600  # TCP connections opened and closed at once, as fast as they go


@pytest.mark.xfail(
    strict=True,
    reason=(
        "known, not fixed: pjsip accepts every TCP connection on the SIP listener and gives each "
        "an ioqueue key (64, each held 500 ms after close); a connection churn of some hundreds "
        "per second leaves the listener accepting nothing more, or aborts the process with the "
        "same pj_ioqueue_register_sock2 assertion (seen with connections held open), and pjsua2 "
        "offers no hook before accept nor a transport without a listener. UDP accounts "
        "(VICIdial's usual) have no listener to flood."
    ),
)
def test_a_tcp_connection_flood_does_not_kill_an_agent_registered_over_tcp(
    kam: Kamailio, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, "1002", "--transport", "tcp", "--port", str(kam.port("tcp")))
    agent.wait_event(event="RegistrationChanged", state="registered")
    (contact,) = kam.wait_registered("1002")
    host, port = _hostport(contact.address).rsplit(":", 1)  # pjsip's Contact: its TCP listener
    for _ in range(CONNECTION_CHURN):
        try:
            with socket.create_connection((host, int(port)), timeout=2):
                pass
        except OSError:
            break  # the listener is gone: the process died (asserted below)
    wait_until(
        lambda: agent.process.returncode is not None or _answers(host, int(port)),
        5,
        "the agent's listener to answer after the churn",
        details=agent.process.describe,
    )
    assert agent.process.returncode is None, agent.process.log_tail(20)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
