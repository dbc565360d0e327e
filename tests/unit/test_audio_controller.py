"""AudioController against in-process fake backends: open, switch, loss and recovery, stalls,
a backlog outside the rings, moving back to the chosen devices, the ringer output, levels."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from softphone.audio.backend import AudioDevice, ErrorCallback, StreamStats
from softphone.audio.controller import AudioController
from softphone.audio.device_events import (
    AudioDeviceEvent,
    AudioDeviceLost,
    AudioDeviceRestored,
    AudioDevicesOpened,
    AudioLatencyReset,
    RingerLost,
    RingerOpened,
)
from softphone.audio.errors import AudioError, DeviceNotFound
from softphone.audio.levels import FLOOR_DBFS
from softphone.audio.ring import AudioRings, PcmRing
from tests.support.process import wait_until

TIMEOUT = 5.0
DEFAULT_IN, DEFAULT_OUT = "builtin-mic", "builtin-speaker"
HEADSET = "headset"  # both a microphone and a speaker


def _device(dev_id: str, inputs: int, outputs: int) -> AudioDevice:
    return AudioDevice(dev_id, dev_id.title(), "Fake", inputs, outputs)


class FakeStream:
    """Counts no blocks unless ``moving`` (then one more per ``stats`` call, per direction); if
    ``backlogged`` its microphone's queue outside the rings grows by 20 ms per ``stats`` call."""

    def __init__(
        self,
        mic: AudioDevice | None,
        speaker: AudioDevice,
        rings: tuple[PcmRing, ...],
        on_error: ErrorCallback | None,
        *,
        moving: bool = False,
        backlogged: bool = False,
    ) -> None:
        self.backlogged = backlogged
        self.input_device: AudioDevice | None = mic
        self.output_device: AudioDevice | None = speaker
        self.on_error = on_error
        self.closed = False
        self.moving = moving
        self.blocks = 0
        self.checks = 0
        self._rings = rings
        for ring in rings:
            ring.start()

    def stats(self) -> StreamStats:
        self.checks += 1
        if self.moving:
            self.blocks += 1
        mic_blocks = self.blocks if self.input_device is not None else 0
        in_queue = 15.0 + 20.0 * self.checks if self.backlogged else 15.0
        return StreamStats(
            0.0, 0.0, 0, 0, mic_blocks, self.blocks, input_queue_ms=in_queue, output_queue_ms=20.0
        )

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
        self.moving = False  # new streams count blocks
        self.backlogged = False  # new streams report a growing microphone backlog
        self.streams: list[FakeStream] = []
        self.ringers: list[FakeStream] = []
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
            stream = FakeStream(
                mic,
                speaker,
                (capture, playback),
                on_error,
                moving=self.moving,
                backlogged=self.backlogged,
            )
            self.streams.append(stream)
            return stream

    def open_output(
        self,
        ring: PcmRing,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> FakeStream:
        with self._lock:
            assert all(s.closed for s in self.ringers), "two ringer streams open at once"
            if self.broken:
                raise AudioError("no sound server")
            speaker = self._find(output_id, DEFAULT_OUT)
            stream = FakeStream(None, speaker, (ring,), on_error, moving=self.moving)
            self.ringers.append(stream)
            return stream

    @property
    def current(self) -> FakeStream:
        return self.streams[-1]

    def any_open(self) -> bool:
        return any(not s.closed for s in self.streams + self.ringers)


class ScanningBackend(FakeBackend):
    """Like PortAudio: lists and opens what the last ``refresh`` saw, refuses to re-scan with a
    stream open, and hints when the hardware differs from that scan."""

    def __init__(self) -> None:
        super().__init__()
        self.scanned = dict(self.present)
        self.refused = 0

    def refresh(self) -> None:
        with self._lock:
            if self.any_open():
                self.refused += 1
                raise AudioError("Close the audio stream before looking for new devices.")
            self.refreshes += 1
            self.scanned = dict(self.present)

    def devices_changed(self) -> bool:
        return self.scanned.keys() != self.present.keys()

    def input_devices(self) -> list[AudioDevice]:
        return [d for d in self.scanned.values() if d.is_input]

    def output_devices(self) -> list[AudioDevice]:
        return [d for d in self.scanned.values() if d.is_output]

    def _find(self, dev_id: str | None, default: str) -> AudioDevice:
        key = default if dev_id is None else dev_id
        if key not in self.scanned or key not in self.present:
            raise DeviceNotFound(f"{key} is not connected")
        return self.scanned[key]


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


def fast_controller(backend: FakeBackend, rings: AudioRings, events: Events) -> AudioController:
    """Watching every 10 ms, a stall after 50 ms (no start-up grace), a look for the chosen
    devices every 10 ms."""
    return AudioController(
        backend,
        rings,
        events,
        backoff_initial_s=0.01,
        backoff_max_s=0.04,
        watch_interval_s=0.01,
        stall_s=0.05,
        start_grace_s=0.0,
        return_interval_s=0.01,
    )


@pytest.fixture
def watched(backend: FakeBackend, rings: AudioRings, events: Events) -> Iterator[AudioController]:
    controller = fast_controller(backend, rings, events)
    yield controller
    controller.close()


def test_a_stream_that_stops_moving_is_lost_and_recovered(
    watched: AudioController, backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    backend.moving = True
    watched.open(HEADSET, HEADSET)
    stuck = backend.current
    wait_until(lambda: stuck.checks >= 5, TIMEOUT, "the watchdog to look at the stream")
    stuck.moving = False  # no error, no blocks: a hung device
    wait_until(lambda: bool(events.of(AudioDeviceRestored)), TIMEOUT, "the recovery")
    lost = events.of(AudioDeviceLost)
    assert len(lost) == 1 and isinstance(lost[0], AudioDeviceLost)
    assert lost[0].reason.startswith("The microphone stopped responding (no audio for 0.")
    assert stuck.closed and backend.current is not stuck and not backend.current.closed
    assert events.items[-1] == AudioDeviceRestored(
        HEADSET, "Headset", HEADSET, "Headset", fallback=False, attempts=1
    )
    assert rings.capture.active and rings.playback.active


def test_a_stream_that_never_started_is_not_judged(
    watched: AudioController, backend: FakeBackend, events: Events
) -> None:
    watched.open()  # counts nothing from the start (a device slow to deliver its first block)
    stream = backend.current
    wait_until(lambda: stream.checks >= 20, TIMEOUT, "many looks at the stream (0.2 s)")
    assert not events.of(AudioDeviceLost) and not stream.closed


def backlog_controller(
    backend: FakeBackend, rings: AudioRings, events: Events, *, guard: bool
) -> AudioController:
    """Watching every 10 ms, no start-up grace; a backlog above 250 ms for 50 ms is reset, at
    most once a minute."""
    return AudioController(
        backend,
        rings,
        events,
        watch_interval_s=0.01,
        start_grace_s=0.0,
        backlog_guard=guard,
        backlog_ms=250.0,
        backlog_s=0.05,
        backlog_reset_interval_s=60.0,
    )


def test_a_growing_backlog_reopens_the_same_devices_once(
    backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    backend.moving = backend.backlogged = True  # and every reopened stream piles up again
    controller = backlog_controller(backend, rings, events, guard=True)
    try:
        controller.open(HEADSET, HEADSET)
        first = backend.current
        wait_until(lambda: bool(events.of(AudioLatencyReset)), TIMEOUT, "the latency reset")
        second = backend.current
        assert first.closed and second is not first and not second.closed
        # the new stream's backlog passes the threshold too: no second reset (not in a loop)
        wait_until(lambda: second.checks >= 60, TIMEOUT, "many looks at the new stream")
        assert len(backend.streams) == 2 and not second.closed
        resets = events.of(AudioLatencyReset)
        assert len(resets) == 1 and isinstance(resets[0], AudioLatencyReset)
        assert resets[0].direction == "input" and resets[0].backlog_ms > 250.0
        assert not events.of(AudioDeviceLost) and not events.of(AudioDeviceRestored)
        assert controller.choice == (HEADSET, HEADSET) and controller.stream is second
        assert second.input_device is not None and second.input_device.id == HEADSET
        assert rings.capture.active and rings.playback.active  # the call goes on
    finally:
        controller.close()


def test_a_short_backlog_or_a_disabled_guard_is_left_alone(
    backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    backend.moving = backend.backlogged = True
    controller = backlog_controller(backend, rings, events, guard=False)
    try:
        controller.open()
        stream = backend.current
        wait_until(lambda: stream.checks >= 40, TIMEOUT, "many looks at the stream")
        assert not events.of(AudioLatencyReset) and not stream.closed
    finally:
        controller.close()
    backend.backlogged = False  # 15 ms: normal
    controller = backlog_controller(backend, rings, events, guard=True)
    try:
        controller.open()
        stream = backend.current
        wait_until(lambda: stream.checks >= 40, TIMEOUT, "many looks at the stream")
        assert not events.of(AudioLatencyReset) and not stream.closed
    finally:
        controller.close()


def test_moves_back_to_the_chosen_devices_when_they_return(
    watched: AudioController, backend: FakeBackend, events: Events
) -> None:
    """A backend that can re-scan with a stream open (e.g. Qt) is simply re-scanned."""
    watched.open(HEADSET, HEADSET)
    headset = backend.present.pop(HEADSET)
    backend.current.fail()
    wait_until(lambda: watched.fallback, TIMEOUT, "the fallback")
    fallback_stream = backend.current
    assert fallback_stream.output_device == backend.present[DEFAULT_OUT]
    refreshes = backend.refreshes
    wait_until(lambda: backend.refreshes > refreshes + 3, TIMEOUT, "looks for the headset")
    assert backend.current is fallback_stream and not fallback_stream.closed

    backend.present[HEADSET] = headset  # plugged in again
    wait_until(lambda: not watched.fallback, TIMEOUT, "the move back")
    assert fallback_stream.closed and backend.current.input_device == headset
    assert events.items[1:] == [
        AudioDeviceLost("unplugged"),
        AudioDeviceRestored(
            DEFAULT_IN, "Builtin-Mic", DEFAULT_OUT, "Builtin-Speaker", fallback=True, attempts=1
        ),
        AudioDeviceRestored(HEADSET, "Headset", HEADSET, "Headset", fallback=False, attempts=1),
    ]
    assert watched.choice == (HEADSET, HEADSET)


def test_a_backend_that_cannot_rescan_while_open_is_only_closed_when_the_hardware_changed(
    rings: AudioRings, events: Events
) -> None:
    backend = ScanningBackend()
    controller = fast_controller(backend, rings, events)
    try:
        controller.open(HEADSET, HEADSET)
        controller.set_ringer(DEFAULT_OUT)
        headset = backend.present.pop(HEADSET)
        backend.current.fail()
        wait_until(lambda: controller.fallback, TIMEOUT, "the fallback")
        fallback_stream, ringer = backend.current, backend.ringers[-1]
        opens = backend.opens
        # re-scans are refused while streams are open, and nothing changed: no gap is made
        wait_until(lambda: backend.refused >= 5, TIMEOUT, "several looks")
        assert backend.current is fallback_stream and not fallback_stream.closed
        assert backend.opens == opens and not ringer.closed

        backend.present[HEADSET] = headset  # the hint: the hardware differs from the last scan
        wait_until(lambda: not controller.fallback, TIMEOUT, "the move back")
        assert fallback_stream.closed and backend.current.input_device == headset
        assert backend.opens == opens + 1  # closed once for the re-scan, reopened on the choice
        assert ringer.closed and not backend.ringers[-1].closed  # the ringer reopened too
        assert rings.ringer.active and rings.playback.active
        assert events.items[-1] == AudioDeviceRestored(
            HEADSET, "Headset", HEADSET, "Headset", fallback=False, attempts=1
        )
        assert not events.of(RingerLost)
    finally:
        controller.close()
    assert not backend.any_open()


def test_the_ringer_plays_on_its_own_output_and_is_reopened_after_a_loss(
    watched: AudioController, backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    watched.open()
    assert not rings.ringer.active  # no separate ringer: the ringtone goes to the speaker
    watched.set_ringer(HEADSET)
    ringer = backend.ringers[-1]
    assert rings.ringer.active and watched.ringer is ringer
    assert ringer.input_device is None and ringer.output_device == backend.present[HEADSET]
    assert events.items[-1] == RingerOpened(HEADSET, "Headset")

    headset = backend.present.pop(HEADSET)
    ringer.fail("The speaker stopped working")
    wait_until(lambda: bool(events.of(RingerLost)), TIMEOUT, "the ringer's loss")
    assert ringer.closed and not rings.ringer.active and watched.ringer is None
    assert not backend.current.closed  # the call stream is not touched
    assert not events.of(AudioDeviceLost)
    assert watched.ringer_choice == HEADSET
    backend.present[HEADSET] = headset
    wait_until(lambda: len(events.of(RingerOpened)) == 2, TIMEOUT, "the ringer back")
    assert rings.ringer.active and not backend.ringers[-1].closed

    watched.set_ringer(None)
    assert backend.ringers[-1].closed and not rings.ringer.active and watched.ringer is None
    with pytest.raises(DeviceNotFound):
        watched.set_ringer("usb")
    assert watched.ringer_choice is None and not rings.ringer.active


def test_a_stalled_ringer_is_closed_and_reported(
    watched: AudioController, backend: FakeBackend, rings: AudioRings, events: Events
) -> None:
    backend.moving = True
    watched.set_ringer(DEFAULT_OUT)
    ringer = backend.ringers[-1]
    wait_until(lambda: ringer.checks >= 3, TIMEOUT, "the watchdog to look at the ringer")
    backend.broken = True  # nothing opens any more
    ringer.moving = False
    wait_until(lambda: bool(events.of(RingerLost)), TIMEOUT, "the ringer's loss")
    lost = events.of(RingerLost)[0]
    assert isinstance(lost, RingerLost) and "speaker stopped responding" in lost.reason
    assert ringer.closed and not rings.ringer.active
    backend.broken = False
    wait_until(lambda: rings.ringer.active, TIMEOUT, "the ringer back")
    watched.close()
    assert not rings.ringer.active and backend.ringers[-1].closed


def test_levels_of_the_microphone_and_the_speaker(
    controller: AudioController, rings: AudioRings
) -> None:
    assert controller.levels().mic.peak_dbfs == FLOOR_DBFS  # nothing open
    controller.open()
    half_scale = (b"\x00\x40" + b"\x00\xc0") * 400  # +-16384: -6 dBFS
    rings.capture.write(half_scale)
    levels = controller.levels()
    assert levels.mic.peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert levels.speaker.peak_dbfs == FLOOR_DBFS
