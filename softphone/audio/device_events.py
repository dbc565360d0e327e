"""What the audio controller reports about the sound devices: one frozen event per change.

:class:`~softphone.audio.controller.AudioController` (and its ringer,
:mod:`softphone.audio.ringer`) hand them to its ``on_event``; the controller's docstring says on
which thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from softphone.audio.backend import AudioStream


@dataclass(frozen=True, slots=True)
class AudioDevicesOpened:
    """A stream is running on these devices (after ``open`` or ``switch``)."""

    input_id: str | None
    input_name: str | None
    output_id: str | None
    output_name: str | None


@dataclass(frozen=True, slots=True)
class AudioDeviceLost:
    """The stream stopped on its own; calls hear silence until it is restored."""

    reason: str


@dataclass(frozen=True, slots=True)
class AudioDeviceRestored:
    """A stream runs again after a loss; ``fallback`` if on the system default, not the choice.

    Also sent with ``fallback=False`` when the chosen devices came back after a fallback."""

    input_id: str | None
    input_name: str | None
    output_id: str | None
    output_name: str | None
    fallback: bool
    attempts: int


@dataclass(frozen=True, slots=True)
class RingerOpened:
    """The ringer output runs on this device (after ``set_ringer``, or back after a loss)."""

    output_id: str | None
    output_name: str | None


@dataclass(frozen=True, slots=True)
class RingerLost:
    """The ringer output stopped; the ringtone plays on the speaker until it is back."""

    reason: str


@dataclass(frozen=True, slots=True)
class AudioLatencyReset:
    """The call stream was reopened on the same devices because audio had piled up outside the
    rings: ``direction`` ("input" or "output") had ``backlog_ms`` queued. The call goes on."""

    direction: str
    backlog_ms: float


AudioDeviceEvent = (
    AudioDevicesOpened
    | AudioDeviceLost
    | AudioDeviceRestored
    | AudioLatencyReset
    | RingerOpened
    | RingerLost
)


def device_names(stream: AudioStream) -> tuple[str | None, str | None, str | None, str | None]:
    """(input id, input name, output id, output name) of a stream, as the events carry them."""
    mic, speaker = stream.input_device, stream.output_device
    return (
        mic.id if mic else None,
        mic.name if mic else None,
        speaker.id if speaker else None,
        speaker.name if speaker else None,
    )
