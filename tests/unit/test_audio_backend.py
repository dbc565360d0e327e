"""The backend seam: the null backend, and the fallback when PortAudio is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from softphone.audio import sounddevice_backend
from softphone.audio.backend import NullBackend, default_backend
from softphone.audio.errors import AudioUnavailable
from softphone.audio.ring import PcmRing


def test_null_backend_has_no_devices_and_leaves_the_rings_silent() -> None:
    backend = NullBackend()
    backend.refresh()
    assert backend.input_devices() == backend.output_devices() == []
    assert backend.default_input() is None and backend.default_output() is None
    capture, playback = PcmRing(), PcmRing()
    stream = backend.open_duplex(capture, playback, input_id="x", output_id="y")
    assert not capture.active and not playback.active  # the SIP side runs on silence
    assert stream.input_device is None and stream.output_device is None
    assert stream.stats().input_blocks == 0
    stream.close()
    stream.close()


def test_missing_portaudio_is_a_clear_error_and_the_default_falls_back_to_null(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = importlib.import_module

    def no_portaudio(name: str, package: str | None = None) -> ModuleType:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, package)

    monkeypatch.setattr(sounddevice_backend.importlib, "import_module", no_portaudio)
    with pytest.raises(AudioUnavailable, match="libportaudio2"):
        sounddevice_backend.SoundDeviceBackend()
    assert isinstance(default_backend(), NullBackend)
