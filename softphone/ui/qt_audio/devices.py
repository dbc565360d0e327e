"""The Qt Multimedia devices as the audio layer names them: ids, descriptions, lookups.

Qt identifies a device by opaque bytes; the app stores them as text (``device_id``). Everything
here reads ``QMediaDevices`` and so runs on the backend's Qt thread.
"""

from __future__ import annotations

from PySide6.QtMultimedia import QAudioDevice, QMediaDevices

from softphone.audio.backend import AudioDevice
from softphone.audio.errors import DeviceNotFound

HOST_API = "Qt Multimedia"

DeviceLists = tuple[list[AudioDevice], list[AudioDevice], tuple[str | None, str | None]]
"""The inputs, the outputs, and the ids of the system's default input and output."""


def device_id(device: QAudioDevice) -> str:
    return bytes(device.id().data()).decode("utf-8", "surrogateescape")


def describe(device: QAudioDevice, is_input: bool) -> AudioDevice:
    channels = max(1, device.preferredFormat().channelCount())
    return AudioDevice(
        id=device_id(device),
        name=device.description(),
        host_api=HOST_API,
        input_channels=channels if is_input else 0,
        output_channels=0 if is_input else channels,
    )


def list_devices() -> DeviceLists:
    """Qt thread: the device lists and the defaults, as they are now."""
    inputs = [describe(d, True) for d in QMediaDevices.audioInputs()]
    outputs = [describe(d, False) for d in QMediaDevices.audioOutputs()]
    default_in, default_out = (
        QMediaDevices.defaultAudioInput(),
        QMediaDevices.defaultAudioOutput(),
    )
    return (
        inputs,
        outputs,
        (
            None if default_in.isNull() else device_id(default_in),
            None if default_out.isNull() else device_id(default_out),
        ),
    )


def default_device(is_input: bool) -> QAudioDevice:
    """Qt thread: the system's default microphone or speaker (null when there is none)."""
    return QMediaDevices.defaultAudioInput() if is_input else QMediaDevices.defaultAudioOutput()


def find_device(wanted: str | None, is_input: bool) -> QAudioDevice:
    """Qt thread: the QAudioDevice for an id (None = the system default)."""
    what = "microphone" if is_input else "speaker"
    if wanted is None:
        device = default_device(is_input)
        if device.isNull():
            raise DeviceNotFound(f"No {what} found. Connect one, or pick one in Settings.")
        return device
    listed = QMediaDevices.audioInputs() if is_input else QMediaDevices.audioOutputs()
    for device in listed:
        if device_id(device) == wanted:
            return device
    raise DeviceNotFound(
        f"The {what} “{wanted}” is not connected. Plug it in, or pick another in Settings."
    )
