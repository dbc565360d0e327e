"""PcmRing: drift compensation on simulated clocks (no real time), resyncs, counters, threads."""

from __future__ import annotations

import array
import heapq
import random
import threading
from dataclasses import dataclass, field

import pytest

from softphone.audio.ring import FRAME_SAMPLES, SAMPLE_RATE, PcmRing

FRAME_BYTES = FRAME_SAMPLES * 2


def ramp(start: int, n: int) -> bytes:
    """n samples counting up from `start` (wrapping inside the positive int16 range)."""
    return array.array("h", ((start + i) % 30000 + 1 for i in range(n))).tobytes()


def samples(data: bytes | bytearray) -> list[int]:
    return array.array("h", bytes(data)).tolist()


@dataclass
class DriftRun:
    """Outcome of one simulated call: fills seen by the consumer after settling, and the ring."""

    ring: PcmRing
    fills_ms: list[float] = field(default_factory=list)
    smoothed_ms: list[float] = field(default_factory=list)
    underruns_after_settle: int = 0


def simulate(
    *,
    producer_ppm: float,
    consumer_ppm: float,
    producer_block: int = FRAME_SAMPLES,
    consumer_block: int = FRAME_SAMPLES,
    jitter_ms: float = 0.0,
    seconds: float = 60.0,
    settle_s: float = 5.0,
    target_ms: float = 40.0,
    stall: tuple[float, float] | None = None,
    seed: int = 1,
) -> DriftRun:
    """Run a producer and a consumer clock against one ring in simulated time.

    Each side moves a block every block/rate seconds on its own clock (rate scaled by its ppm),
    woken up to `jitter_ms` late (but never drifting: the schedule stays on its clock). `stall`
    = (start_s, length_s) stops the producer for a while.
    """
    rng = random.Random(seed)
    clock = [0.0]
    ring = PcmRing(target_ms=target_ms, clock=lambda: clock[0])
    ring.start()
    run = DriftRun(ring)
    period = {
        "p": producer_block / (SAMPLE_RATE * (1 + producer_ppm * 1e-6)),
        "c": consumer_block / (SAMPLE_RATE * (1 + consumer_ppm * 1e-6)),
    }
    tick = {"p": 0, "c": 0}
    events = [(0.0, "p"), (period["c"] / 3, "c")]  # arbitrary phase between the clocks
    out = bytearray(consumer_block * 2)
    written = 0
    while events:
        now, side = heapq.heappop(events)
        if now > seconds:
            break
        clock[0] = now
        if side == "p":
            if stall is None or not stall[0] <= now < stall[0] + stall[1]:
                ring.write(ramp(written, producer_block))
                written += producer_block
        else:
            before = ring.stats()
            ring.read_into(out)
            if now > settle_s:
                after = ring.stats()
                run.fills_ms.append(before.fill_ms)
                run.smoothed_ms.append(after.smoothed_fill_ms)
                run.underruns_after_settle += after.underruns - before.underruns
        tick[side] += 1
        late = rng.uniform(0, jitter_ms / 1000) if jitter_ms else 0.0
        heapq.heappush(events, (tick[side] * period[side] + late, side))
    return run


