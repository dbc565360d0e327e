"""AudioController on PortAudio against a private PulseAudio: switching devices mid-stream, and a
sound server that quits and comes back (a real PortAudio stream error, then a real reopen).

Suspending or unloading the sink does not make PortAudio report anything here (a suspended sink
stalls the stream silently, an unloaded one has its stream moved), and this pactl has no
kill-client; a daemon that quits does end the streams with an error, so that is the loss used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.audio.backend import AudioStream
from softphone.audio.controller import AudioController
from softphone.audio.device_events import (
    AudioDeviceEvent,
    AudioDeviceLost,
    AudioDeviceRestored,
    AudioDevicesOpened,
)
from softphone.audio.ring import AudioRings
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from tests.audio.pulse import PulseServer, available
from tests.support.process import wait_until

pytestmark = pytest.mark.integration

TIMEOUT = 10.0


class Events(list[AudioDeviceEvent]):
    """The controller's events; list.append is atomic, so any thread may add."""

    def of(self, kind: type[AudioDeviceEvent]) -> list[AudioDeviceEvent]:
        return [e for e in list(self) if isinstance(e, kind)]


def _flowing(stream: AudioStream | None, rings: AudioRings) -> bool:
    """Both directions of this stream run and microphone audio reaches the capture ring."""
    if stream is None:
        return False
    stats = stream.stats()
    return (
        stats.input_blocks > 10 and stats.output_blocks > 10 and rings.capture.stats().fill_ms > 0
    )


@pytest.fixture
def rings() -> AudioRings:
    return AudioRings.create()


def test_switch_moves_a_running_stream_to_another_device(
    pulse: PulseServer, rings: AudioRings
) -> None:
    backend = SoundDeviceBackend()
    events = Events()
    controller = AudioController(backend, rings, events.append)
    try:
        inputs, outputs = controller.devices()  # re-scans: PULSE_SERVER now points at `pulse`
        assert {"ALSA:pulse", "ALSA:default"} <= {d.id for d in inputs}
        assert {"ALSA:pulse", "ALSA:default"} <= {d.id for d in outputs}
        controller.open()
        first = controller.stream
        wait_until(lambda: _flowing(first, rings), TIMEOUT, "audio on the default devices")

        controller.switch("ALSA:pulse", "ALSA:pulse")
        second = controller.stream
        assert second is not first and second is not None
        assert second.output_device is not None and second.output_device.id == "ALSA:pulse"
        wait_until(lambda: _flowing(second, rings), TIMEOUT, "audio on the switched devices")
        assert events == [
            AudioDevicesOpened("ALSA:default", "default", "ALSA:default", "default"),
            AudioDevicesOpened("ALSA:pulse", "pulse", "ALSA:pulse", "pulse"),
        ]
    finally:
        controller.close()
    assert not rings.capture.active and not rings.playback.active


@pytest.fixture
def doomed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PulseServer]:
    """A private PulseAudio of this test's own, which it stops and starts again."""
    if not available():
        pytest.fail("PulseAudio is not installed: run scripts/test, which installs it")
    server = PulseServer(tmp_path / "doomed").start(warm_mic=False)
    for key, value in server.client_env.items():
        monkeypatch.setenv(key, value)
    try:
        yield server
    finally:
        server.stop()


def test_a_sound_server_that_quits_is_reported_and_picked_up_when_it_returns(
    doomed: PulseServer, rings: AudioRings
) -> None:
    backend = SoundDeviceBackend()
    events = Events()
    controller = AudioController(
        backend, rings, events.append, backoff_initial_s=0.05, backoff_max_s=0.2
    )
    try:
        controller.devices()  # re-scan against `doomed`
        controller.open("ALSA:pulse", "ALSA:pulse")
        first = controller.stream
        wait_until(lambda: _flowing(first, rings), TIMEOUT, "audio before the loss")

        assert doomed.daemon is not None
        doomed.stop()  # the server quits: PortAudio ends both streams with an error
        wait_until(lambda: bool(events.of(AudioDeviceLost)), TIMEOUT, "the loss to be reported")
        lost = events.of(AudioDeviceLost)
        assert len(lost) == 1 and "stopped working" in lost[0].reason  # type: ignore[union-attr]
        # nothing to open while the server is gone: the controller keeps retrying
        wait_until(lambda: controller.recovering, TIMEOUT, "the retrying")
        assert controller.stream is None and not rings.playback.active

        doomed.start(warm_mic=False)  # the server (and so the device) comes back
        wait_until(lambda: bool(events.of(AudioDeviceRestored)), TIMEOUT, "the recovery")
        restored = events.of(AudioDeviceRestored)[0]
        assert isinstance(restored, AudioDeviceRestored)
        # Normally the chosen device; the default only if PortAudio's re-scan caught the server
        # half-way up (listing "default" but not yet "pulse"), and then it says it fell back.
        assert restored.input_id == restored.output_id
        assert restored.fallback == (restored.input_id != "ALSA:pulse")
        assert controller.choice == ("ALSA:pulse", "ALSA:pulse")
        second = controller.stream
        assert second is not None and second is not first
        wait_until(lambda: _flowing(second, rings), TIMEOUT, "audio after the recovery")
        assert len(events.of(AudioDeviceLost)) == 1
    finally:
        controller.close()
    assert controller.stream is None and not rings.playback.active
