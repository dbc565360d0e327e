"""A ring buffer of 16-bit mono PCM between two clocks, with drift compensation.

One producer thread calls ``write``, one consumer thread calls ``read_into``; any thread may call
``stats``. The two sides run on different clocks (pjmedia's timer, the sound card), so the fill
slowly drifts. The consumer keeps the fill near ``target_ms``: when a smoothed estimate leaves
``target ± tolerance`` it takes one sample more (squeeze) or one less (stretch) than it returns,
at most once per ``correction_interval`` samples (20 ms): up to 3125 ppm, inaudible.

The estimate is the fill averaged over time, not sampled at reads: a fill sampled at each read
only changes when the two clocks' block phases slip past each other, a whole block at once, which
lets the margin fall by a block before anything reacts. A producer stall (underrun: silence until
the target refills) or a jump far above target (a consumer stall, an overflow: the oldest audio is
dropped) is fixed at once. After every (re)start the first ``settle_s`` measure where the average
landed, which depends on the phase between the clocks, and move it to the target in one step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from softphone.audio.levels import SILENT, Level, measure

SAMPLE_RATE = 16_000
SAMPLE_BYTES = 2  # s16, mono
FRAME_SAMPLES = SAMPLE_RATE // 50  # one 20 ms frame
LEVEL_WINDOW_MS = 50.0
_LEVEL_STALE_S = 0.25  # nothing written for this long: the meter reads silence


@dataclass(frozen=True, slots=True)
class RingStats:
    """A snapshot of one ring's counters (cumulative over the ring's life)."""

    underruns: int  # the consumer found too little data and played silence
    overruns: int  # the producer found the ring full; the oldest audio was dropped
    stretches: int  # one sample added (the consumer is faster than the producer)
    squeezes: int  # one sample dropped (the producer is faster)
    resyncs: int  # jumps back to the target after the fill rose far above it
    fill_ms: float  # audio buffered right now
    smoothed_fill_ms: float  # the time-averaged fill the compensation steers by
    target_ms: float

    @property
    def corrections(self) -> int:
        return self.stretches + self.squeezes


class PcmWriter(Protocol):
    """What a backend's microphone side writes into: a ``PcmRing``, or the processing in front
    of one (:mod:`softphone.audio.processing`)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def write(self, data: bytes | bytearray | memoryview) -> None: ...


