"""Calls between accounts of one real engine on loopback (pjsua2 on both ends, no registrar)."""

from __future__ import annotations

import pytest

from softphone.core import events as ev
from softphone.core.errors import ConfigError, EngineError, LimitExceeded, UnknownCall
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, DtmfMethod
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT, Peers, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.support.process import wait_until

pytestmark = pytest.mark.integration

AUTO = {"Call-Info": "<sip:127.0.0.1>;answer-after=0"}


@pytest.fixture
def peers(engine: SipEngine) -> Peers:
    return add_peers(
        engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.HEADER)),
        peer_config("dialer", display_name="VICIdial Dialer"),
    )


def connect(
    peers: Peers, recorder: EventRecorder, headers: dict[str, str] | None = None
) -> tuple[str, str]:
    """Dial agent from dialer with an auto-answer request; return (dialer call, agent call)."""
    out = peers.engine.make_call("dialer", peers.uri("agent"), headers or AUTO).result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.CONFIRMED)
    return out, incoming.call_id


def test_header_auto_answer_connects_and_reports_the_caller(
    peers: Peers, recorder: EventRecorder
) -> None:
    out, inc = connect(peers, recorder)
    incoming = recorder.wait(ev.IncomingCall, call_id=inc)
    assert incoming.remote_number == "dialer"
    assert incoming.remote_display == "VICIdial Dialer"
    assert incoming.auto_answer_in_s == 0.0
    assert incoming.auto_answer_reason is ev.AnswerReason.HEADER
    confirmed = recorder.wait(ev.CallStateChanged, call_id=inc, state=ev.CallState.CONFIRMED)
    assert confirmed.answered_by is ev.AnswerReason.HEADER
    assert confirmed.direction is ev.Direction.INBOUND
    media = recorder.wait(ev.CallMediaChanged, call_id=out, active=True)
    assert media.codec == "PCMU"
    peers.engine.hangup(out).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=inc, state=ev.CallState.DISCONNECTED)
    assert ended.duration_s > 0


def test_without_the_header_the_header_mode_rings_until_answered(
    peers: Peers, recorder: EventRecorder
) -> None:
    out = peers.engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_in_s is None
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.RINGING, sip_code=180)
    peers.engine.answer(incoming.call_id).result(TIMEOUT)
    done = recorder.wait(
        ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.CONFIRMED
    )
    assert done.answered_by is ev.AnswerReason.MANUAL
    peers.engine.hangup(incoming.call_id).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.DISCONNECTED)


def test_after_delay_mode_answers_by_itself_after_the_delay(
    peers: Peers, recorder: EventRecorder
) -> None:
    peers.engine.set_auto_answer("agent", AutoAnswerPolicy(AutoAnswerMode.AFTER, 0.3)).result(
        TIMEOUT
    )
    out = peers.engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_in_s == 0.3
    ringing = recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.RINGING)
    confirmed = recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
    assert confirmed.at - ringing.at >= 0.25
    answered = recorder.wait(
        ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.CONFIRMED
    )
    assert answered.answered_by is ev.AnswerReason.AFTER_DELAY


def test_off_mode_ignores_the_header(peers: Peers, recorder: EventRecorder) -> None:
    peers.engine.set_auto_answer("agent", AutoAnswerPolicy(AutoAnswerMode.OFF)).result(TIMEOUT)
    out = peers.engine.make_call("dialer", peers.uri("agent"), AUTO).result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_in_s is None
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.RINGING)
    peers.engine.hangup(out).result(TIMEOUT)  # cancel while ringing
    ended = recorder.wait(
        ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.DISCONNECTED
    )
    assert ended.sip_code == 487
    assert not recorder.of(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)


@pytest.mark.parametrize(("code", "reason"), [(486, "Busy Here"), (603, "Decline")])
def test_reject_reaches_the_caller_with_its_cause(
    peers: Peers, recorder: EventRecorder, code: int, reason: str
) -> None:
    out = peers.engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    peers.engine.reject(incoming.call_id, code).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.DISCONNECTED)
    assert (ended.sip_code, ended.reason) == (code, reason)
    assert not ended.connected


