"""AudioBridgePort on a real conference bridge (null sound device, no OS audio): every sample
passes unchanged in both directions, on the fast path, at a few tens of µs a frame.

Runs a bare pjsua2 Endpoint on the test's thread; pj objects live on a dict that is cleared,
after the bridge's clock is stopped, before libDestroy. Never bind one to a local: a failed
test's traceback would keep it alive past libDestroy, and its collection then crashes.
"""

from __future__ import annotations

import array
from collections.abc import Iterator
from typing import Any

import pytest

from softphone.audio.ring import PcmRing
from softphone.sip import audio_port
from softphone.sip.audio_port import create_audio_port
from tests.audio.endpoint import LabEndpoint
from tests.audio.ports import PcmSink, PcmSource
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

SECONDS = 1.0
N = int(16_000 * SECONDS)


def ramp(n: int) -> bytes:
    return array.array("h", (i % 30000 + 1 for i in range(n))).tobytes()


def roomy_ring() -> PcmRing:
    """Holds the whole test signal without resyncs or corrections: the output must be exact."""
    return PcmRing(target_ms=200, capacity_ms=3000, max_excess_ms=2500, tolerance_ms=5000)


@pytest.fixture
def pj_objects() -> Iterator[tuple[LabEndpoint, dict[str, Any]]]:
    lab = LabEndpoint()
    objects: dict[str, Any] = {}
    try:
        yield lab, objects
    finally:
        lab.stop_audio_clock()
        objects.clear()
        lab.close()


def test_the_fast_path_is_in_use() -> None:
    assert audio_port._vector_layout_ok()
    assert audio_port._FAST


def test_capture_ring_to_bridge_is_sample_exact(
    pj_objects: tuple[LabEndpoint, dict[str, Any]],
) -> None:
    _, pj = pj_objects
    capture = roomy_ring()
    capture.start()
    capture.write(ramp(N))
    pj["port"] = create_audio_port(capture, PcmRing())
    pj["sink"] = PcmSink("far-ear")
    pj["port"].startTransmit(pj["sink"])
    wait_until(lambda: pj["sink"].tape.seconds() > SECONDS + 0.5, 5, "the ramp to cross")
    got = array.array("h", pj["sink"].tape.snapshot())
    start = got.index(1)
    assert got[start : start + N].tobytes() == ramp(N)
    assert pj["port"].errors == 0
    assert capture.stats().corrections == 0
    assert capture.stats().underruns <= 1  # when the ramp ran out


def test_bridge_to_playback_ring_is_sample_exact_and_cheap(
    pj_objects: tuple[LabEndpoint, dict[str, Any]],
    record_property: Any,
) -> None:
    _, pj = pj_objects
    playback = roomy_ring()
    playback.start()
    pj["port"] = create_audio_port(PcmRing(), playback)
    pj["source"] = PcmSource("ramp", ramp(N) + bytes(32000))
    pj["source"].startTransmit(pj["port"])
    pj["source"].playing.set()
    wait_until(lambda: playback.stats().fill_ms >= SECONDS * 1000 + 200, 5, "the ramp to arrive")
    out = bytearray(2 * N + 32000)
    playback.read_into(out)
    got = array.array("h", bytes(out))
    start = got.index(1)
    assert got[start : start + N].tobytes() == ramp(N)
    frames = pj["port"].frames_received + pj["port"].frames_requested
    per_callback_us = pj["port"].busy_ns / 1000 / frames
    record_property("port_us_per_callback", round(per_callback_us, 1))
    # bytes(frame.buf) alone costs 250-700 µs here: a slow path would show
    assert per_callback_us < 200, f"{per_callback_us:.0f} µs per callback"
    assert pj["port"].errors == 0
