"""What every section of the Settings page shares: the settings being edited, how a change is
checked, saved and announced, and the page's combo boxes and checkboxes.

Each section (``sound.py``, ``calls.py``…) is a mixin over :class:`SettingsPage`, so the page's
widgets stay attributes of the one :class:`~softphone.ui.settings.view.SettingsView` the app
and the tests hold. Every signal of the page is declared here, none in a section: a class's Qt
meta-object follows only the chain of first bases, so a signal declared on a section off that
chain would never be delivered (``test_settings_view`` checks the rule).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QSizePolicy, QWidget

from softphone.core.errors import ConfigError
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge


class SettingsPage(QWidget):
    """The base of the page's sections. Every change is checked by ``AppSettings``, saved at
    once to ``_path`` and announced with ``settingsChanged(AppSettings)``. All the signals are
    emitted on the GUI thread."""

    settingsChanged = Signal(object)  # AppSettings
    scanQrRequested = Signal()  # Advanced: Scan QR was clicked (the app opens the scanner)
    diagnosticsExported = Signal(str)  # Diagnostics: the zip's path
    noticeChanged = Signal(str)  # Sound: the device notice's text ("" when cleared), tests/a11y

    _settings: AppSettings
    _path: Path
    _bridge: QtBridge  # brings worker results (the export, the ringtone preview) back here
    export_status: QLabel  # the Diagnostics section's status line; a failed save shows there

    @property
    def settings(self) -> AppSettings:
        return self._settings

    def _combo(self, name: str, accessible: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(24)
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return combo

    def _check(self, text: str, accessible: str, checked: bool) -> QCheckBox:
        box = QCheckBox(text, self)
        box.setAccessibleName(accessible)
        box.setChecked(checked)
        return box

    def _change(self, **changes: object) -> bool:
        try:
            updated = self._settings.with_(**changes)
        except ConfigError:
            return False
        if updated == self._settings:
            return True
        self._settings = updated
        try:
            updated.save(self._path)
        except OSError as exc:
            self.export_status.setText(
                self.tr("Settings could not be saved: %1").replace("%1", str(exc.strerror or exc))
            )
        self.settingsChanged.emit(updated)
        return True
