"""The Settings page's ringtone choice and its preview, played where calls ring through the
engine's ``SoundCommands``; the preview stops by itself after the seconds the engine answers."""

from __future__ import annotations

from concurrent.futures import Future

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton

from softphone.core.models import Ringtone
from softphone.core.phone import SoundCommands
from softphone.ui.command_runner import log_failure
from softphone.ui.settings.page import SettingsPage


class RingtonePreview(SettingsPage):
    """The ringtone row of the Sound group; without ``_sound`` (no engine) nothing plays."""

    _sound: SoundCommands | None
    ringtone: QComboBox
    play_ringtone: QPushButton

    def _ringtone_row(self, group: QGroupBox) -> tuple[QLabel, QHBoxLayout]:
        """The label and the row (the list and its Play button) for the Sound group's form."""
        self.ringtone = self._combo("ringtone", self.tr("Ringtone"))
        names = {
            Ringtone.WARBLE: self.tr("Warble"),
            Ringtone.CLASSIC: self.tr("Classic double ring"),
            Ringtone.CHIME: self.tr("Soft chime"),
            Ringtone.NONE: self.tr("None (silent)"),
        }
        for ringtone in Ringtone:
            self.ringtone.addItem(names[ringtone], ringtone.value)
        self.ringtone.setCurrentIndex(self.ringtone.findData(self._settings.ringtone.value))
        self.ringtone.activated.connect(lambda _i: self._on_ringtone())
        self.play_ringtone = QPushButton(self.tr("&Play"), group)
        self.play_ringtone.setCheckable(True)
        self.play_ringtone.setAccessibleName(self.tr("Play the ringtone"))
        self._play_blocked = ""  # why Play cannot work now (no speaker), or ""
        self.play_ringtone.toggled.connect(self._on_preview)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.timeout.connect(lambda: self.play_ringtone.setChecked(False))
        ringtone_label = QLabel(self.tr("R&ingtone:"), group)
        ringtone_label.setBuddy(self.ringtone)
        ringtone_row = QHBoxLayout()
        ringtone_row.addWidget(self.ringtone, 1)
        ringtone_row.addWidget(self.play_ringtone)
        self._sync_preview()
        return ringtone_label, ringtone_row

    def _on_ringtone(self) -> None:
        ringtone = Ringtone(self.ringtone.currentData())
        if self._sound is not None:
            self._sound.set_ringtone(ringtone).add_done_callback(log_failure("set_ringtone"))
        self._change(ringtone=ringtone)
        if self.play_ringtone.isChecked():
            self.play_ringtone.setChecked(False)  # the old one stops; the new one plays
            self.play_ringtone.setChecked(ringtone is not Ringtone.NONE)
        self._sync_preview()

    def _sync_preview(self) -> None:
        silent = Ringtone(self.ringtone.currentData()) is Ringtone.NONE
        blocked = self._play_blocked
        self.play_ringtone.setEnabled(self._sound is not None and not silent and not blocked)
        self.play_ringtone.setToolTip(
            blocked
            or self.tr("Hear the ringtone for a few seconds where calls ring; click again to stop")
        )
        self.play_ringtone.setAccessibleDescription(blocked)

    def _block_preview(self, reason: str) -> None:
        """Play disabled with ``reason`` as its tip (no speaker); "": as the ringtone allows."""
        self._play_blocked = reason
        if reason:
            self.play_ringtone.setChecked(False)
        self._sync_preview()

    def _on_preview(self, on: bool) -> None:
        self.play_ringtone.setText(self.tr("&Stop") if on else self.tr("&Play"))
        self.play_ringtone.setAccessibleName(
            self.tr("Stop the ringtone") if on else self.tr("Play the ringtone")
        )
        if self._sound is None:
            return
        if not on:
            self._preview_timer.stop()
            self._sound.stop_ringtone_preview().add_done_callback(log_failure("stop preview"))
            return
        bridge = self._bridge

        def started(future: Future[float]) -> None:  # the SIP thread
            failed = future.cancelled() or future.exception() is not None
            seconds = 0.0 if failed else future.result()
            bridge.post_call(lambda: self._on_previewing(seconds), owner=self)

        future = self._sound.preview_ringtone(Ringtone(self.ringtone.currentData()))
        future.add_done_callback(log_failure("preview_ringtone"))
        future.add_done_callback(started)

    def _on_previewing(self, seconds: float) -> None:
        """How long the preview plays (0: it does not), on the GUI thread."""
        if not self.play_ringtone.isChecked():
            return  # stopped before the engine answered
        if seconds <= 0:
            self.play_ringtone.setChecked(False)
        else:
            self._preview_timer.start(round(seconds * 1000))
