"""Speaker volume and microphone gain on the conference bridge, measured on virtual PulseAudio
devices: a call's far-end tone at our speaker at 100 % and 50 %, the microphone's gain in what
the far end receives, mute over any gain, and levels that outlive a device reopen and a call."""

from __future__ import annotations

import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from softphone.audio.backend import AudioStream
from softphone.audio.ring import AudioRings
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineConfig
from softphone.sip.engine import SipEngine
from tests.audio.pulse import PulseServer
from tests.audio.tones import RATE, first_loud, has_tone_for, pcm, recording, rms, tone
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.integration.conftest import assert_no_pj_objects_left
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

MIC_TONE_HZ = 440.0
SETTLE_S = 0.7  # a change reaches the recording through jitter buffer, rings and PulseAudio
MEASURED_S = 1.0
HALF = (0.42, 0.58)  # 0.5 = -6 dB, give or take about 1.3 dB
QUIET_RMS = 50


@dataclass
class LevelRig:
    engine: SipEngine
    rings: AudioRings
    backend: SoundDeviceBackend
    stream: AudioStream

    def reopen_devices(self) -> None:
        """What a device switch does: a new stream on the same rings, the engine untouched."""
        self.stream.close()
        self.stream = self.backend.open_duplex(self.rings.capture, self.rings.playback)


@pytest.fixture
def rig(pulse: PulseServer, recorder: EventRecorder) -> Iterator[LevelRig]:
    backend = SoundDeviceBackend()
    backend.refresh()  # enumerate now that PULSE_SERVER points at the private daemon
    rings = AudioRings.create()
    engine = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"), audio=rings)
    engine.start()
    rig = LevelRig(engine, rings, backend, backend.open_duplex(rings.capture, rings.playback))
    try:
        yield rig
    finally:
        rig.stream.close()
        engine.stop()
        recorder.wait(ev.EngineStopped)
        assert_no_pj_objects_left()


class Speaker:
    """The virtual speaker's recording, measured window by window after each change."""

    def __init__(self, pulse: PulseServer, path: Path) -> None:
        self.path = path
        pulse.record_speaker(path)
        wait_until(lambda: len(recording(path)) > 0, 5, "a recording of the speaker")

    def samples(self) -> array.array[int]:
        return pcm(recording(self.path))

    def after(
        self, change: Callable[[], Any], seconds: float = MEASURED_S, settle_s: float = SETTLE_S
    ) -> array.array[int]:
        """What the speaker played for ``seconds``, once ``change`` has had ``settle_s`` to
        arrive."""
        mark = len(self.samples())
        change()
        begin = mark + int(settle_s * RATE)
        end = begin + int(seconds * RATE)
        wait_until(lambda: len(self.samples()) >= end, 15, f"{seconds} s more of recording")
        return self.samples()[begin:end]


def ratio(quieter: array.array[int], louder: float) -> float:
    return rms(quieter) / louder


def test_speaker_volume_and_mic_gain_scale_the_call_and_mute_wins(
    rig: LevelRig, recorder: EventRecorder, pulse: PulseServer, tmp_path: Path
) -> None:
    engine = rig.engine
    # Set before any call exists: a call made afterwards plays at these levels.
    engine.set_levels(0.5, 1.0).result(TIMEOUT)
    assert engine.snapshot().result(TIMEOUT).levels == (0.5, 1.0)

    # Two accounts of this engine call each other. The dialer's leg is muted, so exactly one
    # path carries sound: microphone -> (mic gain) -> agent's leg -> the dialer's leg, which
    # receives it as the far end -> (speaker volume) -> speaker.
    peers = add_peers(
        engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    out = engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    agent = recorder.wait(ev.IncomingCall, account_id="agent").call_id
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
    engine.set_mute(out, True).result(TIMEOUT)

    speaker = Speaker(pulse, tmp_path / "speaker.raw")
    mic = tmp_path / "mic.raw"
    mic.write_bytes(tone(MIC_TONE_HZ, 60.0))
    pulse.play_into_mic(mic)
    wait_until(lambda: has_tone_for(recording(speaker.path), 0.5), 10, "the tone at the speaker")

    at_half = speaker.after(lambda: None)
    full = rms(speaker.after(lambda: engine.set_levels(1.0, 1.0).result(TIMEOUT)))
    assert full > 1000, f"the far end's tone is too quiet to measure: rms {full:.0f}"
    got = ratio(at_half, full)
    assert HALF[0] < got < HALF[1], f"speaker at 50 %: {got:.2f} of 100 %, not about 0.5"

    mic_half = speaker.after(lambda: engine.set_levels(1.0, 0.5).result(TIMEOUT))
    got = ratio(mic_half, full)
    assert HALF[0] < got < HALF[1], f"microphone at 50 %: the far end got {got:.2f} of it"

    # a device switch reopens the stream; the levels live on the bridge and stay
    reopened = speaker.after(rig.reopen_devices)
    got = ratio(reopened, full)
    assert HALF[0] < got < HALF[1], f"after reopening the devices: {got:.2f}, not about 0.5"

    # mute silences the far end whatever the gain; unmute brings the gain back
    engine.set_levels(1.0, 2.0).result(TIMEOUT)
    muted = speaker.after(lambda: engine.set_mute(agent, True).result(TIMEOUT))
    assert rms(muted) < QUIET_RMS, f"mute at 200 % gain leaked: rms {rms(muted):.0f}"
    loud = speaker.after(lambda: engine.set_mute(agent, False).result(TIMEOUT))
    got = ratio(loud, full)
    assert 1.7 < got < 2.3, f"unmuted at 200 %: {got:.2f} of 100 %, not about 2"

    # Which side is which: a local tone (DTMF feedback) reaches the speaker without passing
    # the microphone, so the speaker volume scales it and the microphone gain does not.
    engine.set_mute(agent, True).result(TIMEOUT)
    engine.set_levels(1.0, 1.0).result(TIMEOUT)
    speaker.after(lambda: None, 0.3)  # the tone has drained
    digit_full = digit_rms(speaker, lambda: engine.send_dtmf(out, "5").result(TIMEOUT))
    engine.set_levels(0.5, 2.0).result(TIMEOUT)
    digit_half = digit_rms(speaker, lambda: engine.send_dtmf(out, "5").result(TIMEOUT))
    got = digit_half / digit_full
    assert HALF[0] < got < HALF[1], f"DTMF feedback at speaker 50 %: {got:.2f} of 100 %"


def digit_rms(speaker: Speaker, send: Callable[[], Any]) -> float:
    heard = speaker.after(send, 1.0, settle_s=0.0)
    onset = first_loud(heard, threshold=200)
    assert onset is not None, "no DTMF feedback at the speaker"
    body = heard[onset + RATE * 10 // 1000 : onset + RATE * 70 // 1000]
    return rms(body)
