"""Where local tones are made: a pjsua2 ``ToneGenerator`` port on the conference bridge, routed to
the speaker's or the ringer's bridge port (``ToneSinks``). SIP thread only.

``ToneOutput`` is what ``LocalTones`` needs of one; unit tests give it a fake.
"""

from __future__ import annotations

from typing import Any, Protocol

import pjsua2 as pj

from softphone.sip.cadences import DTMF_OFF_MS, DTMF_ON_MS, DTMF_VOLUME, Cadence

CLOCK_RATE = 16_000  # the conference bridge's rate (pjsua's default)


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
