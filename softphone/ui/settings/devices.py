"""The Settings page's sound device lists (microphone, speaker, ringer): re-scanning them,
applying a choice through the ``AudioController``, and the notices when a device is lost.

Every call into the controller that can block (a device re-scan re-initialises PortAudio, an
open waits for the sound server, all of it under the controller's lock) runs on ``audio_ops``,
an executor that keeps their order (the app's audio lane); the page shows the outcome when it
comes back. While a re-scan takes longer than a moment the device lists say so, disabled.

What the last scan found is said under each list, in the warning colour (``WarningLine``): no
microphone or no speaker at all (the list says so, disabled, and the saved choice is kept; Test
microphone or Play is disabled with the reason), or a saved device that is not connected (listed
by its name as "not connected", still chosen). The app is told of no hot-plug while nothing
fails (PortAudio gives no notice): a device plugged in shows after Refresh devices, or when the
controller opens or restores a stream (``on_audio_event`` re-scans then).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, QTimer, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QComboBox, QFrame, QLabel, QPushButton, QWidget

from softphone.audio.backend import AudioDevice
from softphone.audio.controller import AudioController
from softphone.audio.device_events import (
    AudioDeviceLost,
    AudioDeviceRestored,
    AudioDevicesOpened,
    RingerLost,
    RingerOpened,
)
from softphone.audio.errors import AudioError
from softphone.core.executor import Executor, Outcome
from softphone.ui.look import Tone, tone_color
from softphone.ui.settings.page import SettingsPage

_log = logging.getLogger(__name__)

LOOKING_AFTER_MS: Final = 150  # a re-scan that takes longer shows "Looking for devices…"


class WarningLine(QLabel):
    """A word-wrapped line in the warning colour of the light or dark theme, hidden while
    empty; it follows a theme switch."""

    def __init__(self, name: str, accessible: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setWordWrap(True)
        self._paint()
        self.hide()

    def say(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._paint()

    def _paint(self) -> None:
        colour = warning_colour(self.palette())
        if self.palette().color(QPalette.ColorRole.WindowText) != colour:
            palette = self.palette()  # set once more only when it differs: no change loop
            palette.setColor(QPalette.ColorRole.WindowText, colour)
            self.setPalette(palette)


def warning_colour(palette: QPalette) -> QColor:
    """The app's warning colour (``look``), readable on the light and the dark window."""
    return tone_color(Tone.BUSY, palette)