class PcmReader(Protocol):
    """What a backend's speaker side reads from: a ``PcmRing``, or the processing behind one."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def read_into(self, out: bytearray | memoryview) -> None: ...


def _ms_to_samples(ms: float, rate: int) -> int:
    return round(ms * rate / 1000)


class PcmRing:
    """16-bit mono PCM FIFO with a target fill; one producer thread, one consumer thread.

    Inactive (the initial state, and after ``stop``) it discards writes and reads silence without
    counting anything, so a port can run while no device is open. ``start`` empties it and makes
    the consumer wait (silence) until the target fill is reached. The target is the time-averaged
    fill, so it must exceed half of each side's block plus the producer's jitter.

    ``level`` measures the newest audio written from the ring's own memory (what was read stays
    in the buffer until overwritten), on demand: the audio threads pay nothing for meters.
    """

    def __init__(
        self,
        *,
        target_ms: float = 40.0,
        tolerance_ms: float = 3.0,
        capacity_ms: float = 500.0,
        max_excess_ms: float = 80.0,
        rate: int = SAMPLE_RATE,
        correction_interval: int = FRAME_SAMPLES,
        smoothing_s: float = 0.5,
        settle_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < target_ms < capacity_ms:
            raise ValueError("target_ms must be between 0 and capacity_ms")
        self.rate = rate
        self._target = _ms_to_samples(target_ms, rate)
        self._tolerance = _ms_to_samples(tolerance_ms, rate)
        capacity = _ms_to_samples(capacity_ms, rate)
        self._max_fill = min(self._target + _ms_to_samples(max_excess_ms, rate), capacity)
        self._cap_bytes = capacity * SAMPLE_BYTES
        self._view = memoryview(bytearray(self._cap_bytes))
        self._scratch = memoryview(bytearray((FRAME_SAMPLES + 1) * SAMPLE_BYTES))
        self._interval = correction_interval
        self._tau = smoothing_s
        self._settle_s = settle_s
        self._settling = True
        self._clock = clock
        self._lock = threading.Lock()
        self._active = False
        self._priming = True
        self._read = 0  # byte offset of the oldest sample
        self._fill = 0  # bytes buffered; the newest sample ends at _read + _fill
        self._history = 0  # bytes written since start (capped): how far back a level may look
        self._written_at = 0.0
        self._smoothed = float(self._target)  # samples
        self._area = 0.0  # fill (samples) integrated over time since the last read
        self._changed_at = self._read_at = 0.0
        self._since_correction = 0
        self._underruns = self._overruns = self._stretches = self._squeezes = self._resyncs = 0

    # ---- control (any thread) ------------------------------------------------------------------

    def start(self) -> None:
        """Empty the ring and accept audio again; the consumer waits for the target fill."""
        with self._lock:
            self._active = True
            self._history = 0
            self._reset_locked()

    def stop(self) -> None:
        """Discard writes and read silence from now on (no counters move)."""
        with self._lock:
            self._active = False
            self._history = 0
            self._reset_locked()

    @property
    def active(self) -> bool:
        return self._active

    def stats(self) -> RingStats:
        """A consistent snapshot of the counters; any thread."""
        with self._lock:
            to_ms = 1000 / self.rate
            return RingStats(
                underruns=self._underruns,
                overruns=self._overruns,
                stretches=self._stretches,
                squeezes=self._squeezes,
                resyncs=self._resyncs,
                fill_ms=self._fill // SAMPLE_BYTES * to_ms,
                smoothed_fill_ms=self._smoothed * to_ms,
                target_ms=self._target * to_ms,
            )

    def level(self, window_ms: float = LEVEL_WINDOW_MS) -> Level:
        """Peak and RMS of the newest ``window_ms`` written (consumed or not); any thread.

        Silent (``FLOOR_DBFS``) while inactive, before anything was written, and once nothing has
        been written for a moment (a stalled producer must not freeze the meter)."""
        want = min(_ms_to_samples(window_ms, self.rate) * SAMPLE_BYTES, self._cap_bytes)
        with self._lock:
            stale = self._clock() - self._written_at > max(_LEVEL_STALE_S, window_ms / 1000)
            if not self._active or not self._history or stale:
                return SILENT
            n = min(want, self._history)
            start = (self._read + self._fill - n) % self._cap_bytes
            first = min(n, self._cap_bytes - start)
            recent = bytes(self._view[start : start + first]) + bytes(self._view[: n - first])
        return measure(recent)

    def _reset_locked(self) -> None:
        # Empty from the newest sample on, so that what was written stays behind it for ``level``.
        self._read = (self._read + self._fill) % self._cap_bytes
        self._fill = 0
        self._priming = True
        self._since_correction = 0
        self._restart_estimate_locked()

    def _restart_estimate_locked(self) -> None:
        # Measure a plain average over the next ``settle_s`` before steering (see _settle_locked).
        self._settling = True
        self._smoothed = float(self._target)
        self._area = 0.0
        self._changed_at = self._read_at = self._clock()

    def _integrate_locked(self) -> float:
        now = self._clock()
        self._area += self._fill / SAMPLE_BYTES * (now - self._changed_at)
        self._changed_at = now
        return now

    # ---- producer -----------------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append PCM (an even number of bytes); producer thread only."""
        src = memoryview(data).cast("B")
        n = len(src) - len(src) % SAMPLE_BYTES
        with self._lock:
            if not self._active or n == 0:
                return
            self._written_at = self._integrate_locked()
            if n > self._cap_bytes:  # keep the newest audio only
                src, n = src[n - self._cap_bytes : n], self._cap_bytes
            if self._fill + n > self._cap_bytes:
                # The consumer stalled: drop the oldest audio so that the target fill remains.
                self._overruns += 1
                keep = max(self._target * SAMPLE_BYTES - n, 0)
                self._drop_locked(self._fill - min(keep, self._fill))
            start = (self._read + self._fill) % self._cap_bytes
            first = min(n, self._cap_bytes - start)
            self._view[start : start + first] = src[:first]
            if first < n:
                self._view[: n - first] = src[first:n]
            self._fill += n
            self._history = min(self._history + n, self._cap_bytes)

    def _drop_locked(self, nbytes: int) -> None:
        self._read = (self._read + nbytes) % self._cap_bytes
        self._fill -= nbytes
        self._restart_estimate_locked()

    # ---- consumer -----------------------------------------------------------------------------

    def read_into(self, out: bytearray | memoryview) -> None:
        """Fill all of ``out`` (an even number of bytes) with PCM or silence; consumer thread."""
        dst = memoryview(out).cast("B")
        n = len(dst) // SAMPLE_BYTES
        with self._lock:
            if not self._active:
                dst[:] = bytes(len(dst))
                return
            fill = self._fill // SAMPLE_BYTES
            if self._priming:
                if fill < self._target:
                    dst[:] = bytes(len(dst))
                    return
                # Any overshoot (at most a producer block) is squeezed away; dropping it would cut
                # audio that the producer already delivered.
                self._priming = False
                self._restart_estimate_locked()
            elif fill > self._max_fill:
                self._resyncs += 1
                self._drop_locked((fill - self._target) * SAMPLE_BYTES)
                fill = self._target
            self._update_estimate_locked(n)
            fill = self._fill // SAMPLE_BYTES
            take = self._choose_take_locked(n, fill)
            if take > fill:
                # The producer stalled: play what is left, then silence until the target refills.
                self._underruns += 1
                self._copy_out_locked(dst, fill * SAMPLE_BYTES)
                dst[fill * SAMPLE_BYTES :] = bytes(len(dst) - fill * SAMPLE_BYTES)
                self._reset_locked()
            elif take == n:
                self._copy_out_locked(dst, n * SAMPLE_BYTES)
            else:
                self._copy_corrected_locked(dst, n, take)

    def _update_estimate_locked(self, n: int) -> None:
        now = self._integrate_locked()
        span = now - self._read_at
        if span <= 0:
            return  # a burst of reads at one instant says nothing about the average
        if self._settling:
            if span >= self._settle_s:
                self._settle_locked(self._area / span, n)
                self._area = 0.0
                self._read_at = now
            return
        weight = min(span / self._tau, 1.0)
        self._smoothed += weight * (self._area / span - self._smoothed)
        self._area = 0.0
        self._read_at = now

    def _settle_locked(self, average: float, n: int) -> None:
        # Where the average fill lands after a (re)start depends on the phase between the two
        # clocks' blocks, up to a block off target: one jump now instead of seconds of corrections.
        self._settling = False
        self._smoothed = float(self._target)
        error = round(average) - self._target
        fill = self._fill // SAMPLE_BYTES
        if error > self._tolerance:
            self._read = (self._read + min(error, fill - n) * SAMPLE_BYTES) % self._cap_bytes
            self._fill -= min(error, fill - n) * SAMPLE_BYTES
        elif error < -self._tolerance and self._fill - error * SAMPLE_BYTES <= self._cap_bytes:
            # silence in front of what is buffered (in the first moments of a stream)
            gap = -error * SAMPLE_BYTES
            self._read = (self._read - gap) % self._cap_bytes
            first = min(gap, self._cap_bytes - self._read)
            self._view[self._read : self._read + first] = bytes(first)
            self._view[: gap - first] = bytes(gap - first)
            self._fill += gap

    def _choose_take_locked(self, n: int, fill: int) -> int:
        self._since_correction += n
        if self._settling or self._since_correction < self._interval or n < 4:
            return n
        if self._smoothed > self._target + self._tolerance and fill > n + 1:
            self._squeezes += 1
            take = n + 1
        elif self._smoothed < self._target - self._tolerance:
            self._stretches += 1
            take = n - 1
        else:
            return n
        self._since_correction = 0
        return take

    def _copy_out_locked(self, dst: memoryview, nbytes: int) -> None:
        first = min(nbytes, self._cap_bytes - self._read)
        dst[:first] = self._view[self._read : self._read + first]
        if first < nbytes:
            dst[first:nbytes] = self._view[: nbytes - first]
        self._read = (self._read + nbytes) % self._cap_bytes
        self._fill -= nbytes

    def _copy_corrected_locked(self, dst: memoryview, n: int, take: int) -> None:
        # Drop or add one sample mid-block, replacing the seam with the mean of its neighbours.
        if len(self._scratch) < take * SAMPLE_BYTES:  # once, for an unusually large read
            self._scratch = memoryview(bytearray(take * SAMPLE_BYTES))
        scratch = self._scratch[: take * SAMPLE_BYTES]
        self._copy_out_locked(scratch, take * SAMPLE_BYTES)
        src, out = scratch.cast("h"), dst.cast("h")
        mid = n // 2
        if take > n:  # squeeze: n + 1 samples in, n out
            out[:mid] = src[:mid]
            out[mid] = (src[mid] + src[mid + 1]) // 2
            out[mid + 1 :] = src[mid + 2 :]
        else:  # stretch: n - 1 samples in, n out
            out[:mid] = src[:mid]
            out[mid] = (src[mid - 1] + src[mid]) // 2
            out[mid + 1 :] = src[mid:]


@dataclass(frozen=True)
class AudioRings:
    """The directions between the SIP engine and the sound devices.

    ``capture`` carries the microphone to the calls, ``playback`` the calls' mix to the speaker,
    ``ringer`` the ringtone to a separate ringer output (inactive, hence unused, unless the user
    picked a ringer device: the ringtone then goes to the speaker). The engine's ports fill and
    drain them on pjmedia's clock thread; backend streams drain and fill them on the sound card's
    threads.
    """

    capture: PcmRing
    playback: PcmRing
    ringer: PcmRing

    @classmethod
    def create(cls, target_ms: float = 30.0) -> AudioRings:
        return cls(
            PcmRing(target_ms=target_ms),
            PcmRing(target_ms=target_ms),
            PcmRing(target_ms=target_ms),
        )
