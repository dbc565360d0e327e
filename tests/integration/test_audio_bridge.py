"""The audio bridge end to end: pjsua2's conference bridge ↔ AudioBridgePort ↔ PcmRings ↔
sounddevice (PortAudio → ALSA "pulse") ↔ a private PulseAudio's virtual speaker and microphone.

One process: a bare pjsua2 Endpoint created, polled and destroyed on the test's thread, with
test ports (or a loopback call between two unregistered accounts) on the other side of the
bridge. No pj object is ever bound to a test local: they live on the ``Rig``, which drops them
before ``libDestroy`` even when a failing test's traceback keeps its frame alive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from softphone.audio.backend import AudioStream
from softphone.audio.ring import PcmRing
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from tests.audio.endpoint import LabEndpoint
from tests.audio.ports import PcmSink, PcmSource, RecordingBridgePort
from tests.audio.pulse import SPEAKER, PulseServer
from tests.audio.tones import assert_tone, first_loud, has_tone_for, pcm, recording, rms, tone
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

SPEAKER_TONE_HZ = 1000.0
MIC_TONE_HZ = 440.0
RATE = 16_000
CHECKED_S = 1.0


@dataclass
class Rig:
    lab: LabEndpoint
    capture: PcmRing
    playback: PcmRing
    backend: SoundDeviceBackend
    port: RecordingBridgePort | None = None
    stream: AudioStream | None = None
    pj: dict[str, Any] = field(default_factory=dict)  # test ports and calls
    errors: list[str] = field(default_factory=list)

    def open_devices(self) -> None:
        self.stream = self.backend.open_duplex(
            self.capture, self.playback, on_error=self.errors.append
        )

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.lab.stop_audio_clock()
        try:
            self.lab.hang_up_all()
        finally:
            self.port = None
            self.pj.clear()
            self.lab.close()


@pytest.fixture
def rig(pulse: PulseServer) -> Iterator[Rig]:
    backend = SoundDeviceBackend()
    backend.refresh()  # PortAudio enumerated before PULSE_SERVER pointed at our daemon
    lab = LabEndpoint()
    capture, playback = PcmRing(target_ms=30), PcmRing(target_ms=30)
    rig = Rig(lab, capture, playback, backend)
    try:
        rig.port = RecordingBridgePort(capture, playback)
        yield rig
    finally:
        rig.close()


def test_bridge_output_reaches_the_speaker_and_the_microphone_reaches_the_bridge(
    rig: Rig,
    pulse: PulseServer,
    tmp_path: Path,
) -> None:
    rig.pj["tone"] = PcmSource("tone-1k", tone(SPEAKER_TONE_HZ, 1.0))
    rig.pj["heard"] = PcmSink("far-end-ear")
    assert rig.port is not None
    rig.pj["tone"].startTransmit(rig.port)  # bridge -> our speaker
    rig.port.startTransmit(rig.pj["heard"])  # our microphone -> bridge
    rig.open_devices()

    speaker_file = tmp_path / "speaker.raw"
    pulse.record_speaker(speaker_file)
    wait_until(lambda: len(recording(speaker_file)) > 0, 5, "parec to record the speaker")
    rig.pj["tone"].playing.set()
    mic_file = tmp_path / "mic-tone.raw"
    mic_file.write_bytes(tone(MIC_TONE_HZ, 10.0))
    pulse.play_into_mic(mic_file)

    wait_until(
        lambda: (
            has_tone_for(recording(speaker_file), CHECKED_S)
            and has_tone_for(rig.pj["heard"].tape.snapshot(), CHECKED_S)
        ),
        10,
        "both tones to come through",
    )
    assert_tone(recording(speaker_file), SPEAKER_TONE_HZ, "the virtual speaker")
    assert_tone(rig.pj["heard"].tape.snapshot(), MIC_TONE_HZ, "what the bridge got from the mic")
    assert rig.port.errors == 0
    assert not rig.errors


def test_a_loopback_call_carries_both_directions_and_mute_sends_silence(
    rig: Rig,
    pulse: PulseServer,
    tmp_path: Path,
) -> None:
    lab = rig.lab
    rig.pj["alice"], rig.pj["bob"] = lab.account("alice"), lab.account("bob")
    rig.pj["ours"], rig.pj["far"] = lab.call(rig.pj["alice"], rig.pj["bob"])
    rig.pj["our_audio"], rig.pj["far_audio"] = rig.pj["ours"].audio(), rig.pj["far"].audio()
    assert rig.port is not None
    # our side: the call's audio <-> the bridge port, as the stack will wire it
    rig.pj["our_audio"].startTransmit(rig.port)
    rig.port.startTransmit(rig.pj["our_audio"])
    # the far end: a 1 kHz tone into the call, and an ear on what arrives
    rig.pj["tone"] = PcmSource("far-tone", tone(SPEAKER_TONE_HZ, 1.0))
    rig.pj["heard"] = PcmSink("far-ear")
    rig.pj["tone"].startTransmit(rig.pj["far_audio"])
    rig.pj["far_audio"].startTransmit(rig.pj["heard"])
    rig.open_devices()

    speaker_file = tmp_path / "speaker.raw"
    pulse.record_speaker(speaker_file)
    wait_until(lambda: len(recording(speaker_file)) > 0, 5, "parec to record the speaker")
    rig.pj["tone"].playing.set()
    mic_file = tmp_path / "mic-tone.raw"
    mic_file.write_bytes(tone(MIC_TONE_HZ, 10.0))
    pulse.play_into_mic(mic_file)

    lab.poll_until(
        lambda: (
            has_tone_for(recording(speaker_file), CHECKED_S)
            and has_tone_for(rig.pj["heard"].tape.snapshot(), CHECKED_S)
        ),
        10,
        "both tones to cross the call",
    )
    assert_tone(recording(speaker_file), SPEAKER_TONE_HZ, "our speaker (from the far end)")
    assert_tone(rig.pj["heard"].tape.snapshot(), MIC_TONE_HZ, "the far end (from our mic)")

    # mute: the port stops transmitting into the call; the far end hears silence
    rig.port.stopTransmit(rig.pj["our_audio"])
    muted_from = len(rig.pj["heard"].tape.snapshot())
    lab.poll_until(
        lambda: len(rig.pj["heard"].tape.snapshot()) - muted_from > 32000 * 1.2,
        5,
        "a second of muted call",
    )
    muted = pcm(rig.pj["heard"].tape.snapshot()[muted_from + 32000 * 2 // 10 :])  # past jitter
    assert rms(muted) < 50, f"mute leaked audio: rms {rms(muted):.0f}"
    stats = rig.playback.stats()
    assert rig.port.errors == 0
    assert not rig.errors
    assert stats.overruns == 0


def test_round_trip_through_the_devices_and_drift_counters(
    rig: Rig,
    pulse: PulseServer,
    record_property: Any,
) -> None:
    """Our microphone is our speaker's monitor: a burst sent into the bridge port comes back out
    of it. Both tapes are written once per clock tick, so their offset is the bridge's added
    round trip (rings + PortAudio + PulseAudio), measured in samples."""
    pulse.pactl("set-default-source", f"{SPEAKER}.monitor")
    rig.pj["tone"] = PcmSource("burst", tone(SPEAKER_TONE_HZ, 0.5) + bytes(32000 * 2))
    rig.pj["heard"] = PcmSink("loop-ear")
    assert rig.port is not None
    rig.pj["tone"].startTransmit(rig.port)
    rig.port.startTransmit(rig.pj["heard"])
    rig.open_devices()
    assert rig.stream is not None
    # let both rings prime and settle before the burst
    wait_until(lambda: rig.stream is not None and rig.stream.stats().input_blocks > 50, 5, "mic")
    cpu0, wall0, busy0 = time.process_time(), time.monotonic(), rig.port.busy_ns
    rig.pj["tone"].playing.set()
    sent_from = len(rig.port.tape.snapshot())
    heard_from = len(rig.pj["heard"].tape.snapshot())
    wait_until(lambda: rig.pj["heard"].tape.seconds() * 1 > heard_from / 32000 + 3.0, 10, "3 s")
    wall = time.monotonic() - wall0
    cpu_pct = (time.process_time() - cpu0) / wall * 100
    port_pct = (rig.port.busy_ns - busy0) / 1e9 / wall * 100

    sent = pcm(rig.port.tape.snapshot())
    heard = pcm(rig.pj["heard"].tape.snapshot())
    sent_onset = first_loud(sent[sent_from // 2 :])
    heard_onset = first_loud(heard[heard_from // 2 :])
    assert sent_onset is not None and heard_onset is not None, "the burst did not come back"
    round_trip_ms = ((heard_from // 2 + heard_onset) - (sent_from // 2 + sent_onset)) / 16
    frames = rig.port.frames_requested + rig.port.frames_received
    record_property("round_trip_ms", round(round_trip_ms, 1))
    record_property("process_cpu_pct", round(cpu_pct, 2))
    record_property("port_callbacks_cpu_pct", round(port_pct, 2))
    record_property("port_us_per_callback", round(rig.port.busy_ns / 1000 / max(frames, 1), 1))
    record_property("capture", str(rig.capture.stats()))  # plain text: xdist sends it
    record_property("playback", str(rig.playback.stats()))
    record_property("device", str(rig.stream.stats()))
    print(  # shown with -s; the numbers bench/RESULTS.md wants
        f"\nround trip {round_trip_ms:.1f} ms, process CPU {cpu_pct:.1f}%, port callbacks "
        f"{port_pct:.2f}% ({rig.port.busy_ns / 1000 / max(frames, 1):.1f} µs each)\n"
        f"capture {rig.capture.stats()}\nplayback {rig.playback.stats()}\n"
        f"device {rig.stream.stats()}"
    )
    assert 0 < round_trip_ms < 250
    # Underruns depend on scheduling on a shared 2-core machine: they are measured and recorded
    # above (and belong in bench/), not asserted; a burst that came back is the behaviour tested.
    assert rig.port.errors == 0
    assert not rig.errors
