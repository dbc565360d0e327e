"""Call-progress tones played locally, never sent to the far end: ringtone, call waiting,
ringback, busy, reorder, and DTMF feedback.

Two layers. ``choose`` and ``ended_tone`` are pure: plain values in, which tone should sound out
(unit-tested). ``LocalTones`` keeps a plain view of each call, which ``Calls`` updates through
hooks on the SIP thread, asks ``choose`` after every change, and drives pjsua2 ``ToneGenerator``
ports on the conference bridge to match. It emits ``LocalToneChanged`` on the SIP thread.

The ringtone is the user's choice (``RINGTONES``: a warble, a classic double ring, a soft chime,
or none, which rings silently); ``preview`` plays one for ``PREVIEW_S`` on the ringer device (or
the speaker) on a generator of its own, and the first real tone stops it.

Cadences run inside the tone generator (looped or finite tone lists, sample-accurate on the
bridge's clock); the SIP thread's timer heap ends busy/reorder after ``ENDED_TONE_S`` and repeats
the call-waiting beep. Only one signal tone sounds at a time, by priority: ringtone (nothing else
going on), ringback, call waiting, then busy/reorder; DTMF feedback has its own generator and
mixes over them.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.models import Ringtone
from softphone.sip.timers import TimerHandle, Timers

_log = logging.getLogger(__name__)

ENDED_TONE_S = 3.0  # how long busy / reorder sound after an outgoing call failed
CALL_WAITING_EVERY_S = 10.0
BUSY_CODES = frozenset({486, 600})
CANCELLED_CODE = 487  # Request Terminated: the call was cancelled (by us, or for us)
CLOCK_RATE = 16_000  # the conference bridge's rate (pjsua's default)


class Tone(enum.StrEnum):
    RINGTONE = "ringtone"
    CALL_WAITING = "call_waiting"
    RINGBACK = "ringback"
    BUSY = "busy"
    REORDER = "reorder"


@dataclass(frozen=True, slots=True)
class Segment:
    """One step of a cadence: up to two frequencies (0 = none) for ``on_ms``, then silence."""

    freq1: int
    freq2: int
    on_ms: int
    off_ms: int
    volume: int  # peak amplitude of the (summed) tone, s16; pjmedia halves it per frequency


@dataclass(frozen=True, slots=True)
class Cadence:
    segments: tuple[Segment, ...]
    loop: bool


def _repeat(segment: Segment, times: int) -> tuple[Segment, ...]:
    return (segment,) * times


# A two-tone warble (C6+E6 / A5+C#6, 50 ms each) for 1 s, then 2 s of silence.
RINGTONE_PAIRS = ((1047, 1319), (880, 1109))
WARBLE_STEP_MS = 50
_RING_ON_MS = 1000
_RING_OFF_MS = 2000
_RINGTONE_VOLUME = 6000


def _ringtone() -> Cadence:
    steps = _RING_ON_MS // WARBLE_STEP_MS
    segments = [
        Segment(*RINGTONE_PAIRS[i % 2], WARBLE_STEP_MS, 0, _RINGTONE_VOLUME) for i in range(steps)
    ]
    last = segments[-1]
    segments[-1] = replace(last, off_ms=_RING_OFF_MS)
    return Cadence(tuple(segments), loop=True)


# The classic: a double ring (0.4 s on, 0.2 s off, 0.4 s on, 2 s off) of two tones a major
# third apart, clear of the call-progress (440/480/620 Hz) and DTMF frequencies.
CLASSIC_PAIR = (800, 1000)


def _classic() -> Cadence:
    ring = Segment(*CLASSIC_PAIR, 400, 200, _RINGTONE_VOLUME)
    return Cadence((ring, replace(ring, off_ms=2000)), loop=True)


# The chime: three falling notes (E6, C6, G5), each fading in four steps, then 2.1 s of silence.
CHIME_NOTES = (1319, 1047, 784)
CHIME_STEP_MS = 75
_CHIME_FADE = (6000, 4200, 2800, 1600)


def _chime() -> Cadence:
    segments = [
        Segment(note, 0, CHIME_STEP_MS, 0, volume) for note in CHIME_NOTES for volume in _CHIME_FADE
    ]
    segments[-1] = replace(segments[-1], off_ms=2100)
    return Cadence(tuple(segments), loop=True)


WARBLE = _ringtone()
RINGTONES: dict[Ringtone, Cadence | None] = {
    Ringtone.WARBLE: WARBLE,
    Ringtone.CLASSIC: _classic(),
    Ringtone.CHIME: _chime(),
    Ringtone.NONE: None,
}
PREVIEW_S = 5.0  # two rings of each built-in ringtone

_SIGNAL_VOLUME = 4000  # call-progress tones about -18 dBFS peak, below the ringtone's -15
CADENCES: dict[Tone, Cadence] = {
    Tone.RINGTONE: WARBLE,  # the default; LocalTones plays the chosen one
    Tone.CALL_WAITING: Cadence((Segment(440, 0, 300, 0, _RINGTONE_VOLUME),), loop=False),
    Tone.RINGBACK: Cadence((Segment(440, 480, 2000, 4000, _SIGNAL_VOLUME),), loop=True),
    Tone.BUSY: Cadence(_repeat(Segment(480, 620, 500, 500, _SIGNAL_VOLUME), 3), loop=False),
    Tone.REORDER: Cadence(_repeat(Segment(480, 620, 250, 250, _SIGNAL_VOLUME), 6), loop=False),
}
DTMF_ON_MS = 100
DTMF_OFF_MS = 60
DTMF_VOLUME = 3000  # moderate: feedback, not a signal


# ---- the pure decision ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallView:
    """What the tones need to know about one call."""

    call_id: str
    direction: ev.Direction
    state: ev.CallState
    rings: bool = False  # incoming: it alerts the user (not answered automatically at once)
    alerted: bool = False  # outgoing: the far end sent 180 Ringing
    media: bool = False  # audio flows (early media, or the answered call)


def ended_tone(
    *, direction: ev.Direction, connected: bool, sip_code: int, by_user: bool
) -> Tone | None:
    """The tone after a call ended: busy or reorder when an outgoing call failed before answer,
    nothing when the user cancelled it or it had been answered."""
    if direction is not ev.Direction.OUTBOUND or connected or by_user:
        return None
    if sip_code == CANCELLED_CODE or 200 <= sip_code < 300:
        return None
    return Tone.BUSY if sip_code in BUSY_CODES else Tone.REORDER


def choose(
    calls: Iterable[CallView], ended: tuple[Tone, str] | None = None
) -> tuple[Tone, str] | None:
    """The signal tone to sound now and the call it is for, or None.

    ``ended``: a busy/reorder still within its time after a failed call. Priority: ringtone
    (a ringing incoming call while no other call is going on), ringback (the newest outgoing
    call alerting without early media), call waiting (a ringing incoming call while another
    call is going on), then ``ended``.
    """
    views = list(calls)
    ringing = [
        c
        for c in views
        if c.direction is ev.Direction.INBOUND and c.state is ev.CallState.INCOMING and c.rings
    ]
    others = [c for c in views if c not in ringing and c.state is not ev.CallState.DISCONNECTED]
    if ringing and not others:
        return Tone.RINGTONE, ringing[0].call_id
    alerting = [
        c
        for c in views
        if c.direction is ev.Direction.OUTBOUND
        and c.state in (ev.CallState.RINGING, ev.CallState.EARLY_MEDIA)
        and c.alerted
        and not c.media
    ]
    if alerting:
        return Tone.RINGBACK, alerting[-1].call_id
    if ringing:
        return Tone.CALL_WAITING, ringing[0].call_id
    return ended


# ---- playing them ---------------------------------------------------------------------------


class ToneSinks(Protocol):
    """Where tones go on the conference bridge (SIP thread)."""

    def speaker(self) -> Any:
        """The speaker's bridge port (an ``AudioMedia``)."""
        ...

    def ringer(self) -> Any | None:
        """The ringer device's bridge port, or None when no ringer device is open."""
        ...