@pytest.mark.parametrize("ppm", [1000, -1000, 2000, -2000])
@pytest.mark.parametrize(
    ("producer_block", "consumer_block", "jitter_ms"),
    [
        (FRAME_SAMPLES, FRAME_SAMPLES, 0.0),  # the worst case for a fill sampled at reads
        (FRAME_SAMPLES, FRAME_SAMPLES, 5.0),
        (FRAME_SAMPLES, 160, 4.0),  # pjmedia -> a 10 ms sound card
        (160, FRAME_SAMPLES, 5.0),  # a 10 ms microphone -> pjmedia
        (FRAME_SAMPLES, 441, 8.0),  # odd block sizes and a lot of jitter
    ],
)
def test_drift_is_held_near_target_without_underruns(
    ppm: int, producer_block: int, consumer_block: int, jitter_ms: float
) -> None:
    run = simulate(
        producer_ppm=ppm / 2,
        consumer_ppm=-ppm / 2,
        producer_block=producer_block,
        consumer_block=consumer_block,
        jitter_ms=jitter_ms,
    )
    stats = run.ring.stats()
    assert run.underruns_after_settle == 0
    assert stats.overruns == stats.resyncs == 0
    # the time-averaged fill stays around the target
    mean = sum(run.smoothed_ms) / len(run.smoothed_ms)
    # (at 2000 ppm it steers at the band's edge most of the time: a few ms of bias)
    assert abs(mean - 40.0) < (4.0 if abs(ppm) <= 1000 else 6.0)
    assert max(abs(s - 40.0) for s in run.smoothed_ms) < (12.0 if abs(ppm) <= 1000 else 18.0)
    # the fill a read finds never runs low, nor grows: bounded by the blocks around the target
    assert min(run.fills_ms) > consumer_block * 1000 / SAMPLE_RATE
    assert max(run.fills_ms) < 40.0 + (producer_block + consumer_block) * 1000 / SAMPLE_RATE
    # the net correction is the drift (ppm of what was consumed), give or take the start-up block
    net = stats.squeezes - stats.stretches
    drift = ppm * 1e-6 * 60 * SAMPLE_RATE
    assert abs(net - drift) < FRAME_SAMPLES * 1.5 + 0.1 * abs(drift)
    assert stats.corrections < abs(drift) * 2 + 400  # no runaway hunting


def test_same_clock_needs_no_correction_and_keeps_every_sample() -> None:
    ring = PcmRing(target_ms=40)
    ring.start()
    got = bytearray()
    out = bytearray(FRAME_BYTES)
    for i in range(200):
        ring.write(ramp(i * FRAME_SAMPLES, FRAME_SAMPLES))
        ring.read_into(out)
        got += out
    stats = ring.stats()
    assert stats.corrections == stats.underruns == stats.overruns == stats.resyncs == 0
    # silence while priming to 40 ms (two frames, read after the second write), then the ramp
    pcm = samples(got)
    assert pcm[: FRAME_SAMPLES * 1] == [0] * FRAME_SAMPLES
    assert pcm[FRAME_SAMPLES : FRAME_SAMPLES * 199] == samples(ramp(0, FRAME_SAMPLES * 198))
    assert stats.fill_ms == pytest.approx(20.0)


def primed(target_ms: float = 40.0, fill_frames: int = 2) -> PcmRing:
    ring = PcmRing(target_ms=target_ms)
    ring.start()
    for i in range(fill_frames):
        ring.write(ramp(i * FRAME_SAMPLES, FRAME_SAMPLES))
    return ring


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def settled_ring(clock: FakeClock) -> PcmRing:
    """A ring past priming and settling, 20 ms left (samples 320.. of the ramp), whose estimate
    is then the plain time-average since the last read."""
    ring = PcmRing(target_ms=40, smoothing_s=1e-9, settle_s=0.01, clock=clock)
    ring.start()
    out = bytearray(FRAME_BYTES)
    ring.write(ramp(0, 3 * FRAME_SAMPLES))
    clock.now = 0.001
    ring.read_into(out)  # primed: 40 ms left
    clock.now = 0.02
    ring.read_into(out)  # settled on an average of exactly the target: nothing to align
    assert ring.stats().fill_ms == pytest.approx(20.0)
    assert ring.stats().corrections == 0
    return ring


