"""The backlog guard against a private PulseAudio: audio piled up outside the rings is dropped.

The virtual speaker is looped back into a virtual microphone, so a click written into the
playback ring comes back into the capture ring after the bridge's round trip outside pjsua2
(~100 ms here). A test hook makes the first stream's microphone callback late (200 ms every 10th
block, for as long as that stream lives): PulseAudio queues what the callback has not taken, the
input's age in PortAudio's timestamps grows, and so does the real round trip. With the guard the
controller reopens the stream and the round trip is back to normal; without it, it stays high.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from softphone.audio.controller import AudioController
from softphone.audio.device_events import (
    AudioDeviceEvent,
    AudioDeviceLost,
    AudioLatencyReset,
)
from softphone.audio.ring import FRAME_SAMPLES, SAMPLE_BYTES, AudioRings
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from tests.audio.pulse import SPEAKER, PulseServer
from tests.audio.tones import first_loud, pcm, tone
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

RATE = 16_000
LOOP = "loop"
NORMAL_MS = 200.0
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_BYTES


class InputStall:
    """The test hook: once armed, the first stream's microphone callback is late, 200 ms every
    10th block (it then delivers 100 ms of audio per ~300 ms); later streams run normally."""

    def __init__(self) -> None:
        self.armed = threading.Event()
        self._blocks = 0

    def __call__(self, direction: str, serial: int) -> None:  # PortAudio's thread
        if direction == "input" and serial == 1 and self.armed.is_set():
            self._blocks += 1
            if self._blocks % 10 == 0:
                time.sleep(0.2)


class Bridge:
    """Stands in for pjmedia's clock: every 20 ms one frame into the playback ring (silence, or
    a click when asked) and one out of the capture ring onto a tape, in lockstep, so a click
    written at frame n is at sample n * FRAME_SAMPLES of the tape when heard without delay."""

    def __init__(self, rings: AudioRings) -> None:
        self._rings = rings
        self._lock = threading.Lock()
        self._tape = bytearray()
        self._click_at: int | None = None
        self._send = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-clock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        click = tone(1000.0, 0.02)
        silence, heard = bytes(FRAME_BYTES), bytearray(FRAME_BYTES)
        frames, due = 0, time.monotonic()
        while not self._stop.is_set():
            if self._send.is_set():
                self._send.clear()
                self._rings.playback.write(click)
                with self._lock:
                    self._click_at = frames * FRAME_SAMPLES
            else:
                self._rings.playback.write(silence)
            self._rings.capture.read_into(heard)
            with self._lock:
                self._tape += heard
            frames += 1
            due += FRAME_SAMPLES / RATE
            self._stop.wait(max(due - time.monotonic(), 0.0))  # the clock's pace, not a wait

    def round_trip_ms(self, timeout: float = 8.0) -> float:
        """Send one click and time its way back (the loop carries nothing else)."""
        with self._lock:
            self._click_at = None
        self._send.set()
        found: list[float] = []

        def heard() -> bool:
            with self._lock:
                sent, tape = self._click_at, bytes(self._tape)
            if sent is None:
                return False
            onset = first_loud(pcm(tape[sent * SAMPLE_BYTES :]))
            if onset is not None:
                found.append(onset / RATE * 1000)
            return bool(found)

        wait_until(heard, timeout, "the click to come back")
        # let it pass before the next one is sent
        wait_until(self._quiet_after_click, timeout, "the loop to fall silent")
        return found[0]

    def _quiet_after_click(self) -> bool:
        with self._lock:
            tail = bytes(self._tape[-RATE // 5 * SAMPLE_BYTES :])
        return first_loud(pcm(tail)) is None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def loop(private_pulse: PulseServer) -> PulseServer:
    """The private PulseAudio with a default microphone that hears the virtual speaker."""
    private_pulse.pactl(
        "load-module", "module-remap-source", f"source_name={LOOP}", f"master={SPEAKER}.monitor"
    )
    private_pulse.pactl("set-default-source", LOOP)
    return private_pulse


@pytest.fixture
def rings() -> Iterator[AudioRings]:
    yield AudioRings.create()


def _run_with_stall(rings: AudioRings, *, guard: bool) -> tuple[float, float, list[object]]:
    """(round trip before, round trip after the backlog built up, events)."""
    stall = InputStall()
    backend = SoundDeviceBackend(callback_hook=stall)
    backend.refresh()  # PortAudio may have enumerated before PULSE_SERVER was set
    events: list[AudioDeviceEvent] = []
    controller = AudioController(backend, rings, events.append, backlog_guard=guard)
    bridge = Bridge(rings)
    try:
        controller.open()
        first = controller.stream
        assert first is not None
        del events[:]  # AudioDevicesOpened
        wait_until(
            lambda: first.stats().input_blocks > 100 and first.stats().output_blocks > 100,
            15,
            "both directions to run",
        )
        before = bridge.round_trip_ms()
        stall.armed.set()
        if guard:
            wait_until(
                lambda: any(isinstance(e, AudioLatencyReset) for e in events),
                20,
                "the backlog guard to act",
            )
            stream = controller.stream
            assert stream is not None and stream is not first
            wait_until(lambda: stream.stats().input_blocks > 100, 15, "the reopened stream")
        else:
            wait_until(lambda: first.stats().input_queue_ms > 1000, 20, "a backlog of a second")
            assert controller.stream is first
        after = bridge.round_trip_ms()
        return before, after, list(events)
    finally:
        bridge.stop()
        controller.close()


def test_the_guard_drops_a_backlog_and_the_round_trip_returns_to_normal(
    loop: PulseServer, rings: AudioRings
) -> None:
    before, after, events = _run_with_stall(rings, guard=True)
    assert before < NORMAL_MS, f"round trip {before:.0f} ms before the stall"
    assert len(events) == 1 and isinstance(events[0], AudioLatencyReset), events
    assert events[0].direction == "input" and events[0].backlog_ms > 250.0
    assert not any(isinstance(e, AudioDeviceLost) for e in events)
    assert after < NORMAL_MS, f"round trip {after:.0f} ms after the guard acted"


def test_without_the_guard_the_backlog_stays(loop: PulseServer, rings: AudioRings) -> None:
    before, after, events = _run_with_stall(rings, guard=False)
    assert before < NORMAL_MS, f"round trip {before:.0f} ms before the stall"
    assert not events
    assert after > 500.0, f"round trip {after:.0f} ms with a backlog of over a second"