class ToneOutput(Protocol):
    """A tone generator on the bridge and the sink it transmits to."""

    def route(self, sink: Any) -> None: ...

    def disconnect(self) -> None: ...

    def play(self, cadence: Cadence) -> None: ...

    def play_digits(self, digits: str) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class ToneGeneratorOutput:
    """One pjsua2 ``ToneGenerator`` and the sink it transmits to. SIP thread only."""

    def __init__(self) -> None:
        self._gen = pj.ToneGenerator()
        self._gen.createToneGenerator(CLOCK_RATE, 1)
        self._sink: Any | None = None

    def route(self, sink: Any) -> None:
        if sink is self._sink:
            return
        self.disconnect()
        self._gen.startTransmit(sink)
        self._sink = sink

    def disconnect(self) -> None:
        if self._sink is not None:
            sink, self._sink = self._sink, None
            self._gen.stopTransmit(sink)

    def play(self, cadence: Cadence) -> None:
        self._gen.stop()
        tones = pj.ToneDescVector()
        for seg in cadence.segments:
            desc = pj.ToneDesc()
            desc.freq1, desc.freq2 = seg.freq1, seg.freq2
            desc.on_msec, desc.off_msec, desc.volume = seg.on_ms, seg.off_ms, seg.volume
            desc.flags = 0
            tones.append(desc)
        self._gen.play(tones, cadence.loop)

    def play_digits(self, digits: str) -> None:
        self._gen.stop()
        vector = pj.ToneDigitVector()
        for digit in digits.lower():
            tone = pj.ToneDigit()
            tone.digit = digit
            tone.on_msec, tone.off_msec, tone.volume = DTMF_ON_MS, DTMF_OFF_MS, DTMF_VOLUME
            vector.append(tone)
        self._gen.playDigits(vector, False)

    def stop(self) -> None:
        self._gen.stop()

    def close(self) -> None:
        """Stop, disconnect; the caller then drops this object (before libDestroy)."""
        self._gen.stop()
        self.disconnect()


