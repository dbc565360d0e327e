"""QtAudioBackend against a private PulseAudio: devices, audio both ways, hot-plug, errors.

Qt's PulseAudio connection is made once per process and never re-made, and Qt keeps listing a
sink that goes away for the rest of the process; so the tests that add or remove devices, move the
default or stop the sound server run the backend in a child process (this module run as a script)
against a server of their own, as does the test that judges the audio it moves; the others
share the session's ``pulse``.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.audio.backend import AudioBackend, AudioStream
from softphone.audio.errors import AudioError, DeviceNotFound
from softphone.audio.ring import FRAME_SAMPLES, SAMPLE_BYTES, PcmRing
from softphone.ui.qt_audio.backend import QtAudioBackend
from tests.audio.pulse import MIC, MIC_FEED, SPEAKER, PulseServer, available
from tests.audio.tones import assert_tone, has_tone_for, recording, tone
from tests.support.process import wait_until

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication
pytestmark = pytest.mark.integration

TIMEOUT = 10.0
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_BYTES
REPO = Path(__file__).resolve().parents[2]


class Changes:
    """Counts the backend's hot-plug notices (called on its Qt thread)."""

    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def backend(pulse: PulseServer, qapp: object, changes: Changes) -> Iterator[QtAudioBackend]:
    backend = QtAudioBackend(on_devices_changed=changes)
    try:
        yield backend
    finally:
        backend.shutdown()


class Clock:
    """Stands where pjmedia's clock stands: every 20 ms it writes a frame of ``pcm`` (looped)
    into ``playback`` and takes a frame out of ``capture`` onto a tape."""

    def __init__(self, capture: PcmRing, playback: PcmRing, pcm: bytes) -> None:
        self._capture, self._playback, self._pcm = capture, playback, pcm
        self._pos = 0
        self._tape = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-clock", daemon=True)

    def __enter__(self) -> Clock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def heard(self) -> bytes:
        with self._lock:
            return bytes(self._tape)

    def _run(self) -> None:
        frame = bytearray(FRAME_BYTES)
        due = time.monotonic()
        while not self._stop.wait(max(due - time.monotonic(), 0)):  # the clock's tick
            due += FRAME_SAMPLES / 16_000
            chunk = (self._pcm[self._pos :] + self._pcm)[:FRAME_BYTES]
            self._pos = (self._pos + FRAME_BYTES) % len(self._pcm)
            self._playback.write(chunk)
            self._capture.read_into(frame)
            with self._lock:
                self._tape += frame


def _ids(devices: list[object]) -> list[str]:
    return [d.id for d in devices]  # type: ignore[attr-defined]


def test_lists_the_pulse_devices_by_name_with_stable_ids(backend: QtAudioBackend) -> None:
    inputs, outputs = backend.input_devices(), backend.output_devices()
    assert [(d.id, d.name) for d in inputs] == [(MIC, "VirtualMic")]  # Qt hides monitors
    assert {(d.id, d.name) for d in outputs} == {(SPEAKER, "VirtualSpeaker"), (MIC_FEED, "MicFeed")}
    assert all(d.is_input and not d.is_output for d in inputs)
    assert all(d.is_output and not d.is_input for d in outputs)
    assert backend.default_input() == next(d for d in inputs if d.id == MIC)
    assert backend.default_output() == next(d for d in outputs if d.id == SPEAKER)
    backend.refresh()
    assert backend.input_devices() == inputs and backend.output_devices() == outputs
    assert backend.name == "qt"
    _conforms: AudioBackend = backend  # mypy checks the protocol


@pytest.mark.realtime  # judges the tone itself: one at a time, with nothing beside it
def test_opens_named_devices_and_moves_audio_both_ways(
    private_pulse: PulseServer, tmp_path: Path
) -> None:
    # in a child, against a server of its own: nothing another test did to Qt's connection or
    # to the shared server (streams, sinks) can reach the tone
    mic_tone, speaker_tone = tmp_path / "mic-tone.raw", tmp_path / "speaker.raw"
    mic_tone.write_bytes(tone(440.0, 4.0))
    with Child("both-ways", private_pulse) as child:
        assert child.line() == "running"
        private_pulse.record_speaker(speaker_tone)
        private_pulse.play_into_mic(mic_tone)
        assert child.line() == "the capture ring: 440 Hz"
        wait_until(
            lambda: has_tone_for(recording(speaker_tone), 1.2), TIMEOUT, "the speaker's tone"
        )
        assert_tone(recording(speaker_tone), 1000.0, "the speaker's monitor")
        assert child.line() == "stats: blocks both ways, latencies known"
        assert child.line() == "closed twice, from another thread first"
        assert child.wait() == 0


