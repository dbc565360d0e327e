"""A level meter for the microphone and speaker (dBFS), drawn by the style as a progress bar."""

from __future__ import annotations

from typing import Final

from PySide6.QtWidgets import QProgressBar, QWidget

from softphone.audio.levels import FLOOR_DBFS, Level

RANGE_DB: Final = 60  # the bar spans -60..0 dBFS; quieter reads empty


class LevelMeter(QProgressBar):
    """Shows the RMS level of a ``Level``; its accessible value is the level in dB."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, RANGE_DB * 10)
        self.setValue(0)
        self.setTextVisible(False)
        self.setFixedHeight(10)
        self.setAccessibleName(accessible_name)
        self._dbfs = FLOOR_DBFS

    @property
    def dbfs(self) -> float:
        return self._dbfs

    def set_level(self, level: Level) -> None:
        self._dbfs = level.rms_dbfs
        value = round((max(level.rms_dbfs, -RANGE_DB) + RANGE_DB) * 10)
        if value != self.value():
            self.setValue(value)
            quiet = level.rms_dbfs <= FLOOR_DBFS
            self.setAccessibleDescription(
                self.tr("silent") if quiet else self.tr("%n dB", "", round(level.rms_dbfs))
            )
