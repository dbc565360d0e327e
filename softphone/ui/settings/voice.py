"""The Settings page's Voice processing group: echo cancellation, noise suppression, automatic
microphone level and headset mode, each applied to the running audio at once
(``AudioProcessing.configure``: a call in progress hears the change within a frame)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel

from softphone.audio.controller import AudioController
from softphone.ui.settings.page import SettingsPage


class VoiceSection(SettingsPage):
    """The Voice processing group and what its switches do."""

    _audio: AudioController

    def _voice_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Voice processing"), self)
        form = QFormLayout(group)
        s = self._settings
        self.echo_cancellation = self._check(
            self.tr("Cancel &echo"), self.tr("Cancel echo"), s.echo_cancellation
        )
        self.echo_cancellation.setToolTip(
            self.tr(
                "Keeps the caller from hearing their own voice back when your speakers are "
                "loud or your microphone is close to them (laptops, desk speakers)."
            )
        )
        self.noise_suppression = self._check(
            self.tr("Reduce background &noise"),
            self.tr("Reduce background noise"),
            s.noise_suppression,
        )
        self.noise_suppression.setToolTip(
            self.tr("Takes steady noise (fans, air conditioning, a busy floor) out of your voice.")
        )
        self.auto_gain = self._check(
            self.tr("Adjust the microphone &level automatically"),
            self.tr("Adjust the microphone level automatically"),
            s.auto_gain,
        )
        self.auto_gain.setToolTip(
            self.tr("Keeps your voice at an even level whether you lean in or sit back.")
        )
        self.headset_mode = self._check(
            self.tr("&Headset mode (no echo cancellation)"),
            self.tr("Headset mode, no echo cancellation"),
            s.headset_mode,
        )
        self.headset_mode.setToolTip(
            self.tr(
                "A headset has no echo to cancel: this sends your microphone as it is, "
                "apart from the noise and level switches above."
            )
        )
        for box, name in (
            (self.echo_cancellation, "echo_cancellation"),
            (self.noise_suppression, "noise_suppression"),
            (self.auto_gain, "auto_gain"),
            (self.headset_mode, "headset_mode"),
        ):
            box.setObjectName(name)
            box.toggled.connect(lambda on, name=name: self._on_voice(name, on))
            form.addRow(box)
        self.voice_note = QLabel(group)
        self.voice_note.setObjectName("voiceNote")
        self.voice_note.setWordWrap(True)
        form.addRow(self.voice_note)
        self._show_voice()
        return group

    def _on_voice(self, name: str, on: bool) -> None:
        self._change(**{name: on})
        processing = self._audio.processing
        if processing is not None:
            processing.configure(self._settings.processing())
        self._show_voice()

    def _show_voice(self) -> None:
        s = self._settings
        self.echo_cancellation.setEnabled(not s.headset_mode)
        processing = self._audio.processing
        if processing is None:
            note = self.tr("Voice processing is not available with this sound setup.")
        elif not processing.available:
            note = self.tr("Voice processing could not start on this computer: %1.").replace(
                "%1", processing.unavailable_reason or ""
            )
        elif s.headset_mode:
            note = self.tr("Headset mode: echo cancellation is off.")
        else:
            note = ""
        self.voice_note.setText(note)
        self.voice_note.setVisible(bool(note))
