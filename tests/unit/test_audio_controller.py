"""AudioController against an in-process fake backend: open, switch, loss and recovery."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from softphone.audio.backend import AudioDevice, ErrorCallback, StreamStats
from softphone.audio.controller import (
    AudioController,
    AudioDeviceEvent,
    AudioDeviceLost,
    AudioDeviceRestored,
    AudioDevicesOpened,
)
from softphone.audio.errors import AudioError, DeviceNotFound
from softphone.audio.ring import AudioRings, PcmRing
from tests.support.process import wait_until

TIMEOUT = 5.0
DEFAULT_IN, DEFAULT_OUT = "builtin-mic", "builtin-speaker"
HEADSET = "headset"  # both a microphone and a speaker


def _device(dev_id: str, inputs: int, outputs: int) -> AudioDevice:
    return AudioDevice(dev_id, dev_id.title(), "Fake", inputs, outputs)


class FakeStream:
    def __init__(
        self,
        mic: AudioDevice,
        speaker: AudioDevice,
        rings: tuple[PcmRing, PcmRing],
        on_error: ErrorCallback | None,
    ) -> None:
        self.input_device: AudioDevice | None = mic
        self.output_device: AudioDevice | None = speaker
        self.on_error = on_error
        self.closed = False
        self._rings = rings
        for ring in rings:
            ring.start()

    def stats(self) -> StreamStats:
        return StreamStats(0.0, 0.0, 0, 0, 0, 0)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for ring in self._rings:
                ring.stop()

    def fail(self, reason: str = "unplugged") -> None:
        """What PortAudio does when a device goes: the error arrives on another thread."""
        assert self.on_error is not None
        callback = self.on_error
        thread = threading.Thread(target=callback, args=(reason,))
        thread.start()
        thread.join(TIMEOUT)


class FakeBackend:
    """Devices that can be unplugged; every open can be made to fail."""

    name = "fake"

    def __init__(self) -> None:
        self.present = {
            DEFAULT_IN: _device(DEFAULT_IN, 1, 0),
            DEFAULT_OUT: _device(DEFAULT_OUT, 0, 2),
            HEADSET: _device(HEADSET, 1, 1),
        }
        self.broken = False  # every open fails (no sound server)
        self.streams: list[FakeStream] = []
        self.opens = 0
        self.refreshes = 0
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            self.refreshes += 1

    def input_devices(self) -> list[AudioDevice]:
        return [d for d in self.present.values() if d.is_input]

    def output_devices(self) -> list[AudioDevice]:
        return [d for d in self.present.values() if d.is_output]

    def default_input(self) -> AudioDevice | None:
        return self.present.get(DEFAULT_IN)

    def default_output(self) -> AudioDevice | None:
        return self.present.get(DEFAULT_OUT)

    def _find(self, dev_id: str | None, default: str) -> AudioDevice:
        found = self.present.get(default if dev_id is None else dev_id)
        if found is None:
            raise DeviceNotFound(f"{dev_id or default} is not connected")
        return found

    def open_duplex(
        self,
        capture: PcmRing,
        playback: PcmRing,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> FakeStream:
        with self._lock:
            self.opens += 1
            assert all(s.closed for s in self.streams), "two streams open at once"
            if self.broken:
                raise AudioError("no sound server")
            mic = self._find(input_id, DEFAULT_IN)
            speaker = self._find(output_id, DEFAULT_OUT)
            stream = FakeStream(mic, speaker, (capture, playback), on_error)
            self.streams.append(stream)
            return stream

    @property
    def current(self) -> FakeStream:
        return self.streams[-1]


class Events:
    """Collects the controller's events (from whichever thread) for the test thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[AudioDeviceEvent] = []
        self.threads: set[str] = set()

    def __call__(self, event: AudioDeviceEvent) -> None:
        with self._lock:
            self._items.append(event)
            self.threads.add(threading.current_thread().name)

    @property
    def items(self) -> list[AudioDeviceEvent]:
        with self._lock:
            return list(self._items)

    def of(self, kind: type[AudioDeviceEvent]) -> list[AudioDeviceEvent]:
        return [e for e in self.items if isinstance(e, kind)]


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def rings() -> AudioRings:
    return AudioRings.create()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def controller(
    backend: FakeBackend, rings: AudioRings, events: Events
) -> Iterator[AudioController]:
    controller = AudioController(backend, rings, events, backoff_initial_s=0.01, backoff_max_s=0.04)
    yield controller
    controller.close()


