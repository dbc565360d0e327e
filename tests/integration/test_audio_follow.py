"""Audio that follows the sound server: a call through an AudioController on the system defaults
keeps its audio when the default sink changes or is unloaded mid-call, and the ringer output
plays only on its own device. Each test has a PulseAudio of its own (it reshapes the sinks).

What PulseAudio (16) does here, found with these tests: a PortAudio stream on ALSA's "default"
device is a PulseAudio stream that follows the default sink. ``set-default-sink`` moves it to the
new default, and unloading its sink moves it to the remaining default; PortAudio reports nothing.
But a stream moved onto these null sinks stops moving for about 2 s: the controller's watchdog
takes that for a loss (``AudioDeviceLost``, "stopped responding") and reopens on the system
default, which is by then the new sink (``AudioDeviceRestored(fallback=False)``), so the audio
is back after about 1 s instead of 2. Both outcomes (silent, or stall → reopen) are accepted; a
loss for any other reason, a fallback, or audio anywhere else are not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from softphone.audio.controller import AudioController
from softphone.audio.device_events import (
    AudioDeviceEvent,
    AudioDeviceLost,
    AudioDeviceRestored,
    AudioDevicesOpened,
    RingerOpened,
)
from softphone.audio.ring import AudioRings, PcmRing
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineConfig
from softphone.sip.audio_port import create_audio_port
from softphone.sip.engine import SipEngine
from tests.audio.endpoint import LabEndpoint
from tests.audio.ports import PcmSource
from tests.audio.pulse import MIC_FEED, SPEAKER, PulseServer
from tests.audio.tones import (
    CHECKED_S,
    RATE,
    assert_tone,
    has_tone_for,
    pcm,
    recording,
    rms,
    tone,
)
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.integration.conftest import assert_no_pj_objects_left
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

MIC_TONE_HZ = 440.0
RINGER_TONE_HZ = 660.0
DEFAULTS = AudioDevicesOpened("ALSA:default", "default", "ALSA:default", "default")
APP_STREAM = "ALSA plug-in"  # how PulseAudio names a stream of the ALSA "pulse" plugin


class Events(list[AudioDeviceEvent]):
    """The controller's events; list.append is atomic, so any thread may add."""


@dataclass
class CallRig:
    engine: SipEngine
    controller: AudioController
    events: Events
    call_id: int


def _app_on(pulse: PulseServer, sink: str) -> bool:
    return any(name.startswith(APP_STREAM) for name in pulse.streams_on(sink))


@pytest.fixture
def call(private_pulse: PulseServer, recorder: EventRecorder, tmp_path: Path) -> Iterator[CallRig]:
    """Two accounts of one engine in a call (auto-answer), its audio through an AudioController
    on the system defaults, and a tone playing into the microphone."""
    backend = SoundDeviceBackend()
    backend.refresh()  # enumerate now that PULSE_SERVER points at this test's daemon
    rings = AudioRings.create()
    engine = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"), audio=rings)
    engine.start()
    events = Events()
    controller = AudioController(backend, rings, events.append)
    try:
        controller.open()
        peers = add_peers(
            engine,
            peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
            peer_config("dialer"),
        )
        out = engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
        mic = tmp_path / "mic.raw"
        mic.write_bytes(tone(MIC_TONE_HZ, 60.0))
        private_pulse.play_into_mic(mic)
        yield CallRig(engine, controller, events, out)
    finally:
        controller.close()
        engine.stop()
        recorder.wait(ev.EngineStopped)
        assert_no_pj_objects_left()


def _tone_reaches(pulse: PulseServer, sink: str, path: Path) -> None:
    """The microphone's tone, through the call, is heard on ``sink`` (past the first second,
    which may still carry audio that was in flight during the change)."""
    pulse.record_sink(sink, path)
    wait_until(
        lambda: has_tone_for(recording(path)[2 * RATE :], CHECKED_S + 0.5),
        15,
        f"the tone at {sink}",
    )
    assert_tone(recording(path)[2 * RATE :], MIC_TONE_HZ, f"{sink}, through the call")


def _followed(events: list[AudioDeviceEvent]) -> None:
    """Opened on the defaults, then nothing, or only stalls each reopened on the defaults."""
    assert events[0] == DEFAULTS
    rest = events[1:]
    assert len(rest) % 2 == 0, rest
    for lost, restored in zip(rest[::2], rest[1::2], strict=True):
        assert isinstance(lost, AudioDeviceLost) and "stopped responding" in lost.reason, rest
        assert restored == AudioDeviceRestored(
            "ALSA:default", "default", "ALSA:default", "default", fallback=False, attempts=1
        ), rest


def _still_confirmed(recorder: EventRecorder, call_id: int) -> bool:
    states = [e.state for e in recorder.of(ev.CallStateChanged, call_id=call_id)]
    return states[-1] == ev.CallState.CONFIRMED


