"""SettingsView over an AudioController on a fake backend: device pickers, the ringer, meters,
device-loss notices, settings saved, launch at login, diagnostics without secrets."""

from __future__ import annotations

import array
import dataclasses
import json
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QWidget,
)
from pytestqt.qtbot import QtBot

from softphone.audio.backend import AudioDevice, ErrorCallback, StreamStats
from softphone.audio.controller import AudioController
from softphone.audio.device_events import (
    AudioDeviceEvent,
    AudioDeviceLost,
    AudioDeviceRestored,
    RingerLost,
    RingerOpened,
)
from softphone.audio.errors import DeviceNotFound
from softphone.audio.processing import AudioProcessing
from softphone.audio.processing_choice import ProcessingChoice
from softphone.audio.ring import AudioRings, PcmRing
from softphone.core import events as ev
from softphone.core.executor import Executor
from softphone.core.models import AutoAnswerMode, Ringtone
from softphone.desktop.autostart import DESKTOP_FILE, XdgAutostart
from softphone.desktop.link_handler import (
    DESKTOP_ID,
    MAC_REASON,
    LinkHandler,
    UnavailableLinkHandler,
    XdgLinkHandler,
)
from softphone.storage.settings import AppSettings, Theme
from softphone.ui.bridge import Lane, QtBridge
from softphone.ui.diagnostics import TRACE_FILE, Diagnostics, TraceLog
from softphone.ui.settings.page import SettingsPage
from softphone.ui.settings.view import SettingsView
from tests.ui.phone_fakes import FakePhone

TIMEOUT = 5000
MIC, SPEAKER, HEADSET = "builtin-mic", "builtin-speaker", "usb-headset"


class FakeStream:
    def __init__(
        self, mic: AudioDevice | None, speaker: AudioDevice, rings: tuple[PcmRing, ...]
    ) -> None:
        self.input_device, self.output_device = mic, speaker
        self.closed = False
        self._rings = rings
        for ring in rings:
            ring.start()

    def stats(self) -> StreamStats:
        return StreamStats(0.0, 0.0, 0, 0, 0, 0)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for ring in self._rings:
                ring.stop()


class FakeBackend:
    name = "fake"

    def __init__(self) -> None:
        self.present = {
            MIC: AudioDevice(MIC, "Built-in Microphone", "Fake", 1, 0),
            SPEAKER: AudioDevice(SPEAKER, "Built-in Speakers", "Fake", 0, 2),
            HEADSET: AudioDevice(HEADSET, "USB Headset", "Fake", 1, 2),
        }
        self.streams: list[FakeStream] = []
        self.ringers: list[FakeStream] = []
        self.lock = threading.Lock()

    def refresh(self) -> None:
        pass

    def input_devices(self) -> list[AudioDevice]:
        return [d for d in self.present.values() if d.is_input]

    def output_devices(self) -> list[AudioDevice]:
        return [d for d in self.present.values() if d.is_output]

    def default_input(self) -> AudioDevice | None:
        return self.present.get(MIC)

    def default_output(self) -> AudioDevice | None:
        return self.present.get(SPEAKER)

    def _find(self, dev_id: str | None, default: str) -> AudioDevice:
        found = self.present.get(dev_id or default)
        if found is None:
            raise DeviceNotFound(f"{dev_id} is not connected")
        return found

    def open_duplex(
        self,
        capture: PcmRing,
        playback: PcmRing,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> FakeStream:
        with self.lock:
            stream = FakeStream(
                self._find(input_id, MIC), self._find(output_id, SPEAKER), (capture, playback)
            )
            self.streams.append(stream)
            return stream

    def open_output(
        self, ring: PcmRing, output_id: str | None = None, on_error: ErrorCallback | None = None
    ) -> FakeStream:
        with self.lock:
            stream = FakeStream(None, self._find(output_id, SPEAKER), (ring,))
            self.ringers.append(stream)
            return stream


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def rings() -> AudioRings:
    return AudioRings.create()


@pytest.fixture
def audio(backend: FakeBackend, rings: AudioRings) -> Iterator[AudioController]:
    events: list[AudioDeviceEvent] = []
    controller = AudioController(backend, rings, events.append)
    yield controller
    controller.close()


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, Path]:
    return {
        "settings": tmp_path / "config" / "settings.json",
        "xdg": tmp_path / "xdg",
        "logs": tmp_path / "logs",
        "data": tmp_path / "data",
    }


def make_view(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    settings: AppSettings | None = None,
    secrets: tuple[str, ...] = (),
    sound: FakePhone | None = None,
    link_handler: LinkHandler | None = None,
    audio_ops: Executor | None = None,
) -> SettingsView:
    view = SettingsView(
        audio,
        settings or AppSettings(),
        bridge,
        sound=sound,
        audio_ops=audio_ops,
        settings_path=paths["settings"],
        autostart=XdgAutostart(["/usr/bin/vicifast-phone"], config_home=paths["xdg"]),
        link_handler=link_handler or links(paths),
        diagnostics=Diagnostics(paths["logs"], lambda: secrets),
    )
    qtbot.addWidget(view)
    view.resize(700, 900)
    return view


def links(paths: dict[str, Path]) -> XdgLinkHandler:
    return XdgLinkHandler(
        ["/usr/bin/vicifast-phone"], data_home=paths["data"], config_home=paths["xdg"]
    )


def pick(combo: QComboBox, data: object) -> None:
    """What a user's choice in the list does: the index changes and ``activated`` fires."""
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def saved(paths: dict[str, Path]) -> dict[str, object]:
    result: dict[str, object] = json.loads(paths["settings"].read_text(encoding="utf-8"))
    return result


