"""The phone screen's picture of the calls, kept from the engine's events (Qt-free).

Which call is on screen, which one waits (call waiting), and which call is the consultation of
an attended transfer. ``CallTracker`` feeds it the bus's events on the GUI thread; ``PhoneView``
draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

from softphone.core import events as ev

LIVE_STATES = frozenset({ev.CallState.CONNECTING, ev.CallState.CONFIRMED, ev.CallState.EARLY_MEDIA})


@dataclass(slots=True)
class TrackedCall:
    call_id: str
    direction: ev.Direction
    state: ev.CallState
    display: str
    number: str
    hold: ev.HoldState = ev.HoldState.NONE
    muted: bool = False
    connected_at: float | None = None  # wall-clock time the call was confirmed
    auto_answer_at: float | None = None  # wall-clock time the engine will answer it
    auto_answered: bool = False  # the engine answered it by itself (shown on the call page)
    direct_from: str = ""  # "host:port" of a direct call (not through the company's server)
    quality: ev.CallQuality | None = None  # the engine's latest report while it is up

    @property
    def ringing_in(self) -> bool:
        return self.direction is ev.Direction.INBOUND and self.state is ev.CallState.INCOMING

    @property
    def held_here(self) -> bool:
        return self.hold in (ev.HoldState.LOCAL, ev.HoldState.BOTH)


@dataclass(slots=True)
class Consult:
    """An attended transfer in progress: ``original`` waits on hold while ``target`` is called."""

    original: str
    target: str | None = None  # the consultation call, once the engine reports it


@dataclass(frozen=True, slots=True)
class EndedCall:
    call: TrackedCall
    sip_code: int
    reason: str
    connected: bool
    was_consult: bool


class CallBook:
    def __init__(self) -> None:
        self.calls: dict[str, TrackedCall] = {}
        self.current_id: str | None = None
        self.waiting_id: str | None = None
        self.consult: Consult | None = None

    @property
    def current(self) -> TrackedCall | None:
        return self.calls.get(self.current_id or "")

    @property
    def waiting(self) -> TrackedCall | None:
        return self.calls.get(self.waiting_id or "")

    def others(self) -> list[TrackedCall]:
        """Calls neither on screen nor waiting to be answered (e.g. one on hold)."""
        skip = {self.current_id, self.waiting_id}
        return [call for call in self.calls.values() if call.call_id not in skip]

    def get(self, call_id: str) -> TrackedCall | None:
        return self.calls.get(call_id)

    def focus(self, call_id: str) -> None:
        if call_id in self.calls:
            self.current_id = call_id
            if self.waiting_id == call_id:
                self.waiting_id = None

    def start_consult(self, original: str) -> None:
        self.consult = Consult(original)

    def incoming(self, event: ev.IncomingCall) -> TrackedCall:
        call = TrackedCall(
            call_id=event.call_id,
            direction=ev.Direction.INBOUND,
            state=ev.CallState.INCOMING,
            display=event.remote_display,
            number=event.remote_number,
            direct_from=event.direct_from,
        )
        if event.auto_answer_in_s is not None:
            call.auto_answer_at = event.at + event.auto_answer_in_s
        self.calls[event.call_id] = call
        busy = any(c.call_id != call.call_id and not c.ringing_in for c in self.calls.values())
        if (event.waiting or busy) and self.current is not None:
            self.waiting_id = call.call_id
        else:
            self.current_id = call.call_id
        return call

    def state(self, event: ev.CallStateChanged) -> EndedCall | None:
        """Apply a state change; returns what ended when the call is disconnected."""
        call = self.calls.get(event.call_id)
        if call is None:
            if event.state is ev.CallState.DISCONNECTED:
                return None
            call = TrackedCall(
                call_id=event.call_id,
                direction=event.direction,
                state=event.state,
                display=event.remote_display,
                number=event.remote_number,
            )
            self.calls[event.call_id] = call
            consult = self.consult
            if (
                consult is not None
                and consult.target is None
                and call.direction is ev.Direction.OUTBOUND
            ):
                consult.target = call.call_id
            if event.direction is ev.Direction.OUTBOUND or self.current is None:
                self.current_id = call.call_id
        call.state = event.state
        call.display = event.remote_display or call.display
        call.number = event.remote_number or call.number
        if event.state is ev.CallState.CONFIRMED and call.connected_at is None:
            call.connected_at = event.at - event.duration_s
        if event.answered_by not in (None, ev.AnswerReason.MANUAL):
            call.auto_answered = True
        if event.state in LIVE_STATES:
            call.auto_answer_at = None
            if self.waiting_id == call.call_id:
                self.focus(call.call_id)  # answered elsewhere (the incoming window, the server)
        if event.state is ev.CallState.DISCONNECTED:
            return self._drop(call, event)
        return None

    def quality(self, event: ev.CallQuality) -> None:
        call = self.calls.get(event.call_id)
        if call is not None and not event.final:
            call.quality = event

    def media(self, event: ev.CallMediaChanged) -> None:
        call = self.calls.get(event.call_id)
        if call is not None:
            call.hold = event.hold
            call.muted = event.muted

    def _drop(self, call: TrackedCall, event: ev.CallStateChanged) -> EndedCall:
        del self.calls[call.call_id]
        consult = self.consult
        was_consult = consult is not None and call.call_id in (consult.original, consult.target)
        if was_consult:
            self.consult = None
        if self.waiting_id == call.call_id:
            self.waiting_id = None
        if self.current_id == call.call_id:
            self.current_id = self._next_current()
        return EndedCall(
            call=call,
            sip_code=event.sip_code,
            reason=event.reason,
            connected=event.connected,
            was_consult=was_consult,
        )

    def _next_current(self) -> str | None:
        remaining = [c for c in self.calls.values() if c.call_id != self.waiting_id]
        if not remaining and self.waiting_id is not None:
            waiting, self.waiting_id = self.waiting_id, None
            return waiting  # the waiting call now rings on its own
        connected = [c for c in remaining if c.connected_at is not None]
        chosen = connected or remaining
        return chosen[-1].call_id if chosen else None
