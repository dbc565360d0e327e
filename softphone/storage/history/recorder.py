"""From engine events to call rows: ``HistoryRecorder`` follows each call's events and hands
one ``CallRecord`` to its sink when the call ends; ``outcome_of`` says how it ended.

The recorder runs on whichever thread publishes engine events (the GUI thread) and only
updates a dict and queues rows (its sink is ``HistoryWriter.record``); nothing here blocks the
GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from softphone.core import events as ev
from softphone.storage.history.calls import ENDED_BY_SLEEP, CallRecord, Outcome

_AUTO_ANSWERS: Final = frozenset(
    {ev.AnswerReason.ALWAYS, ev.AnswerReason.AFTER_DELAY, ev.AnswerReason.HEADER}
)
_DECLINED: Final = frozenset({480, 486, 600, 603})  # what the engine sends when the agent rejects


def outcome_of(direction: ev.Direction, connected: bool, sip_code: int) -> Outcome:
    """How a call ended, from its direction, whether it connected and its last SIP status."""
    if connected:
        return Outcome.ANSWERED
    if direction is ev.Direction.OUTBOUND:
        return Outcome.FAILED  # busy, declined, unreachable or cancelled: sip_code says which
    if sip_code in _DECLINED:
        return Outcome.REJECTED
    if sip_code == 488 or sip_code >= 500:
        return Outcome.FAILED  # the call could not be set up (codecs, server error)
    return Outcome.MISSED  # the caller gave up (487), or it rang out


@dataclass
class _Pending:
    direction: ev.Direction
    number: str
    name: str
    account_id: str
    started_at: float
    answered_at: float | None = None
    mos: float | None = None  # the last CallQuality's (the stream's final one comes last)
    ended_by: str = ""  # this app ended it, and why (see HistoryRecorder.ending)


class HistoryRecorder:
    """Turns engine events into call rows, one per call, handed to ``sink`` when it ends.

    Runs on the thread that publishes engine events (the GUI thread in the app) and does no I/O
    there: ``sink`` is ``HistoryWriter.record``, which only queues. A call is written when it
    ends; one still up when the app dies is not recorded.
    """

    def __init__(self, sink: Callable[[CallRecord], object]) -> None:
        self._sink = sink
        self._pending: dict[str, _Pending] = {}

    def attach(self, subscribe: Callable[..., Callable[[], None]]) -> Callable[[], None]:
        """Subscribe to an ``EventBus.subscribe``; returns a function that unsubscribes."""
        undo = [
            subscribe(ev.IncomingCall, self.on_incoming),
            subscribe(ev.CallStateChanged, self.on_state),
            subscribe(ev.CallQuality, self.on_quality),
        ]

        def detach() -> None:
            for unsubscribe in undo:
                unsubscribe()

        return detach

    def on_incoming(self, event: ev.IncomingCall) -> None:
        self._pending[event.call_id] = _Pending(
            ev.Direction.INBOUND,
            event.remote_number or event.remote_uri,
            event.remote_display,
            event.account_id,
            event.at,
        )

    def ending(self, call_id: str, reason: str = ENDED_BY_SLEEP) -> None:
        """This app is ending ``call_id`` for ``reason`` (a stored key such as
        ``ENDED_BY_SLEEP``): its row keeps that as its reason, whatever SIP says."""
        pending = self._pending.get(call_id)
        if pending is not None:
            pending.ended_by = reason

    def on_quality(self, event: ev.CallQuality) -> None:
        pending = self._pending.get(event.call_id)
        if pending is not None:
            pending.mos = event.mos

    def on_state(self, event: ev.CallStateChanged) -> None:
        pending = self._pending.get(event.call_id)
        if pending is None:
            # First news of this call (an outgoing call, or we started mid-call).
            started = event.at - event.duration_s
            pending = _Pending(event.direction, "", "", event.account_id, started)
            self._pending[event.call_id] = pending
        pending.number = event.remote_number or pending.number or event.remote_uri
        pending.name = event.remote_display or pending.name
        if event.state is ev.CallState.CONFIRMED and pending.answered_at is None:
            pending.answered_at = event.at
        if event.state is not ev.CallState.DISCONNECTED:
            return
        del self._pending[event.call_id]
        outcome = outcome_of(pending.direction, event.connected, event.sip_code)
        if outcome is Outcome.ANSWERED and pending.answered_at is None:
            pending.answered_at = event.at - event.duration_s
        record = CallRecord(
            direction=pending.direction,
            remote_number=pending.number,
            remote_name=pending.name,
            account_id=pending.account_id,
            started_at=pending.started_at,
            answered_at=pending.answered_at if outcome is Outcome.ANSWERED else None,
            ended_at=event.at,
            duration_s=event.duration_s if event.connected else 0.0,
            outcome=outcome,
            sip_code=event.sip_code,
            sip_reason=pending.ended_by or event.reason,
            auto_answered=event.connected and event.answered_by in _AUTO_ANSWERS,
            mos=pending.mos if event.connected else None,
        )
        self._sink(record)
