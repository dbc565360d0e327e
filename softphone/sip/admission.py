"""Admission of new call legs: the engine's guard against running pjlib out of sockets.

Every call leg takes two media sockets (RTP, RTCP) in pjmedia's ioqueue, which holds 64 keys
(``PJ_IOQUEUE_MAX_HANDLES``) and keeps a closed one for 500 ms (``PJ_IOQUEUE_KEY_FREE_DELAY``)
before reusing it. When a socket is registered while every free key is still in that delay,
``pj_ioqueue_register_sock2`` fails an assertion and the whole process aborts. About 30 legs
started within half a second do it: a script dialling in a loop, or any peer on the network
sending INVITE + CANCEL quickly (pjsua opens the sockets of an incoming INVITE before
``onIncomingCall`` runs, so refusing it there is too late).

So new legs are counted in a sliding window a little longer than the key delay, and refused
before any socket exists: outgoing ones in ``make_call`` (an error for the caller), incoming
INVITEs in ``Endpoint.onSelectAccount``, which pjsua calls before it initialises the media
channel. pjsua ignores an invalid account id there (it falls back to the default account), so
an INVITE to shed is handed to the ``FloodGuard``: an unregistered account of the engine's own
whose media is pjmedia's loop transport (``useLoopMedTp``), which opens no socket at all, and
which answers every call it gets 486 Busy Here at once.

The bound: with at most ``MAX_CALLS`` (4) legs alive at any time, the keys in use at time t
are those of live legs plus those closed within the last 500 ms; every such leg either started
within the window or was alive 500 ms ago, so at most ``2 * (limit + 4)`` keys are taken:
48 of 64 with the incoming limit of 20.

Runs on the SIP thread only.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

import pjsua2 as pj

from softphone.core import events as ev
from softphone.sip.timers import TimerHandle, Timers

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_log = logging.getLogger(__name__)

LEG_WINDOW_S = 0.6  # pjlib's closed-key delay (0.5 s) plus a margin
OUTBOUND_LIMIT = 12  # legs in the window at which the engine stops placing calls
INBOUND_LIMIT = 20  # legs in the window at which incoming INVITEs are shed
REPORT_AFTER_S = 1.0  # shed INVITEs are summed up (log line, event) at most this often
_MAX_SOURCES = 4  # source addresses named per report


class LegRate:
    """Call legs started within the last ``window_s`` seconds."""

    def __init__(
        self, window_s: float = LEG_WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window_s
        self._clock = clock
        self._starts: deque[float] = deque()

    def count(self) -> int:
        now = self._clock()
        while self._starts and now - self._starts[0] > self._window:
            self._starts.popleft()
        return len(self._starts)

    def allow(self, limit: int) -> bool:
        return self.count() < limit

    def record(self) -> None:
        self.count()  # drops the expired starts
        self._starts.append(self._clock())


def is_invite(info: str, whole_msg: Callable[[], str]) -> bool:
    """Whether pjsip's description of a received message (``SipRxData.info``, e.g.
    ``"Request msg INVITE/cseq=1 (rdata0x…)"``) is an INVITE; the message's first line
    decides when the description has another form."""
    if info.startswith("Request msg "):
        return info[len("Request msg ") :].startswith("INVITE/")
    return whole_msg().lstrip().startswith("INVITE ")


class SourceTally:
    """Requests turned away, summed up per report: a log line and an event at most once every
    ``REPORT_AFTER_S``, naming the first few source addresses."""

    def __init__(self, timers: Timers, report: Callable[[int, tuple[str, ...]], None]) -> None:
        self._timers = timers
        self._report_to = report
        self._count = 0
        self.total = 0
        self._sources: dict[str, int] = {}
        self._report: TimerHandle | None = None

    def add(self, source: str) -> bool:
        """Count one; True when it is the first since the last report."""
        first = self._count == 0
        self._count += 1
        self.total += 1
        if source and (source in self._sources or len(self._sources) < _MAX_SOURCES):
            self._sources[source] = self._sources.get(source, 0) + 1
        if self._report is None:
            self._report = self._timers.call_later(REPORT_AFTER_S, self.flush)
        return first

    def flush(self) -> None:
        if self._report is not None:
            self._report.cancel()
        self._report = None
        count, sources = self._count, tuple(self._sources)
        self._count, self._sources = 0, {}
        if count:
            self._report_to(count, sources)


class Admission:
    """Decides whether a new call leg may start; reports the incoming INVITEs it sheds."""

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        timers: Timers,
        *,
        outbound_limit: int = OUTBOUND_LIMIT,
        inbound_limit: int = INBOUND_LIMIT,
        rate: LegRate | None = None,
    ) -> None:
        self._emit = emit
        self._outbound_limit = outbound_limit
        self._inbound_limit = inbound_limit
        self._legs = rate or LegRate()
        self._shed = SourceTally(timers, self._report_shed)

    @property
    def shed_total(self) -> int:
        """Incoming INVITEs shed since the engine started."""
        return self._shed.total

    def outbound(self) -> bool:
        """Whether a call may be placed now; records the leg when it may."""
        if not self._legs.allow(self._outbound_limit):
            return False
        self._legs.record()
        return True

    def incoming(self, source: str, *, can_shed: bool = True) -> bool:
        """Whether an incoming INVITE may become a call; records the leg, or counts the shed
        INVITE for the next report. Without a way to shed (``can_shed``) the leg is let in."""
        if self._legs.allow(self._inbound_limit) or not can_shed:
            self._legs.record()
            return True
        if self._shed.add(source):
            _log.warning(
                "incoming calls arrive faster than the phone can take them (%d call legs "
                "within %.1f s): INVITEs are now answered 486 until the rate drops; first "
                "from %s",
                self._inbound_limit,
                LEG_WINDOW_S,
                source or "an unknown address",
            )
        return False

    def _report_shed(self, count: int, sources: tuple[str, ...]) -> None:
        _log.warning(
            "shed %d incoming INVITE(s) in the last %.0f s (486 Busy Here, no call shown) from %s",
            count,
            REPORT_AFTER_S,
            ", ".join(sources) or "an unknown address",
        )
        self._emit(ev.IncomingCallsShed(count=count, sources=sources))

    def close(self) -> None:
        """Report what is pending now (shutdown); the timers are being cleared."""
        self._shed.flush()


GUARD_ID_URI = "sip:flood-guard@invalid"


class _RejectedCall(pj.Call):  # type: ignore[misc]
    """An incoming call the guard turns away; referenced by the guard until DISCONNECTED."""

    def __init__(self, guard: FloodGuard, pj_call_id: int) -> None:
        super().__init__(guard, pj_call_id)
        self._guard = guard
        self.pj_call_id = pj_call_id

    def onCallState(self, prm: Any) -> None:
        try:
            if self.getInfo().state == pj.PJSIP_INV_STATE_DISCONNECTED:
                self._guard.calls.pop(self.pj_call_id, None)
        except Exception:
            _log.exception("flood guard: onCallState failed")


class FloodGuard(pj.Account):  # type: ignore[misc]
    """The account shed or refused INVITEs are given to: loop media (no sockets), every call
    turned away at once: 486 Busy Here, or the code ``refuse_next`` set for that request (403
    for a stranger's INVITE, see ``SipStack.on_select_account``).

    Never registers and never matches a real address (``GUARD_ID_URI``); the engine keeps it
    out of its account table, and moves any request pjsua hands it by default (it may be
    pjsua's default account) to a real account.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[int, _RejectedCall] = {}
        self._next: tuple[str, int] = ("", 486)

    def refuse_next(self, source: str, code: int) -> None:
        """Answer the INVITE being routed here now, from ``source`` (``SipRxData.srcAddress``),
        with ``code`` instead of 486 (pjsua calls ``onIncomingCall`` right after
        ``onSelectAccount`` for the same request)."""
        self._next = (source, code)

    @staticmethod
    def config() -> pj.AccountConfig:
        cfg = pj.AccountConfig()
        cfg.idUri = GUARD_ID_URI
        cfg.priority = -100  # below every real account when pjsua matches a request
        cfg.mediaConfig.useLoopMedTp = True  # pjmedia's loop transport: no RTP/RTCP sockets
        cfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_DISABLED
        return cfg

    def onIncomingCall(self, prm: Any) -> None:
        try:
            pj_call_id = int(prm.callId)
            source, code = self._next
            self._next = ("", 486)
            if source != str(prm.rdata.srcAddress):
                code = 486
            call = _RejectedCall(self, pj_call_id)
            # Held before hanging up: a Call dropped here would make pjsua2 answer 603.
            self.calls[pj_call_id] = call
            op = pj.CallOpParam()
            op.statusCode = code
            call.hangup(op)
        except Exception:
            _log.exception("flood guard: onIncomingCall failed")

    def hang_up_all(self) -> None:
        for call in list(self.calls.values()):
            with contextlib.suppress(pj.Error):
                call.hangup(pj.CallOpParam())
