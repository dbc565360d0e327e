"""Voice processing on real (virtual) devices: the app's AudioController with its processing
(the default choice: echo cancellation, noise suppression) opens PortAudio on a private
PulseAudio whose speaker leaks back into its microphone through a simulated room
(tests/audio/room.py: 60 ms late, 10 dB down, through a 60 ms impulse response); a far end (a
pjmedia port) talks into the bridge and keeps what it receives, as the customer hears it.

The echo script, measured at the far end (seconds from the far end's first word):

- 0-3.5 s, the far end talks: the echo left after 2 s of convergence (ERLE over 2-3.5 s);
- at 3.5 s the echo path's delay jumps from 60 to 120 ms (a device switch): ERLE over
  5.5-6.5 s;
- 7-8.5 s the agent talks alone (the reference), 9-10.5 s both talk at once (double talk):
  how much of the agent's voice survives;
- each figure is the median over 250 ms windows, so that one late device callback on a busy
  runner (which moves the echo path for a moment) does not stand for a whole stretch;
- at 11 s headset mode is switched on, live: the far end's voice comes back (11.5-12.5 s).

The noise test: steady noise at -30 dBFS in the room from the start, the agent talks, and the
noise left in the pause after.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from softphone.audio.controller import AudioController
from softphone.audio.processing import AudioProcessing
from softphone.audio.processing_choice import ProcessingChoice
from softphone.audio.ring import AudioRings
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from tests.audio.endpoint import LabEndpoint
from tests.audio.ports import PcmSink, PcmSource, RecordingBridgePort
from tests.audio.pulse import PulseServer
from tests.audio.room import RATE, Room, from_pcm, power_db, to_pcm, voice
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

SCRIPT_S = 12.7


def _at(track: np.ndarray, start_s: float, part: np.ndarray) -> None:
    i = round(start_s * RATE)
    track[i : i + len(part)] = part[: len(track) - i]


def _script() -> tuple[np.ndarray, np.ndarray]:
    """(far, near) float tracks of SCRIPT_S seconds."""
    n = round(SCRIPT_S * RATE)
    far, near = np.zeros(n), np.zeros(n)
    talk = voice(10.0, seed=1, pitch_hz=120, level=0.4)
    _at(far, 0.0, talk[: int(6.5 * RATE)])
    _at(far, 9.0, talk[int(6.5 * RATE) : 8 * RATE])
    _at(far, 11.0, talk[8 * RATE : int(9.7 * RATE)])
    agent = voice(1.5, seed=2, pitch_hz=210, level=0.3)
    _at(near, 7.0, agent)
    _at(near, 9.0, agent)
    return far, near


@dataclass
class Rig:
    lab: LabEndpoint
    audio: AudioController
    pj: dict[str, Any] = field(default_factory=dict)
    room: Room | None = None

    def close(self) -> None:
        # The endpoint is destroyed whatever failed before: a second pj.Endpoint while one is
        # alive aborts the process (seen once: this teardown failed, the next test's set-up
        # aborted, and the failure's own message was lost with the process).
        try:
            self.audio.close()
            if self.room is not None:
                self.room.stop()
        finally:
            self.lab.stop_audio_clock()
            self.pj.clear()
            self.lab.close()


@pytest.fixture
def rig(pulse: PulseServer) -> Iterator[Rig]:
    backend = SoundDeviceBackend()  # as shipped: 10 ms blocks, latency "low"
    backend.refresh()  # PortAudio enumerated before PULSE_SERVER pointed at our daemon
    lab = LabEndpoint()
    rings = AudioRings.create()
    audio = AudioController(backend, rings, lambda _e: None, processing=AudioProcessing())
    rig = Rig(lab, audio)
    try:
        rig.pj["port"] = RecordingBridgePort(rings.capture, rings.playback)
        yield rig
    finally:
        rig.close()


def _window(signal: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return signal[round(start_s * RATE) : round(end_s * RATE)]


def _median_db(
    a: np.ndarray, b: np.ndarray, start_s: float, end_s: float, b_start_s: float
) -> float:
    """The median, over 250 ms windows of ``a`` from ``start_s`` to ``end_s`` and the same
    windows of ``b`` shifted to ``b_start_s``, of a's power over b's in dB."""
    step, shift = 0.25, b_start_s - start_s
    ratios = [
        power_db(_window(a, t, t + step)) - power_db(_window(b, t + shift, t + shift + step))
        for t in np.arange(start_s, end_s - step / 2, step)
    ]
    return float(np.median(ratios))


def _play(rig: Rig, far: np.ndarray, near: np.ndarray, room: Room) -> int:
    """Wire the far end to the bridge, open the devices, start ``room`` and the script: the
    far end's tape position where the script starts."""
    rig.pj["far"] = PcmSource("far-end", to_pcm(far) + bytes(4 * RATE))
    rig.pj["ear"] = PcmSink("far-ear")
    rig.pj["far"].startTransmit(rig.pj["port"])  # the far end's voice -> our speaker
    rig.pj["port"].startTransmit(rig.pj["ear"])  # our microphone -> the far end
    rig.room = room.start()
    rig.audio.open()
    # the devices run: the room hears the speaker, the far end hears the microphone
    wait_until(lambda: room.blocks > 50, 10, "the room to run")
    tape_from = len(rig.pj["ear"].tape.snapshot())
    room.start_script(near)
    rig.pj["far"].playing.set()
    return tape_from


