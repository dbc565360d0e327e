"""The Settings page's Advanced group: Scan QR (a SIP account from a QR code), a custom control
plane with its CA file (in demo mode the bundled emulator's, read-only), and, read-only, the SIP
transport in use and what this platform's SIP library can do."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)

from softphone.core.errors import ConfigError
from softphone.core.events import Capabilities
from softphone.ui.settings.page import SettingsPage


class AdvancedSection(SettingsPage):
    """The Advanced group; Scan QR asks the app for the scanner with ``scanQrRequested``, and
    the app applies the control plane on ``settingsChanged``."""

    def _advanced_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Advanced"), self)
        form = QFormLayout(group)
        self.scan_qr = QPushButton(self.tr("S&can QR…"), group)
        self.scan_qr.setAccessibleName(self.tr("Scan a QR code"))
        self.scan_qr.setToolTip(self.tr("Set up a SIP account from a QR code and its PIN"))
        self.scan_qr.clicked.connect(self._request_scan)
        scan_row = QHBoxLayout()
        scan_row.addWidget(self.scan_qr)
        scan_row.addStretch(1)
        form.addRow(self.tr("SIP account:"), scan_row)

        self.control_plane = QLineEdit(self._settings.custom_control_plane, group)
        self.control_plane.setObjectName("controlPlane")
        self.control_plane.setPlaceholderText(self.tr("https://vicifast.com (default)"))
        self.control_plane.setAccessibleName(self.tr("Custom control plane address"))
        self.control_plane.editingFinished.connect(self._apply_control_plane)
        cp_label = QLabel(self.tr("C&ontrol plane:"), group)
        cp_label.setBuddy(self.control_plane)
        form.addRow(cp_label, self.control_plane)
        self.ca_file = QLineEdit(self._settings.ca_file, group)
        self.ca_file.setObjectName("caFile")
        self.ca_file.setPlaceholderText(self.tr("System certificates"))
        self.ca_file.setAccessibleName(self.tr("CA certificate file"))
        self.ca_file.editingFinished.connect(self._apply_control_plane)
        self.ca_browse = browse = QPushButton(self.tr("&Browse…"), group)
        browse.setAccessibleName(self.tr("Choose a CA certificate file"))
        browse.clicked.connect(self._choose_ca_file)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        ca_label = QLabel(self.tr("CA &file:"), group)
        ca_label.setBuddy(self.ca_file)
        form.addRow(ca_label, ca_row)
        self.control_plane_error = QLabel(group)
        self.control_plane_error.setWordWrap(True)
        self.control_plane_error.hide()
        form.addRow(self.control_plane_error)
        self.control_plane_note = QLabel(group)  # demo mode's: the emulator is not a choice
        self.control_plane_note.setWordWrap(True)
        self.control_plane_note.hide()
        form.addRow(self.control_plane_note)
        self._control_plane_fixed = False

        self.transport_labels: dict[str, QLabel] = {}
        for key, title in (
            ("transport", self.tr("Transport:")),
            ("local", self.tr("Local address:")),
            ("server", self.tr("Server:")),
        ):
            value = QLabel("—", group)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(title.rstrip(":"))
            self.transport_labels[key] = value
            form.addRow(title, value)
        self.capability_labels: dict[str, QLabel] = {}
        for key, title in (
            ("library", self.tr("SIP library:")),
            ("tls", self.tr("SIP over TLS:")),
        ):
            value = QLabel("—", group)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(title.rstrip(":"))
            self.capability_labels[key] = value
            form.addRow(title, value)
        return group

    def _show_transport_info(self, info: dict[str, str]) -> None:
        for key, text in info.items():
            self.transport_labels[key].setText(text or "—")

    def _show_capabilities(self, capabilities: Capabilities) -> None:
        library = self.tr("pjsua2 %1 on %2").replace("%1", capabilities.pjsua2_version)
        self.capability_labels["library"].setText(library.replace("%2", capabilities.platform))
        if capabilities.tls:
            tls = self.tr("Available (%1)").replace("%1", capabilities.tls_detail or "—")
        else:
            tls = self.tr("Not in this build (%1)").replace("%1", capabilities.tls_detail or "—")
        self.capability_labels["tls"].setText(tls)

    def show_demo_control_plane(self, url: str, ca_file: str) -> None:
        """Demo mode: show the control plane the app uses (the bundled emulator) and its CA,
        read-only, with a note; nothing here saves them as the real control plane."""
        self._control_plane_fixed = True
        for field, text in ((self.control_plane, url), (self.ca_file, ca_file)):
            field.setText(text)
            field.setReadOnly(True)
            field.setCursorPosition(0)
        self.ca_browse.setEnabled(False)
        self.control_plane_error.hide()
        self.control_plane_note.setText(self.tr("Demo mode: the bundled emulator"))
        self.control_plane_note.show()
        self.control_plane.setToolTip(self.control_plane_note.text())

    def _apply_control_plane(self) -> None:
        if self._control_plane_fixed:
            return  # demo mode: the emulator is shown, never saved as the control plane
        url, ca = self.control_plane.text().strip(), self.ca_file.text().strip()
        try:
            self._settings.with_(custom_control_plane=url, ca_file=ca)
        except ConfigError as exc:
            self.control_plane_error.setText(str(exc))
            self.control_plane_error.show()
            return
        self.control_plane_error.hide()
        self._change(custom_control_plane=url.rstrip("/"), ca_file=ca)

    @Slot()
    def _request_scan(self) -> None:
        self.scanQrRequested.emit()

    def _choose_ca_file(self) -> None:
        dialog = QFileDialog(self, self.tr("CA certificate file"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"))

        def chosen(name: str) -> None:
            self.ca_file.setText(name)
            self._apply_control_plane()

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
