"""The Settings page's Sound group: the sound system, the microphone, speaker and ringer with
their volumes and level meters, a microphone test, and the ringtone.

Device choices are applied through the ``AudioController`` (``devices.py``), the volumes and
the ringtone (``ringtone.py``) through the engine's ``SoundCommands``; the app connects the
controller's events (moved to the GUI thread by the bridge) to ``on_audio_event``. The meters
read the controller's levels while the page is shown. Opening and closing the devices for the
microphone test runs on ``audio_ops`` (the app's audio lane), as every blocking call into the
controller does. ``VolumeSlider`` puts 100 % in the middle of both volume sliders.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from softphone.audio.controller import AudioController
from softphone.core.executor import Outcome
from softphone.storage.settings import MAX_MIC_VOLUME, MAX_SPEAKER_VOLUME, SoundSystem
from softphone.ui.command_runner import log_failure
from softphone.ui.settings.devices import DeviceLists, WarningLine
from softphone.ui.settings.level_meter import LevelMeter
from softphone.ui.settings.ringtone import RingtonePreview

METER_INTERVAL_MS: Final = 50
VOLUME_STEP: Final = 5  # percent per arrow key; Page Up/Down move twice as far
_HALF: Final = 100  # slider positions from 0 % to 100 %, and again from 100 % to the top
_STEPS: Final = {
    QSlider.SliderAction.SliderSingleStepAdd: VOLUME_STEP,
    QSlider.SliderAction.SliderSingleStepSub: -VOLUME_STEP,
    QSlider.SliderAction.SliderPageStepAdd: 2 * VOLUME_STEP,
    QSlider.SliderAction.SliderPageStepSub: -2 * VOLUME_STEP,
}


class VolumeSlider(QSlider):
    """A volume in percent with 100 % in the middle whatever its top (150 % for the speaker,
    200 % for the microphone): 0–100 % fill the first half, 100 % to the top the second, so
    the volume sliders show "unchanged" at the same place. ``value()`` is the position; read
    and set the volume with ``percent`` and ``set_percent``. Keys step by whole percentages."""

    def __init__(self, top: int, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._top = top
        self.setRange(0, 2 * _HALF)
        self.setSingleStep(VOLUME_STEP)
        self.setPageStep(2 * VOLUME_STEP)
        self.setTickInterval(_HALF // 2)
        self.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.actionTriggered.connect(self._step)

    def percent(self) -> int:
        return self.percent_at(self.value())

    def set_percent(self, percent: int) -> None:
        self.setValue(self.position_of(percent))

    def percent_at(self, position: int) -> int:
        if position <= _HALF:
            return position
        return 100 + _rounded((position - _HALF) * (self._top - 100), _HALF)

    def position_of(self, percent: int) -> int:
        if percent <= 100:
            return percent
        return _HALF + _rounded((percent - 100) * _HALF, self._top - 100)

    def _step(self, action: int) -> None:
        """A key or a click beside the handle moves by whole percentages in either half (the
        position has moved by positions; the value is still the old one here)."""
        step = _STEPS.get(QSlider.SliderAction(action))
        if step is not None:
            target = min(max(self.percent() + step, 0), self._top)
            self.setSliderPosition(self.position_of(target))


def _rounded(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, in whole numbers."""
    return (2 * numerator + denominator) // (2 * denominator)