def test_open_output_plays_a_ring_on_a_speaker_alone(backend: QtAudioBackend) -> None:
    ring = PcmRing(target_ms=30)
    stream = backend.open_output(ring, MIC_FEED)
    try:
        assert stream.input_device is None
        assert stream.output_device is not None and stream.output_device.id == MIC_FEED
        wait_until(lambda: stream.stats().output_blocks > 20, TIMEOUT, "the speaker to run")
        assert stream.stats().input_blocks == 0
    finally:
        stream.close()
    assert not ring.active


def test_an_unknown_device_is_refused_with_a_readable_message(backend: QtAudioBackend) -> None:
    capture, playback = PcmRing(), PcmRing()
    with pytest.raises(DeviceNotFound, match="microphone “USB headset” is not connected"):
        backend.open_duplex(capture, playback, input_id="USB headset")
    with pytest.raises(DeviceNotFound, match="speaker “nope” is not connected"):
        backend.open_duplex(capture, playback, output_id="nope")
    with pytest.raises(DeviceNotFound, match="Plug it in, or pick another"):
        backend.open_output(playback, "nope")
    assert not capture.active and not playback.active


def test_a_device_added_at_run_time_is_listed_and_signalled(doomed: PulseServer) -> None:
    with Child("added", doomed) as child:
        assert child.line() == "listening, no headset"
        doomed.pactl("load-module", "module-null-sink", "sink_name=headset")
        assert child.line() == "signalled"
        assert child.line() == "listed headset"
        assert child.wait() == 0


@pytest.mark.xfail(
    strict=True,
    reason="Qt 6.11 on PulseAudio neither signals nor lists a removed sink, and PulseAudio moves "
    "the stream to the fallback sink (no error, no stall): removal is not detected yet",
)
def test_a_chosen_device_that_goes_away_is_reported(doomed: PulseServer) -> None:
    module = doomed.pactl("load-module", "module-null-sink", "sink_name=usb").strip()
    with Child("removed", doomed) as child:
        assert child.line() == "running on usb"
        doomed.pactl("unload-module", module)
        assert child.line() == "error: The speaker “Null Output” was disconnected."


@pytest.fixture
def doomed(tmp_path: Path) -> Iterator[PulseServer]:
    """A PulseAudio for one child process, which the test may reshape or stop (Qt keeps listing
    a removed sink for the rest of the process, so reshaping the shared ``pulse`` would show in
    every later test of this process)."""
    if not available():
        pytest.fail("PulseAudio is not installed: run scripts/test, which installs it")
    server = PulseServer(tmp_path / "doomed").start(warm_mic=False)
    try:
        yield server
    finally:
        server.stop()


def test_a_sound_server_that_quits_is_reported(doomed: PulseServer) -> None:
    with Child("quit", doomed) as child:
        assert child.line() == "running"
        assert doomed.daemon is not None
        doomed.daemon.stop()
        assert {child.line(), child.line()} == {
            "error: The microphone stopped working (unplugged, or the sound server quit).",
            "error: The speaker stopped working (unplugged, or the sound server quit).",
        }
        # Qt 6.11 would abort the process inside libpulse here: the backend must refuse first
        assert child.line() == (
            "reopen refused: The sound server stopped, and Qt audio cannot reconnect to it. "
            "Restart VICIfast, or choose the PortAudio audio backend in Settings."
        )
        assert child.wait() == 0


def test_a_stream_on_the_default_follows_a_new_system_default(doomed: PulseServer) -> None:
    with Child("follow", doomed) as child:
        assert child.line() == "running on speaker"
        doomed.pactl("load-module", "module-null-sink", "sink_name=dock")
        doomed.pactl("set-default-sink", "dock")
        assert child.line() == "running on dock"
        assert child.wait() == 0


class Child:
    """This module run as a script, in a process of its own, against ``server``."""

    def __init__(self, scenario: str, server: PulseServer) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.test_qt_audio_backend", scenario],
            cwd=REPO,
            env={**os.environ, **server.client_env, "QT_QPA_PLATFORM": "offscreen"},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # Qt's pipewire notices
            text=True,
        )

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def line(self, timeout: float = TIMEOUT) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"the child said nothing in {timeout:.0f} s")
        return self.proc.stdout.readline().strip()

    def wait(self) -> int:
        return self.proc.wait(TIMEOUT)


def _child_main(scenario: str) -> int:
    """The child of the tests above; prints what it sees, one line at a time."""
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication([])
    changes = Changes()
    backend = QtAudioBackend(on_devices_changed=changes)
    scenarios = {
        "added": lambda: _child_added(backend, changes),
        "removed": lambda: _child_removed(backend),
        "both-ways": lambda: _child_both_ways(backend),
        "quit": lambda: _child_quit(backend),
        "follow": lambda: _child_follow(backend),
    }
    try:
        return scenarios[scenario]()
    except AssertionError as exc:  # said on stdout, where the test reads (stderr is not)
        print(f"failed: {exc}", flush=True)
        return 1
    finally:
        backend.shutdown()
        del app