def test_squeeze_drops_one_sample_and_blends_the_seam() -> None:
    clock = FakeClock()
    ring = settled_ring(clock)
    out = bytearray(FRAME_BYTES)
    ring.write(ramp(3 * FRAME_SAMPLES, 3 * FRAME_SAMPLES))  # 80 ms buffered from now on
    clock.now = 0.1
    before = ring.stats()
    ring.read_into(out)
    after = ring.stats()
    assert after.squeezes == before.squeezes + 1
    assert after.fill_ms == pytest.approx(before.fill_ms - 20.0 - 1000 / SAMPLE_RATE)
    pcm = samples(out)
    start = 2 * FRAME_SAMPLES + 1
    assert pcm[0] == start
    mid = FRAME_SAMPLES // 2
    assert pcm[:mid] == list(range(start, start + mid))
    assert pcm[mid] == ((start + mid) + (start + mid + 1)) // 2
    assert pcm[mid + 1 :] == list(range(start + mid + 2, start + FRAME_SAMPLES + 1))


def test_stretch_adds_one_interpolated_sample() -> None:
    clock = FakeClock()
    ring = settled_ring(clock)  # 20 ms on average: well below the target
    out = bytearray(FRAME_BYTES)
    clock.now = 0.1
    ring.write(ramp(3 * FRAME_SAMPLES, 2))  # a little more so that a stretch is possible
    before = ring.stats()
    ring.read_into(out)
    after = ring.stats()
    assert after.stretches == before.stretches + 1
    assert after.fill_ms == pytest.approx(before.fill_ms - 20.0 + 1000 / SAMPLE_RATE)
    pcm = samples(out)
    start = 2 * FRAME_SAMPLES + 1
    mid = FRAME_SAMPLES // 2
    assert pcm[:mid] == list(range(start, start + mid))
    assert pcm[mid] == ((start + mid - 1) + (start + mid)) // 2
    assert pcm[mid + 1 :] == list(range(start + mid, start + FRAME_SAMPLES - 1))


@pytest.mark.parametrize(
    ("write_offset_s", "extra_ms", "expected_shift_ms"),
    [
        (0.001, 0.0, 0.0),  # written just after each read: the average is the target already
        (0.019, 0.0, 19.0),  # just before: the average is a block low, silence is put in front
        (0.001, 15.0, -15.0),  # primed with 15 ms too many: dropped in one go
    ],
)
def test_the_average_fill_is_aligned_to_the_target_once_after_priming(
    write_offset_s: float, extra_ms: float, expected_shift_ms: float
) -> None:
    """Where the average lands after a (re)start depends on the phase between the clocks: it is
    moved to the target in one step, not by seconds of one-sample corrections."""
    clock = FakeClock()
    ring = PcmRing(target_ms=40, clock=clock)
    ring.start()
    out = bytearray(FRAME_BYTES)
    ring.write(ramp(0, 2 * FRAME_SAMPLES + round(extra_ms * 16)))
    fills = []
    for tick in range(150):  # 3 s of one 20 ms frame in, one out
        clock.now = tick * 0.02
        fills.append(ring.stats().fill_ms)
        ring.read_into(out)
        clock.now += write_offset_s
        ring.write(ramp(0, FRAME_SAMPLES))
    stats = ring.stats()
    assert stats.corrections == 0
    assert stats.underruns == stats.overruns == stats.resyncs == 0
    assert fills[-1] - fills[0] == pytest.approx(expected_shift_ms, abs=1.0)
    assert stats.smoothed_fill_ms == pytest.approx(40.0, abs=1.5)


def test_producer_stall_counts_one_underrun_then_resyncs_to_target() -> None:
    run = simulate(producer_ppm=0, consumer_ppm=0, seconds=20, settle_s=0, stall=(5.0, 0.5))
    stats = run.ring.stats()
    assert stats.underruns == 1
    assert stats.overruns == stats.resyncs == 0
    # back at the target once the producer is back, and nothing more went wrong
    tail = run.fills_ms[-200:]
    assert all(20 - 1 <= f <= 60 + 1 for f in tail)
    assert abs(run.smoothed_ms[-1] - 40.0) <= 3.0


