"""The supervisors' provisioning pane: one agent's code (:mod:`.one_agent_tab`) or a CSV batch
(:mod:`.batch_tab`), in two tabs sharing one worker (:mod:`.worker`).

PINs: a SIP account code's PIN is shown only on the one-agent tab, for that agent; a batch's PINs
only leave the app in the PIN list. Neither is saved by the app nor drawn on a code image or the
QR sheet; closing the pane forgets them.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from softphone.ui.bridge import QtBridge
from softphone.ui.provisioning.batch_tab import BatchTab
from softphone.ui.provisioning.one_agent_tab import OneAgentTab
from softphone.ui.provisioning.worker import Worker


class ProvisioningView(QWidget):
    """Make one agent's code (``one``), or a batch from a CSV (``batch``). Signals: none (it
    writes files and the clipboard only when the supervisor asks)."""

    def __init__(self, bridge: QtBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._worker = Worker(bridge, self)
        self._closed = False
        self.setAccessibleName(self.tr("Provisioning"))
        self.one = OneAgentTab(self._worker)
        self.batch = BatchTab(bridge, self._worker)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Provisioning: one agent or a batch"))
        self.tabs.addTab(self.one, self.tr("&One agent"))
        self.tabs.addTab(self.batch, self.tr("&Batch from CSV"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)

    def shutdown(self) -> None:
        """Stop the worker and forget the PINs, for a pane closed before the app quits (at quit
        the bridge closes the worker's lane itself)."""
        if self._closed:
            return
        self._closed = True
        self.batch.stop()
        self.one.forget()
        self._worker.close()
