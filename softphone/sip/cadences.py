"""What each local tone sounds like: the call-progress cadences (call waiting, ringback, busy,
reorder), the built-in ringtones the user chooses from (``RINGTONES``: a warble, a classic double
ring, a soft chime, or none, which rings silently) and DTMF feedback's timing.

Plain data, no pjsua2: ``softphone.sip.tone_output`` hands each cadence to a pjsua2
``ToneGenerator``, which plays it sample-accurately on the bridge's clock (looped or finite),
so the numbers follow pjmedia's ``ToneDesc`` (a volume is the summed peak, halved per frequency).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

from softphone.core.models import Ringtone


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


def cadence_frequencies(tone: Tone) -> Sequence[int]:
    """Every frequency a tone uses (for tests and diagnostics)."""
    return sorted({f for s in CADENCES[tone].segments for f in (s.freq1, s.freq2) if f})
