"""Settings: sound devices with level meters and volumes, the ringtone (with a preview),
auto-answer, start-up (launch at login, opening sip:/tel:/callto: links), SIP trace and
diagnostics, and an Advanced part (Scan QR, custom control plane, transport info, what this
platform's SIP library can do).

Every change is checked by ``AppSettings``, saved at once and announced with
``settingsChanged(AppSettings)`` for the app to apply (engine auto-answer, SIP trace, control
plane). Launch at login and opening links are applied to the desktop at once; the links
checkbox shows what the desktop itself says (``LinkHandler.is_registered``) each time the page
is shown, not a saved setting. Device choices are applied here through the
``AudioController``, and the volumes and the ringtone through the engine's ``SoundCommands``;
the app connects the controller's events (moved to the GUI thread by the bridge) to
``on_audio_event``. All signals are emitted on the GUI thread.

Every call into the controller that can block (a device re-scan re-initialises PortAudio, an
open waits for the sound server, all of it under the controller's lock) runs on ``audio_ops``,
an executor that keeps their order (the app's audio lane); the page shows the outcome when it
comes back. While a re-scan takes longer than a moment the device lists say so, disabled.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from softphone.audio.backend import AudioDevice
from softphone.audio.controller import (
    AudioController,
    AudioDeviceLost,
    AudioDeviceRestored,
    AudioDevicesOpened,
    RingerLost,
    RingerOpened,
)
from softphone.audio.errors import AudioError
from softphone.core.errors import ConfigError
from softphone.core.events import Capabilities
from softphone.core.models import AutoAnswerMode, Ringtone
from softphone.core.phone import SoundCommands
from softphone.core.session import Executor, Outcome, run_inline
from softphone.desktop.autostart import Autostart, AutostartError, autostart_for
from softphone.desktop.link_handler import LinkHandler, LinkHandlerError, link_handler_for
from softphone.storage.settings import (
    AS_PROVISIONED,
    MAX_MIC_VOLUME,
    MAX_SPEAKER_VOLUME,
    AppSettings,
    SoundSystem,
    default_path,
)
from softphone.ui.command_runner import log_failure
from softphone.ui.diagnostics import Diagnostics
from softphone.ui.level_meter import LevelMeter

_log = logging.getLogger(__name__)

METER_INTERVAL_MS: Final = 50
LOOKING_AFTER_MS: Final = 150  # a re-scan that takes longer shows "Looking for devices…"
VOLUME_STEP: Final = 5  # percent per arrow key; Page Up/Down move twice as far
_MODES: Final = (
    None,  # as the server provisions the account
    AutoAnswerMode.HEADER,
    AutoAnswerMode.OFF,
    AutoAnswerMode.ALWAYS,
    AutoAnswerMode.AFTER,
)


def _mode_data(mode: AutoAnswerMode | None) -> str:
    return AS_PROVISIONED if mode is None else mode.value


class _Relay(QObject):
    exported = Signal(object)  # Path | str (an error message)
    previewing = Signal(float)  # seconds the ringtone preview plays (0: it does not)


class SettingsView(QWidget):
    """The Settings page. ``settings_path`` is where changes are saved (default: the platformdirs
    config dir); ``autostart``, ``link_handler`` and ``diagnostics`` default to this platform's
    and the log dir. ``audio_ops`` runs the controller's blocking calls in order off the GUI
    thread (the app's audio lane); the default runs them in place (tests, tools)."""

    settingsChanged = Signal(object)  # AppSettings
    scanQrRequested = Signal()
    diagnosticsExported = Signal(str)  # the zip's path
    noticeChanged = Signal(str)  # the device notice's text ("" when cleared), for tests/a11y

    def __init__(
        self,
        audio: AudioController,
        settings: AppSettings,
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
        self._audio = audio
        self._audio_ops: Executor = audio_ops or run_inline
        self._sound = sound
        self._devices: tuple[list[AudioDevice], list[AudioDevice]] | None = None  # the last scan
        self._refreshing = self._refresh_again = False
        self._settings = settings
        self._path = settings_path or default_path()
        self._autostart = autostart or autostart_for()
        self._link_handler = link_handler or link_handler_for()
        self._diagnostics = diagnostics or Diagnostics()
        self._transport_info: dict[str, str] = {}
        self._capabilities: Capabilities | None = None
        self._testing_opened = False  # the mic test opened the devices (and closes them)
        self._relay = _Relay()
        self._relay.exported.connect(self._on_exported, Qt.ConnectionType.QueuedConnection)
        self._relay.previewing.connect(self._on_previewing, Qt.ConnectionType.QueuedConnection)
        self._meter_timer = QTimer(self)
        self._meter_timer.setInterval(METER_INTERVAL_MS)
        self._meter_timer.timeout.connect(self.update_meters)
        self._looking_timer = QTimer(self)
        self._looking_timer.setSingleShot(True)
        self._looking_timer.setInterval(LOOKING_AFTER_MS)
        self._looking_timer.timeout.connect(self._show_looking)

        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(self._audio_group())
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

    # ---- building ---------------------------------------------------------------------------

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

    def _volume(
        self, name: str, accessible: str, top: int, value: int
    ) -> tuple[QSlider, QHBoxLayout]:
        slider = QSlider(Qt.Orientation.Horizontal, self)
        slider.setObjectName(name)
        slider.setAccessibleName(accessible)
        slider.setRange(0, top)
        slider.setSingleStep(VOLUME_STEP)
        slider.setPageStep(2 * VOLUME_STEP)
        slider.setTickInterval(50)
        slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        slider.setValue(value)
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

    def _show_percent(self, slider: QSlider, shown: QLabel) -> None:
        text = self.tr("%1 %").replace("%1", str(slider.value()))
        shown.setText(text)
        slider.setAccessibleDescription(text)

    def _audio_group(self) -> QGroupBox:
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
        self.test_mic.toggled.connect(self._on_test_mic)
        meter_row = QHBoxLayout()
        meter_row.addWidget(self.mic_meter, 1)
        meter_row.addWidget(self.test_mic)
        mic_label = QLabel(self.tr("&Microphone:"), group)
        mic_label.setBuddy(self.mic_combo)
        form.addRow(mic_label, self.mic_combo)
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
        form.addRow(speaker_label, self.speaker_combo)
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
        form.addRow(ringer_label, self.ringer_combo)
        self.ringer_notice = QLabel(group)
        self.ringer_notice.setObjectName("ringerNotice")
        self.ringer_notice.setWordWrap(True)
        self.ringer_notice.setAccessibleName(self.tr("Ringer notice"))
        self.ringer_notice.hide()
        form.addRow(self.ringer_notice)

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
        self.play_ringtone.setToolTip(
            self.tr("Hear the ringtone for a few seconds where calls ring; click again to stop")
        )
        self.play_ringtone.toggled.connect(self._on_preview)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.timeout.connect(lambda: self.play_ringtone.setChecked(False))
        ringtone_label = QLabel(self.tr("R&ingtone:"), group)
        ringtone_label.setBuddy(self.ringtone)
        ringtone_row = QHBoxLayout()
        ringtone_row.addWidget(self.ringtone, 1)
        ringtone_row.addWidget(self.play_ringtone)
        form.addRow(ringtone_label, ringtone_row)
        self._sync_preview()

        self.refresh_button = QPushButton(self.tr("Re&fresh devices"), group)
        self.refresh_button.setAccessibleName(self.tr("Refresh the device lists"))
        self.refresh_button.clicked.connect(self.refresh_devices)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        form.addRow(row)
        return group

    def _calls_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Calls"), self)
        form = QFormLayout(group)
        self.auto_answer = self._combo("autoAnswer", self.tr("Auto-answer"))
        labels = {
            None: self.tr("As your company's server sets it"),
            AutoAnswerMode.HEADER: self.tr("When the server asks (VICIdial)"),
            AutoAnswerMode.OFF: self.tr("Off"),
            AutoAnswerMode.ALWAYS: self.tr("Always, at once"),
            AutoAnswerMode.AFTER: self.tr("Always, after a delay"),
        }
        for mode in _MODES:
            self.auto_answer.addItem(labels[mode], _mode_data(mode))
        self.auto_answer.setCurrentIndex(
            self.auto_answer.findData(_mode_data(self._settings.auto_answer))
        )
        self.auto_answer.activated.connect(lambda _i: self._on_auto_answer())
        self.delay = QDoubleSpinBox(group)
        self.delay.setAccessibleName(self.tr("Auto-answer delay in seconds"))
        self.delay.setRange(0.0, 60.0)
        self.delay.setDecimals(0)
        self.delay.setSuffix(self.tr(" s"))
        self.delay.setValue(min(self._settings.auto_answer_delay_s, 60.0))
        self.delay.valueChanged.connect(lambda _v: self._on_auto_answer())
        label = QLabel(self.tr("&Auto-answer:"), group)
        label.setBuddy(self.auto_answer)
        row = QHBoxLayout()
        row.addWidget(self.auto_answer, 1)
        delay_label = QLabel(self.tr("&Delay:"), group)
        delay_label.setBuddy(self.delay)
        row.addWidget(delay_label)
        row.addWidget(self.delay)
        form.addRow(label, row)
        self._sync_delay()
        self.accept_direct = self._check(
            self.tr("Accept &direct calls from other addresses"),
            self.tr("Accept direct calls from other addresses"),
            self._settings.accept_direct_calls,
        )
        self.accept_direct.setToolTip(
            self.tr(
                "Calls that do not come through your company's SIP server are refused unless "
                "this is on. When it is on they ring, marked as direct calls, and are never "
                "answered automatically."
            )
        )
        self.accept_direct.toggled.connect(lambda on: self._change(accept_direct_calls=on))
        form.addRow(self.accept_direct)
        self._refused = 0
        self.refused_label = QLabel(group)
        self.refused_label.setObjectName("refusedCalls")
        self.refused_label.setWordWrap(True)
        self.refused_label.hide()
        form.addRow(self.refused_label)
        return group

    def show_refused(self, count: int, sources: tuple[str, ...]) -> None:
        """Direct calls were refused (``UntrustedRequestsRefused``): say how many and from
        where, so an agent who expected one knows why it never rang."""
        self._refused += count
        text = self.tr(
            "Refused since start: {0} call(s) or request(s) from addresses that are not your "
            "company's SIP server, the last from {1}."
        )
        self.refused_label.setText(text.format(self._refused, sources[-1] if sources else "?"))
        self.refused_label.show()

    def _startup_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Start-up"), self)
        box = QVBoxLayout(group)
        self.start_minimised = self._check(
            self.tr("Start minimised to the tra&y"),
            self.tr("Start minimised to the tray"),
            self._settings.start_minimised,
        )
        self.start_minimised.toggled.connect(lambda on: self._change(start_minimised=on))
        self.launch_at_login = self._check(
            self.tr("&Launch at login"),
            self.tr("Launch at login"),
            self._settings.launch_at_login,
        )
        self.launch_at_login.toggled.connect(self._on_launch_at_login)
        self.startup_error = QLabel(group)
        self.startup_error.setWordWrap(True)
        self.startup_error.hide()
        self.open_links = self._check(
            self.tr("Open sip:, tel: and callto: li&nks with VICIfast Phone"),
            self.tr("Open sip:, tel: and callto: links with VICIfast Phone"),
            False,
        )
        self.open_links.setObjectName("openLinks")
        reason = self._link_handler.unavailable_reason
        self.open_links.setEnabled(reason is None)
        self.open_links.setAccessibleDescription(reason or "")
        self.open_links.setToolTip(
            reason
            or self.tr(
                "Phone numbers and SIP addresses you click in a browser or your CRM open here; "
                "you confirm before a call is dialled"
            )
        )
        self.open_links.toggled.connect(self._on_open_links)
        self.links_error = QLabel(group)
        self.links_error.setObjectName("linksError")
        self.links_error.setWordWrap(True)
        self.links_error.hide()
        self._sync_open_links()
        box.addWidget(self.start_minimised)
        box.addWidget(self.launch_at_login)
        box.addWidget(self.startup_error)
        box.addWidget(self.open_links)
        box.addWidget(self.links_error)
        return group

    def _diagnostics_group(self) -> QGroupBox:
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
            self.tr("Save a zip with version information, settings and the SIP trace for support")
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
        browse = QPushButton(self.tr("&Browse…"), group)
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

    # ---- what the app calls -----------------------------------------------------------------

    @property
    def settings(self) -> AppSettings:
        return self._settings

    def set_transport_info(self, *, transport: str = "", local: str = "", server: str = "") -> None:
        """Shown read-only under Advanced (and put in the diagnostics)."""
        self._transport_info = {"transport": transport, "local": local, "server": server}
        for key, text in self._transport_info.items():
            self.transport_labels[key].setText(text or "—")

    def set_capabilities(self, capabilities: Capabilities) -> None:
        """What this platform's SIP library can do (the engine's event, on the GUI thread):
        shown under Advanced and by the SIP trace switch, and put in the diagnostics."""
        self._capabilities = capabilities
        library = self.tr("pjsua2 %1 on %2").replace("%1", capabilities.pjsua2_version)
        self.capability_labels["library"].setText(library.replace("%2", capabilities.platform))
        if capabilities.tls:
            tls = self.tr("Available (%1)").replace("%1", capabilities.tls_detail or "—")
        else:
            tls = self.tr("Not in this build (%1)").replace("%1", capabilities.tls_detail or "—")
        self.capability_labels["tls"].setText(tls)
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

    @Slot(object)
    def on_audio_event(self, event: object) -> None:
        """An ``AudioDeviceEvent``, delivered on the GUI thread."""
        if isinstance(event, AudioDeviceLost):
            self._set_notice(
                self.tr("The sound device stopped (%1). Reconnecting…").replace("%1", event.reason)
            )
        elif isinstance(event, AudioDeviceRestored) and event.fallback:
            using = ", ".join(n for n in (event.input_name, event.output_name) if n)
            self._set_notice(
                self.tr(
                    "Your chosen device is not connected. Using the system default (%1) until "
                    "it is back."
                ).replace("%1", using or self.tr("system default"))
            )
            self.refresh_devices()
        elif isinstance(event, AudioDeviceRestored | AudioDevicesOpened):
            self._set_notice("")
            self.refresh_devices()
        elif isinstance(event, RingerLost):
            self.ringer_notice.setText(
                self.tr(
                    "The ringer device stopped (%1). Ringing on the speaker until it is back."
                ).replace("%1", event.reason)
            )
            self.ringer_notice.show()
        elif isinstance(event, RingerOpened):
            self.ringer_notice.hide()
            self.ringer_notice.clear()

    @Slot()
    def refresh_devices(self) -> None:
        """Re-scan the devices on the audio lane and fill the lists when it answers; asked again
        while one runs, one more follows it (never a queue of them behind a hung sound system)."""
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        if self._devices is None:
            self._show_looking()  # nothing to show meanwhile
        else:
            self._looking_timer.start()
        self._audio_ops(self._audio.devices, self._on_devices)

    @property
    def looking_for_devices(self) -> bool:
        """The device lists say "Looking for devices…" (a re-scan is taking a while)."""
        return not self.mic_combo.isEnabled()

    def _show_looking(self) -> None:
        looking = self.tr("Looking for devices…")
        for combo in (self.mic_combo, self.speaker_combo, self.ringer_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(looking)
            combo.setEnabled(False)
            combo.blockSignals(False)
        self.refresh_button.setEnabled(False)

    def _on_devices(self, outcome: Outcome[tuple[list[AudioDevice], list[AudioDevice]]]) -> None:
        self._refreshing = False
        self._looking_timer.stop()
        if outcome.value is not None:
            self._devices = outcome.value
        else:
            _log.warning("the sound devices could not be listed: %s", outcome.error)
            if isinstance(outcome.error, AudioError):
                self._set_notice(
                    self.tr("The sound devices could not be listed (%1).").replace(
                        "%1", str(outcome.error)
                    )
                )
        mics, speakers = self._devices or ([], [])
        self._fill(self.mic_combo, mics, self._settings.input_device_id, self.tr("System default"))
        self._fill(
            self.speaker_combo, speakers, self._settings.output_device_id, self.tr("System default")
        )
        self._fill(
            self.ringer_combo, speakers, self._settings.ringer_device_id, self.tr("Same as speaker")
        )
        for combo in (self.mic_combo, self.speaker_combo, self.ringer_combo):
            combo.setEnabled(True)
        self.refresh_button.setEnabled(True)
        if self._refresh_again:
            self._refresh_again = False
            self.refresh_devices()

    @Slot()
    def update_meters(self) -> None:
        levels = self._audio.levels()
        self.mic_meter.set_level(levels.mic)
        self.speaker_meter.set_level(levels.speaker)

    def export_diagnostics(self, dest: Path) -> None:
        """Write the zip on a worker thread; ``diagnosticsExported`` or a message follows."""
        self.export_button.setEnabled(False)
        self.export_status.setText(self.tr("Exporting…"))
        settings, info, relay = self._settings, dict(self._transport_info), self._relay
        caps = self._capabilities.to_dict() if self._capabilities is not None else None
        numbers = self.include_numbers.isChecked()

        def work() -> None:
            try:
                relay.exported.emit(
                    self._diagnostics.export(dest, settings, info, caps, include_numbers=numbers)
                )
            except OSError as exc:
                relay.exported.emit(str(exc.strerror or exc))

        threading.Thread(target=work, name="diagnostics-export", daemon=True).start()

    # ---- changes ----------------------------------------------------------------------------

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

    def _fill(
        self, combo: QComboBox, devices: list[AudioDevice], chosen: str | None, default: str
    ) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(default, None)
        for device in devices:
            combo.addItem(device.name, device.id)
        index = combo.findData(chosen) if chosen is not None else 0
        if index < 0:  # chosen but unplugged: keep it visible, it comes back when plugged in
            combo.addItem(self.tr("%1 (not connected)").replace("%1", chosen or ""), chosen)
            index = combo.count() - 1
        combo.setCurrentIndex(index)
        combo.blockSignals(False)

    def _apply_devices(self) -> None:
        mic, speaker = self.mic_combo.currentData(), self.speaker_combo.currentData()
        if (mic, speaker) == (self._settings.input_device_id, self._settings.output_device_id):
            return
        audio = self._audio
        previous = (self._settings.input_device_id, self._settings.output_device_id)
        # saved at once, so a quit before the switch has run keeps the choice
        self._change(input_device_id=mic, output_device_id=speaker)

        def switch() -> None:  # the audio lane
            if audio.stream is not None or audio.recovering:
                audio.switch(mic, speaker)

        def switched(outcome: Outcome[None]) -> None:
            if outcome.error is not None:
                if not isinstance(outcome.error, AudioError):
                    _log.error("switching the sound devices failed: %r", outcome.error)
                self._set_notice(
                    self.tr(
                        "That device could not be used (%1). Keeping the previous one."
                    ).replace("%1", str(outcome.error))
                )
                self._change(input_device_id=previous[0], output_device_id=previous[1])
                self.refresh_devices()
                return
            self._set_notice("")

        self._audio_ops(switch, switched)

    def _on_volume(self) -> None:
        """Applied at once, while the slider moves; saved when it is let go (or on a key)."""
        speaker, mic = self.speaker_volume.value(), self.mic_volume.value()
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
            why += " " + self.tr("Takes effect at the next start of VICIfast Phone.")
        self.sound_system_note.setText(why)

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
        self.play_ringtone.setEnabled(self._sound is not None and not silent)

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
        relay = self._relay

        def started(future: Future[float]) -> None:  # the SIP thread
            failed = future.cancelled() or future.exception() is not None
            relay.previewing.emit(0.0 if failed else future.result())

        future = self._sound.preview_ringtone(Ringtone(self.ringtone.currentData()))
        future.add_done_callback(log_failure("preview_ringtone"))
        future.add_done_callback(started)

    @Slot(float)
    def _on_previewing(self, seconds: float) -> None:
        if not self.play_ringtone.isChecked():
            return  # stopped before the engine answered
        if seconds <= 0:
            self.play_ringtone.setChecked(False)
        else:
            self._preview_timer.start(round(seconds * 1000))

    def _apply_ringer(self) -> None:
        ringer = self.ringer_combo.currentData()
        audio = self._audio

        def opened(outcome: Outcome[None]) -> None:
            if outcome.error is not None:
                self.ringer_notice.setText(
                    self.tr("The ringer could not be opened (%1). Ringing on the speaker.").replace(
                        "%1", str(outcome.error)
                    )
                )
                self.ringer_notice.show()
            else:
                self.ringer_notice.hide()

        # saved at once (also when it does not open now: it is tried again at the next start),
        # so a quit before the open has run keeps the choice
        self._change(ringer_device_id=ringer)
        self._audio_ops(lambda: audio.set_ringer(ringer), opened)

    def _on_auto_answer(self) -> None:
        data = self.auto_answer.currentData()
        mode = None if data == AS_PROVISIONED else AutoAnswerMode(data)
        self._change(auto_answer=mode, auto_answer_delay_s=float(self.delay.value()))
        self._sync_delay()

    def _sync_delay(self) -> None:
        self.delay.setEnabled(self.auto_answer.currentData() == AutoAnswerMode.AFTER.value)

    def _on_launch_at_login(self, on: bool) -> None:
        try:
            if on:
                self._autostart.enable()
            else:
                self._autostart.disable()
        except AutostartError as exc:
            self.startup_error.setText(str(exc))
            self.startup_error.show()
            self.launch_at_login.blockSignals(True)
            self.launch_at_login.setChecked(not on)
            self.launch_at_login.blockSignals(False)
            return
        self.startup_error.hide()
        self._change(launch_at_login=on)

    def _on_open_links(self, on: bool) -> None:
        try:
            if on:
                self._link_handler.register()
            else:
                self._link_handler.unregister()
        except LinkHandlerError as exc:
            self.links_error.setText(str(exc))
            self.links_error.show()
        else:
            self.links_error.hide()
        self._sync_open_links()

    def _sync_open_links(self) -> None:
        """The checkbox as the desktop has it (another app may have taken the links since)."""
        self.open_links.blockSignals(True)
        self.open_links.setChecked(self._link_handler.is_registered())
        self.open_links.blockSignals(False)

    def _apply_control_plane(self) -> None:
        url, ca = self.control_plane.text().strip(), self.ca_file.text().strip()
        try:
            self._settings.with_(custom_control_plane=url, ca_file=ca)
        except ConfigError as exc:
            self.control_plane_error.setText(str(exc))
            self.control_plane_error.show()
            return
        self.control_plane_error.hide()
        self._change(custom_control_plane=url.rstrip("/"), ca_file=ca)

    def _set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice_box.setVisible(bool(text))
        self.noticeChanged.emit(text)

    def _on_test_mic(self, on: bool) -> None:
        if not on:
            self._stop_test()
            return
        audio, devices = (
            self._audio,
            (self._settings.input_device_id, self._settings.output_device_id),
        )

        def open_() -> bool:  # the audio lane: True if the test opened the devices
            if audio.stream is not None or audio.recovering:
                return False  # a call's stream is there already: its levels show
            audio.open(*devices)
            return True

        def opened(outcome: Outcome[bool]) -> None:
            if outcome.error is not None:
                self._set_notice(
                    self.tr("The microphone could not be opened (%1).").replace(
                        "%1", str(outcome.error)
                    )
                )
                self.test_mic.setChecked(False)
                return
            if outcome.value:
                self._testing_opened = True
                if not self.test_mic.isChecked():  # stopped before the devices were open
                    self._stop_test()

        self._audio_ops(open_, opened)

    def _stop_test(self) -> None:
        if not self._testing_opened:
            return
        self._testing_opened = False
        audio = self._audio

        def close() -> None:  # the audio lane
            # the controller closes only everything at once: the ringer is put back after
            ringer = audio.ringer_choice
            audio.close()
            if ringer is not None:
                audio.set_ringer(ringer)

        def closed(outcome: Outcome[None]) -> None:
            if outcome.error is not None:
                self.ringer_notice.setText(self.tr("The ringer could not be reopened."))
                self.ringer_notice.show()

        self._audio_ops(close, closed)

    @Slot()
    def _request_scan(self) -> None:
        self.scanQrRequested.emit()

    # ---- dialogs ----------------------------------------------------------------------------

    def _choose_export_file(self) -> None:
        dialog = QFileDialog(self, self.tr("Export diagnostics"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("Zip archives (*.zip)"))
        dialog.setDefaultSuffix("zip")
        dialog.selectFile("vicifast-diagnostics.zip")
        dialog.fileSelected.connect(lambda name: self.export_diagnostics(Path(name)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

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

    @Slot(object)
    def _on_exported(self, result: object) -> None:
        self.export_button.setEnabled(True)
        if isinstance(result, Path):
            self.export_status.setText(self.tr("Saved to %1").replace("%1", str(result)))
            self.diagnosticsExported.emit(str(result))
        else:
            self.export_status.setText(
                self.tr("Diagnostics could not be saved: %1").replace("%1", str(result))
            )

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

    @property
    def meters_running(self) -> bool:
        return self._meter_timer.isActive()