def test_a_call_follows_the_system_default_speaker_by_itself(
    call: CallRig, private_pulse: PulseServer, recorder: EventRecorder, tmp_path: Path
) -> None:
    pulse = private_pulse
    _tone_reaches(pulse, SPEAKER, tmp_path / "before.raw")
    pulse.load_sink("headset")
    assert _app_on(pulse, SPEAKER) and not _app_on(pulse, "headset")

    pulse.set_default_sink("headset")
    wait_until(lambda: _app_on(pulse, "headset"), 10, "the app's stream on the new default")
    assert not _app_on(pulse, SPEAKER)
    _tone_reaches(pulse, "headset", tmp_path / "headset.raw")
    # and no longer at the old speaker
    old = tmp_path / "old-speaker.raw"
    pulse.record_sink(SPEAKER, old)
    wait_until(lambda: len(recording(old)) > 2 * RATE, 10, "a second of the old speaker")
    assert rms(pcm(recording(old))) < 50

    assert _still_confirmed(recorder, call.call_id)
    _followed(call.events)
    assert call.controller.stream is not None and not call.controller.recovering


def test_the_default_sink_unloaded_mid_call_and_another_loaded_the_call_keeps_its_audio(
    call: CallRig, private_pulse: PulseServer, recorder: EventRecorder, tmp_path: Path
) -> None:
    pulse = private_pulse
    _tone_reaches(pulse, SPEAKER, tmp_path / "before.raw")

    pulse.unload_sink(SPEAKER)  # the headset is unplugged: the stream goes to what is left
    assert pulse.default_sink() == MIC_FEED and _app_on(pulse, MIC_FEED)
    pulse.load_sink("headset")  # another is plugged in and becomes the default
    pulse.set_default_sink("headset")
    wait_until(lambda: _app_on(pulse, "headset"), 10, "the app's stream on the new sink")
    # the tone can only reach the new sink through the call: its player stays on the mic feed
    assert "play-mic" in pulse.streams_on(MIC_FEED)
    assert all(n.startswith((APP_STREAM, "keepalive-")) for n in pulse.streams_on("headset"))
    _tone_reaches(pulse, "headset", tmp_path / "headset.raw")

    assert _still_confirmed(recorder, call.call_id)
    _followed(call.events)
    assert call.controller.stream is not None and not call.controller.recovering
    assert not call.controller.fallback


# ---- the ringer output ------------------------------------------------------------------------


@pytest.fixture
def ringer_device(
    private_pulse: PulseServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A sink "bell" and an ALSA device "vicifast_bell" that plays into it (as a user's
    ~/.asoundrc would name a card); yields the device's id."""
    private_pulse.load_sink("bell")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(
        'pcm.vicifast_bell {\n type pulse\n device "bell"\n'
        ' hint { show on\n description "Bell" }\n}\n'
    )
    monkeypatch.setenv("HOME", str(home))
    yield "ALSA:vicifast_bell"


@pytest.fixture
def ringtone() -> Iterator[tuple[AudioRings, dict[str, Any]]]:
    """A tone played into ``rings.ringer`` by a conference-bridge port on pjmedia's clock, as
    the engine's ringtone player does; nothing plays into the call rings."""
    rings = AudioRings.create()
    lab = LabEndpoint()
    pj: dict[str, Any] = {}
    try:
        pj["port"] = create_audio_port(PcmRing(), rings.ringer)
        pj["tone"] = PcmSource("ringtone", tone(RINGER_TONE_HZ, 1.0))
        pj["tone"].startTransmit(pj["port"])
        pj["tone"].playing.set()
        yield rings, pj
    finally:
        lab.stop_audio_clock()
        pj.clear()
        lab.close()


def test_the_ringer_ring_plays_on_the_chosen_output_only(
    private_pulse: PulseServer,
    ringer_device: str,
    ringtone: tuple[AudioRings, dict[str, Any]],
    tmp_path: Path,
) -> None:
    pulse = private_pulse
    rings, _ = ringtone
    backend = SoundDeviceBackend()
    events = Events()
    controller = AudioController(backend, rings, events.append)
    try:
        outputs = controller.devices()[1]
        assert ringer_device in [d.id for d in outputs]
        controller.open()
        assert not rings.ringer.active  # no separate ringer yet: the ringtone would go to the
        controller.set_ringer(ringer_device)  # speaker; now it has a device of its own
        assert rings.ringer.active
        assert events[-1] == RingerOpened(ringer_device, "vicifast_bell")

        bell, speaker = tmp_path / "bell.raw", tmp_path / "speaker.raw"
        pulse.record_sink("bell", bell)
        pulse.record_sink(SPEAKER, speaker)
        wait_until(lambda: has_tone_for(recording(bell), CHECKED_S), 10, "the ringtone")
        assert_tone(recording(bell), RINGER_TONE_HZ, "the ringer device")
        wait_until(lambda: len(recording(speaker)) > 2 * RATE * 1.5, 10, "the speaker's take")
        assert rms(pcm(recording(speaker))) < 50, "the ringtone leaked to the speaker"

        controller.set_ringer(None)
        assert not rings.ringer.active and controller.ringer is None
        wait_until(lambda: not _app_on(pulse, "bell"), 10, "the ringer stream to go")
    finally:
        controller.close()
    assert not rings.ringer.active and not rings.playback.active
