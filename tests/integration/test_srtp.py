"""SRTP as the server's configuration says: off, optional, mandatory (SDES keys over TLS)."""

from __future__ import annotations

from typing import Any

import pytest

from softphone.core import events as ev
from softphone.core.models import SrtpMode
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.enginekit.registrar import kamailio_account
from tests.support.kamailio import Kamailio
from tests.support.sipp import Sipp

pytestmark = pytest.mark.integration

REGISTERED = ev.RegistrationState.REGISTERED


def register(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, **accounts: dict[str, Any]
) -> None:
    for name, settings in accounts.items():
        engine.add_account(kamailio_account(kam, **settings), name).result(TIMEOUT)
    for name in accounts:
        recorder.wait(ev.RegistrationChanged, account_id=name, state=REGISTERED)


def test_mandatory_sdes_srtp_over_tls_end_to_end(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio
) -> None:
    tls = {"transport": "tls", "srtp": SrtpMode.MANDATORY}
    register(engine, recorder, kam, a={"user": "1001", **tls}, b={"user": "1002", **tls})
    out = engine.make_call("a", "1002").result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="b")
    engine.answer(incoming.call_id).result(TIMEOUT)
    for call in (out, incoming.call_id):
        media = recorder.wait(ev.CallMediaChanged, call_id=call, active=True)
        assert media.srtp, f"{call} is not encrypted"
    engine.hangup(out).result(TIMEOUT)


def test_mandatory_srtp_refuses_a_callee_without_srtp(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio
) -> None:
    register(
        engine,
        recorder,
        kam,
        a={"user": "1001", "transport": "tls", "srtp": SrtpMode.MANDATORY},
        b={"user": "1002", "transport": "udp", "srtp": SrtpMode.OFF},
    )
    out = engine.make_call("a", "1002").result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.DISCONNECTED)
    assert not ended.connected
    assert ended.sip_code in (488, 406)  # Not Acceptable Here: no common media


def test_optional_srtp_falls_back_to_rtp_with_a_plain_peer(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp
) -> None:
    engine.add_account(peer_config("1001", srtp=SrtpMode.OPTIONAL), "a").result(TIMEOUT)
    uas = sipp.start("uas_answer")
    call = engine.make_call("a", uas.uri()).result(TIMEOUT)
    media = recorder.wait(ev.CallMediaChanged, call_id=call, active=True)
    assert not media.srtp
    engine.hangup(call).result(TIMEOUT)
    uas.wait(15).assert_ok()
