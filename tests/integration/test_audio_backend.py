"""SoundDeviceBackend against a private PulseAudio: devices, errors, a device that goes away."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from softphone.audio.errors import AudioError, DeviceNotFound
from softphone.audio.ring import PcmRing
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from tests.audio.pulse import PulseServer, available
from tests.support.process import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def backend(pulse: PulseServer) -> SoundDeviceBackend:
    backend = SoundDeviceBackend()
    backend.refresh()  # PortAudio may have enumerated before PULSE_SERVER was set
    return backend


def test_lists_the_pulse_devices_with_stable_ids(backend: SoundDeviceBackend) -> None:
    inputs = backend.input_devices()
    outputs = backend.output_devices()
    assert "ALSA:default" in [d.id for d in inputs]
    assert "ALSA:default" in [d.id for d in outputs]
    default_in, default_out = backend.default_input(), backend.default_output()
    assert default_in is not None and default_in.is_input
    assert default_out is not None and default_out.is_output
    backend.refresh()
    assert [d.id for d in backend.input_devices()] == [d.id for d in inputs]


def test_opens_a_named_device_and_moves_audio_both_ways(backend: SoundDeviceBackend) -> None:
    capture, playback = PcmRing(target_ms=30), PcmRing(target_ms=30)
    stream = backend.open_duplex(capture, playback, input_id="ALSA:pulse", output_id="ALSA:pulse")
    try:
        assert stream.input_device is not None and stream.input_device.id == "ALSA:pulse"
        assert capture.active and playback.active
        wait_until(
            lambda: stream.stats().input_blocks > 10 and stream.stats().output_blocks > 10,
            5,
            "both directions to run",
        )
        wait_until(lambda: capture.stats().fill_ms > 0, 5, "microphone audio in the ring")
        with pytest.raises(AudioError, match="Close the audio stream"):
            backend.refresh()
    finally:
        stream.close()
    stream.close()
    assert not capture.active and not playback.active
    backend.refresh()  # allowed again


def test_an_unknown_device_is_refused_with_a_readable_message(backend: SoundDeviceBackend) -> None:
    with pytest.raises(DeviceNotFound, match="“USB headset” is not connected"):
        backend.open_duplex(PcmRing(), PcmRing(), input_id="USB headset")
    with pytest.raises(DeviceNotFound, match="speaker"):
        backend.open_duplex(PcmRing(), PcmRing(), output_id="nope")


@pytest.mark.skipif(not available(), reason="PulseAudio is not installed")
def test_a_sound_server_that_quits_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = PulseServer(tmp_path / "doomed").start(warm_mic=False)
    try:
        for key, value in server.client_env.items():
            monkeypatch.setenv(key, value)
        backend = SoundDeviceBackend()
        backend.refresh()
        errors: list[str] = []
        got_error = threading.Event()

        def on_error(message: str) -> None:  # PortAudio's thread
            errors.append(message)
            got_error.set()

        stream = backend.open_duplex(PcmRing(), PcmRing(), on_error=on_error)
        wait_until(lambda: stream.stats().output_blocks > 0, 5, "the stream to run")
        assert server.daemon is not None
        server.daemon.stop()
        assert got_error.wait(5), "no error reported"
        wait_until(lambda: len(errors) == 2, 5, "both directions to report")
        assert all("stopped working" in m for m in errors)
        stream.close()
    finally:
        server.stop()


def test_an_output_only_stream_drains_its_ring_and_blocks_a_rescan(
    backend: SoundDeviceBackend,
) -> None:
    ring = PcmRing(target_ms=30)
    stream = backend.open_output(ring, "ALSA:pulse")
    try:
        assert stream.input_device is None
        assert stream.output_device is not None and stream.output_device.id == "ALSA:pulse"
        assert ring.active
        wait_until(lambda: stream.stats().output_blocks > 10, 5, "the speaker to run")
        assert stream.stats().input_blocks == 0
        with pytest.raises(AudioError, match="Close the audio stream"):
            backend.refresh()
    finally:
        stream.close()
    assert not ring.active
    backend.refresh()
