"""pjsua2 Call and Account subclasses: thin shims that forward callbacks to their owners.

Everything here runs on the SIP thread. The shims hold plain state only; ``Registrations`` and
``Calls`` decide.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pjsua2 as pj

from softphone.core.events import AnswerReason, CallQuality, Direction
from softphone.core.retry import Backoff
from softphone.core.sipuri import RemoteParty
from softphone.core.trust import Origin, ServerTrust

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from softphone.core.models import SipAccountConfig
    from softphone.sip.calls import Calls
    from softphone.sip.registration import Registrations
    from softphone.sip.timers import TimerHandle

_log = logging.getLogger(__name__)

_DTMF_END_FLAG = 2  # PJMEDIA_STREAM_DTMF_IS_END (1 is IS_UPDATE)


def _guard(name: str, body: Callable[[], None]) -> None:
    # An exception escaping a SWIG director callback can take the process down; log it instead.
    try:
        body()
    except Exception:
        _log.exception("SIP callback %s failed", name)


class SipAccount(pj.Account):  # type: ignore[misc]
    def __init__(
        self,
        registrations: Registrations,
        calls: Calls,
        account_id: str,
        config: SipAccountConfig,
    ) -> None:
        super().__init__()
        self.registrations = registrations
        self.calls = calls
        self.account_id = account_id
        self.backoff = Backoff()
        self.config = config
        self.want_registered = True
        self.retry_timer: TimerHandle | None = None
        self.registered = False
        self.trust = ServerTrust(config, config.accept_direct_calls)

    def onRegState(self, prm: Any) -> None:
        _guard("onRegState", lambda: self.registrations.on_reg_state(self, prm))

    def onIncomingCall(self, prm: Any) -> None:
        _guard("onIncomingCall", lambda: self.calls.on_incoming_call(self, prm))

    def onIncomingSubscribe(self, prm: Any) -> None:
        # pjsua accepts a presence subscription by default; only the account's server may make
        # one (a stranger's would learn when the agent is on a call). Refused if the check fails.
        code = prm.code
        prm.code = 403

        def check() -> None:
            source = str(prm.rdata.srcAddress)
            if self.trust.origin(source) is Origin.SERVER:
                prm.code = code
            else:
                self.calls.refused(source, "SUBSCRIBE")

        _guard("onIncomingSubscribe", check)


class SipCall(pj.Call):  # type: ignore[misc]
    def __init__(
        self,
        calls: Calls,
        account: SipAccount,
        call_id: str,
        direction: Direction,
        pj_call_id: int = pj.PJSUA_INVALID_ID,
    ) -> None:
        super().__init__(account, pj_call_id)
        self.calls = calls
        self.account = account
        self.call_id = call_id
        self.direction = direction
        self.remote = RemoteParty("", "", "")
        self.local_hold = False
        self.muted = False
        self.answered_by: AnswerReason | None = None
        self.answer_timer: TimerHandle | None = None
        self.connected_at: float | None = None
        self.last_state = ""
        self.last_dtmf: tuple[str, float] = ("", 0.0)
        self.transfer_pending = False
        # A hold/resume re-INVITE in flight: RFC 2833 digits sent now would go into the stream
        # pjsua replaces when it completes, and be lost; they wait for the new one.
        self.media_pending = False
        self.held_dtmf = ""
        self.silent = False  # refused before it rang: no event, no tone, no audio
        self.last_quality: CallQuality | None = None  # its audio stream's, as it ended

    def duration_s(self) -> float:
        return 0.0 if self.connected_at is None else time.monotonic() - self.connected_at

    def onCallState(self, prm: Any) -> None:
        _guard("onCallState", lambda: self.calls.on_call_state(self))

    def onCallMediaState(self, prm: Any) -> None:
        _guard("onCallMediaState", lambda: self.calls.on_call_media_state(self))

    def onStreamDestroyed(self, prm: Any) -> None:
        # the last moment the stream's counters can be read (the call ends, or a re-INVITE
        # replaces the stream)
        stream = int(prm.streamIdx)
        _guard("onStreamDestroyed", lambda: self.calls.on_stream_destroyed(self, stream))

    def onDtmfEvent(self, prm: Any) -> None:
        # RFC 2833 events arrive at their start and again at their end: report the end only.
        if prm.method == pj.PJSUA_DTMF_METHOD_RFC2833 and not prm.flags & _DTMF_END_FLAG:
            return
        method = "info" if prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO else "rfc2833"
        digit = str(prm.digit)
        _guard("onDtmfEvent", lambda: self.calls.on_dtmf(self, digit, method))

    def onCallTransferStatus(self, prm: Any) -> None:
        code, reason, final = int(prm.statusCode), str(prm.reason), bool(prm.finalNotify)
        _guard(
            "onCallTransferStatus", lambda: self.calls.on_transfer_status(self, code, reason, final)
        )

    def onCallTransferRequest(self, prm: Any) -> None:
        _guard("onCallTransferRequest", lambda: self.calls.on_transfer_request(self, prm))

    def onCallReplaced(self, prm: Any) -> None:
        _guard("onCallReplaced", lambda: self.calls.on_call_replaced(self, prm))
