"""The backend seam: the null backend, and the fallback when PortAudio is missing."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from softphone.audio import sounddevice_backend
from softphone.audio.backend import NullBackend, RescanHint, default_backend
from softphone.audio.errors import AudioError, AudioUnavailable
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
    ringer = PcmRing()
    output = backend.open_output(ringer, "z")
    assert not ringer.active and output.input_device is None
    output.close()
    assert not isinstance(backend, RescanHint)  # it has nothing to re-scan


def test_portaudio_hints_at_a_rescan_when_the_sound_cards_change(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n")
    backend = sounddevice_backend.SoundDeviceBackend(cards_file=cards)
    assert isinstance(backend, RescanHint)
    assert not backend.devices_changed()
    cards.write_text(cards.read_text() + " 1 [Headset        ]: USB-Audio - USB Headset\n")
    assert backend.devices_changed()
    backend.refresh()
    assert not backend.devices_changed()
    cards.unlink()  # no ALSA at all (or not Linux): no hint, never a change
    assert backend.devices_changed()
    backend.refresh()
    assert not backend.devices_changed()
    assert not sounddevice_backend.SoundDeviceBackend(cards_file=None).devices_changed()


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


def test_a_missing_sounddevice_module_is_a_clear_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A bundle that left the module out crashed the app at start with a traceback.
    real_import = importlib.import_module

    def no_module(name: str, package: str | None = None) -> ModuleType:
        if name == "sounddevice":
            raise ModuleNotFoundError("No module named 'sounddevice'", name="sounddevice")
        return real_import(name, package)

    monkeypatch.setattr(sounddevice_backend.importlib, "import_module", no_module)
    with pytest.raises(AudioUnavailable, match="reinstall"):
        sounddevice_backend.SoundDeviceBackend()
    assert isinstance(default_backend(), NullBackend)


def test_every_backend_shuts_down_and_portaudio_opens_nothing_after(tmp_path: Path) -> None:
    NullBackend().shutdown()  # nothing of its own to let go
    backend = sounddevice_backend.SoundDeviceBackend(cards_file=None)
    backend.shutdown()
    backend.shutdown()  # idempotent
    with pytest.raises(AudioError, match="shut down"):
        backend.refresh()
    with pytest.raises(AudioError, match="shut down"):
        backend.open_output(PcmRing())
    with pytest.raises(AudioError, match="shut down"):
        backend.open_duplex(PcmRing(), PcmRing())
    # PortAudio itself stays up for the rest of the process (its init is counted per process)
    assert sounddevice_backend.SoundDeviceBackend(cards_file=None).devices_changed() is False
