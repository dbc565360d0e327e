"""The OS side of the audio bridge: list devices, open streams that feed and drain PcmRings.

A stream moves 16 kHz mono s16 PCM: the microphone is the producer of the ``capture`` ring (the
SIP side consumes it), the speaker the consumer of the ``playback`` ring (the SIP side produces
it). Opening a stream starts its rings; closing it stops them, so the SIP side keeps running on
silence while no device is open. ``NullBackend`` has no devices and never starts the rings.

The protocol a backend implements (``AudioBackend``):

- ``refresh``, ``input_devices``, ``output_devices``, ``default_input``, ``default_output``;
- ``open_duplex(capture, playback, ...)``: microphone + speaker, for calls;
- ``open_output(ring, output_id=None, on_error=None)``: a speaker only (``input_device`` None),
  used for the ringer output; it starts and stops ``ring`` like ``open_duplex`` does its rings;
- ``shutdown()``: at quit, after the controller closed its streams: let go of what the backend
  holds (a thread of its own, the sound system); nothing opens after it;
- every stream's ``stats()`` counts the blocks each direction moved: the controller treats a
  direction whose count stops for about a second as lost, so a backend must count real device
  callbacks there (and 0 for a direction it does not have). Where it can tell, it also reports
  the audio queued outside the rings per direction (``input_queue_ms``, ``output_queue_ms``):
  the controller reopens a stream whose queue stays far above normal (see ``watchdog``).

Optional, checked with ``isinstance`` (a backend without it still conforms):

- ``RescanHint.devices_changed()``: for a backend whose ``refresh`` is refused while a stream is
  open (PortAudio): a cheap hint that the device set may have changed since the last ``refresh``,
  worth closing the streams for a moment to re-scan. A backend whose ``refresh`` works with
  streams open (its device list is live) needs none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from softphone.audio.ring import PcmReader, PcmWriter

SAMPLE_RATE = 16_000

ErrorCallback = Callable[[str], None]
"""Told why a stream stopped on its own (device unplugged, server gone); runs on an audio
thread, so it must only hand the message over (e.g. put it on a queue)."""


@dataclass(frozen=True, slots=True)
class AudioDevice:
    """One microphone and/or speaker as the backend sees it; ``id`` survives a re-scan."""

    id: str
    name: str
    host_api: str
    input_channels: int
    output_channels: int

    @property
    def is_input(self) -> bool:
        return self.input_channels > 0

    @property
    def is_output(self) -> bool:
        return self.output_channels > 0


@dataclass(frozen=True, slots=True)
class StreamStats:
    """What the device side reports: its own buffering and the glitches the OS saw."""

    input_latency_ms: float
    output_latency_ms: float
    input_overflows: int  # the OS dropped microphone audio (we were late)
    output_underflows: int  # the OS played silence (we were late)
    input_blocks: int  # blocks moved so far, per direction
    output_blocks: int
    # The audio queued outside our rings, per direction, from the backend's own clock as of the
    # last block: how old the microphone's newest block was when it reached us, and how long
    # the block we filled waits before it is heard. 0.0 = none or not known (a backend that
    # cannot tell leaves them at 0, and the controller's backlog guard never acts on it).
    input_queue_ms: float = 0.0
    output_queue_ms: float = 0.0


class AudioStream(Protocol):
    """An open microphone + speaker pair, or a speaker alone (``input_device`` None); ``close``
    may be called from any thread, once or more."""

    @property
    def input_device(self) -> AudioDevice | None: ...

    @property
    def output_device(self) -> AudioDevice | None: ...

    def stats(self) -> StreamStats: ...

    def close(self) -> None: ...


class AudioBackend(Protocol):
    """Device listing and stream opening; call it from one thread (the app's audio controller)."""

    name: str

    def refresh(self) -> None:
        """Re-scan the devices (hot-plug); may raise ``AudioError`` while a stream is open."""
        ...

    def input_devices(self) -> list[AudioDevice]: ...

    def output_devices(self) -> list[AudioDevice]: ...

    def default_input(self) -> AudioDevice | None: ...

    def default_output(self) -> AudioDevice | None: ...

    def open_duplex(
        self,
        capture: PcmWriter,
        playback: PcmReader,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        """Open the microphone (``input_id``, None = system default) into ``capture`` and the
        speaker from ``playback``; raises ``DeviceNotFound`` or ``AudioError``."""
        ...

    def open_output(
        self,
        ring: PcmReader,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        """Open a speaker alone (``output_id``, None = system default) playing ``ring``; raises
        ``DeviceNotFound`` or ``AudioError``."""
        ...

    def shutdown(self) -> None:
        """At quit, once the streams are closed: release the backend's own resources; streams
        opened after it are refused (``AudioError``). Idempotent; any thread but an audio one."""
        ...


@runtime_checkable
class RescanHint(Protocol):
    """Optional: tells when a re-scan is worth closing the streams for (see the module doc)."""

    def devices_changed(self) -> bool:
        """True if devices may have come or gone since the last ``refresh``; cheap, any time."""
        ...


class NullStream:
    """A stream that moves nothing: the rings stay inactive, the SIP side hears silence."""

    input_device: AudioDevice | None = None
    output_device: AudioDevice | None = None

    def stats(self) -> StreamStats:
        return StreamStats(0.0, 0.0, 0, 0, 0, 0)

    def close(self) -> None:
        pass


class NullBackend:
    """No devices at all: for headless agents, tests and machines without a sound system."""

    name = "null"

    def refresh(self) -> None:
        pass

    def input_devices(self) -> list[AudioDevice]:
        return []

    def output_devices(self) -> list[AudioDevice]:
        return []

    def default_input(self) -> AudioDevice | None:
        return None

    def default_output(self) -> AudioDevice | None:
        return None

    def open_duplex(
        self,
        capture: PcmWriter,
        playback: PcmReader,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        return NullStream()

    def open_output(
        self,
        ring: PcmReader,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        return NullStream()

    def shutdown(self) -> None:
        pass


def default_backend() -> AudioBackend:
    """PortAudio (sounddevice) where it loads, else the null backend."""
    from softphone.audio.errors import AudioUnavailable
    from softphone.audio.sounddevice_backend import SoundDeviceBackend

    try:
        return SoundDeviceBackend()
    except AudioUnavailable:
        return NullBackend()
