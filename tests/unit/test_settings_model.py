"""AppSettings: defaults, bounds, the JSON round trip, a corrupt file, and no secret ever."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from softphone.core.errors import ConfigError
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, Ringtone
from softphone.storage.settings import (
    SECRET_WORDS,
    AppSettings,
    SoundSystem,
    Theme,
    default_path,
    fields,
)


def test_defaults_follow_the_system_and_auto_answer_as_the_server_provisions() -> None:
    s = AppSettings()
    assert (s.input_device_id, s.output_device_id, s.ringer_device_id) == (None, None, None)
    assert s.auto_answer is None
    assert s.ringtone is Ringtone.WARBLE and not s.sip_trace and not s.launch_at_login
    assert (s.speaker_volume, s.mic_volume) == (100, 100) and s.levels() == (1.0, 1.0)
    assert s.custom_control_plane == "" and s.ca_file == ""
    assert default_path().name == "settings.json"
    assert "vicifast-desktop" in default_path().parts[-2]


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    s = AppSettings(
        input_device_id="headset-mic",
        output_device_id="headset",
        ringer_device_id="speakers",
        ringtone=Ringtone.CHIME,
        speaker_volume=50,
        mic_volume=200,
        auto_answer=AutoAnswerMode.AFTER,
        auto_answer_delay_s=3.0,
        start_minimised=True,
        launch_at_login=True,
        sip_trace=True,
        close_to_tray_notice_shown=True,
        custom_control_plane="https://cp.example.com",
        ca_file="/etc/ca.pem",
    )
    s.save(path)
    assert AppSettings.load(path) == s
    assert json.loads(path.read_text())["auto_answer"] == "after"
    assert json.loads(path.read_text())["ringtone"] == "chime"
    assert s.levels() == (0.5, 2.0)
    provisioned = AutoAnswerPolicy(AutoAnswerMode.ALWAYS, 0.0)
    assert s.auto_answer_policy(provisioned) == AutoAnswerPolicy(AutoAnswerMode.AFTER, 3.0)


def test_by_default_the_servers_auto_answer_applies_and_is_saved_as_such(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    for provisioned in (AutoAnswerPolicy(AutoAnswerMode.ALWAYS), AutoAnswerPolicy.parse("after=4")):
        assert AppSettings().auto_answer_policy(provisioned) == provisioned
    AppSettings(sip_trace=True).save(path)
    saved = json.loads(path.read_text())
    assert saved["auto_answer"] == "server" and saved["version"] == 2
    assert AppSettings.load(path).auto_answer is None


def test_a_version_1_file_keeps_a_real_choice_and_drops_the_old_default(tmp_path: Path) -> None:
    # version 1 wrote its default, header, whether chosen or not; it had no "as the server says"
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "auto_answer": "header", "sip_trace": True}))
    assert AppSettings.load(path).auto_answer is None and AppSettings.load(path).sip_trace
    path.write_text(json.dumps({"version": 1, "auto_answer": "off"}))
    assert AppSettings.load(path).auto_answer is AutoAnswerMode.OFF


@pytest.mark.parametrize(
    "changes",
    [
        {"auto_answer_delay_s": -1.0},
        {"auto_answer_delay_s": 601.0},
        {"auto_answer_delay_s": True},
        {"input_device_id": ""},
        {"sip_trace": "yes"},
        {"custom_control_plane": "http://cp.example.com"},
        {"custom_control_plane": "https://user:pw@cp.example.com"},
        {"custom_control_plane": "https://cp.example.com/?token=abc"},
        {"custom_control_plane": "cp.example.com"},
        {"speaker_volume": -1},
        {"speaker_volume": 151},
        {"speaker_volume": 50.5},
        {"speaker_volume": True},
        {"mic_volume": 201},
        {"mic_volume": "100"},
        {"ringtone": "none"},  # the enum, not its text (from_json converts)
        {"sound_system": "qt"},  # likewise
    ],
)
def test_bounds(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        AppSettings().with_(**changes)


@pytest.mark.parametrize(
    ("old", "ringtone"),
    [
        ({"ringtone_enabled": False}, Ringtone.NONE),
        ({"ringtone_enabled": True}, Ringtone.WARBLE),
        ({"ringtone_enabled": False, "ringtone": "classic"}, Ringtone.CLASSIC),
        ({"ringtone": "trumpet"}, Ringtone.WARBLE),
    ],
)
def test_the_old_ringtone_switch_is_read_as_a_choice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, old: dict[str, object], ringtone: Ringtone
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "sip_trace": True, **old}), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        s = AppSettings.load(path)
    assert s.ringtone is ringtone and s.sip_trace
    assert "unknown keys" not in caplog.text
    s.save(path)
    assert "ringtone_enabled" not in json.loads(path.read_text())


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert AppSettings.load(tmp_path / "nope.json") == AppSettings()


def test_corrupt_file_is_kept_aside_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert AppSettings.load(path) == AppSettings()
    assert not path.exists()
    aside = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == "{not json"
    assert "not valid settings JSON" in caplog.text and "kept" in caplog.text
    # a list is not settings either
    path.write_text("[1, 2]", encoding="utf-8")
    assert AppSettings.load(path) == AppSettings()


def test_a_bad_value_falls_back_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"auto_answer": "sometimes", "auto_answer_delay_s": 9999, "sip_trace": True}),
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        s = AppSettings.load(path)
    assert s.sip_trace is True
    assert s.auto_answer is None and s.auto_answer_delay_s == 5.0  # the defaults
    assert "auto_answer is out of bounds" in caplog.text


def test_no_secret_fields_and_a_planted_password_is_never_loaded_or_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in fields():
        assert not set(name.split("_")) & set(SECRET_WORDS), name
    path = tmp_path / "settings.json"
    planted = {"sip_trace": True, "password": "hunter2-planted", "token": "tok-planted-123"}
    path.write_text(json.dumps(planted), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        s = AppSettings.load(path)
    assert s.sip_trace
    assert "hunter2-planted" not in repr(s) and "hunter2-planted" not in caplog.text
    assert "tok-planted-123" not in caplog.text
    s.save(path)
    text = path.read_text()
    assert "hunter2-planted" not in text and "tok-planted-123" not in text
    assert set(json.loads(text)) == {*fields(), "version"}
    with pytest.raises(TypeError):
        AppSettings(password="x")  # type: ignore[call-arg]


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    AppSettings().save(path)
    AppSettings(sip_trace=True).save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_the_sound_system_is_portaudio_by_default_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert AppSettings().sound_system is SoundSystem.PORTAUDIO
    AppSettings(sound_system=SoundSystem.QT).save(path)
    assert json.loads(path.read_text())["sound_system"] == "qt"
    assert AppSettings.load(path).sound_system is SoundSystem.QT
    path.write_text(json.dumps({"sound_system": "alsa"}))
    assert AppSettings.load(path).sound_system is SoundSystem.PORTAUDIO


def test_the_theme_follows_the_system_by_default_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert AppSettings().theme is Theme.SYSTEM
    AppSettings(theme=Theme.DARK).save(path)
    assert json.loads(path.read_text())["theme"] == "dark"
    assert AppSettings.load(path).theme is Theme.DARK
    path.write_text(json.dumps({"theme": "purple", "mic_volume": 150}))
    assert AppSettings.load(path) == AppSettings(mic_volume=150)  # the bad theme alone drops
    with pytest.raises(ConfigError):
        AppSettings(theme="dark")  # type: ignore[arg-type]


def test_bring_to_front_on_a_ring_is_off_by_default_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert AppSettings().bring_to_front_on_ring is False
    AppSettings(bring_to_front_on_ring=True).save(path)
    assert AppSettings.load(path).bring_to_front_on_ring is True
    path.write_text(json.dumps({"bring_to_front_on_ring": "yes", "mic_volume": 150}))
    assert AppSettings.load(path) == AppSettings(mic_volume=150)  # the bad value alone drops


def test_global_hotkeys_are_off_by_default_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert AppSettings().global_hotkeys is False
    AppSettings(global_hotkeys=True).save(path)
    assert json.loads(path.read_text())["global_hotkeys"] is True
    assert AppSettings.load(path).global_hotkeys is True
    path.write_text(json.dumps({"global_hotkeys": 1, "mic_volume": 150}))
    assert AppSettings.load(path) == AppSettings(mic_volume=150)  # the bad value alone drops