class SoundSection(DeviceLists, RingtonePreview):
    """The Sound group and what its volumes, meters and microphone test do."""

    def _audio_group(self) -> QGroupBox:
        self._start_device_lists()
        self._testing_opened = False  # the mic test opened the devices (and closes them)
        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(METER_INTERVAL_MS)
        self._meter_timer.timeout.connect(self.update_meters)
        group = QGroupBox(self.tr("Sound"), self)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.notice_box = QFrame(group)
        self.notice_box.setFrameShape(QFrame.Shape.StyledPanel)
        icon = QLabel(self.notice_box)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        icon.setPixmap(warning.pixmap(size, size))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.notice = QLabel(self.notice_box)
        self.notice.setObjectName("deviceNotice")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName(self.tr("Sound device notice"))
        notice_row = QHBoxLayout(self.notice_box)
        notice_row.setContentsMargins(6, 6, 6, 6)
        notice_row.addWidget(icon)
        notice_row.addWidget(self.notice, 1)
        self.notice_box.hide()
        form.addRow(self.notice_box)

        self.sound_system = self._combo("soundSystem", self.tr("Sound system"))
        self.sound_system.addItem(self.tr("PortAudio (default)"), SoundSystem.PORTAUDIO.value)
        self.sound_system.addItem(self.tr("Qt Multimedia"), SoundSystem.QT.value)
        self.sound_system.setCurrentIndex(
            self.sound_system.findData(self._settings.sound_system.value)
        )
        self.sound_system.activated.connect(lambda _i: self._on_sound_system())
        why = self._sound_system_reason()
        self.sound_system.setToolTip(why)
        self.sound_system.setAccessibleDescription(why)
        sound_system_label = QLabel(self.tr("S&ound system:"), group)
        sound_system_label.setBuddy(self.sound_system)
        form.addRow(sound_system_label, self.sound_system)
        self.sound_system_note = QLabel(why, group)
        self.sound_system_note.setObjectName("soundSystemNote")
        self.sound_system_note.setWordWrap(True)
        form.addRow(self.sound_system_note)
        self._running_sound_system = self._settings.sound_system

        self.mic_combo = self._combo("microphone", self.tr("Microphone"))
        self.mic_combo.activated.connect(lambda _i: self._apply_devices())
        self.mic_meter = LevelMeter(self.tr("Microphone level"), group)
        self.test_mic = QPushButton(self.tr("&Test microphone"), group)
        self.test_mic.setCheckable(True)
        self.test_mic.setAccessibleName(self.tr("Test microphone"))
        self.test_mic.setToolTip(self.tr("Open the microphone and watch its level"))
        self.mic_warning = WarningLine("micWarning", self.tr("Microphone warning"), group)
        self.test_mic.toggled.connect(self._on_test_mic)
        meter_row = QHBoxLayout()
        meter_row.addWidget(self.mic_meter, 1)
        meter_row.addWidget(self.test_mic)
        mic_label = QLabel(self.tr("&Microphone:"), group)
        mic_label.setBuddy(self.mic_combo)
        form.addRow(mic_label, _under(self.mic_combo, self.mic_warning))
        self.mic_volume, mic_volume_row = self._volume(
            "micVolume", self.tr("Microphone volume"), MAX_MIC_VOLUME, self._settings.mic_volume
        )
        self.mic_volume.setToolTip(self.tr("How loud the other side hears you"))
        mic_volume_label = QLabel(self.tr("Microphone &volume:"), group)
        mic_volume_label.setBuddy(self.mic_volume)
        form.addRow(mic_volume_label, mic_volume_row)
        form.addRow(self.tr("Input level:"), meter_row)

        self.speaker_combo = self._combo("speaker", self.tr("Speaker"))
        self.speaker_combo.activated.connect(lambda _i: self._apply_devices())
        self.speaker_meter = LevelMeter(self.tr("Speaker level"), group)
        speaker_label = QLabel(self.tr("&Speaker:"), group)
        speaker_label.setBuddy(self.speaker_combo)
        self.speaker_warning = WarningLine("speakerWarning", self.tr("Speaker warning"), group)
        form.addRow(speaker_label, _under(self.speaker_combo, self.speaker_warning))
        self.speaker_volume, speaker_volume_row = self._volume(
            "speakerVolume",
            self.tr("Speaker volume"),
            MAX_SPEAKER_VOLUME,
            self._settings.speaker_volume,
        )
        self.speaker_volume.setToolTip(
            self.tr("How loud calls and tones play; above 100 % loud voices may distort")
        )
        speaker_volume_label = QLabel(self.tr("Spea&ker volume:"), group)
        speaker_volume_label.setBuddy(self.speaker_volume)
        form.addRow(speaker_volume_label, speaker_volume_row)
        form.addRow(self.tr("Output level:"), self.speaker_meter)

        self.ringer_combo = self._combo("ringer", self.tr("Ringer device"))
        self.ringer_combo.activated.connect(lambda _i: self._apply_ringer())
        ringer_label = QLabel(self.tr("&Ring on:"), group)
        ringer_label.setBuddy(self.ringer_combo)
        self.ringer_warning = WarningLine("ringerWarning", self.tr("Ringer warning"), group)
        form.addRow(ringer_label, _under(self.ringer_combo, self.ringer_warning))
        self.ringer_notice = QLabel(group)
        self.ringer_notice.setObjectName("ringerNotice")
        self.ringer_notice.setWordWrap(True)
        self.ringer_notice.setAccessibleName(self.tr("Ringer notice"))
        self.ringer_notice.hide()
        form.addRow(self.ringer_notice)
        form.addRow(*self._ringtone_row(group))

        self.refresh_button = QPushButton(self.tr("Re&fresh devices"), group)
        self.refresh_button.setAccessibleName(self.tr("Refresh the device lists"))
        self.refresh_button.clicked.connect(self.refresh_devices)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        form.addRow(row)
        return group

    def _volume(
        self, name: str, accessible: str, top: int, value: int
    ) -> tuple[VolumeSlider, QHBoxLayout]:
        slider = VolumeSlider(top, self)
        slider.setObjectName(name)
        slider.setAccessibleName(accessible)
        slider.set_percent(value)
        shown = QLabel(self)
        shown.setObjectName(f"{name}Value")
        shown.setAccessibleName(self.tr("%1 value").replace("%1", accessible))
        # wide enough for "200 %", so the slider does not jump while it moves
        shown.setMinimumWidth(
            shown.fontMetrics().horizontalAdvance(self.tr("%1 %").replace("%1", "200")) + 4
        )
        shown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._show_percent(slider, shown)
        slider.valueChanged.connect(lambda _v: self._show_percent(slider, shown))
        slider.valueChanged.connect(lambda _v: self._on_volume())
        slider.sliderReleased.connect(self._on_volume)
        row = QHBoxLayout()
        row.addWidget(slider, 1)
        row.addWidget(shown)
        return slider, row

    def _show_percent(self, slider: VolumeSlider, shown: QLabel) -> None:
        text = self.tr("%1 %").replace("%1", str(slider.percent()))
        shown.setText(text)
        slider.setAccessibleDescription(text)

    @Slot()
    def update_meters(self) -> None:
        levels = self._audio.levels()
        self.mic_meter.set_level(levels.mic)
        self.speaker_meter.set_level(levels.speaker)

    @property
    def meters_running(self) -> bool:
        return self._meter_timer.isActive()

    def _on_volume(self) -> None:
        """Applied at once, while the slider moves; saved when it is let go (or on a key)."""
        speaker, mic = self.speaker_volume.percent(), self.mic_volume.percent()
        if self._sound is not None:
            self._sound.set_levels(speaker / 100, mic / 100).add_done_callback(
                log_failure("set_levels")
            )
        if not (self.speaker_volume.isSliderDown() or self.mic_volume.isSliderDown()):
            self._change(speaker_volume=speaker, mic_volume=mic)

    def _sound_system_reason(self) -> str:
        return self.tr(
            "Qt Multimedia uses the platform's native audio (WASAPI, CoreAudio, PulseAudio): "
            "try it where PortAudio's devices misbehave."
        )

    def _on_sound_system(self) -> None:
        """Saved now, used from the next start (the open streams and devices stay as they are)."""
        chosen = SoundSystem(self.sound_system.currentData())
        self._change(sound_system=chosen)
        why = self._sound_system_reason()
        if chosen is not self._running_sound_system:
            why += " " + self.tr("Takes effect at the next start of VICIfast Desktop.")
        self.sound_system_note.setText(why)

    def _no_microphone(self) -> str:
        return self.tr(
            "No microphone found, so there is nothing to test. Connect one, then click "
            "Refresh devices."
        )

    def _refuse(self, button: QPushButton, text: str) -> None:
        """Say why ``button`` cannot start, and leave it off (its toggled handler not run)."""
        button.blockSignals(True)
        button.setChecked(False)
        button.blockSignals(False)
        self._set_notice(text)

    def _on_test_mic(self, on: bool) -> None:
        if not on:
            self._stop_test()
            return
        if self._devices is not None and not self._devices[0]:  # the last scan found none
            self._refuse(self.test_mic, self._no_microphone())
            return
        audio, devices = (
            self._audio,
            (self._settings.input_device_id, self._settings.output_device_id),
        )

        def open_() -> bool | None:  # the audio lane: True if the test opened the devices,
            if audio.recovering:  # None if they have no microphone
                return False  # its levels show once the stream is back
            shared = audio.stream is not None  # a call's stream: its levels show
            if not shared:
                audio.open(*devices)
            if not has_microphone(audio):  # a speaker alone: nothing to test
                if not shared:
                    _close_for_test(audio)
                return None
            return not shared

        def opened(outcome: Outcome[bool | None]) -> None:
            if outcome.error is not None:
                self._refuse(
                    self.test_mic,
                    self.tr("The microphone could not be opened (%1).").replace(
                        "%1", str(outcome.error)
                    ),
                )
                return
            if outcome.value is None:
                self._refuse(self.test_mic, self._no_microphone())
            elif outcome.value:
                self._testing_opened = True
                if not self.test_mic.isChecked():  # stopped before the devices were open
                    self._stop_test()

        self._audio_ops(open_, opened)

    def _on_preview(self, on: bool) -> None:
        """The ringtone's Play, refused while the last scan found no speaker to play it on."""
        if on and self._devices is not None and not self._devices[1]:
            self._refuse(
                self.play_ringtone,
                self.tr(
                    "No speaker found, so the ringtone cannot play. Connect one, then click "
                    "Refresh devices."
                ),
            )
            return
        super()._on_preview(on)

    def _stop_test(self) -> None:
        if not self._testing_opened:
            return
        self._testing_opened = False
        audio = self._audio

        def closed(outcome: Outcome[None]) -> None:
            if outcome.error is not None:
                self.ringer_notice.setText(self.tr("The ringer could not be reopened."))
                self.ringer_notice.show()

        self._audio_ops(lambda: _close_for_test(audio), closed)


def _under(combo: QComboBox, warning: WarningLine) -> QVBoxLayout:
    """A device list with its warning line under it, in the form's field column."""
    column = QVBoxLayout()
    column.setSpacing(2)
    column.addWidget(combo)
    column.addWidget(warning)
    return column


def has_microphone(audio: AudioController) -> bool:
    """The sound stream is open with a microphone (none while closed or recovering)."""
    stream = audio.stream
    return stream is not None and stream.input_device is not None


def _close_for_test(audio: AudioController) -> None:
    """Close what the microphone test opened (the audio lane). The controller closes only
    everything at once: the ringer is put back after."""
    ringer = audio.ringer_choice
    audio.close()
    if ringer is not None:
        audio.set_ringer(ringer)
