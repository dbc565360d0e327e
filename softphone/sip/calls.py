"""Every call of the engine: placing, answering, hold, DTMF, transfer, and their callbacks.

Runs and emits on the SIP thread. The call table is the only owner of ``SipCall`` objects.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable, Iterator

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.auto_answer import decide, parse_headers
from softphone.core.errors import ConfigError, EngineError, LimitExceeded, UnknownCall
from softphone.core.models import DtmfMethod
from softphone.core.sipuri import dial_uri, parse_remote
from softphone.core.trust import Origin
from softphone.sip.admission import Admission
from softphone.sip.call import SipAccount, SipCall
from softphone.sip.call_quality import read_quality
from softphone.sip.pjerror import pj_message
from softphone.sip.timers import Timers
from softphone.sip.tone_hooks import NoTones

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from softphone.sip.trust_gate import TrustGate

MAX_CALLS = 4  # PJSUA_MAX_CALLS
MEDIA_PENDING_MAX_S = 2.0  # how long RFC 2833 digits wait for a hold/resume re-INVITE's media
_log = logging.getLogger(__name__)
# Patterns, not compiled ones: ``re`` compiles each on its first use, not at import.
_HEADER_NAME = r"^[A-Za-z][A-Za-z0-9-]{0,63}$"
_DTMF_DIGITS = r"^[0-9A-Da-d*#]{1,32}$"
_STATE_MAP = {
    pj.PJSIP_INV_STATE_CALLING: ev.CallState.CALLING,
    pj.PJSIP_INV_STATE_INCOMING: ev.CallState.INCOMING,
    pj.PJSIP_INV_STATE_CONNECTING: ev.CallState.CONNECTING,
    pj.PJSIP_INV_STATE_CONFIRMED: ev.CallState.CONFIRMED,
    pj.PJSIP_INV_STATE_DISCONNECTED: ev.CallState.DISCONNECTED,
}
_SECURE_PROTOS = (pj.PJMEDIA_TP_PROTO_RTP_SAVP, pj.PJMEDIA_TP_PROTO_RTP_SAVPF)


def _srtp_active(call: SipCall, proto: int) -> bool:
    """Whether the call's audio is encrypted. Optional SRTP negotiates SDES keys inside an
    RTP/AVP offer, so the stream's protocol says RTP/AVP while the transport is SRTP: only the
    call's media dump tells (pjsua prints "SRTP status: Active" per secured stream)."""
    if proto in _SECURE_PROTOS:
        return True
    try:
        return "SRTP status: Active" in call.dump(True, "")
    except pj.Error:
        return False


if TYPE_CHECKING:  # the type checker's alone: nothing at run time needs it

    class AudioSink(Protocol):
        """Where a call's audio goes and where its microphone comes from (SIP thread)."""

        def connect(self, call_audio: Any, *, muted: bool) -> None: ...


