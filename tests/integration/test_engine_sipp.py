"""The engine against sipp: scripted far ends (VICIdial-style pushes, faulty registrars, ...)."""

from __future__ import annotations

import pytest

from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, DtmfMethod
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.enginekit.registrar import kamailio_account
from tests.support.baresip import BaresipFactory
from tests.support.kamailio import Kamailio
from tests.support.sipp import Sipp

pytestmark = pytest.mark.integration

REGISTERED = ev.RegistrationState.REGISTERED
CONFIRMED = ev.CallState.CONFIRMED
DISCONNECTED = ev.CallState.DISCONNECTED


def register_agent(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, mode: AutoAnswerMode
) -> None:
    config = kamailio_account(kam, "1001", auto_answer=AutoAnswerPolicy(mode))
    engine.add_account(config, "agent").result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="agent", state=REGISTERED)


# ---- calls pushed to the agent (sipp is the dialer, through kamailio) --------------------------


@pytest.mark.parametrize("scenario", ["uac_autoanswer", "uac_alert_info"])
def test_vicidial_style_push_is_answered_by_itself(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, sipp: Sipp, scenario: str
) -> None:
    register_agent(engine, recorder, kam, AutoAnswerMode.HEADER)
    result = sipp.run(scenario, kam.hostport(), service="1001", pause_ms=300, timeout=15)
    result.assert_ok()
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_reason is ev.AnswerReason.HEADER
    assert incoming.remote_number == "sipp"
    ended = recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=DISCONNECTED)
    assert ended.connected and ended.answered_by is ev.AnswerReason.HEADER


def test_a_push_without_the_header_rings_and_can_be_rejected_busy(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, sipp: Sipp
) -> None:
    register_agent(engine, recorder, kam, AutoAnswerMode.HEADER)
    uac = sipp.start("uac_plain_invite", kam.hostport(), service="1001", timeout=15)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_in_s is None
    engine.reject(incoming.call_id, 486).result(TIMEOUT)
    result = uac.wait(15)
    assert 486 in result.received_codes()
    ended = recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=DISCONNECTED)
    assert ended.sip_code == 486 and not ended.connected


def test_caller_cancels_while_ringing(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp
) -> None:
    # Straight to the agent: through a proxy the 487 may overtake the CANCEL's 200, and the
    # scenario wants them in order.
    engine.add_account(peer_config("1001"), "agent").result(TIMEOUT)
    hostport = engine.snapshot().result(TIMEOUT).transports["udp"]
    sipp.run("uac_cancel", hostport, service="1001", timeout=15).assert_ok()
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    ended = recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=DISCONNECTED)
    assert ended.sip_code == 487 and not ended.connected


def test_far_end_hold_and_resume_by_re_invite(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, sipp: Sipp
) -> None:
    register_agent(engine, recorder, kam, AutoAnswerMode.ALWAYS)
    uac = sipp.start("uac_reinvite_hold", kam.hostport(), service="1001", pause_ms=300)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    recorder.wait(ev.CallMediaChanged, call_id=incoming.call_id, hold=ev.HoldState.REMOTE)
    mark = recorder.mark()
    recorder.wait(ev.CallMediaChanged, call_id=incoming.call_id, hold=ev.HoldState.NONE, after=mark)
    uac.wait(15).assert_ok()
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=DISCONNECTED)


def test_dtmf_by_sip_info_from_the_far_end(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, sipp: Sipp
) -> None:
    register_agent(engine, recorder, kam, AutoAnswerMode.ALWAYS)
    sipp.run("uac_info_dtmf", kam.hostport(), service="1001", pause_ms=200).assert_ok()
    digit = recorder.wait(ev.DtmfReceived)
    assert (digit.digit, digit.method) == ("5", "info")
    assert len(recorder.of(ev.DtmfReceived)) == 1


def test_far_end_transfers_us_with_refer_to_a_real_second_phone(
    engine: SipEngine,
    recorder: EventRecorder,
    kam: Kamailio,
    baresip_factory: BaresipFactory,
) -> None:
    # baresip 1002 calls the agent, then REFERs it to 1003 (another baresip, answering by
    # itself): the agent must follow the REFER, report the new leg, and lose the first one.
    register_agent(engine, recorder, kam, AutoAnswerMode.ALWAYS)
    transferor = baresip_factory(kam, "1002")
    target = baresip_factory(kam, "1003", answermode="auto")
    transferor.dial(f"sip:1001@{kam.domain}")
    first = recorder.wait(ev.IncomingCall, account_id="agent")
    transferor.wait_established()
    transferor.command("transfer", f"sip:1003@{kam.domain}")
    new_leg = recorder.wait(
        ev.CallStateChanged, state=CONFIRMED, direction=ev.Direction.OUTBOUND, timeout=15
    )
    assert new_leg.remote_number == "1003"
    target.wait_established()
    recorder.wait(ev.CallStateChanged, call_id=first.call_id, state=DISCONNECTED)
    engine.hangup(new_leg.call_id).result(TIMEOUT)
    target.wait_closed()


