"""The app's sound devices at start: the backend Settings' sound system chose, and the devices
the person saved, opened on the audio lane."""

from __future__ import annotations

import logging

from softphone.app.options import AppOptions
from softphone.audio.backend import AudioBackend
from softphone.audio.controller import AudioController
from softphone.audio.errors import AudioError
from softphone.storage.settings import AppSettings, SoundSystem

_log = logging.getLogger(__name__)


def make_audio_backend(settings: AppSettings, options: AppOptions) -> AudioBackend:
    """Settings' sound system (read at start); Qt Multimedia falls back to the default."""
    if settings.sound_system is SoundSystem.QT:
        try:
            return options.qt_audio_backend()
        except AudioError as err:
            _log.warning("Qt Multimedia is not available (%s); using PortAudio", err)
    return options.audio_backend()


def open_saved_devices(audio: AudioController, settings: AppSettings) -> None:
    """The saved microphone, speaker and ringer (the audio lane: opening blocks)."""
    s = settings
    try:
        audio.open(s.input_device_id, s.output_device_id)
    except AudioError as err:  # calls still connect; the Settings page shows the devices
        _log.warning("no sound device opened: %s", err)
    if s.ringer_device_id is not None:
        try:
            audio.set_ringer(s.ringer_device_id)
        except AudioError as err:  # the ringtone plays on the speaker instead
            _log.warning("the ringer device did not open: %s", err)