class Calls:
    """The call table and call control. Emits call events on the SIP thread."""

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        timers: Timers,
        max_calls: int,
        audio: AudioSink,
    ) -> None:
        self._emit = emit
        self.timers = timers
        self._max_calls = min(max_calls, MAX_CALLS)
        self._audio = audio
        self._calls: dict[str, SipCall] = {}
        self._call_seq = itertools.count(1)
        # New legs are admitted (or refused) before pjsua opens their media sockets.
        self.admission = Admission(emit, timers)
        self.tones = NoTones()  # the stack installs LocalTones when the app has sound devices
        self.gate: TrustGate | None = None  # the stack's; counts refused requests

    def refused(self, source: str, what: str) -> None:
        if self.gate is not None:
            self.gate.refuse(source, what)

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[SipCall]:
        return iter(list(self._calls.values()))

    def ids(self) -> list[str]:
        return sorted(self._calls)

    def clear(self) -> None:
        self._calls.clear()

    def hang_up_all(self, safely: Callable[..., None], account: SipAccount | None = None) -> None:
        for call in list(self._calls.values()):
            if account is None or call.account is account:
                self.tones.hung_up(call.call_id)
                safely(call.hangup, pj.CallOpParam())

    def drop_account(self, account: SipAccount) -> None:
        for call_id in [k for k, c in self._calls.items() if c.account is account]:
            del self._calls[call_id]

    def _call(self, call_id: str) -> SipCall:
        try:
            return self._calls[call_id]
        except KeyError:
            raise UnknownCall("That call has already ended.") from None

    def _new_call_id(self) -> str:
        return f"c{next(self._call_seq)}"

    def make_call(
        self, acc: SipAccount, target: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> str:
        if len(self._calls) >= self._max_calls:
            raise LimitExceeded(
                "You already have the most calls this phone can hold; end one first."
            )
        if not self.admission.outbound():
            raise LimitExceeded("Calls are being placed too quickly; try again in a moment.")
        uri = dial_uri(target, acc.config.domain)
        prm = pj.CallOpParam(True)
        for name, value in headers:
            if not re.match(_HEADER_NAME, name) or any(c in value for c in "\r\n"):
                raise ConfigError(f"'{name}' is not a header that can be added to a call.")
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        call_id = self._new_call_id()
        call = SipCall(self, acc, call_id, ev.Direction.OUTBOUND)
        call.remote = parse_remote(uri)
        # Stored before makeCall: its first state callback runs inside makeCall.
        self._calls[call_id] = call
        try:
            call.makeCall(uri, prm)
        except pj.Error as err:
            self._calls.pop(call_id, None)
            raise EngineError(f"The call could not be placed: {pj_message(err)}") from None
        return call_id

    def on_incoming_call(self, acc: SipAccount, prm: Any) -> None:
        # The leg was counted when pjsua asked for its account (SipStack.on_select_account).
        call_id = self._new_call_id()
        call = SipCall(self, acc, call_id, ev.Direction.INBOUND, int(prm.callId))
        # Holding the reference before answering: a dropped Call object answers 603 Decline.
        self._calls[call_id] = call
        source = str(prm.rdata.srcAddress)
        origin = acc.trust.origin(source)
        if origin is Origin.REFUSED:
            # Normally refused before its media by the flood guard (SipStack.on_select_account);
            # this is the way without it (all 8 accounts in use): still nothing rings or shows.
            call.silent = True
            self.refused(source, "INVITE")
            self._answer(call, 403)
            return
        # Everything done here delays the 200 OK of an auto-answered call (pjsua sends it when
        # this callback returns): the caller comes from the INVITE already in hand, not getInfo().
        headers = parse_headers(str(prm.rdata.wholeMsg))
        call.remote = parse_remote(headers.get("from", ""))
        busy = any(c is not call and c.connected_at is not None for c in self._calls.values())
        direct = origin is Origin.DIRECT
        # Only the account's own server may have a call answered without the agent.
        decision = None if direct else decide(acc.config.auto_answer, headers, busy=busy)
        self._emit(
            ev.IncomingCall(
                call_id=call_id,
                account_id=acc.account_id,
                remote_uri=call.remote.uri,
                remote_number=call.remote.number,
                remote_display=call.remote.display,
                auto_answer_in_s=None if decision is None else decision.delay_s,
                auto_answer_reason=None if decision is None else decision.reason,
                waiting=busy,
                direct_from=source if direct else "",
            )
        )
        if decision is not None and decision.delay_s <= 0:
            call.answered_by = decision.reason
            self._answer(call, 200)
            return
        self._answer(call, 180)
        self.tones.incoming(call_id)
        if decision is not None:
            reason = decision.reason

            def auto() -> (
                None
            ):  # holds the call's id only, never the Call (see Registrations._register_later)
                pending = self._calls.get(call_id)
                if pending is not None and pending.connected_at is None:
                    pending.answered_by = reason
                    self._answer(pending, 200)

            call.answer_timer = self.timers.call_later(decision.delay_s, auto)

    def _answer(self, call: SipCall, code: int) -> None:
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        call.answer(prm)

    def answer(self, call_id: str) -> None:
        call = self._call(call_id)
        if call.direction is not ev.Direction.INBOUND or call.connected_at is not None:
            raise EngineError("Only a ringing incoming call can be answered.")
        if call.answer_timer:
            call.answer_timer.cancel()
        call.answered_by = call.answered_by or ev.AnswerReason.MANUAL
        self._answer(call, 200)

    def reject(self, call_id: str, code: int = 486) -> None:
        if code not in (486, 480, 603):
            raise ConfigError("A call can be rejected with 486 Busy, 480 or 603 Decline only.")
        call = self._call(call_id)
        prm = pj.CallOpParam()
        prm.statusCode = code
        call.hangup(prm)

    def hangup(self, call_id: str) -> None:
        call = self._call(call_id)
        self.tones.hung_up(call_id)
        prm = pj.CallOpParam()
        if call.direction is ev.Direction.INBOUND and call.connected_at is None:
            prm.statusCode = 603
        call.hangup(prm)

    def hold(self, call_id: str) -> None:
        call = self._call(call_id)
        call.setHold(pj.CallOpParam(True))
        call.local_hold = True
        self._media_renegotiating(call)

    def unhold(self, call_id: str) -> None:
        call = self._call(call_id)
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        call.reinvite(prm)
        call.local_hold = False
        self._media_renegotiating(call)

    def _media_renegotiating(self, call: SipCall) -> None:
        """Until the re-INVITE's media is in place (or a bound passes, should it never be:
        a refused re-INVITE leaves the old stream), RFC 2833 digits wait."""
        call.media_pending = True
        call_id = call.call_id
        self.timers.call_later(MEDIA_PENDING_MAX_S, lambda: self._send_held_dtmf(call_id))

    def set_mute(self, call_id: str, muted: bool) -> None:
        call = self._call(call_id)
        call.muted = muted
        self._connect_audio(call)
        self._emit_media(call)

    def send_dtmf(self, call_id: str, digits: str, method: DtmfMethod | None) -> None:
        call = self._call(call_id)
        if not re.match(_DTMF_DIGITS, digits):
            raise ConfigError("DTMF digits are 0-9, *, #, A-D (at most 32 at once).")
        prm = pj.CallSendDtmfParam()
        prm.digits = digits
        chosen = method or call.account.config.dtmf
        prm.method = (
            pj.PJSUA_DTMF_METHOD_SIP_INFO
            if chosen is DtmfMethod.INFO
            else pj.PJSUA_DTMF_METHOD_RFC2833
        )
        if call.media_pending and prm.method == pj.PJSUA_DTMF_METHOD_RFC2833:
            call.held_dtmf += digits
        else:
            call.sendDtmf(prm)
        self.tones.dtmf(digits)

    def _send_held_dtmf(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is None or not call.media_pending:
            return
        call.media_pending = False
        digits, call.held_dtmf = call.held_dtmf, ""
        if digits:
            prm = pj.CallSendDtmfParam()
            prm.digits = digits
            prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
            try:
                call.sendDtmf(prm)
            except pj.Error as err:
                _log.warning("the DTMF digits held during a re-INVITE were not sent: %s", err)

    def transfer(self, call_id: str, target: str) -> None:
        call = self._call(call_id)
        uri = dial_uri(target, call.account.config.domain)
        call.xfer(uri, pj.CallOpParam(True))
        call.transfer_pending = True

    def transfer_attended(self, call_id: str, to_call_id: str) -> None:
        call, other = self._call(call_id), self._call(to_call_id)
        if call is other:
            raise ConfigError("Pick the other call to transfer to.")
        call.xferReplaces(other, pj.CallOpParam(True))
        call.transfer_pending = True

    def on_call_state(self, call: SipCall) -> None:
        if call.silent:
            if int(call.getInfo().state) == pj.PJSIP_INV_STATE_DISCONNECTED:
                self._calls.pop(call.call_id, None)
            return
        ci = call.getInfo()
        pj_state = int(ci.state)
        code = int(ci.lastStatusCode)
        if pj_state == pj.PJSIP_INV_STATE_EARLY:
            if call.direction is ev.Direction.INBOUND:
                state = ev.CallState.INCOMING
            else:
                state = ev.CallState.EARLY_MEDIA if code == 183 else ev.CallState.RINGING
        else:
            state = _STATE_MAP.get(pj_state, ev.CallState.CALLING)
        if state is ev.CallState.CONFIRMED and call.connected_at is None:
            call.connected_at = time.monotonic()
        if state.value == call.last_state and state is not ev.CallState.DISCONNECTED:
            return
        call.last_state = state.value
        if call.remote.display == "" and str(ci.remoteUri):
            call.remote = parse_remote(str(ci.remoteUri))
        event = ev.CallStateChanged(
            call_id=call.call_id,
            account_id=call.account.account_id,
            state=state,
            direction=call.direction,
            remote_uri=call.remote.uri,
            remote_number=call.remote.number,
            remote_display=call.remote.display,
            sip_code=code,
            reason=str(ci.lastReason),
            duration_s=round(call.duration_s(), 6),
            connected=call.connected_at is not None,
            answered_by=call.answered_by,
        )
        if state is ev.CallState.DISCONNECTED:
            if call.answer_timer:
                call.answer_timer.cancel()
            # Drop our reference now: a Call that outlives its call hangs up whichever later call
            # reuses its slot when it is finally collected.
            self._calls.pop(call.call_id, None)
            if call.last_quality is not None:
                self._emit(call.last_quality)
        self._emit(event)
        self.tones.call_state(
            call.call_id, call.direction, state, sip_code=code, connected=event.connected
        )

    def on_call_media_state(self, call: SipCall) -> None:
        if call.silent:
            return
        # Deferred to the SIP loop's next turn: for an answered INVITE this callback runs before
        # pjsua sends the 200 OK, which need not wait for the audio wiring or the event.
        call_id = call.call_id
        self.timers.call_later(0.0, lambda: self._media_updated(call_id))

    def on_stream_destroyed(self, call: SipCall, stream: int) -> None:
        """Keep the stream's last figures: the call's final CallQuality when it ends (the stream
        goes before the call does, and a re-INVITE may replace it meanwhile)."""
        if not call.silent and call.connected_at is not None:
            call.last_quality = read_quality(call, stream, final=True) or call.last_quality

    def report_quality(self) -> None:
        """Each answered call's :class:`~softphone.core.events.CallQuality`, now."""
        for call in list(self._calls.values()):
            if call.silent or call.last_state != ev.CallState.CONFIRMED.value:
                continue
            index, status = self._audio_media_index(call)
            if index >= 0 and status != pj.PJSUA_CALL_MEDIA_NONE:
                quality = read_quality(call, index)
                if quality is not None:
                    self._emit(quality)

    def _media_updated(self, call_id: str) -> None:
        call = self._calls.get(call_id)
        if call is not None:
            self._connect_audio(call)
            self._emit_media(call)
            self._send_held_dtmf(call_id)

    def _audio_media_index(self, call: SipCall) -> tuple[int, int]:
        ci = call.getInfo()
        media = ci.media  # hold the parent: members of temporaries read freed memory
        for i in range(len(media)):
            mi = media[i]
            if mi.type == pj.PJMEDIA_TYPE_AUDIO:
                return int(mi.index), int(mi.status)
        return -1, pj.PJSUA_CALL_MEDIA_NONE

    def _connect_audio(self, call: SipCall) -> None:
        index, status = self._audio_media_index(call)
        if index < 0 or status not in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
            return
        self._audio.connect(call.getAudioMedia(index), muted=call.muted)

    def _emit_media(self, call: SipCall) -> None:
        index, status = self._audio_media_index(call)
        remote_hold = status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD
        if call.local_hold and (remote_hold or status == pj.PJSUA_CALL_MEDIA_NONE):
            hold = ev.HoldState.BOTH if remote_hold else ev.HoldState.LOCAL
        elif call.local_hold or status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD:
            hold = ev.HoldState.LOCAL
        else:
            hold = ev.HoldState.REMOTE if remote_hold else ev.HoldState.NONE
        codec, srtp = "", False
        if index >= 0 and status != pj.PJSUA_CALL_MEDIA_NONE:
            try:
                si = call.getStreamInfo(index)
                codec, srtp = str(si.codecName), _srtp_active(call, int(si.proto))
            except pj.Error:
                pass
        active = status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD)
        self._emit(
            ev.CallMediaChanged(
                call_id=call.call_id,
                hold=hold,
                muted=call.muted,
                active=active,
                codec=codec,
                srtp=srtp,
            )
        )
        self.tones.media(call.call_id, active)

    def on_dtmf(self, call: SipCall, digit: str, method: str) -> None:
        self._emit(ev.DtmfReceived(call_id=call.call_id, digit=digit, method=method))

    def on_transfer_status(self, call: SipCall, code: int, reason: str, final: bool) -> None:
        self._emit(ev.TransferProgress(call_id=call.call_id, code=code, reason=reason, final=final))
        if final and call.transfer_pending:
            call.transfer_pending = False
            if 200 <= code < 300 and call.call_id in self._calls:
                # pjsua leaves the transferred call up; the agent expects it gone.
                call.hangup(pj.CallOpParam())

    def on_transfer_request(self, call: SipCall, prm: Any) -> None:
        if len(self._calls) >= MAX_CALLS:
            prm.statusCode = 486
            return
        if not self.admission.outbound():  # pjsua places the new call with its own sockets
            prm.statusCode = 503
            return
        new = SipCall(self, call.account, self._new_call_id(), ev.Direction.OUTBOUND)
        new.remote = parse_remote(str(prm.dstUri))
        self._calls[new.call_id] = new
        prm.newCall = new

    def on_call_replaced(self, call: SipCall, prm: Any) -> None:
        new = SipCall(
            self, call.account, self._new_call_id(), ev.Direction.INBOUND, int(prm.newCallId)
        )
        self._calls[new.call_id] = new
        prm.newCall = new
