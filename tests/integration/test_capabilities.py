"""The platform capabilities the real engine finds with the real wheel (Linux: TLS, the live SIP
trace, the 501 module), and a probe forced to find no TLS, as on the Windows wheel: an account
provisioned with TLS gets the plain message, and no REGISTER leaves."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pjsua2 as pj
import pytest

from softphone.core import events as ev
from softphone.core.models import EngineConfig
from softphone.headless.agent import AgentPlan, HeadlessAgent
from softphone.sip import capabilities
from softphone.sip.engine import SipEngine
from softphone.sip.errors import TlsUnavailable
from tests.enginekit.accounts import TIMEOUT
from tests.enginekit.recorder import EventRecorder
from tests.enginekit.registrar import kamailio_account
from tests.integration.conftest import assert_no_pj_objects_left
from tests.support.kamailio import Kamailio
from tests.support.ports import listening_sockets

pytestmark = pytest.mark.integration

NO_TLS_HERE = (
    "This build of VICIfast Desktop cannot use SIP over TLS on Linux (the SIP library has no "
    "TLS). Ask your administrator to provision UDP or TCP for your account."
)


def _tcp_listeners() -> set[tuple[str, str, int]]:
    return {s for s in listening_sockets(os.getpid()) if s[0] == "tcp"}


@pytest.fixture
def start_engine(recorder: EventRecorder, kam: Kamailio) -> Iterator[Callable[[], SipEngine]]:
    """Starts an engine when called (after a test's patches); stopped at teardown, before kam."""
    started: list[SipEngine] = []

    def start() -> SipEngine:
        sip = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"))
        sip.start()
        started.append(sip)
        return sip

    yield start
    for sip in started:
        sip.stop()
        recorder.wait(ev.EngineStopped, timeout=10)
    assert_no_pj_objects_left()


def test_the_linux_wheel_has_tls_the_live_trace_and_the_501_module(
    start_engine: Callable[[], SipEngine], recorder: EventRecorder
) -> None:
    listening = _tcp_listeners()
    engine = start_engine()
    # the probe's TLS listener was closed again: the engine listens on nothing new over TCP
    assert _tcp_listeners() == listening
    caps = engine.capabilities
    assert caps is not None
    assert (caps.tls, caps.live_sip_trace, caps.unhandled_501) == (True, True, True)
    assert caps.platform.startswith("Linux ")
    assert caps.pjsua2_version == pj.__version__ and caps.pjsip_version
    assert caps.openssl.startswith("OpenSSL 1.0.2")  # bundled by the wheel: TLS 1.2 at most
    assert caps.tls_max_version == "1.2"
    assert caps.tls_detail == f"{caps.openssl}: TLS 1.2 at most"
    assert 0 < caps.probe_ms < 50
    # published once, right after EngineStarted, as the same value
    names = [type(e).__name__ for e in recorder.events[:2]]
    assert names == ["EngineStarted", "Capabilities"]
    assert recorder.events[1] == caps
    # and what was found is what the feature uses: the trace switches live
    assert engine.set_sip_trace(True).result(TIMEOUT) is True
    assert engine.set_sip_trace(False).result(TIMEOUT) is True


def _create_unsupported(ep: Any) -> int:
    # What pjsua does for TLS when pjsip was built without it: the transport type falls through
    # to pjsua_transport_create's last branch, PJSIP_EUNSUPTRANSPORT, the real library's answer.
    return int(ep.transportCreate(pj.PJSIP_TRANSPORT_UNSPECIFIED, pj.TransportConfig()))


@pytest.fixture
def no_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capabilities, "create_tls_probe", _create_unsupported)


def test_a_tls_account_without_tls_is_refused_plainly_and_sends_nothing(
    no_tls: None, start_engine: Callable[[], SipEngine], recorder: EventRecorder, kam: Kamailio
) -> None:
    engine = start_engine()
    caps = recorder.wait(ev.Capabilities)
    assert caps.tls is False
    assert "PJSIP_EUNSUPTRANSPORT" in caps.tls_detail
    assert caps.live_sip_trace is True  # the rest is found as before

    with pytest.raises(TlsUnavailable) as refused:
        engine.add_account(kamailio_account(kam, "1001", "tls"), "a").result(TIMEOUT)
    assert str(refused.value) == NO_TLS_HERE
    failed = recorder.wait(ev.CommandFailed, command="add_account")
    assert failed.message == NO_TLS_HERE
    # No REGISTER: nothing was announced for the account, and no account and no TLS
    # transport exist that could have carried one.
    assert recorder.of(ev.RegistrationChanged, account_id="a") == []
    snapshot = engine.snapshot().result(TIMEOUT)
    assert snapshot.accounts == {} and "tls" not in snapshot.transports

    # The engine goes on: a UDP account of the same server registers; 1001 never did.
    engine.add_account(kamailio_account(kam, "1002", "udp"), "b").result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="b", state=ev.RegistrationState.REGISTERED)
    assert not kam.contacts(kam.aor("1001"))
    assert [c.socket.split(":")[0] for c in kam.contacts(kam.aor("1002"))] == ["udp"]


def test_the_agent_says_so_in_its_json_and_exits_without_a_traceback(
    no_tls: None, kam: Kamailio
) -> None:
    out = io.StringIO()
    agent = HeadlessAgent(
        kamailio_account(kam, "1001", "tls"),
        AgentPlan(register_timeout_s=5),
        engine_config=EngineConfig(bind_address="127.0.0.1"),
        out=out,
        as_json=True,
    )
    outcome = agent.run()
    assert (outcome.exit_code, outcome.message) == (3, NO_TLS_HERE)
    printed = out.getvalue()
    assert "Traceback" not in printed
    events = [json.loads(line) for line in printed.splitlines()]
    caps = next(e for e in events if e["event"] == "Capabilities")
    assert caps["tls"] is False and caps["platform"].startswith("Linux")
    failed = [e for e in events if e["event"] == "CommandFailed"]
    assert [(e["command"], e["message"]) for e in failed] == [("add_account", NO_TLS_HERE)]
    assert not [e for e in events if e["event"] == "RegistrationChanged"]
    assert events[-1]["event"] == "EngineStopped"
    assert not kam.contacts(kam.aor("1001"))
