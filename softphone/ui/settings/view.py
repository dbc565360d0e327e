"""The Settings page, put together from its sections: Sound, Voice processing, Calls, Start-up,
Diagnostics and Advanced (one module each in this package), in one scrolling column.

Every change is checked by ``AppSettings``, saved at once and announced with
``settingsChanged(AppSettings)`` for the app to apply (engine auto-answer, SIP trace, control
plane). All signals are emitted on the GUI thread; work off it comes back through the bridge
(the diagnostics export, the ringtone preview's answer) or ``audio_ops`` (the sound devices).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from softphone.audio.controller import AudioController
from softphone.core.events import Capabilities
from softphone.core.executor import Executor, run_inline
from softphone.core.phone import SoundCommands
from softphone.desktop.autostart import Autostart, autostart_for
from softphone.desktop.link_handler import LinkHandler, link_handler_for
from softphone.storage.settings import AppSettings, default_path
from softphone.ui.bridge import QtBridge
from softphone.ui.diagnostics import Diagnostics
from softphone.ui.settings.advanced import AdvancedSection
from softphone.ui.settings.calls import CallsSection
from softphone.ui.settings.diagnostics import DiagnosticsSection
from softphone.ui.settings.sound import SoundSection
from softphone.ui.settings.startup import StartupSection
from softphone.ui.settings.voice import VoiceSection


class SettingsView(
    SoundSection, VoiceSection, CallsSection, StartupSection, DiagnosticsSection, AdvancedSection
):
    """The Settings page. ``bridge`` brings results from worker threads back to the GUI thread;
    ``settings_path`` is where changes are saved (default: the platformdirs config dir);
    ``autostart``, ``link_handler`` and ``diagnostics`` default to this platform's and the log
    dir. ``audio_ops`` runs the controller's blocking calls in order off the GUI thread (the
    app's audio lane); the default runs them in place (tests, tools)."""

    def __init__(
        self,
        audio: AudioController,
        settings: AppSettings,
        bridge: QtBridge,
        parent: QWidget | None = None,
        *,
        settings_path: Path | None = None,
        autostart: Autostart | None = None,
        link_handler: LinkHandler | None = None,
        diagnostics: Diagnostics | None = None,
        sound: SoundCommands | None = None,
        audio_ops: Executor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsView")
        self.setAccessibleName(self.tr("Settings"))
        self._bridge = bridge
        self._audio = audio
        self._audio_ops = audio_ops or run_inline
        self._sound = sound
        self._settings = settings
        self._path = settings_path or default_path()
        self._autostart = autostart or autostart_for()
        self._link_handler = link_handler or link_handler_for()
        self._diagnostics = diagnostics or Diagnostics()

        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(self._audio_group())
        column.addWidget(self._voice_group())
        column.addWidget(self._calls_group())
        column.addWidget(self._startup_group())
        column.addWidget(self._diagnostics_group())
        column.addWidget(self._advanced_group())
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        scroll.setAccessibleName(self.tr("Settings"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.refresh_devices()

    # ---- what the app calls -----------------------------------------------------------------

    def set_transport_info(self, *, transport: str = "", local: str = "", server: str = "") -> None:
        """Shown read-only under Advanced (and put in the diagnostics)."""
        self._transport_info = {"transport": transport, "local": local, "server": server}
        self._show_transport_info(self._transport_info)

    def set_capabilities(self, capabilities: Capabilities) -> None:
        """What this platform's SIP library can do (the engine's event, on the GUI thread):
        shown under Advanced and by the SIP trace switch, and put in the diagnostics."""
        self._capabilities = capabilities
        self._show_capabilities(capabilities)
        self._show_trace_note(capabilities)

    # ---- visibility -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._meter_timer.start()
        self._sync_open_links()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._meter_timer.stop()
        self.test_mic.setChecked(False)
        self.play_ringtone.setChecked(False)