Emit = Callable[[ev.Event], None]


class NoTones:
    """The hooks ``Calls`` calls when no tones play (headless, or turned off)."""

    def incoming(self, call_id: str) -> None:
        pass

    def call_state(
        self,
        call_id: str,
        direction: ev.Direction,
        state: ev.CallState,
        *,
        sip_code: int,
        connected: bool,
    ) -> None:
        pass

    def media(self, call_id: str, active: bool) -> None:
        pass

    def hung_up(self, call_id: str) -> None:
        pass

    def dtmf(self, digits: str) -> None:
        pass


class LocalTones(NoTones):
    """Plays the tone ``choose`` picks for the calls' current states. Emits ``LocalToneChanged``
    on the SIP thread; every method runs there. Hooks never raise: a tone must not break a call.
    """

    def __init__(
        self,
        sinks: ToneSinks,
        timers: Timers,
        emit: Emit,
        make_output: Callable[[], ToneOutput] = ToneGeneratorOutput,
        ringtone: Ringtone = Ringtone.WARBLE,
    ) -> None:
        self._sinks: ToneSinks | None = sinks
        self._ringtone = ringtone
        self._make_output = make_output
        self._timers = timers
        self._emit = emit
        self._views: dict[str, CallView] = {}
        self._by_user: set[str] = set()
        self._ended: tuple[Tone, str] | None = None
        self._ended_timer: TimerHandle | None = None
        self._repeat_timer: TimerHandle | None = None
        self._playing: tuple[Tone, str] | None = None
        # created on first use: an agent whose calls VICIdial answers by itself never needs one
        self._signal: ToneOutput | None = None
        self._digits: ToneOutput | None = None
        self._preview: ToneOutput | None = None
        self._preview_timer: TimerHandle | None = None
        self._closed = False

    @property
    def playing(self) -> tuple[Tone, str] | None:
        return self._playing

    # ---- hooks (Calls) ------------------------------------------------------------------------

    def incoming(self, call_id: str) -> None:
        """An incoming call rings here (it is not answered automatically at once)."""

        def ring() -> None:
            view = self._views.get(call_id)
            view = view or CallView(call_id, ev.Direction.INBOUND, ev.CallState.INCOMING)
            self._update(call_id, view=view, rings=True)

        self._guard("incoming", ring)

    def call_state(
        self,
        call_id: str,
        direction: ev.Direction,
        state: ev.CallState,
        *,
        sip_code: int,
        connected: bool,
    ) -> None:
        def changed() -> None:
            if state is ev.CallState.DISCONNECTED:
                self._ended_call(call_id, direction, sip_code, connected)
                return
            view = self._views.get(call_id) or CallView(call_id, direction, state)
            self._update(
                call_id,
                view=view,
                state=state,
                alerted=view.alerted or state is ev.CallState.RINGING,
            )

        self._guard("call_state", changed)

    def media(self, call_id: str, active: bool) -> None:
        """The call's audio became (in)active: early media ends ringback."""
        self._guard(
            "media", lambda: self._update(call_id, media=active) if call_id in self._views else None
        )

    def hung_up(self, call_id: str) -> None:
        """The user ended or cancelled this call: no busy/reorder for it."""
        self._by_user.add(call_id)

    def dtmf(self, digits: str) -> None:
        """The user sent DTMF: let them hear it."""

        def play() -> None:
            assert self._sinks is not None
            if self._digits is None:
                self._digits = self._make_output()
                self._digits.route(self._sinks.speaker())
            self._digits.play_digits(digits)

        self._guard("dtmf", play)

    # ---- the ringtone choice (engine commands: errors reach the caller) ---------------------

    @property
    def ringtone(self) -> Ringtone:
        return self._ringtone

    def set_ringtone(self, ringtone: Ringtone) -> None:
        """From now on, and at once for a call ringing now (silent stops it, a sound starts)."""
        if self._closed:
            return
        self._ringtone = ringtone
        playing = self._playing
        if playing is not None and playing[0] is Tone.RINGTONE:
            self._stop_signal()
            self._playing = None
            self._refresh()
            if self._playing is None:
                self._emit(ev.LocalToneChanged(tone=None, call_id=None))
        else:
            self._refresh()

    def preview(self, ringtone: Ringtone) -> float:
        """Play ``ringtone`` for PREVIEW_S where a call would ring; returns how long (0 for
        none). A new preview replaces the last; a real tone stops it."""
        self.stop_preview()
        cadence = RINGTONES[ringtone]
        if cadence is None or self._closed or self._playing is not None:
            return 0.0  # nothing to play, or a real tone sounds: no sample over it
        assert self._sinks is not None
        if self._preview is None:
            self._preview = self._make_output()
        self._preview.route(self._sinks.ringer() or self._sinks.speaker())
        self._preview.play(cadence)
        self._preview_timer = self._timers.call_later(PREVIEW_S, self.stop_preview)
        return PREVIEW_S

    def stop_preview(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.cancel()
            self._preview_timer = None
        if self._preview is not None:
            self._preview.stop()
            self._preview.disconnect()

    @property
    def previewing(self) -> bool:
        return self._preview_timer is not None

    def close(self) -> None:
        """Before libDestroy: stop and disconnect every generator, then drop them."""
        if self._closed:
            return
        self._closed = True
        for timer in (self._ended_timer, self._repeat_timer, self._preview_timer):
            if timer is not None:
                timer.cancel()
        self._preview_timer = None
        if self._playing is not None:
            self._playing = None
            self._emit(ev.LocalToneChanged(tone=None, call_id=None))
        for gen in (self._signal, self._digits, self._preview):
            if gen is not None:
                try:
                    gen.close()
                except pj.Error:
                    _log.debug("a tone generator did not stop cleanly")
        self._signal = self._digits = self._preview = None
        self._sinks = None  # it holds the Endpoint
        self._views.clear()

    # ---- deciding -----------------------------------------------------------------------------

    def _guard(self, what: str, action: Callable[[], None]) -> None:
        if self._closed:
            return
        try:
            action()
        except Exception:
            _log.exception("local tones: %s failed", what)

    def _update(self, call_id: str, view: CallView | None = None, **changes: Any) -> None:
        current = view or self._views.get(call_id)
        if current is None:
            return
        if call_id not in self._views:
            self._new_call()
        self._views[call_id] = replace(current, **changes)
        self._refresh()

    def _new_call(self) -> None:
        # Busy or reorder from the last attempt gives way to whatever the user does next.
        self._ended = None
        if self._ended_timer is not None:
            self._ended_timer.cancel()
            self._ended_timer = None

    def _ended_call(
        self, call_id: str, direction: ev.Direction, sip_code: int, connected: bool
    ) -> None:
        self._views.pop(call_id, None)
        by_user = call_id in self._by_user
        self._by_user.discard(call_id)
        tone = ended_tone(
            direction=direction, connected=connected, sip_code=sip_code, by_user=by_user
        )
        if tone is not None:
            self._new_call()
            self._ended = (tone, call_id)
            self._ended_timer = self._timers.call_later(ENDED_TONE_S, self._ended_over)
        self._refresh()

    def _ended_over(self) -> None:
        def over() -> None:
            self._ended, self._ended_timer = None, None
            self._refresh()

        self._guard("ended_over", over)

    def _refresh(self) -> None:
        wanted = choose(self._views.values(), self._ended)
        if wanted is not None and wanted[0] is Tone.RINGTONE and RINGTONES[self._ringtone] is None:
            wanted = None  # rings silently: the call is still shown, nothing sounds
        if wanted == self._playing:
            return
        if self._playing is not None and self._playing == self._ended:
            self._ended = None  # pre-empted: it does not come back afterwards
        self._stop_signal()
        if wanted is not None:
            try:
                self._start_signal(wanted[0])
            except Exception:
                _log.exception("local tones: the %s could not start", wanted[0])
                wanted = None
        if wanted == self._playing:
            return
        self._playing = wanted
        tone, call_id = wanted if wanted is not None else (None, None)
        self._emit(ev.LocalToneChanged(tone=None if tone is None else tone.value, call_id=call_id))

    def _stop_signal(self) -> None:
        if self._repeat_timer is not None:
            self._repeat_timer.cancel()
            self._repeat_timer = None
        if self._signal is not None:
            self._signal.stop()
            self._signal.disconnect()

    def _start_signal(self, tone: Tone) -> None:
        assert self._sinks is not None
        self.stop_preview()  # a real call's tone, not a sample of one
        if self._signal is None:
            self._signal = self._make_output()
        sink = self._sinks.ringer() if tone is Tone.RINGTONE else None
        self._signal.route(sink if sink is not None else self._sinks.speaker())
        cadence = RINGTONES[self._ringtone] if tone is Tone.RINGTONE else CADENCES[tone]
        assert cadence is not None  # a silent ringtone is never started (_refresh)
        self._signal.play(cadence)
        if tone is Tone.CALL_WAITING:
            self._repeat_timer = self._timers.call_later(CALL_WAITING_EVERY_S, self._beep_again)

    def _beep_again(self) -> None:
        def beep() -> None:
            self._repeat_timer = None
            if self._playing is not None and self._playing[0] is Tone.CALL_WAITING:
                assert self._signal is not None
                self._signal.play(CADENCES[Tone.CALL_WAITING])
                self._repeat_timer = self._timers.call_later(CALL_WAITING_EVERY_S, self._beep_again)

        self._guard("call_waiting", beep)


def cadence_frequencies(tone: Tone) -> Sequence[int]:
    """Every frequency a tone uses (for tests and diagnostics)."""
    return sorted({f for s in CADENCES[tone].segments for f in (s.freq1, s.freq2) if f})
