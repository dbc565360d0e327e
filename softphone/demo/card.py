"""The demo's simulated sound card: a microphone that plays a tone and a speaker that listens.

With ``--audio none`` the demo has no sound card, yet it must show that the echo line sends the
agent's audio back and that the tone line's tone arrives. :class:`ProbeCard` stands where a
backend stream stands (it serves the engine's :class:`~softphone.audio.ring.AudioRings`): every
10 ms of real time it writes a ``mic_hz`` tone into ``capture`` and drains ``playback`` into a
short history that :meth:`ProbeCard.hears` measures (Goertzel, standard library only).
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from collections import deque

from softphone.audio.ring import SAMPLE_RATE, AudioRings

MIC_HZ = 550.0  # none of the call-progress or DTMF tones, so a heard one is the echo
_BLOCK_S = 0.01
_HISTORY_S = 1.0
_WINDOW_S = 0.1
_MIN_RMS = 300.0
_MIN_SHARE = 0.5


def tone_share(samples: array[int], freq: float, rate: int = SAMPLE_RATE) -> float:
    """Share (0..1) of the signal's energy at ``freq``: about 1 for a pure tone."""
    n = len(samples)
    energy = sum(s * s for s in samples)
    if n == 0 or energy == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return min(2 * power / (n * energy), 1.0)


class ProbeCard:
    """A sound card in memory; its thread is the only one touching the rings' device side."""

    def __init__(self, rings: AudioRings, mic_hz: float = MIC_HZ, amplitude: int = 8000) -> None:
        self._rings = rings
        self._step = 2 * math.pi * mic_hz / SAMPLE_RATE
        self._amplitude = amplitude
        self._produced = 0  # samples of the microphone tone so far
        self._heard: deque[int] = deque(maxlen=int(_HISTORY_S * SAMPLE_RATE))
        self._heard_total = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-probe-card", daemon=True)

    def start(self) -> ProbeCard:
        self._rings.capture.start()
        self._rings.playback.start()
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._rings.capture.stop()
        self._rings.playback.stop()

    def mark(self) -> int:
        """A position in what the speaker received; :meth:`hears` looks only past it."""
        with self._lock:
            return self._heard_total

    def hears(self, freq: float, since: int) -> bool:
        """The last 100 ms the speaker received, all after ``since``, are mostly ``freq``."""
        window = int(_WINDOW_S * SAMPLE_RATE)
        with self._lock:
            if self._heard_total - since < window:
                return False
            samples = array("h", list(self._heard)[-window:])
        loud = math.sqrt(sum(s * s for s in samples) / len(samples)) >= _MIN_RMS
        return loud and tone_share(samples, freq) >= _MIN_SHARE

    def _tone(self, n: int) -> bytes:
        start, self._produced = self._produced, self._produced + n
        amp, step = self._amplitude, self._step
        return array(
            "h", (round(amp * math.sin(step * i)) for i in range(start, start + n))
        ).tobytes()

    def _run(self) -> None:
        t0 = time.monotonic()
        moved = 0
        out = bytearray()
        while not self._stop.is_set():
            due = math.floor((time.monotonic() - t0) * SAMPLE_RATE) - moved
            if due > 0:
                moved += due
                self._rings.capture.write(self._tone(due))
                out[:] = bytes(due * 2)
                self._rings.playback.read_into(out)
                with self._lock:
                    self._heard.extend(array("h", bytes(out)))
                    self._heard_total += due
            # the next block is due on this card's clock: a deadline, not a wait for an event
            self._stop.wait(
                max(t0 + (moved + _BLOCK_S * SAMPLE_RATE) / SAMPLE_RATE - time.monotonic(), 0.0)
            )
