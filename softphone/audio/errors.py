"""Errors of the audio layer.

VicifastError (softphone.core.errors)
└── AudioError              the sound system refused or lost a device
    ├── AudioUnavailable    no sound system could be loaded (e.g. PortAudio is not installed)
    └── DeviceNotFound      a chosen microphone or speaker is not there (unplugged, renamed)
"""

from __future__ import annotations

from softphone.core.errors import VicifastError


class AudioError(VicifastError):
    pass


class AudioUnavailable(AudioError):
    pass


class DeviceNotFound(AudioError):
    pass
