"""A simulated sound card whose clock runs ``ppm`` parts per million off the system clock.

It stands where a backend stream stands: it starts the rings, then on its own thread moves
``rate × (1 + ppm/10⁶)`` samples per second of real time — the microphone side writes a tone into
``capture``, the speaker side drains ``playback`` into memory — in 10 ms blocks scheduled against
absolute deadlines (a late block moves the samples that fell due, as a real card's next callback
would). pjmedia's clock thread consumes and produces at the system clock's rate, so the rings see
exactly the drift of a real card that is off by ``ppm``.
"""

from __future__ import annotations

import math
import threading
import time
from array import array

from softphone.audio.ring import AudioRings

RATE = 16_000
BLOCK_S = 0.01


class DriftingDevice:
    def __init__(self, rings: AudioRings, *, ppm: float, tone_hz: float, amplitude: int = 8000):
        self._rings = rings
        self.rate = RATE * (1 + ppm / 1e6)
        self._step = 2 * math.pi * tone_hz / RATE
        self._amplitude = amplitude
        self._phase = 0  # samples of tone produced so far
        self._speaker = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="drifting-device", daemon=True)
        self.blocks = 0

    def start(self) -> DriftingDevice:
        self._rings.capture.start()
        self._rings.playback.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._rings.capture.stop()
        self._rings.playback.stop()

    def speaker(self) -> bytes:
        """Everything the speaker side has drained so far (s16le, device samples)."""
        with self._lock:
            return bytes(self._speaker)

    def _tone(self, n: int) -> bytes:
        start, self._phase = self._phase, self._phase + n
        amp, step = self._amplitude, self._step
        samples = (round(amp * math.sin(step * i)) for i in range(start, start + n))
        return array("h", samples).tobytes()

    def _run(self) -> None:
        t0 = time.monotonic()
        moved = 0
        out = bytearray()
        while not self._stop.is_set():
            self.blocks += 1
            due = math.floor((time.monotonic() - t0) * self.rate) - moved
            if due > 0:
                moved += due
                self._rings.capture.write(self._tone(due))
                out[:] = bytes(due * 2)
                self._rings.playback.read_into(out)
                with self._lock:
                    self._speaker += out
            # the next block's deadline on this card's own clock (not a wait for an event)
            next_at = t0 + (moved + BLOCK_S * self.rate) / self.rate
            self._stop.wait(max(next_at - time.monotonic(), 0.0))