class DeviceLists(SettingsPage):
    """The device lists' behaviour; the Sound group (``sound.py``) builds the widgets. A notice
    shown or cleared is announced with ``noticeChanged``."""

    _audio: AudioController
    _audio_ops: Executor
    notice_box: QFrame
    notice: QLabel
    mic_combo: QComboBox
    speaker_combo: QComboBox
    ringer_combo: QComboBox
    ringer_notice: QLabel
    refresh_button: QPushButton
    mic_warning: WarningLine
    speaker_warning: WarningLine
    ringer_warning: WarningLine
    test_mic: QPushButton

    def _start_device_lists(self) -> None:
        """Nothing scanned yet; called before the lists are built."""
        self._devices: tuple[list[AudioDevice], list[AudioDevice]] | None = None  # the last scan
        self._device_names: dict[str, str] = {}  # every device seen: named when unplugged
        self._refreshing = self._refresh_again = self._looking = False
        self._looking_timer = QTimer(self)
        self._looking_timer.setSingleShot(True)
        self._looking_timer.setInterval(LOOKING_AFTER_MS)
        self._looking_timer.timeout.connect(self._show_looking)

    @Slot(object)
    def on_audio_event(self, event: object) -> None:
        """An ``AudioDeviceEvent``, delivered on the GUI thread."""
        if isinstance(event, AudioDeviceLost):
            self._set_notice(
                self.tr("The sound device stopped (%1). Reconnecting…").replace("%1", event.reason)
            )
        elif isinstance(event, AudioDeviceRestored) and event.fallback:
            using = ", ".join(n for n in (event.input_name, event.output_name) if n)
            self._set_notice(
                self.tr(
                    "Your chosen device is not connected. Using the system default (%1) until "
                    "it is back."
                ).replace("%1", using or self.tr("system default"))
            )
            self.refresh_devices()
        elif isinstance(event, AudioDeviceRestored | AudioDevicesOpened):
            self._set_notice("")
            self.refresh_devices()
        elif isinstance(event, RingerLost):
            self.ringer_notice.setText(
                self.tr(
                    "The ringer device stopped (%1). Ringing on the speaker until it is back."
                ).replace("%1", event.reason)
            )
            self.ringer_notice.show()
        elif isinstance(event, RingerOpened):
            self.ringer_notice.hide()
            self.ringer_notice.clear()

    @Slot()
    def refresh_devices(self) -> None:
        """Re-scan the devices on the audio lane and fill the lists when it answers; asked again
        while one runs, one more follows it (never a queue of them behind a hung sound system)."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        if self._devices is None:
            self._show_looking()  # nothing to show meanwhile
        else:
            self._looking_timer.start()
        self._audio_ops(self._audio.devices, self._on_devices)

    @property
    def looking_for_devices(self) -> bool:
        """The device lists say "Looking for devices…" (a re-scan is taking a while)."""
        return self._looking

    def _show_looking(self) -> None:
        self._looking = True
        looking = self.tr("Looking for devices…")
        for combo in (self.mic_combo, self.speaker_combo, self.ringer_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(looking)
            combo.setEnabled(False)
            combo.blockSignals(False)
        self.refresh_button.setEnabled(False)

    def _on_devices(self, outcome: Outcome[tuple[list[AudioDevice], list[AudioDevice]]]) -> None:
        self._refreshing = self._looking = False
        self._looking_timer.stop()
        if outcome.value is not None:
            self._devices = outcome.value
        else:
            _log.warning("the sound devices could not be listed: %s", outcome.error)
            if isinstance(outcome.error, AudioError):
                self._set_notice(
                    self.tr("The sound devices could not be listed (%1).").replace(
                        "%1", str(outcome.error)
                    )
                )
        mics, speakers = self._devices or ([], [])
        s = self._settings
        for device in mics + speakers:
            self._device_names[device.id] = device.name
        no_mic, no_speaker = self.tr("No microphone found"), self.tr("No speaker found")
        if self._devices is None:  # never listed: nothing is known to be missing
            no_mic = no_speaker = ""
        self._fill(self.mic_combo, mics, s.input_device_id, self.tr("System default"), no_mic)
        self._fill(
            self.speaker_combo, speakers, s.output_device_id, self.tr("System default"), no_speaker
        )
        self._fill(
            self.ringer_combo, speakers, s.ringer_device_id, self.tr("Same as speaker"), no_speaker
        )
        self.refresh_button.setEnabled(True)
        if self._devices is not None:
            self._show_what_was_found(mics, speakers)
        if self._refresh_again:
            self._refresh_again = False
            self.refresh_devices()

    def _fill(
        self,
        combo: QComboBox,
        devices: list[AudioDevice],
        chosen: str | None,
        default: str,
        none_found: str,
    ) -> None:
        """The list of ``devices`` with ``chosen`` selected. None at all: only ``none_found``
        (unless ""), disabled, holding ``chosen`` (the saved choice stays as it is)."""
        combo.blockSignals(True)
        combo.clear()
        if not devices and none_found:
            combo.addItem(none_found, chosen)
            combo.setEnabled(False)
            combo.blockSignals(False)
            return
        combo.addItem(default, None)
        for device in devices:
            combo.addItem(device.name, device.id)
        index = combo.findData(chosen) if chosen is not None else 0
        if index < 0:  # chosen but unplugged: keep it visible, it comes back when plugged in
            name = self._device_name(chosen or "")
            combo.addItem(self.tr("%1 (not connected)").replace("%1", name), chosen)
            index = combo.count() - 1
        combo.setCurrentIndex(index)
        combo.setEnabled(True)
        combo.blockSignals(False)

    def _device_name(self, device_id: str) -> str:
        """A device's name when it was seen, else its id (PortAudio's ids are "API:name")."""
        return self._device_names.get(device_id, device_id)

    def _show_what_was_found(self, mics: list[AudioDevice], speakers: list[AudioDevice]) -> None:
        """The warning lines under the lists, and Test microphone and Play, after a scan."""
        s = self._settings
        if not mics:
            mic_text = self.tr(
                "No microphone is connected. Plug in a headset or microphone, then click "
                "Refresh devices."
            )
        elif self._missing(s.input_device_id, mics):
            mic_text = self.tr(
                "%1 is not connected. Plug it in, then click Refresh devices. Or choose another "
                "microphone."
            ).replace("%1", self._device_name(s.input_device_id or ""))
        else:
            mic_text = ""
        if not speakers:
            speaker_text = self.tr(
                "No speaker is connected. Plug in a headset or speakers, then click Refresh "
                "devices."
            )
        elif self._missing(s.output_device_id, speakers):
            speaker_text = self.tr(
                "%1 is not connected. Plug it in, then click Refresh devices. Or choose another "
                "speaker."
            ).replace("%1", self._device_name(s.output_device_id or ""))
        else:
            speaker_text = ""
        ringer_text = ""
        if speakers and self._missing(s.ringer_device_id, speakers):
            ringer_text = self.tr(
                "%1 is not connected: calls ring on the speaker until it is back."
            ).replace("%1", self._device_name(s.ringer_device_id or ""))
        self.mic_warning.say(mic_text)
        self.speaker_warning.say(speaker_text)
        self.ringer_warning.say(ringer_text)
        self._block_test_mic(self.tr("No microphone found") if not mics else "")
        self._block_preview(self.tr("No speaker found") if not speakers else "")

    @staticmethod
    def _missing(chosen: str | None, devices: list[AudioDevice]) -> bool:
        return chosen is not None and all(d.id != chosen for d in devices)

    def _block_test_mic(self, reason: str) -> None:
        """Test microphone disabled with ``reason`` as its tip ("": enabled again)."""
        if reason:
            self.test_mic.setChecked(False)
        self.test_mic.setEnabled(not reason)
        tip = reason or self.tr("Open the microphone and watch its level")
        self.test_mic.setToolTip(tip)
        self.test_mic.setAccessibleDescription(reason)

    if TYPE_CHECKING:  # RingtonePreview's (ringtone.py), next in the Sound group's bases

        def _block_preview(self, reason: str) -> None: ...

    def _apply_devices(self) -> None:
        mic, speaker = self.mic_combo.currentData(), self.speaker_combo.currentData()
        if (mic, speaker) == (self._settings.input_device_id, self._settings.output_device_id):
            return
        audio = self._audio
        previous = (self._settings.input_device_id, self._settings.output_device_id)
        # saved at once, so a quit before the switch has run keeps the choice
        self._change(input_device_id=mic, output_device_id=speaker)

        def switch() -> None:  # the audio lane
            if audio.stream is not None or audio.recovering:
                audio.switch(mic, speaker)

        def switched(outcome: Outcome[None]) -> None:
            if outcome.error is not None:
                if not isinstance(outcome.error, AudioError):
                    _log.error("switching the sound devices failed: %r", outcome.error)
                self._set_notice(
                    self.tr(
                        "That device could not be used (%1). Keeping the previous one."
                    ).replace("%1", str(outcome.error))
                )
                self._change(input_device_id=previous[0], output_device_id=previous[1])
                self.refresh_devices()
                return
            self._set_notice("")

        self._audio_ops(switch, switched)

    def _apply_ringer(self) -> None:
        ringer = self.ringer_combo.currentData()
        audio = self._audio

        def opened(outcome: Outcome[None]) -> None:
            if outcome.error is not None:
                self.ringer_notice.setText(
                    self.tr("The ringer could not be opened (%1). Ringing on the speaker.").replace(
                        "%1", str(outcome.error)
                    )
                )
                self.ringer_notice.show()
            else:
                self.ringer_notice.hide()

        # saved at once (also when it does not open now: it is tried again at the next start),
        # so a quit before the open has run keeps the choice
        self._change(ringer_device_id=ringer)
        self._audio_ops(lambda: audio.set_ringer(ringer), opened)

    def _set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice_box.setVisible(bool(text))
        self.noticeChanged.emit(text)
