"""The Settings page's Diagnostics group: the SIP trace switch (and why, on some builds, it only
starts with the next start) and exporting the diagnostics zip for support.

The zip is written on a thread of its own through the bridge (``run_in_thread``): reading the
logs and masking them can take a while, and must not wait behind the app's pool.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from softphone.core.events import Capabilities
from softphone.core.executor import Outcome
from softphone.ui.diagnostics import Diagnostics
from softphone.ui.settings.page import SettingsPage

_log = logging.getLogger(__name__)


class DiagnosticsSection(SettingsPage):
    """The Diagnostics group; a zip written is announced with ``diagnosticsExported``. What the
    app reports (transport, capabilities) goes into the zip."""

    _diagnostics: Diagnostics

    def _diagnostics_group(self) -> QGroupBox:
        # what the app reports, for the zip
        self._transport_info: dict[str, str] = {}
        self._capabilities: Capabilities | None = None
        group = QGroupBox(self.tr("Diagnostics"), self)
        box = QVBoxLayout(group)
        self.sip_trace = self._check(
            self.tr("Record a SIP &trace (passwords are removed)"),
            self.tr("Record a SIP trace"),
            self._settings.sip_trace,
        )
        self.sip_trace.toggled.connect(lambda on: self._change(sip_trace=on))
        # Where the SIP library cannot switch the trace while it runs, the box still works: the
        # trace starts with the next start (and stops at once), so it stays enabled, with why.
        self.trace_note = QLabel(group)
        self.trace_note.setObjectName("traceNote")
        self.trace_note.setWordWrap(True)
        self.trace_note.hide()
        self.export_button = QPushButton(self.tr("&Export diagnostics…"), group)
        self.export_button.setAccessibleName(self.tr("Export diagnostics"))
        self.export_button.setToolTip(
            self.tr(
                "Save a zip with version information, settings, the SIP trace and how the last "
                "calls sounded, for support"
            )
        )
        self.export_button.clicked.connect(self._choose_export_file)
        # Off by default, for each export: the zip usually leaves the computer.
        self.include_numbers = self._check(
            self.tr("Include p&hone numbers"), self.tr("Include phone numbers"), False
        )
        self.include_numbers.setToolTip(
            self.tr(
                "Leave callers' numbers and names in the exported SIP trace. Off: only the "
                "last two digits of each number and the initials of each name are kept."
            )
        )
        self.export_status = QLabel(group)
        self.export_status.setWordWrap(True)
        self.export_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addWidget(self.include_numbers)
        row.addWidget(self.export_status, 1)
        box.addWidget(self.sip_trace)
        box.addWidget(self.trace_note)
        box.addLayout(row)
        return group

    def _show_trace_note(self, capabilities: Capabilities) -> None:
        """Say by the SIP trace switch when this build cannot start a trace while it runs."""
        reason = ""
        if not capabilities.live_sip_trace:
            reason = self.tr(
                "On this computer a SIP trace you turn on starts with the next start of VICIfast "
                "Phone: this build's SIP library cannot start it while it runs. Turning it off "
                "works at once."
            )
        self.trace_note.setText(reason)
        self.trace_note.setVisible(bool(reason))
        self.sip_trace.setToolTip(reason)
        self.sip_trace.setAccessibleDescription(reason)

    def export_diagnostics(self, dest: Path) -> None:
        """Write the zip on a thread of its own; ``diagnosticsExported`` or a message follows."""
        self.export_button.setEnabled(False)
        self.export_status.setText(self.tr("Exporting…"))
        settings, info, diagnostics = self._settings, dict(self._transport_info), self._diagnostics
        caps = self._capabilities.to_dict() if self._capabilities is not None else None
        numbers = self.include_numbers.isChecked()

        def work() -> Path:
            return diagnostics.export(dest, settings, info, caps, include_numbers=numbers)

        self._bridge.run_in_thread("diagnostics-export", work, self._on_exported, owner=self)

    def _choose_export_file(self) -> None:
        dialog = QFileDialog(self, self.tr("Export diagnostics"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("Zip archives (*.zip)"))
        dialog.setDefaultSuffix("zip")
        dialog.selectFile("vicifast-diagnostics.zip")
        dialog.fileSelected.connect(lambda name: self.export_diagnostics(Path(name)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _on_exported(self, outcome: Outcome[Path]) -> None:
        self.export_button.setEnabled(True)
        if outcome.value is not None:
            self.export_status.setText(self.tr("Saved to %1").replace("%1", str(outcome.value)))
            self.diagnosticsExported.emit(str(outcome.value))
            return
        error = outcome.error
        if isinstance(error, OSError):
            reason = str(error.strerror or error)
        else:
            _log.error("exporting the diagnostics failed: %r", error)
            reason = str(error)
        self.export_status.setText(
            self.tr("Diagnostics could not be saved: %1").replace("%1", reason)
        )