def test_opens_the_system_default_and_lists_devices(
    controller: AudioController, backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    controller.open()
    assert rings.capture.active and rings.playback.active
    assert events.items == [
        AudioDevicesOpened(DEFAULT_IN, "Builtin-Mic", DEFAULT_OUT, "Builtin-Speaker")
    ]
    assert controller.choice == (None, None)
    inputs, outputs = controller.devices()
    assert [d.id for d in inputs] == [DEFAULT_IN, HEADSET]
    assert [d.id for d in outputs] == [DEFAULT_OUT, HEADSET]
    assert backend.refreshes == 0  # no re-scan while a stream is open
    controller.close()
    controller.close()
    assert backend.current.closed and not rings.playback.active
    controller.devices()
    assert backend.refreshes == 1


def test_an_unknown_device_is_refused_and_nothing_stays_open(
    controller: AudioController, rings: AudioRings, events: Events
) -> None:
    with pytest.raises(DeviceNotFound):
        controller.open("usb", None)
    assert controller.stream is None and not rings.capture.active
    assert events.items == []


def test_switch_moves_to_other_devices_and_keeps_the_rings(
    controller: AudioController, backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    controller.open()
    first = backend.current
    controller.switch(HEADSET, HEADSET)
    assert first.closed and not backend.current.closed
    assert backend.current.input_device == backend.present[HEADSET]
    assert rings.capture.active and rings.playback.active
    assert controller.choice == (HEADSET, HEADSET)
    assert events.items[-1] == AudioDevicesOpened(HEADSET, "Headset", HEADSET, "Headset")

    # a device that is not there: the previous ones come back and the error is raised
    with pytest.raises(DeviceNotFound):
        controller.switch("usb", None)
    assert controller.choice == (HEADSET, HEADSET)
    assert backend.current.input_device == backend.present[HEADSET]
    assert not backend.current.closed
    assert not events.of(AudioDeviceLost)


def test_a_lost_device_falls_back_to_the_default_on_the_worker_thread(
    controller: AudioController, backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    controller.open(HEADSET, HEADSET)
    broken = backend.current
    del backend.present[HEADSET]
    broken.fail("The speaker stopped working")
    broken.fail("The microphone stopped working")  # the second direction: no second loss
    wait_until(lambda: bool(events.of(AudioDeviceRestored)), TIMEOUT, "the fallback")
    assert broken.closed
    assert events.items[1:] == [
        AudioDeviceLost("The speaker stopped working"),
        AudioDeviceRestored(
            DEFAULT_IN, "Builtin-Mic", DEFAULT_OUT, "Builtin-Speaker", fallback=True, attempts=1
        ),
    ]
    assert controller.choice == (HEADSET, HEADSET)  # still the user's choice
    assert rings.capture.active and rings.playback.active
    assert "audio-devices" in events.threads


def test_retries_until_the_device_comes_back(
    controller: AudioController, backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    controller.open(HEADSET, HEADSET)
    backend.broken = True  # the sound server is gone: nothing opens
    backend.current.fail()
    wait_until(lambda: backend.opens >= 7, TIMEOUT, "several retries")
    assert events.of(AudioDeviceLost) and not events.of(AudioDeviceRestored)
    assert controller.stream is None and not rings.playback.active
    backend.broken = False
    wait_until(lambda: bool(events.of(AudioDeviceRestored)), TIMEOUT, "the device back")
    restored = events.of(AudioDeviceRestored)[0]
    assert isinstance(restored, AudioDeviceRestored)
    assert restored.input_id == HEADSET and not restored.fallback and restored.attempts >= 4
    assert rings.playback.active
    # the recovered stream is watched too
    backend.current.fail()
    wait_until(lambda: len(events.of(AudioDeviceRestored)) == 2, TIMEOUT, "a second recovery")


def test_close_stops_the_retrying(
    controller: AudioController, backend: FakeBackend, events: Events
) -> None:
    controller.open()
    backend.broken = True
    backend.current.fail()
    wait_until(lambda: backend.opens >= 3, TIMEOUT, "retries")
    controller.close()
    after_close = backend.opens
    backend.broken = False
    # the worker is joined by close(): no further attempt can happen
    assert not any(t.name == "audio-devices" for t in threading.enumerate())
    assert backend.opens == after_close
    assert not events.of(AudioDeviceRestored) and controller.stream is None
    controller.close()


def test_a_switch_during_recovery_ends_it(
    controller: AudioController, backend: FakeBackend, events: Events
) -> None:
    controller.open()
    del backend.present[DEFAULT_IN], backend.present[DEFAULT_OUT]  # the defaults are gone
    backend.current.fail()
    wait_until(lambda: backend.opens >= 3, TIMEOUT, "retries")
    assert controller.recovering
    controller.switch(HEADSET, HEADSET)  # the user picks a device that is there
    opens, stream = backend.opens, backend.current
    # the worker sees the new stream at its next attempt and stops without opening another
    wait_until(lambda: not controller.recovering, TIMEOUT, "the worker to go idle")
    assert backend.opens == opens and backend.current is stream and not stream.closed
    assert not events.of(AudioDeviceRestored)
    assert events.items[-1] == AudioDevicesOpened(HEADSET, "Headset", HEADSET, "Headset")
