"""The app applies the Settings page's live choices to the engine: the SIP trace (on and off at
once, no restart), the volumes and the ringtone (through the phone's sound commands), and the
settings every engine it starts is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, cast

import pytest
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.core.models import EngineConfig, EngineSnapshot, Ringtone
from softphone.storage.settings import AppSettings
from tests.ui.app_kit import QuietEngine, app_maker

WAIT = 5000


class SettingsEngine(QuietEngine):
    """Stands in for SipEngine: records the settings commands and the config it started with."""

    live_trace = True  # what set_sip_trace answers: False where pjlib's level is fixed

    def __init__(self, emit: Callable[..., None], config: EngineConfig, audio: Any) -> None:
        super().__init__(emit, config, audio)
        self.config = config

    def set_sip_trace(self, on: bool) -> Future[bool]:
        return self._done("set_sip_trace", on, value=self.live_trace or not on)

    def set_levels(self, speaker: float, mic: float) -> Future[None]:
        return self._done("set_levels", speaker, mic)

    def set_ringtone(self, ringtone: Ringtone) -> Future[None]:
        return self._done("set_ringtone", ringtone)

    def snapshot(self) -> Future[EngineSnapshot]:
        empty = EngineSnapshot({}, (), {}, None, Ringtone.WARBLE)
        return self._done("snapshot", value=empty)


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    with app_maker(
        qtbot, tmp_path, cast(Any, SettingsEngine), tray=False, log_dir=tmp_path / "logs"
    ) as make:
        yield make


def attached(app: App) -> bool:
    return app.trace.attached  # a call: mypy keeps no narrowing across it


def last(engine: SettingsEngine) -> tuple[Any, ...]:
    return engine.calls[-1]


def engine_of(app: App) -> SettingsEngine:
    engine = app.engine.current
    assert isinstance(engine, SettingsEngine)
    return engine


def test_the_sip_trace_starts_and_stops_without_a_restart(
    qtbot: QtBot, make_app: Callable[[], App]
) -> None:
    app = make_app()
    settings = app.settings_view
    assert settings is not None and not attached(app)
    engine = engine_of(app)
    assert not engine.config.sip_trace
    settings.sip_trace.setChecked(True)
    assert attached(app)
    assert last(engine) == ("set_sip_trace", True)
    settings.sip_trace.setChecked(False)
    assert last(engine) == ("set_sip_trace", False)
    # the file is let go once the engine has stopped writing to it
    qtbot.waitUntil(lambda: not attached(app), timeout=WAIT)
    # both answers are in (in order): the engine switched at once, so no "next start" notice
    assert settings.export_status.text() == ""


def test_a_build_that_cannot_switch_the_trace_live_says_it_starts_next_time(
    qtbot: QtBot, make_app: Callable[[], App]
) -> None:
    app = make_app()
    settings = app.settings_view
    assert settings is not None
    engine_of(app).live_trace = False
    settings.sip_trace.setChecked(True)
    qtbot.waitUntil(lambda: "next start" in settings.export_status.text(), timeout=WAIT)
    assert attached(app) and app.settings.sip_trace  # kept for the next start


def test_every_engine_starts_with_the_saved_sound_and_trace_settings(
    make_app: Callable[[], App], tmp_path: Path
) -> None:
    AppSettings(speaker_volume=40, mic_volume=150, ringtone=Ringtone.CHIME, sip_trace=True).save(
        tmp_path / "settings.json"
    )
    app = make_app()
    config = engine_of(app).config
    assert (config.speaker_level, config.mic_level) == (0.4, 1.5)
    assert config.ringtone is Ringtone.CHIME and config.sip_trace and app.trace.attached


def test_the_sound_controls_reach_the_running_engine(make_app: Callable[[], App]) -> None:
    app = make_app()
    settings = app.settings_view
    assert settings is not None
    engine = engine_of(app)
    settings.speaker_volume.setValue(70)
    assert last(engine) == ("set_levels", 0.7, 1.0)
    index = settings.ringtone.findData(Ringtone.CLASSIC.value)
    settings.ringtone.setCurrentIndex(index)
    settings.ringtone.activated.emit(index)
    assert last(engine) == ("set_ringtone", Ringtone.CLASSIC)
    assert app.settings.speaker_volume == 70 and app.settings.ringtone is Ringtone.CLASSIC
