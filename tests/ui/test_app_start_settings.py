"""Settings that act at start: start minimised to the tray, the ringer device reopened, the sound
system (PortAudio or Qt Multimedia); and Recents' CSV export of what it shows."""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.audio.backend import AudioStream, ErrorCallback, NullBackend
from softphone.audio.ring import PcmRing
from softphone.core import events as ev
from softphone.storage.history import Outcome
from softphone.storage.settings import AppSettings, SoundSystem
from tests.audio.pulse import PulseServer
from tests.ui.app_kit import app_maker
from tests.ui.test_app_settings_live import SettingsEngine
from tests.unit.history_kit import call

WAIT = 5000


class RecordingBackend(NullBackend):
    """No sound, but remembers which output each output-only stream was opened on."""

    def __init__(self) -> None:
        self.outputs: list[str | None] = []

    def open_output(
        self, ring: PcmRing, output_id: str | None = None, on_error: ErrorCallback | None = None
    ) -> AudioStream:
        self.outputs.append(output_id)
        return super().open_output(ring, output_id, on_error)


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    with app_maker(qtbot, tmp_path, cast(Any, SettingsEngine), log_dir=tmp_path / "logs") as make:
        yield make


def saved(tmp_path: Path, **changes: Any) -> None:
    AppSettings().with_(**changes).save(tmp_path / "settings.json")


def test_start_minimised_shows_only_the_tray_and_a_second_start_shows_the_window(
    qtbot: QtBot, tmp_path: Path, make_app: Callable[..., App]
) -> None:
    saved(tmp_path, start_minimised=True)
    app = make_app(tray=True)
    app.start()
    assert app.tray is not None and app.tray.icon.isVisible()
    assert not app.window.isVisible()
    app.handle_argv([])  # what a second start or a clicked link delivers
    qtbot.waitUntil(app.window.isVisible, timeout=WAIT)


def test_start_minimised_without_a_tray_still_shows_the_window(
    tmp_path: Path, make_app: Callable[..., App]
) -> None:
    saved(tmp_path, start_minimised=True)
    app = make_app(tray=False)
    app.start()
    assert app.tray is None and app.window.isVisible()


def test_the_window_shows_at_start_by_default(make_app: Callable[..., App]) -> None:
    app = make_app(tray=True)
    app.start()
    assert app.window.isVisible()


def test_the_saved_ringer_device_is_reopened_at_start(
    qtbot: QtBot, tmp_path: Path, make_app: Callable[..., App]
) -> None:
    saved(tmp_path, ringer_device_id="usb-ringer")
    backend = RecordingBackend()
    app = make_app(audio_backend=lambda: backend)
    app.start()
    # the devices open on the audio lane, off the GUI thread
    qtbot.waitUntil(lambda: app.audio.ringer is not None, timeout=WAIT)
    assert backend.outputs == ["usb-ringer"]  # the ring stream, on the chosen device
    assert app.audio.ringer is not None and app.audio.ringer_choice == "usb-ringer"


def test_no_ringer_stream_without_a_ringer_choice(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    backend = RecordingBackend()
    app = make_app(audio_backend=lambda: backend)
    app.start()
    qtbot.waitUntil(lambda: app.audio.stream is not None, timeout=WAIT)  # the audio lane's open
    assert backend.outputs == [] and app.audio.ringer is None


def test_choosing_qt_multimedia_opens_the_streams_through_it(
    tmp_path: Path, make_app: Callable[..., App], pulse: PulseServer
) -> None:
    """(On the tests' PulseAudio: Qt Multimedia connects to a sound server once a process, and
    the Qt audio tests that may run later in this one expect theirs.)"""
    from softphone.ui.qt_audio.backend import QtAudioBackend

    saved(tmp_path, sound_system=SoundSystem.QT)
    app = make_app(audio_backend=NullBackend)
    app.start()
    assert isinstance(app.audio_backend, QtAudioBackend)
    assert app.audio._backend is app.audio_backend  # the controller's streams open through it


def test_portaudio_is_the_default_sound_system(make_app: Callable[..., App]) -> None:
    app = make_app(audio_backend=NullBackend)
    app.start()
    assert AppSettings().sound_system is SoundSystem.PORTAUDIO
    assert isinstance(app.audio_backend, NullBackend)  # what options.audio_backend makes


def test_the_sound_system_choice_is_saved_for_the_next_start(
    tmp_path: Path, make_app: Callable[..., App]
) -> None:
    app = make_app()
    view = app.settings_view
    assert view is not None
    assert "native audio" in view.sound_system_note.text()
    view.sound_system.setCurrentIndex(view.sound_system.findData(SoundSystem.QT.value))
    view.sound_system.activated.emit(view.sound_system.currentIndex())
    assert AppSettings.load(tmp_path / "settings.json").sound_system is SoundSystem.QT
    assert "next start" in view.sound_system_note.text()


def test_export_writes_what_recents_shows_to_the_chosen_file(
    qtbot: QtBot, tmp_path: Path, make_app: Callable[..., App]
) -> None:
    app = make_app()
    app.start()
    model, recents = app.history_model, app.recents_view
    assert recents is not None
    for n in range(1, 7):
        outcome = Outcome.MISSED if n % 2 else Outcome.ANSWERED
        app.history.record(call(n, outcome=outcome, direction=ev.Direction.INBOUND))
    qtbot.waitUntil(lambda: model.rowCount() == 6, timeout=WAIT)
    with qtbot.waitSignal(model.searchFinished, timeout=WAIT):
        recents.filters.button(1).click()  # Missed
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT)
    shown = [model.entry(row).remote_number for row in range(model.rowCount())]

    assert recents.export_button.isEnabled()
    recents.export_button.click()
    dialog = recents.export_dialog
    assert isinstance(dialog, QFileDialog)
    out = tmp_path / "calls.csv"
    dialog.fileSelected.emit(str(out))  # the user's choice (the dialog is Qt's own)
    dialog.reject()
    qtbot.waitUntil(lambda: "3 call(s) exported" in recents.status.text(), timeout=WAIT)

    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [row["number"] for row in rows] == shown
    assert {row["outcome"] for row in rows} == {"missed"}
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