# ---- calls the agent places (sipp is the far end) ----------------------------------------------


@pytest.fixture
def caller(engine: SipEngine) -> str:
    return engine.add_account(peer_config("1001"), "agent").result(TIMEOUT)


def test_outgoing_call_hold_resume_and_hang_up_against_sipp(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp, caller: str
) -> None:
    uas = sipp.start("uas_answer")
    call = engine.make_call(caller, uas.uri()).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.RINGING, sip_code=180)
    recorder.wait(ev.CallStateChanged, call_id=call, state=CONFIRMED)
    engine.hold(call).result(TIMEOUT)
    recorder.wait(ev.CallMediaChanged, call_id=call, hold=ev.HoldState.LOCAL)
    mark = recorder.mark()
    engine.unhold(call).result(TIMEOUT)
    recorder.wait(ev.CallMediaChanged, call_id=call, hold=ev.HoldState.NONE, after=mark)
    # RFC 2833 here: sipp aborts when a BYE races the 200 of an INFO it is still answering.
    # SIP INFO is covered against our own second account (test_engine_calls).
    engine.send_dtmf(call, "7", DtmfMethod.RFC2833).result(TIMEOUT)
    engine.hangup(call).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=call, state=DISCONNECTED)
    assert ended.connected
    uas.wait(15).assert_ok()


def test_busy_far_end_gives_486(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp, caller: str
) -> None:
    uas = sipp.start("uas_reject_486")
    call = engine.make_call(caller, uas.uri()).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=call, state=DISCONNECTED)
    assert (ended.sip_code, ended.connected) == (486, False)
    uas.wait(15).assert_ok()


def test_cancel_an_outgoing_call_while_it_rings(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp, caller: str
) -> None:
    uas = sipp.start("uas_ringing_forever")
    call = engine.make_call(caller, uas.uri()).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.RINGING)
    engine.hangup(call).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=call, state=DISCONNECTED)
    assert ended.sip_code == 487
    uas.wait(15).assert_ok()


def test_early_media_is_reported_before_the_answer(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp, caller: str
) -> None:
    uas = sipp.start("uas_early_media", pause_ms=300)
    call = engine.make_call(caller, uas.uri()).result(TIMEOUT)
    early = recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.EARLY_MEDIA)
    media = recorder.wait(ev.CallMediaChanged, call_id=call, active=True)
    confirmed = recorder.wait(ev.CallStateChanged, call_id=call, state=CONFIRMED)
    assert early.sip_code == 183
    assert media.at <= confirmed.at  # audio flowed before the answer
    engine.hangup(call).result(TIMEOUT)
    uas.wait(15).assert_ok()


def test_blind_transfer_to_a_far_end_that_accepts_refer(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp, caller: str
) -> None:
    uas = sipp.start("uas_refer")
    call = engine.make_call(caller, uas.uri()).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=call, state=CONFIRMED)
    engine.transfer(call, "sip:supervisor@127.0.0.1").result(TIMEOUT)
    final = recorder.wait(ev.TransferProgress, call_id=call, final=True)
    assert final.code == 200
    recorder.wait(ev.CallStateChanged, call_id=call, state=DISCONNECTED)
    result = uas.wait(15)
    result.assert_ok()
    assert result.received_requests("REFER")


# ---- registrars that misbehave ------------------------------------------------------------------


def test_503_with_retry_after_is_honoured(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp
) -> None:
    registrar = sipp.start("registrar_503_once", calls=2, timeout=20)
    config = peer_config("1001", register=True, port=registrar.port)
    engine.add_account(config, "a").result(TIMEOUT)
    retrying = recorder.wait(
        ev.RegistrationChanged, account_id="a", state=ev.RegistrationState.RETRYING
    )
    assert retrying.code == 503
    assert 2.0 <= retrying.retry_in_s <= 2.5  # Retry-After: 2, not pjsua's random 0-10 s
    done = recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    assert done.at - retrying.at >= 1.9


def test_423_interval_too_brief_from_a_registrar(
    engine: SipEngine, recorder: EventRecorder, sipp: Sipp
) -> None:
    registrar = sipp.start("registrar_423", timeout=20)
    config = peer_config("1001", register=True, port=registrar.port, reg_expires_s=60)
    engine.add_account(config, "a").result(TIMEOUT)
    done = recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    assert done.expires_s >= 120
    assert not recorder.of(ev.RegistrationChanged, state=ev.RegistrationState.FAILED)
