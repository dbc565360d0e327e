"""The desktop app's own settings: a typed model with defaults and bounds, kept as JSON.

The file is ``settings.json`` in the platformdirs config directory. It holds choices only, never
a secret: credentials live in the keychain (DESIGN.md, the privacy contract). Loading never
fails: a missing file gives the defaults; a file that is not a JSON object is set aside as
``settings.json.corrupt-<time>`` (kept, not deleted) and the defaults are used; a single value
out of bounds falls back to its default. Each case is logged in one line that says what happened.
Qt-free, so the headless side could read it too.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from softphone.audio.processing_choice import ProcessingChoice
from softphone.core.errors import ConfigError
from softphone.core.hosts import check_control_plane
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, Ringtone
from softphone.storage.private_files import private_dir, private_file

_log = logging.getLogger(__name__)

APP_DIR_NAME: Final = "vicifast-desktop"  # as softphone.signin.service's data dir
FILE_NAME: Final = "settings.json"
VERSION: Final = 2  # 2: auto_answer may be "server" (as provisioned), its default
AS_PROVISIONED: Final = "server"  # auto_answer in the file: as the server provisions the account
MAX_DELAY_S: Final = 600.0  # AutoAnswerPolicy's bound
MAX_SPEAKER_VOLUME: Final = 150  # percent; above 100 loud calls clip
MAX_MIC_VOLUME: Final = 200  # percent (the engine's limit, +6 dB)
_MAX_TEXT: Final = 1024
_OLD_RINGTONE_SWITCH: Final = "ringtone_enabled"  # files before the ringtone choice
# No settings key may contain one of these words (tests/unit/test_settings_model.py checks).
SECRET_WORDS: Final = ("password", "passwd", "secret", "token", "pin", "credential", "key")


class SoundSystem(StrEnum):
    """Which audio library opens the sound devices (applied at the next start)."""

    PORTAUDIO = "portaudio"  # the default
    QT = "qt"  # Qt Multimedia: the platform's native audio API


class Theme(StrEnum):
    """Light or dark windows, or as the desktop has them (applied at once)."""

    SYSTEM = "system"  # the default: follows the desktop
    LIGHT = "light"
    DARK = "dark"


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)) / FILE_NAME


def _device(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_TEXT:
        raise ConfigError(f"{name} must be a device id or null.")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class AppSettings:
    """What the user chose in Settings. ``None`` devices follow the system default (the ringer:
    no separate ringer, the ringtone plays on the speaker)."""

    input_device_id: str | None = None
    output_device_id: str | None = None
    ringer_device_id: str | None = None
    ringtone: Ringtone = Ringtone.WARBLE  # NONE rings silently
    sound_system: SoundSystem = SoundSystem.PORTAUDIO
    speaker_volume: int = 100  # percent of what calls and tones bring, 0 = silent
    mic_volume: int = 100  # percent of the microphone that calls get, 0 = silent
    # Voice processing on the microphone (softphone.audio.processing), live: echo cancellation
    # (off in headset mode), noise suppression, automatic gain.
    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain: bool = False
    headset_mode: bool = False
    # None: as the server provisions the account (the default); a mode: the user's own choice
    auto_answer: AutoAnswerMode | None = None
    auto_answer_delay_s: float = 5.0
    # Calls from anywhere but the company's SIP server ring (never auto-answered) instead of
    # being refused 403 (core.trust).
    accept_direct_calls: bool = False
    start_minimised: bool = False
    launch_at_login: bool = False
    sip_trace: bool = False
    close_to_tray_notice_shown: bool = False
    custom_control_plane: str = ""  # "" = the default control plane
    ca_file: str = ""  # PEM file that verifies the custom control plane; "" = system store
    theme: Theme = Theme.SYSTEM
    # An incoming call also raises and focuses the main window, even from the tray.
    bring_to_front_on_ring: bool = False
    # Ctrl+Shift+A / Ctrl+Shift+E answer and hang up from any app (X11 and Windows only).
    global_hotkeys: bool = False
    # During a call, a small bar on top of other windows while the main window is not in front.
    call_bar: bool = True

    def __post_init__(self) -> None:
        for name in ("input_device_id", "output_device_id", "ringer_device_id"):
            _device(getattr(self, name), name)
        if not isinstance(self.ringtone, Ringtone):
            raise ConfigError("ringtone must be warble, classic, chime or none.")
        if not isinstance(self.sound_system, SoundSystem):
            raise ConfigError("sound_system must be portaudio or qt.")
        if self.auto_answer is not None and not isinstance(self.auto_answer, AutoAnswerMode):
            raise ConfigError("auto_answer must be server, off, always, after or header.")
        delay = self.auto_answer_delay_s
        if isinstance(delay, bool) or not isinstance(delay, int | float):
            raise ConfigError("auto_answer_delay_s must be a number of seconds.")
        if not 0.0 <= delay <= MAX_DELAY_S:
            raise ConfigError(f"auto_answer_delay_s must be between 0 and {MAX_DELAY_S:g}.")
        for name, top in (("speaker_volume", MAX_SPEAKER_VOLUME), ("mic_volume", MAX_MIC_VOLUME)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise ConfigError(f"{name} must be a whole percentage from 0 to {top}.")
        for flag in (
            "accept_direct_calls",
            "start_minimised",
            "launch_at_login",
            "sip_trace",
            "close_to_tray_notice_shown",
            "bring_to_front_on_ring",
            "global_hotkeys",
            "call_bar",
            "echo_cancellation",
            "noise_suppression",
            "auto_gain",
            "headset_mode",
        ):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(f"{flag} must be true or false.")
        if not isinstance(self.custom_control_plane, str):
            raise ConfigError("custom_control_plane must be an https:// address.")
        check_control_plane(self.custom_control_plane)
        if not isinstance(self.ca_file, str) or len(self.ca_file) > _MAX_TEXT:
            raise ConfigError("ca_file must be a file path.")
        if not isinstance(self.theme, Theme):
            raise ConfigError("theme must be system, light or dark.")

    def with_(self, **changes: Any) -> AppSettings:
        """A copy with ``changes`` applied and checked (``ConfigError`` if out of bounds)."""
        return dataclasses.replace(self, **changes)

    def auto_answer_policy(self, provisioned: AutoAnswerPolicy) -> AutoAnswerPolicy:
        """The policy to apply to an account the server provisioned with ``provisioned``."""
        if self.auto_answer is None:
            return provisioned
        delay = self.auto_answer_delay_s if self.auto_answer is AutoAnswerMode.AFTER else 0.0
        return AutoAnswerPolicy(self.auto_answer, float(delay))

    def processing(self) -> ProcessingChoice:
        """The voice processing these settings ask for (``AudioProcessing.configure``)."""
        return ProcessingChoice(
            echo_cancellation=self.echo_cancellation,
            noise_suppression=self.noise_suppression,
            auto_gain=self.auto_gain,
            headset=self.headset_mode,
        )

    def levels(self) -> tuple[float, float]:
        """The engine's speaker and microphone gains (1.0 = unchanged)."""
        return self.speaker_volume / 100, self.mic_volume / 100

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": VERSION}
        for f in fields():
            value = getattr(self, f)
            data[f] = (
                value.value
                if isinstance(value, AutoAnswerMode | Ringtone | SoundSystem | Theme)
                else value
            )
        if self.auto_answer is None:
            data["auto_answer"] = AS_PROVISIONED
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AppSettings:
        """Each known key in bounds is taken; a bad value falls back to its default (logged);
        unknown keys are dropped (logged by name only: they might hold anything)."""
        unknown = sorted(set(data) - set(fields()) - {"version", _OLD_RINGTONE_SWITCH})
        if unknown:
            _log.warning("settings: ignoring unknown keys %s", ", ".join(unknown))
        settings = cls()
        if data.get(_OLD_RINGTONE_SWITCH) is False and "ringtone" not in data:
            settings = settings.with_(ringtone=Ringtone.NONE)  # "no ringtone", before the choice
        if data.get("version") == 1 and data.get("auto_answer") == AutoAnswerMode.HEADER.value:
            # Version 1 wrote its default (header) whether chosen or not, and had no "as the
            # server says": that default becomes the new one.
            data = {**data, "auto_answer": AS_PROVISIONED}
        for name in fields():
            if name not in data:
                continue
            value = data[name]
            try:
                if name == "auto_answer":
                    value = None if value == AS_PROVISIONED else AutoAnswerMode(value)
                elif name == "ringtone":
                    value = Ringtone(value)
                elif name == "sound_system":
                    value = SoundSystem(value)
                elif name == "theme":
                    value = Theme(value)
                settings = settings.with_(**{name: value})
            except (ConfigError, ValueError, TypeError):
                _log.warning("settings: %s is out of bounds; using the default", name)
        return settings

    def save(self, path: Path | None = None) -> None:
        """Write atomically (a temporary file renamed over the old one): 0600 (``mkstemp``'s
        mode) in a 0700 folder."""
        target = path or default_path()
        private_dir(target.parent)
        text = json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path | None = None) -> AppSettings:
        """Never raises for the file's content: see the module docstring."""
        source = path or default_path()
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            _log.warning("settings: cannot read %s (%s); using the defaults", source, exc)
            return cls()
        private_dir(source.parent)  # what an older version left wider: the owner's only
        private_file(source)
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError:
            aside = source.with_name(f"{source.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                source.replace(aside)
            except OSError:
                aside = source
            _log.warning(
                "settings: %s is not valid settings JSON; using the defaults (the file was kept "
                "as %s)",
                source,
                aside,
            )
            return cls()
        return cls.from_json(data)


def fields() -> tuple[str, ...]:
    """The persisted field names."""
    return tuple(f.name for f in dataclasses.fields(AppSettings))
