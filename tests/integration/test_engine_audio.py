"""The engine with real sound devices: calls carry the microphone and reach the speaker through
the audio bridge (virtual PulseAudio devices), and mute sends silence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.audio.ring import AudioRings
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineConfig
from softphone.sip.engine import SipEngine
from tests.audio.pulse import PulseServer
from tests.audio.tones import CHECKED_S, RATE, assert_tone, has_tone_for, pcm, recording, rms, tone
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.integration.conftest import assert_no_pj_objects_left
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

MIC_TONE_HZ = 440.0


@pytest.fixture
def audio_engine(pulse: PulseServer, recorder: EventRecorder) -> Iterator[SipEngine]:
    backend = SoundDeviceBackend()
    backend.refresh()  # enumerate now that PULSE_SERVER points at the private daemon
    rings = AudioRings.create()
    config = EngineConfig(bind_address="127.0.0.1", audio_stats_interval_s=0.5)
    engine = SipEngine(recorder, config, audio=rings)
    engine.start()
    stream = backend.open_duplex(rings.capture, rings.playback)
    try:
        yield engine
    finally:
        stream.close()
        engine.stop()
        recorder.wait(ev.EngineStopped)
        assert_no_pj_objects_left()


def test_a_call_carries_the_microphone_to_the_speaker_and_mute_silences_it(
    audio_engine: SipEngine, recorder: EventRecorder, pulse: PulseServer, tmp_path: Path
) -> None:
    # Two accounts of this engine call each other: the microphone goes out on both legs and
    # each leg's far end (the other leg) plays into the speaker.
    peers = add_peers(
        audio_engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    out = audio_engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)

    speaker = tmp_path / "speaker.raw"
    pulse.record_speaker(speaker)
    mic = tmp_path / "mic.raw"
    mic.write_bytes(tone(MIC_TONE_HZ, 10.0))
    pulse.play_into_mic(mic)
    wait_until(lambda: has_tone_for(recording(speaker), CHECKED_S), 10, "the tone at the speaker")
    assert_tone(recording(speaker), MIC_TONE_HZ, "the speaker, through the call")
    stats = recorder.wait(ev.AudioStats, after=recorder.mark())
    assert stats.port_errors == 0
    assert stats.speaker_overruns == 0 and stats.mic_overruns == 0
    assert 0 < stats.speaker_fill_ms < 200  # the speaker ring is being served near its target

    for call in (out, incoming.call_id):
        audio_engine.set_mute(call, True).result(TIMEOUT)
        recorder.wait(ev.CallMediaChanged, call_id=call, muted=True)
    muted_from = len(recording(speaker))
    wait_until(lambda: len(recording(speaker)) - muted_from > 2 * RATE * 1.3, 5, "a muted second")
    # skip what was already in flight (jitter buffers, rings) when mute took effect
    after = pcm(recording(speaker)[muted_from + 2 * RATE * 3 // 10 :])
    assert rms(after) < 50, f"mute leaked audio to the far end: rms {rms(after):.0f}"