def _child_added(backend: QtAudioBackend, changes: Changes) -> int:
    if "headset" in _ids(backend.output_devices()):
        return 1
    print("listening, no headset", flush=True)
    if not changes.event.wait(TIMEOUT):
        return 1
    print("signalled", flush=True)
    wait_until(lambda: "headset" in _ids(backend.output_devices()), TIMEOUT, "the new device")
    print("listed headset", flush=True)
    return 0


def _child_removed(backend: QtAudioBackend) -> int:
    errors: list[str] = []
    stream = backend.open_output(PcmRing(target_ms=30), "usb", on_error=errors.append)
    try:
        wait_until(lambda: stream.stats().output_blocks > 20, TIMEOUT, "the speaker to run")
        print(f"running on {_output_id(stream)}", flush=True)
        wait_until(lambda: bool(errors), TIMEOUT, "the loss to be reported")
        print(f"error: {errors[0]}", flush=True)
        return 0
    finally:
        stream.close()


def _child_both_ways(backend: QtAudioBackend) -> int:
    capture, playback = PcmRing(target_ms=30), PcmRing(target_ms=30)
    stream = backend.open_duplex(capture, playback, input_id=MIC, output_id=SPEAKER)
    try:
        assert stream.input_device is not None and stream.input_device.id == MIC
        assert stream.output_device is not None and stream.output_device.id == SPEAKER
        assert capture.active and playback.active
        with Clock(capture, playback, tone(1000.0, 1.0)) as clock:
            print("running", flush=True)
            wait_until(lambda: has_tone_for(clock.heard(), 1.2), TIMEOUT, "the mic's tone")
            assert_tone(clock.heard(), 440.0, "the capture ring")
            print("the capture ring: 440 Hz", flush=True)
            played = stream.stats().output_blocks
            # 3 s more of the 1000 Hz tone, for the parent to find in the speaker's monitor
            wait_until(lambda: stream.stats().output_blocks > played + 300, TIMEOUT, "3 s out")
        stats = stream.stats()
        assert stats.input_blocks > 100 and stats.output_blocks > 100  # 10 ms blocks
        assert stats.input_latency_ms > 0 and stats.output_latency_ms > 0
        backend.refresh()  # Qt's lists are live: allowed with a stream open
        print("stats: blocks both ways, latencies known", flush=True)
    finally:
        closer = threading.Thread(target=stream.close)  # close() from any thread
        closer.start()
        closer.join(TIMEOUT)
    stream.close()  # and again
    assert not capture.active and not playback.active
    blocks = stream.stats().output_blocks
    assert stream.stats().output_blocks == blocks
    print("closed twice, from another thread first", flush=True)
    return 0


def _child_quit(backend: QtAudioBackend) -> int:
    errors: list[str] = []
    got_both = threading.Event()

    def on_error(message: str) -> None:  # the backend's Qt thread
        errors.append(message)
        print(f"error: {message}", flush=True)
        if len(errors) == 2:
            got_both.set()

    stream = backend.open_duplex(PcmRing(), PcmRing(), on_error=on_error)
    try:
        wait_until(lambda: stream.stats().output_blocks > 20, TIMEOUT, "the stream to run")
        print("running", flush=True)
        if not got_both.wait(TIMEOUT):
            return 1
    finally:
        stream.close()
    try:  # Qt does not reconnect to a sound server: a new stream is refused, readably
        # (AudioUnavailable is an AudioError)
        backend.open_duplex(PcmRing(), PcmRing()).close()
    except AudioError as exc:
        print(f"reopen refused: {exc}", flush=True)
    return 0


def _child_follow(backend: QtAudioBackend) -> int:
    stream = backend.open_output(PcmRing(target_ms=30))  # the system default, followed
    try:
        wait_until(lambda: stream.stats().output_blocks > 20, TIMEOUT, "the stream to run")
        print(f"running on {_output_id(stream)}", flush=True)
        wait_until(lambda: _output_id(stream) == "dock", TIMEOUT, "the stream to move")
        moved = stream.stats().output_blocks
        wait_until(lambda: stream.stats().output_blocks > moved + 20, TIMEOUT, "audio on dock")
        print(f"running on {_output_id(stream)}", flush=True)
        return 0
    finally:
        stream.close()


def _output_id(stream: AudioStream) -> str | None:
    device = stream.output_device
    return device.id if device else None


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1]))