def test_hold_and_resume_are_seen_on_both_sides(peers: Peers, recorder: EventRecorder) -> None:
    out, inc = connect(peers, recorder)
    mark = recorder.mark()
    peers.engine.hold(out).result(TIMEOUT)
    recorder.wait(ev.CallMediaChanged, call_id=out, hold=ev.HoldState.LOCAL, after=mark)
    recorder.wait(ev.CallMediaChanged, call_id=inc, hold=ev.HoldState.REMOTE, after=mark)
    mark = recorder.mark()
    peers.engine.unhold(out).result(TIMEOUT)
    recorder.wait(ev.CallMediaChanged, call_id=out, hold=ev.HoldState.NONE, active=True, after=mark)
    recorder.wait(ev.CallMediaChanged, call_id=inc, hold=ev.HoldState.NONE, active=True, after=mark)


def test_mute_is_reported_and_survives_a_media_update(
    peers: Peers, recorder: EventRecorder
) -> None:
    out, inc = connect(peers, recorder)
    peers.engine.set_mute(out, True).result(TIMEOUT)
    recorder.wait(ev.CallMediaChanged, call_id=out, muted=True)
    mark = recorder.mark()
    peers.engine.hold(inc).result(TIMEOUT)  # the far end re-INVITEs: our mute must hold
    media = recorder.wait(ev.CallMediaChanged, call_id=out, hold=ev.HoldState.REMOTE, after=mark)
    assert media.muted


@pytest.mark.parametrize("method", [DtmfMethod.RFC2833, DtmfMethod.INFO])
def test_dtmf_arrives_once_per_digit_in_order(
    peers: Peers, recorder: EventRecorder, method: DtmfMethod
) -> None:
    out, inc = connect(peers, recorder)
    peers.engine.send_dtmf(out, "19*#", method).result(TIMEOUT)
    recorder.wait(ev.DtmfReceived, call_id=inc, digit="#")
    # The trailing end-of-event packets of the last digit must not add a duplicate: wait for a
    # later event (a hold round trip) before counting.
    peers.engine.hold(out).result(TIMEOUT)
    recorder.wait(ev.CallMediaChanged, call_id=inc, hold=ev.HoldState.REMOTE)
    got = recorder.of(ev.DtmfReceived, call_id=inc)
    assert [d.digit for d in got] == list("19*#")
    assert {d.method for d in got} == {method.value}


def test_bad_dtmf_and_unknown_calls_give_clear_errors(
    peers: Peers, recorder: EventRecorder
) -> None:
    out, _ = connect(peers, recorder)
    with pytest.raises(ConfigError, match="0-9"):
        peers.engine.send_dtmf(out, "12x").result(TIMEOUT)
    with pytest.raises(UnknownCall, match="already ended"):
        peers.engine.hangup("c999").result(TIMEOUT)
    failed = recorder.wait(ev.CommandFailed, command="hangup")
    assert "already ended" in failed.message


def test_call_waiting_is_flagged_and_not_auto_answered(
    engine: SipEngine, recorder: EventRecorder
) -> None:
    peers = add_peers(
        engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    first, inc1 = connect(peers, recorder, headers={})
    assert recorder.wait(ev.IncomingCall, call_id=inc1).waiting is False
    second = peers.engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    waiting = recorder.wait(ev.IncomingCall, where=lambda e: e.call_id != inc1)
    assert waiting.waiting is True
    assert waiting.auto_answer_in_s is None
    recorder.wait(ev.CallStateChanged, call_id=second, state=ev.CallState.RINGING)
    # Answer-and-hold: the agent holds the first call and takes the second.
    peers.engine.hold(inc1).result(TIMEOUT)
    peers.engine.answer(waiting.call_id).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=second, state=ev.CallState.CONFIRMED)
    recorder.wait(ev.CallMediaChanged, call_id=first, hold=ev.HoldState.REMOTE)


def test_call_limit_is_refused_before_the_library_limit(
    engine: SipEngine, recorder: EventRecorder
) -> None:
    peers = add_peers(engine, peer_config("agent"), peer_config("dialer"))
    calls = [
        peers.engine.make_call("dialer", "sip:nobody@127.0.0.1:9").result(TIMEOUT) for _ in range(4)
    ]
    assert len(set(calls)) == 4
    with pytest.raises(LimitExceeded, match="most calls"):
        peers.engine.make_call("dialer", "sip:nobody@127.0.0.1:9").result(TIMEOUT)
    for call in calls:
        peers.engine.hangup(call).result(TIMEOUT)