def test_underrun_plays_what_is_left_then_silence_until_target() -> None:
    ring = primed()
    out = bytearray(FRAME_BYTES)
    ring.read_into(out)
    ring.read_into(out)  # takes the last frame
    ring.write(ramp(1000, 100))
    ring.read_into(out)
    pcm = samples(out)
    assert pcm[:100] == samples(ramp(1000, 100)) and pcm[100:] == [0] * (FRAME_SAMPLES - 100)
    assert ring.stats().underruns == 1
    ring.write(ramp(0, FRAME_SAMPLES))
    ring.read_into(out)  # 20 ms buffered: still refilling, silence, no second underrun
    assert samples(out) == [0] * FRAME_SAMPLES
    assert ring.stats().underruns == 1
    ring.write(ramp(0, FRAME_SAMPLES))
    ring.read_into(out)
    assert samples(out) == samples(ramp(0, FRAME_SAMPLES))


def test_consumer_stall_overruns_then_drops_back_to_target() -> None:
    ring = PcmRing(target_ms=40, capacity_ms=200)
    ring.start()
    for i in range(11):  # 220 ms into a 200 ms ring: the 11th write overflows
        ring.write(ramp(i * FRAME_SAMPLES, FRAME_SAMPLES))
    stats = ring.stats()
    assert stats.overruns == 1
    assert stats.fill_ms == pytest.approx(40.0)  # the newest 40 ms kept
    out = bytearray(FRAME_BYTES)
    ring.read_into(out)
    assert samples(out) == samples(ramp(9 * FRAME_SAMPLES, FRAME_SAMPLES))


def test_large_excess_is_resynced_at_once() -> None:
    ring = primed()
    out = bytearray(FRAME_BYTES)
    ring.read_into(out)
    for i in range(8):  # +160 ms: beyond target + 60 ms
        ring.write(ramp(10_000 + i * FRAME_SAMPLES, FRAME_SAMPLES))
    ring.read_into(out)
    stats = ring.stats()
    assert stats.resyncs == 1
    assert stats.fill_ms == pytest.approx(20.0)  # back to 40 ms, then one frame read
    assert samples(out) == samples(ramp(10_000 + 6 * FRAME_SAMPLES, FRAME_SAMPLES))


def test_inactive_ring_discards_and_reads_silence_without_counting() -> None:
    ring = PcmRing()
    out = bytearray(b"\x01" * FRAME_BYTES)
    for _ in range(100):
        ring.write(ramp(0, FRAME_SAMPLES))
        ring.read_into(out)
    assert samples(out) == [0] * FRAME_SAMPLES
    stats = ring.stats()
    assert (stats.underruns, stats.overruns, stats.corrections, stats.fill_ms) == (0, 0, 0, 0.0)
    ring.start()
    ring.stop()
    ring.write(ramp(0, FRAME_SAMPLES))
    assert ring.stats().fill_ms == 0.0 and not ring.active


def test_rejects_a_target_outside_the_capacity() -> None:
    with pytest.raises(ValueError, match="target_ms"):
        PcmRing(target_ms=600, capacity_ms=500)


def test_one_producer_and_one_consumer_thread_never_tear_or_reorder_samples() -> None:
    # no corrections, and room for everything: the output must be the input, in order
    ring = PcmRing(target_ms=20, capacity_ms=10_000, tolerance_ms=1000, max_excess_ms=9000)
    ring.start()
    total = 400 * FRAME_SAMPLES
    errors: list[str] = []
    done = threading.Event()

    def produce() -> None:
        for i in range(0, total, 137):
            ring.write(ramp(i, min(137, total - i)))
        done.set()

    seen: list[int] = []

    def consume() -> None:
        out = bytearray(2 * 113)
        last = 0
        while not (done.is_set() and ring.stats().fill_ms < 20.0):
            ring.read_into(out)
            for value in samples(out):
                if value == 0:
                    continue  # silence while refilling
                if value != last % 30000 + 1:
                    errors.append(f"{last} -> {value}")
                last = value
        seen.append(last)

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:5]
    assert seen == [(total - 1) % 30000 + 1] or ring.stats().fill_ms > 0
