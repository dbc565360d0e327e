"""Level meters: dBFS of known signals, and PcmRing.level over the newest audio written."""

from __future__ import annotations

import array
import math

import pytest

from softphone.audio.levels import FLOOR_DBFS, SILENT, Level, measure, to_dbfs
from softphone.audio.ring import FRAME_SAMPLES, SAMPLE_RATE, PcmRing

FRAME_BYTES = FRAME_SAMPLES * 2


def sine(amplitude: float, seconds: float, freq: float = 1000.0, phase: int = 0) -> bytes:
    step = 2 * math.pi * freq / SAMPLE_RATE
    n = round(seconds * SAMPLE_RATE)
    return array.array(
        "h", (round(amplitude * math.sin(step * (i + phase))) for i in range(n))
    ).tobytes()


def square(amplitude: int, samples: int) -> bytes:
    return array.array("h", (amplitude if i % 2 else -amplitude for i in range(samples))).tobytes()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_known_signals() -> None:
    full = measure(square(32767, 800))
    assert (full.peak_dbfs, full.rms_dbfs) == pytest.approx((0.0, 0.0), abs=0.01)
    half = measure(sine(16384, 0.05))  # half scale: -6 dB peak, -9 dB RMS
    assert half.peak_dbfs == pytest.approx(-6.02, abs=0.05)
    assert half.rms_dbfs == pytest.approx(-9.03, abs=0.05)
    tenth = measure(square(3277, 800))
    assert tenth.peak_dbfs == pytest.approx(-20.0, abs=0.01)
    assert tenth.rms_dbfs == pytest.approx(-20.0, abs=0.01)
    assert measure(bytes(1600)) == SILENT == Level(FLOOR_DBFS, FLOOR_DBFS)
    assert measure(b"") == SILENT
    assert to_dbfs(1) == pytest.approx(-90.31, abs=0.01) and to_dbfs(0.001) == FLOOR_DBFS


def test_ring_level_measures_the_newest_50_ms_even_after_the_consumer_read_them() -> None:
    clock = FakeClock()
    ring = PcmRing(target_ms=40, clock=clock)
    assert ring.level() == SILENT  # inactive
    ring.start()
    assert ring.level() == SILENT  # nothing written yet
    ring.write(sine(16384, 0.2))  # loud...
    ring.write(sine(1638, 0.06))  # ...then 60 ms at a tenth of it: only this is in the window
    level = ring.level()
    assert level.peak_dbfs == pytest.approx(-26.0, abs=0.2)
    assert level.rms_dbfs == pytest.approx(-29.0, abs=0.2)
    assert ring.level(window_ms=250).peak_dbfs == pytest.approx(-6.0, abs=0.1)
    out = bytearray(FRAME_BYTES * 20)
    ring.read_into(out)  # the consumer drains everything (and underruns): same level
    assert ring.stats().fill_ms == 0
    assert ring.level().peak_dbfs == pytest.approx(-26.0, abs=0.2)
    ring.write(bytes(FRAME_BYTES * 3))  # 60 ms of silence written last
    assert ring.level() == SILENT
    ring.stop()
    assert ring.level() == SILENT


def test_ring_level_across_the_buffer_end_and_with_little_history() -> None:
    clock = FakeClock()
    ring = PcmRing(target_ms=20, capacity_ms=100, max_excess_ms=70, clock=clock)
    ring.start()
    ring.write(square(3277, 160))  # only 10 ms so far: the level covers what there is
    assert ring.level().rms_dbfs == pytest.approx(-20.0, abs=0.01)
    out = bytearray(FRAME_BYTES)
    for i in range(12):  # 240 ms through a 100 ms buffer: the window wraps around its end
        ring.write(square(327 if i == 11 else 3277, 70 * 16 if i == 11 else FRAME_SAMPLES))
        ring.read_into(out)
    level = ring.level()  # the newest 50 ms: all from the last, quieter write
    assert level.peak_dbfs == pytest.approx(-40.0, abs=0.1)
    assert level.rms_dbfs == pytest.approx(-40.0, abs=0.1)


def test_a_stalled_producer_reads_silent_after_a_moment() -> None:
    clock = FakeClock()
    ring = PcmRing(clock=clock)
    ring.start()
    ring.write(square(3277, 800))
    clock.now += 0.1
    assert ring.level().peak_dbfs == pytest.approx(-20.0, abs=0.01)
    clock.now += 0.3
    assert ring.level() == SILENT
