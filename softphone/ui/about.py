"""Help → About: what this is, which version (the one the diagnostics zip reports too), what it
is built on, where the person's data stays, and the way to the diagnostics export.

The SIP library's version comes from the engine's ``Capabilities`` event (passed in as text):
the GUI never reaches pjsua2 itself.
"""

from __future__ import annotations

import PySide6
from PySide6.QtCore import Qt, Signal, qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone import __version__
from softphone.ui.look import Text, set_text


class AboutDialog(QDialog):
    """Emits ``diagnosticsRequested`` (GUI thread) when the person asks for the diagnostics,
    after closing itself; ``diagnostics_reachable`` False (signed out: no Settings page to go
    to) leaves that button off, with why."""

    diagnosticsRequested = Signal()

    def __init__(
        self,
        sip_library: str = "",
        *,
        diagnostics_reachable: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About VICIfast Desktop"))
        name = QLabel(self.tr("VICIfast Desktop"))
        set_text(name, Text.TITLE, bold=True)
        self.version = QLabel(self.tr("Version {0}").format(__version__))
        self.version.setObjectName("version")
        self.version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        built = [f"PySide6 {PySide6.__version__}, Qt {qVersion()}"]
        if sip_library:
            built.append(sip_library)
        self.built_on = QLabel(self.tr("Built on {0}").format("; ".join(built)))
        self.built_on.setObjectName("builtOn")
        self.built_on.setWordWrap(True)
        self.built_on.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        privacy = QLabel(
            self.tr(
                "Your sign-in is kept in this computer's keychain, and your call history is "
                "stored encrypted on this computer. Diagnostics are only gathered when you "
                "export them, and only you send them."
            )
        )
        privacy.setObjectName("privacy")
        privacy.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.diagnostics_button = QPushButton(self.tr("&Diagnostics…"))
        self.diagnostics_button.setToolTip(
            self.tr("Go to Settings → Diagnostics to export a zip for support")
            if diagnostics_reachable
            else self.tr("Sign in first: the diagnostics export is under Settings")
        )
        self.diagnostics_button.setEnabled(diagnostics_reachable)
        self.diagnostics_button.clicked.connect(self._to_diagnostics)
        buttons.addButton(self.diagnostics_button, QDialogButtonBox.ButtonRole.ActionRole)
        column = QVBoxLayout(self)
        column.addWidget(name)
        column.addWidget(self.version)
        column.addWidget(self.built_on)
        column.addSpacing(8)
        column.addWidget(privacy)
        column.addSpacing(8)
        column.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)

    def _to_diagnostics(self) -> None:
        self.accept()
        self.diagnosticsRequested.emit()