def test_pickers_list_system_default_and_the_devices(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    mics = [view.mic_combo.itemText(i) for i in range(view.mic_combo.count())]
    speakers = [view.speaker_combo.itemData(i) for i in range(view.speaker_combo.count())]
    ringers = [view.ringer_combo.itemText(i) for i in range(view.ringer_combo.count())]
    assert mics == ["System default", "Built-in Microphone", "USB Headset"]
    assert speakers == [None, SPEAKER, HEADSET]
    assert ringers == ["Same as speaker", "Built-in Speakers", "USB Headset"]
    assert view.mic_combo.currentData() is None  # following the system default


def test_a_chosen_device_that_is_unplugged_stays_listed(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
) -> None:
    del backend.present[HEADSET]
    view = make_view(qtbot, bridge, audio, paths, AppSettings(input_device_id=HEADSET))
    assert view.mic_combo.currentData() == HEADSET
    assert "not connected" in view.mic_combo.currentText()


def test_choosing_a_device_switches_the_running_stream_and_is_saved(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
) -> None:
    audio.open()
    view = make_view(qtbot, bridge, audio, paths)
    with qtbot.waitSignal(view.settingsChanged, timeout=TIMEOUT) as changed:
        pick(view.mic_combo, HEADSET)
    assert audio.choice == (HEADSET, None)
    stream = audio.stream
    assert stream is not None and stream.input_device is not None
    assert stream.input_device.id == HEADSET
    assert backend.streams[0].closed and len(backend.streams) == 2
    assert changed.args[0].input_device_id == HEADSET
    assert saved(paths)["input_device_id"] == HEADSET
    pick(view.speaker_combo, HEADSET)
    assert audio.choice == (HEADSET, HEADSET)
    pick(view.mic_combo, None)  # back to the system default
    assert audio.choice == (None, HEADSET)
    assert saved(paths)["input_device_id"] is None


def test_a_device_that_fails_keeps_the_previous_one(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
) -> None:
    audio.open()
    view = make_view(qtbot, bridge, audio, paths)
    del backend.present[HEADSET]  # unplugged between the listing and the choice
    pick(view.mic_combo, HEADSET)
    assert audio.choice == (None, None)
    assert "could not be used" in view.notice.text() and view.notice.isVisibleTo(view)
    assert view.mic_combo.currentData() is None


def test_the_ringer_picker_opens_the_ringer(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
    rings: AudioRings,
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    pick(view.ringer_combo, HEADSET)
    assert audio.ringer_choice == HEADSET and rings.ringer.active
    assert backend.ringers[-1].output_device is not None
    assert backend.ringers[-1].output_device.id == HEADSET
    assert saved(paths)["ringer_device_id"] == HEADSET
    pick(view.ringer_combo, None)
    assert audio.ringer is None and not rings.ringer.active
    assert saved(paths)["ringer_device_id"] is None


def test_meters_move_with_a_tone_only_while_visible(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    rings: AudioRings,
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    assert not view.meters_running
    view.show()
    qtbot.waitExposed(view)
    assert view.meters_running
    assert view.mic_meter.value() == 0
    rings.capture.start()
    rings.playback.start()
    tone = (b"\x00\x40" + b"\x00\xc0") * 400  # a square wave at -6 dBFS
    quieter = (b"\x00\x08" + b"\x00\xf8") * 400  # -24 dBFS

    def feed() -> bool:
        rings.capture.write(tone)
        rings.playback.write(quieter)
        return view.mic_meter.value() > 0 and view.speaker_meter.value() > 0

    qtbot.waitUntil(feed, timeout=TIMEOUT)
    assert view.mic_meter.dbfs == pytest.approx(-6.02, abs=0.1)
    assert view.speaker_meter.dbfs == pytest.approx(-24.1, abs=0.1)
    assert view.mic_meter.value() > view.speaker_meter.value()
    view.hide()
    assert not view.meters_running


def test_test_microphone_opens_the_devices_and_closes_them_again(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    rings: AudioRings,
) -> None:
    view = make_view(qtbot, bridge, audio, paths, AppSettings(input_device_id=HEADSET))
    view.show()
    qtbot.waitExposed(view)
    pick(view.ringer_combo, SPEAKER)
    view.test_mic.click()
    assert audio.stream is not None and audio.choice == (HEADSET, None)
    assert rings.capture.active
    view.test_mic.click()
    assert audio.stream is None and not rings.capture.active
    assert audio.ringer is not None and rings.ringer.active  # the ringer is kept
    # a stream the app opened for calls is left alone
    audio.open()
    view.test_mic.click()
    view.test_mic.click()
    assert audio.stream is not None


@pytest.fixture
def lane(bridge: QtBridge) -> Lane:
    return bridge.lane("audio-ops")  # closed with the bridge


def drained(qtbot: QtBot, lane: Lane) -> None:
    """Wait until the lane has run everything queued so far and its results are shown."""
    done: list[bool] = []
    lane(lambda: None, lambda _outcome: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=TIMEOUT)


def test_device_work_runs_on_the_audio_lane_and_shows_when_done(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
    lane: Lane,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[str] = []
    real_open = backend.open_duplex

    def open_duplex(*args: Any, **kwargs: Any) -> FakeStream:
        threads.append(threading.current_thread().name)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(backend, "open_duplex", open_duplex)
    audio.open()
    view = make_view(qtbot, bridge, audio, paths, audio_ops=lane)
    qtbot.waitUntil(lambda: view.mic_combo.findData(HEADSET) >= 0, timeout=TIMEOUT)
    with qtbot.waitSignal(view.settingsChanged, timeout=TIMEOUT):
        pick(view.mic_combo, HEADSET)  # saved at once: a quit before the switch keeps it
    assert view.settings.input_device_id == HEADSET
    drained(qtbot, lane)
    assert audio.choice == (HEADSET, None)
    assert threads == [threading.main_thread().name, "audio-ops_0"]  # the test's, the switch
    del backend.present[SPEAKER]  # unplugged between the listing and the choice
    pick(view.speaker_combo, SPEAKER)
    qtbot.waitUntil(lambda: "could not be used" in view.notice.text(), timeout=TIMEOUT)
    assert audio.choice == (HEADSET, None) and view.settings.output_device_id is None
    assert threading.main_thread().name not in threads[1:], threads  # the lane, the worker


def test_a_microphone_test_stopped_before_its_open_finished_closes_it(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path], lane: Lane
) -> None:
    view = make_view(qtbot, bridge, audio, paths, audio_ops=lane)
    busy = threading.Event()
    lane(lambda: busy.wait(TIMEOUT / 1000), lambda _outcome: None)  # a slow sound server
    view.test_mic.click()
    view.test_mic.click()  # off again while the open still waits its turn
    assert audio.stream is None
    busy.set()
    drained(qtbot, lane)  # the open, then the close it queued when it saw the button off
    drained(qtbot, lane)
    assert audio.stream is None and not view.test_mic.isChecked()


def test_a_lost_device_shows_the_notice_and_the_fallback(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths, AppSettings(input_device_id=HEADSET))
    view.show()
    with qtbot.waitSignal(view.noticeChanged, timeout=TIMEOUT):
        view.on_audio_event(AudioDeviceLost("USB Headset was unplugged"))
    assert view.notice.isVisible() and "USB Headset was unplugged" in view.notice.text()
    fallback = AudioDeviceRestored(
        MIC, "Built-in Microphone", SPEAKER, "Built-in Speakers", fallback=True, attempts=1
    )
    view.on_audio_event(fallback)
    assert "system default" in view.notice.text() and "Built-in Microphone" in view.notice.text()
    assert view.mic_combo.currentData() == HEADSET  # the choice stays: it comes back
    back = AudioDeviceRestored(
        HEADSET, "USB Headset", SPEAKER, "Built-in Speakers", fallback=False, attempts=1
    )
    with qtbot.waitSignal(view.noticeChanged, timeout=TIMEOUT) as cleared:
        view.on_audio_event(back)
    assert cleared.args == [""] and not view.notice.isVisible()
    view.on_audio_event(RingerLost("the ringer stopped responding"))
    assert view.ringer_notice.isVisible() and "speaker" in view.ringer_notice.text()
    view.on_audio_event(RingerOpened(HEADSET, "USB Headset"))
    assert not view.ringer_notice.isVisible()


def test_options_are_saved_and_announced(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    pick(view.ringtone, Ringtone.NONE.value)
    view.start_minimised.click()
    view.sip_trace.click()
    assert not view.delay.isEnabled()
    pick(view.auto_answer, AutoAnswerMode.AFTER)
    assert view.delay.isEnabled()
    with qtbot.waitSignal(view.settingsChanged, timeout=TIMEOUT) as changed:
        view.delay.setValue(7)
    s = changed.args[0]
    assert s.auto_answer is AutoAnswerMode.AFTER and s.auto_answer_delay_s == 7.0
    assert AppSettings.load(paths["settings"]) == s
    assert s.sip_trace and s.start_minimised and s.ringtone is Ringtone.NONE
    assert view.settings == s


def test_volume_sliders_apply_at_once_and_are_saved(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    sound = FakePhone()
    view = make_view(qtbot, bridge, audio, paths, AppSettings(mic_volume=150), sound=sound)
    speaker, mic = view.speaker_volume, view.mic_volume
    assert (speaker.value(), mic.value()) == (100, 150)
    assert (speaker.percent_at(speaker.maximum()), mic.percent_at(mic.maximum())) == (150, 200)
    assert speaker.accessibleName() == "Speaker volume"
    assert mic.accessibleName() == "Microphone volume"
    shown = view.findChild(QLabel, "speakerVolumeValue")
    assert shown is not None and shown.text() == "100 %"

    # the keyboard: one step down is applied and saved
    view.show()
    speaker.setFocus()
    qtbot.waitUntil(speaker.hasFocus, timeout=TIMEOUT)
    with qtbot.waitSignal(view.settingsChanged, timeout=TIMEOUT) as changed:
        QTest.keyClick(speaker, Qt.Key.Key_Left)
    assert sound.named("set_levels") == [(0.95, 1.5)]
    assert changed.args[0].speaker_volume == 95 and saved(paths)["speaker_volume"] == 95
    assert shown.text() == "95 %" and speaker.accessibleDescription() == "95 %"

    # a drag: every position is heard at once, the file is written when it is let go
    mic.setSliderDown(True)
    mic.setValue(60)
    mic.setValue(50)
    assert sound.named("set_levels")[-2:] == [(0.95, 0.6), (0.95, 0.5)]
    assert saved(paths)["mic_volume"] == 150
    with qtbot.waitSignal(view.settingsChanged, timeout=TIMEOUT):
        mic.setSliderDown(False)
    assert saved(paths)["mic_volume"] == 50
    assert AppSettings.load(paths["settings"]).levels() == (0.95, 0.5)


def test_the_ringtone_choice_is_applied_saved_and_previewed(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    sound = FakePhone()
    view = make_view(qtbot, bridge, audio, paths, sound=sound)
    names = [view.ringtone.itemText(i) for i in range(view.ringtone.count())]
    assert names == ["Warble", "Classic double ring", "Soft chime", "None (silent)"]
    assert view.ringtone.accessibleName() == "Ringtone"
    assert view.ringtone.currentData() == "warble" and view.play_ringtone.isEnabled()

    pick(view.ringtone, "classic")
    assert sound.named("set_ringtone") == [(Ringtone.CLASSIC,)]
    assert saved(paths)["ringtone"] == "classic"

    # Play: the engine plays it; the button offers Stop until the engine's time is up
    view.play_ringtone.click()
    assert sound.named("preview_ringtone") == [(Ringtone.CLASSIC,)]
    assert view.play_ringtone.isChecked() and view.play_ringtone.text() == "&Stop"
    assert view.play_ringtone.accessibleName() == "Stop the ringtone"
    qtbot.waitUntil(view._preview_timer.isActive, timeout=TIMEOUT)
    # another choice while it plays: the new one is heard instead
    pick(view.ringtone, "chime")
    assert (
        sound.named("preview_ringtone")[-1] == (Ringtone.CHIME,) and view.play_ringtone.isChecked()
    )
    view.play_ringtone.click()  # Stop
    assert not view.play_ringtone.isChecked() and view.play_ringtone.text() == "&Play"
    assert len(sound.named("stop_ringtone_preview")) == 2

    # the preview's time runs out by itself
    sound.calls.clear()
    view.play_ringtone.click()
    qtbot.waitUntil(view._preview_timer.isActive, timeout=TIMEOUT)
    view._preview_timer.setInterval(1)
    view._preview_timer.start()
    qtbot.waitUntil(lambda: not view.play_ringtone.isChecked(), timeout=TIMEOUT)

    # silent: nothing to play
    pick(view.ringtone, "none")
    assert (
        sound.named("set_ringtone")[-1] == (Ringtone.NONE,) and saved(paths)["ringtone"] == "none"
    )
    assert not view.play_ringtone.isEnabled()


def test_a_preview_the_engine_declines_puts_the_button_back(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    sound = FakePhone()
    view = make_view(qtbot, bridge, audio, paths, sound=sound)
    declined: Future[float] = Future()
    declined.set_result(0.0)  # a call's tone is sounding
    sound.pending["preview_ringtone"] = declined
    view.play_ringtone.click()
    qtbot.waitUntil(lambda: not view.play_ringtone.isChecked(), timeout=TIMEOUT)


def test_launch_at_login_writes_the_autostart_file(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    entry = paths["xdg"] / "autostart" / DESKTOP_FILE
    view.launch_at_login.click()
    assert entry.is_file() and "Exec=/usr/bin/vicifast-phone" in entry.read_text()
    assert saved(paths)["launch_at_login"] is True
    view.launch_at_login.click()
    assert not entry.exists() and saved(paths)["launch_at_login"] is False


def test_open_links_makes_the_app_the_desktops_handler_at_once(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    entry = paths["data"] / "applications" / DESKTOP_ID
    mimeapps = paths["xdg"] / "mimeapps.list"
    assert view.open_links.isEnabled() and not view.open_links.isChecked()
    view.open_links.click()
    assert view.open_links.isChecked() and links(paths).is_registered()
    assert "Exec=/usr/bin/vicifast-phone %u" in entry.read_text()
    assert "x-scheme-handler/tel=vicifast-phone.desktop;" in mimeapps.read_text()
    assert view.links_error.isHidden()
    assert not paths["settings"].exists()  # the desktop holds this state, not our settings
    view.open_links.click()
    assert not view.open_links.isChecked() and not entry.exists()
    assert "x-scheme-handler/tel" not in mimeapps.read_text()


def test_open_links_shows_what_the_desktop_says_when_the_page_opens(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    links(paths).register()
    view = make_view(qtbot, bridge, audio, paths)
    assert view.open_links.isChecked()
    mimeapps = paths["xdg"] / "mimeapps.list"
    mimeapps.write_text("[Default Applications]\nx-scheme-handler/tel=other-dialer.desktop;\n")
    view.show()  # another app took tel: links while Settings was closed
    qtbot.waitExposed(view)
    assert not view.open_links.isChecked()


def test_open_links_failure_is_said_in_place(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    paths["xdg"].write_text("a file where the config directory should be")
    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    view.open_links.click()
    assert not view.open_links.isChecked()
    assert view.links_error.isVisible()
    assert "mimeapps.list could not be written" in view.links_error.text()


def test_open_links_is_disabled_with_the_reason_where_it_cannot_work(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths, link_handler=UnavailableLinkHandler(MAC_REASON))
    assert not view.open_links.isEnabled() and not view.open_links.isChecked()
    assert view.open_links.toolTip() == MAC_REASON
    assert view.open_links.accessibleDescription() == MAC_REASON


def test_custom_control_plane_is_checked(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    view.control_plane.setText("http://insecure.example.com")
    view.control_plane.editingFinished.emit()
    assert view.control_plane_error.isVisible() and "https://" in view.control_plane_error.text()
    assert view.settings.custom_control_plane == ""
    view.control_plane.setText("https://cp.example.com/")
    view.ca_file.setText("/etc/ssl/cp.pem")
    view.control_plane.editingFinished.emit()
    assert not view.control_plane_error.isVisible()
    assert view.settings.custom_control_plane == "https://cp.example.com"
    assert saved(paths)["ca_file"] == "/etc/ssl/cp.pem"
    with qtbot.waitSignal(view.scanQrRequested, timeout=TIMEOUT):
        view.scan_qr.click()
    view.set_transport_info(transport="TLS", local="192.0.2.10:5061", server="sip.example.com")
    assert view.transport_labels["transport"].text() == "TLS"


def test_export_diagnostics_leaves_every_secret_out(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path], tmp_path: Path
) -> None:
    trace = TraceLog(paths["logs"])
    trace.attach()
    import logging

    logging.getLogger("softphone.sip.pjsip").debug(
        'REGISTER sip:1001@example.com\r\nAuthorization: Digest username="1001", '
        'response="0123456789abcdef0123456789abcdef", nonce="n0nc3"'
    )
    trace.detach()
    (paths["logs"] / "app.log").write_text(
        "login ok password=hunter2-planted\n"
        '{"session": {"token": "tok-planted-XYZ"}}\n'
        "Authorization: Bearer bearer-planted-123\n"
        "sip:1001:sippw-planted@example.com\n"
        "raw secret value raw-planted-secret here\n",
        encoding="utf-8",
    )
    view = make_view(qtbot, bridge, audio, paths, secrets=("raw-planted-secret",))
    view.set_transport_info(transport="UDP", local="192.0.2.10:5060", server="sip.example.com")
    dest = tmp_path / "diag.zip"
    with qtbot.waitSignal(view.diagnosticsExported, timeout=TIMEOUT) as done:
        view.export_diagnostics(dest)
    assert done.args == [str(dest)]
    with zipfile.ZipFile(dest) as zf:
        names = set(zf.namelist())
        blob = b"".join(zf.read(n) for n in names).decode()
    assert {"version.txt", "settings.json", f"logs/{TRACE_FILE}", "logs/app.log"} <= names
    assert "VICIfast Desktop" in blob and "transport: UDP" in blob
    assert "REGISTER sip:**01@example.com" in blob  # the trace is there, redacted, masked
    for planted in (
        "hunter2-planted",
        "tok-planted-XYZ",
        "bearer-planted-123",
        "sippw-planted",
        "raw-planted-secret",
        "0123456789abcdef0123456789abcdef",
        "n0nc3",
    ):
        assert planted not in blob, planted
    assert "<redacted>" in blob


def test_include_phone_numbers_decides_what_the_zip_holds(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path], tmp_path: Path
) -> None:
    trace = TraceLog(paths["logs"])
    trace.attach()
    import logging

    logging.getLogger("softphone.sip.pjsip").debug(
        'INVITE sip:5550109999@192.0.2.10 SIP/2.0\r\nFrom: "Bob Smith" '
        "<sip:+15550102030@pbx.example.com>;tag=77\r\nCSeq: 4211 INVITE"
    )
    trace.detach()
    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    box = view.include_numbers
    assert box.isVisible() and not box.isChecked()  # off unless the person ticks it
    assert box.accessibleName() == "Include phone numbers"

    def export(name: str) -> str:
        dest = tmp_path / name
        with qtbot.waitSignal(view.diagnosticsExported, timeout=TIMEOUT):
            view.export_diagnostics(dest)
        assert dest.stat().st_mode & 0o777 == 0o600  # where the person chose, theirs only
        with zipfile.ZipFile(dest) as zf:
            return zf.read(f"logs/{TRACE_FILE}").decode()

    masked = export("masked.zip")
    for person in ("5550109999", "15550102030", "Bob", "Smith"):
        assert person not in masked, person
    assert "INVITE sip:********99@192.0.2.10" in masked
    assert 'From: "B** S****" <sip:+*********30@pbx.example.com>;tag=77' in masked
    assert "CSeq: 4211 INVITE" in masked
    box.click()
    assert box.isChecked()
    full = export("full.zip")
    assert "INVITE sip:5550109999@192.0.2.10" in full
    assert 'From: "Bob Smith" <sip:+15550102030@pbx.example.com>' in full
    assert not view.settings.to_json().get("include_phone_numbers")  # a choice per export


def test_every_control_is_named(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    kinds = QAbstractButton | QComboBox | QLineEdit | QDoubleSpinBox | QProgressBar
    controls = [w for w in view.findChildren(QWidget) if isinstance(w, kinds)]
    controls = [w for w in controls if w.isVisibleTo(view) and w.parent() is not None]
    assert len(controls) >= 15
    for control in controls:
        if isinstance(control.parent(), QComboBox | QDoubleSpinBox | QLineEdit):
            continue  # the parts of a compound control
        assert control.accessibleName(), control.objectName() or type(control).__name__


WINDOWS_CAPS = ev.Capabilities(
    platform="Windows AMD64",
    pjsua2_version="2.15.1.post1",
    pjsip_version="2.15.1",
    tls=False,
    tls_detail="Unsupported transport (PJSIP_EUNSUPTRANSPORT)",
    live_sip_trace=False,
    unhandled_501=False,
)


def test_a_build_without_the_live_trace_says_when_the_trace_starts(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    assert not view.trace_note.isVisible()
    view.set_capabilities(WINDOWS_CAPS)
    assert view.trace_note.isVisible()
    assert "starts with the next start" in view.trace_note.text()
    assert view.sip_trace.toolTip() == view.trace_note.text()
    # still a setting that works (from the next start, and off at once): not disabled
    assert view.sip_trace.isEnabled()
    view.sip_trace.click()
    assert saved(paths)["sip_trace"] is True
    assert "Not in this build" in view.capability_labels["tls"].text()
    assert "PJSIP_EUNSUPTRANSPORT" in view.capability_labels["tls"].text()
    assert view.capability_labels["library"].text() == "pjsua2 2.15.1.post1 on Windows AMD64"
    view.set_capabilities(
        dataclasses.replace(WINDOWS_CAPS, tls=True, tls_detail="TLS 1.2", live_sip_trace=True)
    )
    assert not view.trace_note.isVisible() and view.sip_trace.toolTip() == ""
    assert view.capability_labels["tls"].text() == "Available (TLS 1.2)"


def test_the_diagnostics_carry_the_capabilities(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path], tmp_path: Path
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    view.set_capabilities(WINDOWS_CAPS)
    dest = tmp_path / "diag.zip"
    with qtbot.waitSignal(view.diagnosticsExported, timeout=TIMEOUT):
        view.export_diagnostics(dest)
    with zipfile.ZipFile(dest) as zf:
        found = json.loads(zf.read("capabilities.json"))
    assert found["platform"] == "Windows AMD64"
    assert (found["tls"], found["live_sip_trace"], found["unhandled_501"]) == (False, False, False)
    assert found["tls_detail"] == "Unsupported transport (PJSIP_EUNSUPTRANSPORT)"


def test_an_export_that_fails_says_why_and_can_be_tried_again(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    threads: list[str] = []
    real_export = view._diagnostics.export

    def export(*args: Any, **kwargs: Any) -> Path:
        threads.append(threading.current_thread().name)
        return real_export(*args, **kwargs)

    monkeypatch.setattr(view._diagnostics, "export", export)
    exported: list[str] = []
    view.diagnosticsExported.connect(exported.append)
    view.export_diagnostics(tmp_path / "no such folder" / "diag.zip")
    assert not view.export_button.isEnabled() and view.export_status.text() == "Exporting…"
    qtbot.waitUntil(view.export_button.isEnabled, timeout=TIMEOUT)
    assert view.export_status.text() == "Diagnostics could not be saved: No such file or directory"
    assert exported == [] and threads == ["diagnostics-export"]  # written off the GUI thread


def test_every_signal_of_the_page_is_declared_on_its_base() -> None:
    """A Qt meta-object follows only the chain of first bases: a signal declared on a section
    of the page off that chain would never be delivered."""
    for cls in SettingsView.__mro__:
        if cls.__module__.startswith("softphone.") and cls is not SettingsPage:
            declared = [name for name, value in vars(cls).items() if isinstance(value, Signal)]
            assert not declared, f"{cls.__name__} declares {declared}: move them to SettingsPage"


def test_auto_answer_after_a_delay_promises_that_delay_even_when_the_server_asks_sooner(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    qtbot.waitExposed(view)
    note = view.auto_answer_note
    assert note.isVisibleTo(view)
    assert note.text() == "Your company's server chooses how calls are answered."
    pick(view.auto_answer, AutoAnswerMode.AFTER.value)
    qtbot.keyClick(view.delay, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(view.delay, "5")
    assert view.settings.auto_answer_delay_s == 5.0
    assert note.text() == "Calls are answered after 5 s, even when the server asks for sooner."
    pick(view.auto_answer, AutoAnswerMode.HEADER.value)
    assert note.text() == "Calls are answered when the server asks, after the time it asks for."


def test_without_a_microphone_the_test_says_so_and_does_not_start(
    qtbot: QtBot, bridge: QtBridge, rings: AudioRings, paths: dict[str, Path]
) -> None:
    from softphone.audio.backend import NullBackend

    nothing = AudioController(NullBackend(), rings, lambda _event: None)
    try:
        view = make_view(qtbot, bridge, nothing, paths)
        view.show()
        qtbot.waitExposed(view)
        assert not view.test_mic.isEnabled()
        assert view.test_mic.toolTip() == "No microphone found"
        qtbot.mouseClick(view.test_mic, Qt.MouseButton.LeftButton)
        assert not view.test_mic.isChecked()  # not pressed in, as if something were testing
        assert view.mic_warning.isVisible()
        assert view.mic_warning.text().startswith("No microphone is connected")
        assert nothing.stream is None  # nothing was opened for it
    finally:
        nothing.close()


class SpeakerOnlyStreams(FakeBackend):
    """Lists a microphone, but its streams open on the speaker alone."""

    def open_duplex(
        self,
        capture: PcmRing,
        playback: PcmRing,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> FakeStream:
        stream = FakeStream(None, self._find(output_id, SPEAKER), (capture, playback))
        self.streams.append(stream)
        return stream


def test_a_stream_without_a_microphone_refuses_the_test_too(
    qtbot: QtBot, bridge: QtBridge, rings: AudioRings, paths: dict[str, Path]
) -> None:
    odd = AudioController(SpeakerOnlyStreams(), rings, lambda _event: None)
    try:
        view = make_view(qtbot, bridge, odd, paths)
        view.show()
        qtbot.waitExposed(view)
        qtbot.mouseClick(view.test_mic, Qt.MouseButton.LeftButton)
        assert not view.test_mic.isChecked()
        assert view.notice.text().startswith("No microphone found")
        assert odd.stream is None  # what the test opened is closed again
    finally:
        odd.close()


def test_without_a_speaker_the_ringtone_says_so_and_stays_play(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
) -> None:
    del backend.present[SPEAKER], backend.present[HEADSET]  # a microphone alone
    sound = FakePhone()
    view = make_view(qtbot, bridge, audio, paths, sound=sound)
    view.show()
    qtbot.waitExposed(view)
    assert not view.play_ringtone.isEnabled()
    assert view.play_ringtone.toolTip() == "No speaker found"
    qtbot.mouseClick(view.play_ringtone, Qt.MouseButton.LeftButton)
    assert view.play_ringtone.text() == "&Play" and not view.play_ringtone.isChecked()
    assert view.speaker_warning.isVisible()
    assert view.speaker_warning.text().startswith("No speaker is connected")
    assert view.speaker_combo.currentText() == "No speaker found"
    assert view.ringer_combo.currentText() == "No speaker found"
    assert sound.named("preview_ringtone") == []
    assert view.test_mic.isEnabled() and not view.mic_warning.isVisible()  # the mic is there


def _texts(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def _label_colour(label: QLabel) -> str:
    return label.palette().color(QPalette.ColorRole.WindowText).name()


def test_no_device_at_all_is_said_in_the_lists_until_one_is_plugged_in(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
) -> None:
    plugged = dict(backend.present)
    backend.present.clear()
    chosen = AppSettings(input_device_id=HEADSET, output_device_id=HEADSET)
    view = make_view(qtbot, bridge, audio, paths, chosen, sound=FakePhone())
    view.show()
    qtbot.waitExposed(view)
    assert _texts(view.mic_combo) == ["No microphone found"]  # not "System default"
    assert _texts(view.speaker_combo) == ["No speaker found"]
    assert not view.mic_combo.isEnabled() and not view.speaker_combo.isEnabled()
    assert view.mic_warning.isVisible() and view.speaker_warning.isVisible()
    assert view.mic_warning.text() == (
        "No microphone is connected. Plug in a headset or microphone, then click Refresh devices."
    )
    ordinary = view.palette().color(QPalette.ColorRole.WindowText).name()
    assert _label_colour(view.mic_warning) not in (ordinary, "#000000")  # the warning colour
    assert not view.test_mic.isEnabled() and not view.play_ringtone.isEnabled()
    assert view.settings.input_device_id == HEADSET  # the saved choice is kept
    assert view.settings.output_device_id == HEADSET

    backend.present.update(plugged)  # the headset is plugged in; the person clicks Refresh
    qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert view.mic_combo.isEnabled() and view.mic_combo.currentText() == "USB Headset"
    assert view.speaker_combo.currentText() == "USB Headset"
    assert "System default" in _texts(view.mic_combo)
    assert not view.mic_warning.isVisible() and not view.speaker_warning.isVisible()
    assert view.test_mic.isEnabled() and view.play_ringtone.isEnabled()
    assert view.test_mic.toolTip() == "Open the microphone and watch its level"


def test_a_saved_device_unplugged_is_shown_by_name_until_it_comes_back(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    paths: dict[str, Path],
    backend: FakeBackend,
) -> None:
    chosen = AppSettings(input_device_id=HEADSET, ringer_device_id=HEADSET)
    view = make_view(qtbot, bridge, audio, paths, chosen)
    view.show()
    qtbot.waitExposed(view)
    assert view.mic_combo.currentText() == "USB Headset" and not view.mic_warning.isVisible()
    headset = backend.present.pop(HEADSET)  # unplugged
    qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert view.mic_combo.currentText() == "USB Headset (not connected)"  # not System default
    assert view.mic_combo.currentData() == HEADSET
    assert view.mic_warning.isVisible()
    assert view.mic_warning.text().startswith("USB Headset is not connected. Plug it in")
    assert view.ringer_combo.currentText() == "USB Headset (not connected)"
    assert view.ringer_warning.text() == (
        "USB Headset is not connected: calls ring on the speaker until it is back."
    )
    assert view.test_mic.isEnabled()  # another microphone is there: the default is tested
    assert not view.speaker_warning.isVisible()

    backend.present[HEADSET] = headset  # plugged back; the controller's stream finds it
    view.on_audio_event(
        AudioDeviceRestored(
            HEADSET, "USB Headset", SPEAKER, "Built-in Speakers", fallback=False, attempts=1
        )
    )
    assert view.mic_combo.currentText() == "USB Headset"
    assert "USB Headset (not connected)" not in _texts(view.mic_combo)
    assert not view.mic_warning.isVisible() and not view.ringer_warning.isVisible()


def test_the_warning_line_follows_the_colour_scheme(
    qtbot: QtBot, bridge: QtBridge, rings: AudioRings, paths: dict[str, Path]
) -> None:
    from softphone.audio.backend import NullBackend
    from softphone.ui.look import Tone, tone_color
    from softphone.ui.theme import apply_theme, dark_palette

    nothing = AudioController(NullBackend(), rings, lambda _event: None)
    try:
        view = make_view(qtbot, bridge, nothing, paths)
        view.show()
        qtbot.waitExposed(view)
        apply_theme(Theme.LIGHT)
        light = tone_color(Tone.BUSY, view.palette()).name()
        qtbot.waitUntil(lambda: _label_colour(view.mic_warning) == light, timeout=TIMEOUT)
        apply_theme(Theme.DARK)
        dark = tone_color(Tone.BUSY, dark_palette()).name()
        assert dark != light
        qtbot.waitUntil(lambda: _label_colour(view.mic_warning) == dark, timeout=TIMEOUT)
    finally:
        apply_theme(Theme.SYSTEM)
        nothing.close()


def _handle_centre(slider: QSlider) -> QPoint:
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    handle = slider.style().subControlRect(
        QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, slider
    )
    return handle.center()


def _groove(slider: QSlider) -> QRect:
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    return slider.style().subControlRect(
        QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, slider
    )


def test_both_volume_sliders_show_100_percent_at_the_same_place(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    sound = FakePhone()
    view = make_view(qtbot, bridge, audio, paths, sound=sound)
    view.resize(900, 900)
    view.show()
    qtbot.waitExposed(view)
    speaker, mic = view.speaker_volume, view.mic_volume
    assert (speaker.width(), _groove(speaker)) == (mic.width(), _groove(mic))
    # both at 100 % (the defaults): the handles line up, in the middle of the groove
    assert _handle_centre(speaker).x() == _handle_centre(mic).x()
    middle = _handle_centre(speaker)
    groove = _groove(speaker)
    assert abs((middle.x() - groove.left()) / groove.width() - 0.5) < 0.05

    # dragging each from elsewhere to that place gives 100 %
    for slider, start, label in ((speaker, 140, "speakerVolumeValue"), (mic, 30, "micVolumeValue")):
        slider.set_percent(start)
        shown = view.findChild(QLabel, label)
        assert shown is not None and shown.text() == f"{start} %"
        QTest.mousePress(slider, Qt.MouseButton.LeftButton, pos=_handle_centre(slider))
        QTest.mouseMove(slider, middle)
        QTest.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=middle)
        assert slider.percent() == 100 and shown.text() == "100 %"
    assert sound.named("set_levels")[-1] == (1.0, 1.0)

    # the keys still step by whole percentages on either side of 100 %
    speaker.setFocus()
    qtbot.waitUntil(speaker.hasFocus, timeout=TIMEOUT)
    QTest.keyClick(speaker, Qt.Key.Key_Right)
    assert speaker.percent() == 105
    QTest.keyClick(speaker, Qt.Key.Key_PageDown)
    assert speaker.percent() == 95
    assert saved(paths)["speaker_volume"] == 95


def test_demo_mode_shows_the_emulators_control_plane_read_only(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """In demo mode (the options ``--demo`` starts with) Settings → Advanced shows the control
    plane the app really talks to, the bundled emulator on https://127.0.0.1:PORT, with its CA,
    read-only and saying so; typing there changes and saves nothing."""
    import re
    import uuid

    from PySide6.QtWidgets import QApplication

    from softphone.app import App
    from softphone.app.options import options_for
    from softphone.audio.backend import NullBackend

    options, env = options_for(tmp_path / "demo")
    assert env is not None
    app: App | None = None
    try:
        options.instance = f"vicifast-demo-settings-{uuid.uuid4().hex[:8]}"
        options.audio_backend = NullBackend
        options.tray = False
        options.confirm = lambda parent, text: True
        app = App(options)
        qtbot.addWidget(app.window)
        app.start()
        app.window.show()
        settings = app.settings_view
        assert settings is not None
        app.window.show_page("Settings")  # the Settings tab, as a click on it does
        field, ca_file, note = settings.control_plane, settings.ca_file, settings.control_plane_note
        qtbot.waitUntil(field.isVisible, timeout=TIMEOUT)
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", field.text())
        assert field.text() == env.control_plane
        assert ca_file.text() == str(env.ca_file)
        assert field.isReadOnly() and ca_file.isReadOnly()
        assert not settings.ca_browse.isEnabled()
        assert note.isVisible() and note.text() == "Demo mode: the bundled emulator"

        # typing into it and pressing Enter changes nothing and saves nothing
        app.window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window, timeout=TIMEOUT)
        field.setFocus()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is field, timeout=TIMEOUT)
        qtbot.keyClicks(field, "x")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert field.text() == env.control_plane
        assert settings.settings.custom_control_plane == ""
        assert not options.settings_path.exists() or "127.0.0.1" not in (
            options.settings_path.read_text(encoding="utf-8")
        )
    finally:
        if app is not None and app.stopped_cleanly is None:
            with qtbot.waitSignal(app.finished, timeout=20_000):
                app.quit()
        env.close()


def _window_lightness() -> int:
    return QApplication.palette().color(QPalette.ColorRole.Window).lightness()


def test_the_colour_scheme_switches_the_whole_app_at_once_and_is_kept(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    qtbot.waitExposed(view)
    assert view.theme.currentText() == "As the system"
    system = _window_lightness()
    try:
        view.theme.setFocus()
        qtbot.waitUntil(view.theme.hasFocus, timeout=TIMEOUT)
        QTest.keyClick(view.theme, Qt.Key.Key_Down)  # Light
        assert view.theme.currentText() == "Light" and _window_lightness() >= 128
        with qtbot.waitSignal(view.settingsChanged, timeout=TIMEOUT):
            QTest.keyClick(view.theme, Qt.Key.Key_Down)  # Dark
        assert view.theme.currentText() == "Dark"
        assert _window_lightness() < 128
        qtbot.waitUntil(  # and the open page is drawn so
            lambda: view.palette().color(QPalette.ColorRole.Window).lightness() < 128,
            timeout=TIMEOUT,
        )

        # the next start: the saved choice is shown (root.py applies it before any window)
        again = make_view(qtbot, bridge, audio, paths, AppSettings.load(paths["settings"]))
        assert again.settings.theme is Theme.DARK and again.theme.currentText() == "Dark"

        QTest.keyClick(view.theme, Qt.Key.Key_Up)  # Light
        assert _window_lightness() >= 128
        QTest.keyClick(view.theme, Qt.Key.Key_Up)  # as the system again
        assert _window_lightness() == system
        assert AppSettings.load(paths["settings"]).theme is Theme.SYSTEM
    finally:
        pick(view.theme, Theme.SYSTEM.value)  # the other tests see the usual palette


def test_bring_to_front_on_a_ring_is_off_until_ticked_and_stays_ticked_next_time(
    qtbot: QtBot, bridge: QtBridge, audio: AudioController, paths: dict[str, Path]
) -> None:
    from PySide6.QtWidgets import QStyleOptionButton

    view = make_view(qtbot, bridge, audio, paths)
    view.show()
    qtbot.waitExposed(view)
    box = view.bring_to_front
    assert box.text() == "Bring the &window to the front when a call rings"
    assert not box.isChecked()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    with qtbot.waitSignal(view.settingsChanged, timeout=TIMEOUT) as changed:
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=square.center())
    assert box.isChecked() and changed.args[0].bring_to_front_on_ring  # the app applies it
    # the next start shows the choice kept
    again = make_view(qtbot, bridge, audio, paths, AppSettings.load(paths["settings"]))
    assert again.bring_to_front.isChecked()


class _Halver:
    """A stand-in for WebRTC's module: halves the microphone, and says which choice made it."""

    def __init__(self, choice: ProcessingChoice, made: list[ProcessingChoice]) -> None:
        made.append(choice)

    def render(self, frame: bytes | bytearray | memoryview) -> None:
        pass

    def capture(self, frame: bytearray) -> None:
        frame[:] = array.array("h", (s // 2 for s in array.array("h", frame))).tobytes()

    def set_delay_ms(self, delay_ms: int) -> None:
        pass


def test_voice_processing_switches_change_what_the_microphone_sends_at_once(
    qtbot: QtBot, bridge: QtBridge, backend: FakeBackend, paths: dict[str, Path]
) -> None:
    rings = AudioRings(*(PcmRing(target_ms=5, settle_s=0.0) for _ in range(3)))
    made: list[ProcessingChoice] = []
    settings = AppSettings()
    processing = AudioProcessing(settings.processing(), factory=lambda c: _Halver(c, made))
    audio = AudioController(backend, rings, lambda _e: None, processing=processing)
    try:
        audio.open()
        view = make_view(qtbot, bridge, audio, paths, settings)
        mic_side = backend.streams[-1]._rings[0]  # what the backend's microphone writes into

        def sent() -> list[int]:
            """A 10 ms frame of 800s from the microphone, as the call gets it."""
            mic_side.write(array.array("h", [800] * 160).tobytes())  # type: ignore[attr-defined]
            out = bytearray(320)
            rings.capture.read_into(out)
            return list(array.array("h", out))

        assert view.echo_cancellation.isChecked() and view.noise_suppression.isChecked()
        assert not view.auto_gain.isChecked() and not view.headset_mode.isChecked()
        assert sent()[-1] == 400
        assert made[-1].cancels_echo and made[-1].noise_suppression

        view.headset_mode.click()
        assert not view.echo_cancellation.isEnabled()
        assert "Headset mode" in view.voice_note.text()
        assert sent()[-1] == 400
        assert not made[-1].cancels_echo and made[-1].noise_suppression
        assert saved(paths)["headset_mode"] is True

        view.noise_suppression.click()  # nothing left on: the microphone as it is
        assert sent()[-1] == 800
        assert saved(paths)["noise_suppression"] is False
        assert AppSettings.load(paths["settings"]).processing() == processing.choice
    finally:
        audio.close()