def test_account_limit_is_refused_before_the_ninth_account_aborts(
    engine: SipEngine, recorder: EventRecorder
) -> None:
    for i in range(8):
        engine.add_account(peer_config(f"u{i}"), f"u{i}").result(TIMEOUT)
    with pytest.raises(LimitExceeded, match="At most 8"):
        engine.add_account(peer_config("u8"), "u8").result(TIMEOUT)
    # the refusal names the account, so sessions sharing the engine know whose it is
    failed = recorder.wait(ev.CommandFailed, command="add_account")
    assert failed.account_id == "u8"
    engine.remove_account("u0").result(TIMEOUT)
    assert engine.add_account(peer_config("u8"), "u8").result(TIMEOUT) == "u8"


def test_a_transport_beyond_the_libraries_limit_is_refused_with_a_reason(
    engine: SipEngine,
) -> None:
    """pjsua holds 8 transports, one the engine's own: an 8th local address is refused clearly
    (not pjsip's "Too many objects of the specified type")."""
    for i in range(1, 8):
        config = peer_config(f"u{i}", local_address=f"127.0.1.{i}")
        engine.add_account(config, f"u{i}").result(TIMEOUT)
    with pytest.raises(LimitExceeded, match="At most 7 SIP transports"):
        engine.add_account(peer_config("u8", local_address="127.0.1.8"), "u8").result(TIMEOUT)
    # an account on an address already open needs no new transport
    engine.remove_account("u1").result(TIMEOUT)
    assert engine.add_account(peer_config("u9", local_address="127.0.1.2"), "u9").result(TIMEOUT)


def test_stop_with_live_calls_is_clean(recorder: EventRecorder) -> None:
    from softphone.core.models import EngineConfig

    engine = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"))
    engine.start()
    try:
        peers = add_peers(
            engine,
            peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
            peer_config("dialer"),
        )
        connect(peers, recorder, headers={})
        engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)  # a second, ringing
    finally:
        engine.stop()
    stopped = recorder.wait(ev.EngineStopped)
    assert stopped.clean
    with pytest.raises(EngineError, match="not running"):
        engine.make_call("dialer", "x").result(TIMEOUT)


def test_blind_transfer_moves_the_caller_and_ends_our_leg(
    engine: SipEngine, recorder: EventRecorder
) -> None:
    always = AutoAnswerPolicy(AutoAnswerMode.ALWAYS)
    peers = add_peers(
        engine,
        peer_config("agent", auto_answer=always),
        peer_config("dialer"),
        peer_config("supervisor"),
    )
    out, inc = connect(peers, recorder, headers={})
    engine.transfer(inc, peers.uri("supervisor")).result(TIMEOUT)
    # The supervisor sits in this same engine, where a call is up: call waiting, answered by hand.
    ringing = recorder.wait(ev.IncomingCall, account_id="supervisor")
    assert ringing.waiting
    engine.answer(ringing.call_id).result(TIMEOUT)
    final = recorder.wait(ev.TransferProgress, call_id=inc, final=True)
    assert final.code == 200
    # pjsua leaves the transferred leg up; the engine hangs it up on the final NOTIFY.
    recorder.wait(ev.CallStateChanged, call_id=inc, state=ev.CallState.DISCONNECTED)
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.DISCONNECTED)
    new_leg = recorder.wait(
        ev.CallStateChanged, account_id="supervisor", state=ev.CallState.CONFIRMED
    )
    assert new_leg.remote_number == "dialer"
    follow = recorder.wait(
        ev.CallStateChanged,
        account_id="dialer",
        state=ev.CallState.CONFIRMED,
        where=lambda e: e.call_id != out,
    )
    assert follow.remote_number == "supervisor"


def test_back_to_back_calls_are_throttled_instead_of_exhausting_pjlib(
    engine: SipEngine, recorder: EventRecorder
) -> None:
    # Unthrottled, ~16 loopback calls within half a second abort the process inside pjlib (its
    # ioqueue runs out of keys). The engine refuses the excess with a clear error instead.
    peers = add_peers(
        engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    refusals: list[str] = []
    placed: list[str] = []

    def place() -> bool:
        try:
            placed.append(engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT))
        except LimitExceeded as err:
            refusals.append(str(err))
            return False
        return True

    for _ in range(40):
        wait_until(place, 10, "the throttle to let a call through")
        recorder.wait(ev.CallStateChanged, call_id=placed[-1], state=ev.CallState.CONFIRMED)
        engine.hangup(placed[-1]).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=placed[-1], state=ev.CallState.DISCONNECTED)
    assert refusals, "40 calls in a row never met the throttle"
    assert "too quickly" in refusals[0]