def _heard(rig: Rig, tape_from: int, seconds: float) -> np.ndarray:
    """What the far end received from ``tape_from`` on, once it is ``seconds`` long."""
    wait_until(
        lambda: len(rig.pj["ear"].tape.snapshot()) - tape_from >= (seconds + 0.2) * RATE * 2,
        seconds + 15,
        "the whole script at the far end",
    )
    assert rig.room is not None and rig.room.error is None
    return from_pcm(rig.pj["ear"].tape.snapshot()[tape_from:])


def _at_script(room: Room, seconds: float) -> None:
    wait_until(lambda: len(room.echo) >= seconds * 100, seconds + 10, f"{seconds} s of script")


def test_echo_is_cancelled_and_the_agent_kept_in_double_talk_until_headset_mode(
    rig: Rig, pulse: PulseServer, tmp_path: Path
) -> None:
    far, near = _script()
    room = Room(pulse, tmp_path, delay_ms=60)
    tape_from = _play(rig, far, near, room)
    _at_script(room, 3.5)
    room.set_delay_ms(120)
    _at_script(room, 11.0)
    assert rig.audio.processing is not None
    rig.audio.processing.configure(ProcessingChoice(headset=True))
    heard = _heard(rig, tape_from, SCRIPT_S)
    echo = room.track(room.echo)

    def erle(start_s: float, end_s: float) -> float:
        """The median over 250 ms windows: one glitch of a busy machine (a late device
        callback moves the echo path for a moment) does not stand for the whole stretch."""
        return _median_db(echo, heard, start_s, end_s, start_s)

    # the agent's same 1.5 seconds alone (7-8.5 s) and over the far end (9-10.5 s)
    kept_db = -_median_db(heard, heard, 7.0, 8.5, 9.0)
    stream = rig.audio.stream
    glitches = stream.stats() if stream is not None else None
    print(
        f"ERLE {erle(2.0, 3.5):.1f} dB, 2 s after the delay jump {erle(5.5, 6.5):.1f} dB, "
        f"near end kept in double talk {kept_db:+.1f} dB, headset mode {erle(11.5, 12.5):.1f} dB; "
        f"{glitches}"
    )
    assert erle(2.0, 3.5) >= 25, f"only {erle(2.0, 3.5):.1f} dB of echo removed after 2 s"
    assert erle(5.5, 6.5) >= 25, f"only {erle(5.5, 6.5):.1f} dB 2 s after the delay jump"
    # Still heard over the far end, not gated away as a half-duplex suppressor would (-10 dB
    # and worse). The target is -0.5 dB: AEC3 keeps -0.6 to -1.4 dB here on a quiet
    # machine, and a busy one moves it by a few dB (bench/RESULTS.md, "Echo cancellation").
    assert kept_db >= -6, f"double talk cut the agent's voice by {-kept_db:.1f} dB"
    assert erle(11.5, 12.5) < 10, "headset mode still cancels the echo"


def test_steady_noise_is_reduced_in_the_agents_pauses(
    rig: Rig, pulse: PulseServer, tmp_path: Path
) -> None:
    near = np.zeros(4 * RATE)
    _at(near, 0.5, voice(1.5, seed=3, pitch_hz=210, level=0.3))
    room = Room(pulse, tmp_path, delay_ms=60, noise_dbfs=-30)
    tape_from = _play(rig, np.zeros(4 * RATE), near, room)
    heard = _heard(rig, tape_from, 4.0)
    noise = room.track(room.noise_heard)
    speech_db = power_db(_window(heard, 0.7, 1.9)) - power_db(_window(near, 0.7, 1.9))
    cut = power_db(_window(noise, 3.0, 4.0)) - power_db(_window(heard, 3.0, 4.0))
    print(f"noise reduced {cut:.1f} dB in the pause; speech {speech_db:+.1f} dB")
    assert cut >= 10, f"the noise in the pause is only {cut:.1f} dB down"
    assert speech_db > -3, f"the agent's voice lost {-speech_db:.1f} dB with the noise"
