"""A simulated room on the private PulseAudio: what the virtual speaker plays comes back into
the virtual microphone, late, quieter and coloured, as from laptop speakers into their own
microphone, with the agent's own voice and (``noise_dbfs``) a steady noise floor mixed in.

    parec speaker.monitor -> delay D ms, a decaying impulse response, -gain dB -> + near + noise
    -> pacat micfeed (the microphone)

The room runs on a thread of its own, paced by the speaker's monitor (one 10 ms block read,
one written). It keeps what it put into the microphone, apart: the echo, the near end and the
noise, from ``start_script`` on, so a test can compare what the far end received with what the
microphone heard of each. The delay can jump mid-run (``set_delay_ms``: a device switch).
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import numpy as np

from tests.audio.pulse import MIC_FEED, SPEAKER, PulseServer

RATE = 16_000
BLOCK = RATE // 100
IR_TAPS = RATE * 60 // 1000  # a 60 ms tail, -60 dB at its end
MAX_DELAY_MS = 200
PLAYBACK_BUFFER_MS = 40


def voice(seconds: float, seed: int, *, pitch_hz: float = 140.0, level: float = 0.25) -> np.ndarray:
    """A speech-like signal (float, [-1, 1]): a voiced harmonic series with a gliding pitch,
    shaped into ~2.5 syllables a second with pauses between them."""
    n = round(seconds * RATE)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    pitch = pitch_hz + 0.3 * pitch_hz * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voiced = sum(np.sin(k * phase + rng.uniform(0, 6)) / k for k in range(1, 12))
    syllables = np.maximum(0.0, np.sin(2 * np.pi * 2.5 * t + rng.uniform(0, 6))) ** 0.7
    signal = syllables * voiced + 0.05 * rng.standard_normal(n) * syllables
    return np.asarray(level * signal / np.max(np.abs(signal)), dtype=np.float64)


def to_pcm(signal: np.ndarray) -> bytes:
    return bytes(np.clip(np.round(signal * 32767), -32768, 32767).astype("<i2").tobytes())


def from_pcm(data: bytes) -> np.ndarray:
    usable = len(data) - len(data) % 2
    return np.frombuffer(data[:usable], dtype="<i2").astype(np.float64) / 32768.0


def power_db(signal: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(signal**2) + 1e-12))


class Room:
    def __init__(
        self,
        pulse: PulseServer,
        workdir: Path,
        *,
        delay_ms: float,
        gain_db: float = -10.0,
        noise_dbfs: float | None = None,
    ) -> None:
        self._pulse = pulse
        self._workdir = workdir
        self._delay = round(delay_ms * RATE / 1000)
        rng = np.random.default_rng(7)
        ir = rng.standard_normal(IR_TAPS) * np.exp(-6.9 * np.arange(IR_TAPS) / IR_TAPS)
        ir[0] += 3.0  # a direct path stronger than the reflections
        ir *= 10 ** (gain_db / 20) / np.sqrt(np.sum(ir**2))
        self._ir = ir
        self._history = np.zeros(IR_TAPS + round(MAX_DELAY_MS * RATE / 1000) + BLOCK)
        self._lock = threading.Lock()
        self._near = np.zeros(0)
        self._noise_rms = None if noise_dbfs is None else 10 ** (noise_dbfs / 20)
        self._rng = np.random.default_rng(4)
        self._position = -1  # blocks since start_script; -1: no script yet
        self.echo: list[np.ndarray] = []
        self.near_heard: list[np.ndarray] = []
        self.noise_heard: list[np.ndarray] = []  # the noise floor, from the start of the script
        self._procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="room", daemon=True)
        self.blocks = 0
        self.error: BaseException | None = None

    def start(self) -> Room:
        env = {**os.environ, **self._pulse.client_env}
        common = ["--raw", "--format=s16le", f"--rate={RATE}", "--channels=1"]
        with (self._workdir / "room.log").open("ab") as log:
            self._procs.append(
                subprocess.Popen(
                    [
                        "parec",
                        *common,
                        "--latency-msec=10",
                        f"--device={SPEAKER}.monitor",
                        "--client-name=room-ear",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=env,
                )
            )
            self._procs.append(
                subprocess.Popen(
                    # a deep playback buffer: a late room thread (a busy machine) must not
                    # starve the microphone, which would move the echo path under the canceller
                    [
                        "pacat",
                        "--playback",
                        *common,
                        f"--latency-msec={PLAYBACK_BUFFER_MS}",
                        f"--device={MIC_FEED}",
                        "--client-name=room",
                    ],
                    stdin=subprocess.PIPE,
                    stderr=log,
                    env=env,
                )
            )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.wait(5)
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        self._thread.join(5)

    def set_delay_ms(self, delay_ms: float) -> None:
        with self._lock:
            self._delay = round(delay_ms * RATE / 1000)

    def start_script(self, near: np.ndarray) -> None:
        """From the next block on, mix ``near`` (a float track, from here) into the microphone
        and keep what the microphone gets of each part, from here."""
        with self._lock:
            self._near = near
            self.echo.clear()
            self.near_heard.clear()
            self.noise_heard.clear()
            self._position = 0

    def track(self, parts: list[np.ndarray]) -> np.ndarray:
        with self._lock:
            return np.concatenate(parts) if parts else np.zeros(0)

    # ---- the room's thread -----------------------------------------------------------------

    def _run(self) -> None:
        ear, mouth = self._procs[0].stdout, self._procs[1].stdin
        assert ear is not None and mouth is not None
        try:
            while not self._stop.is_set():
                data = ear.read(BLOCK * 2)
                if len(data) < BLOCK * 2:
                    return  # parec ended
                mouth.write(to_pcm(self._block(from_pcm(data))))
                mouth.flush()
                self.blocks += 1
        except (OSError, ValueError) as exc:
            if not self._stop.is_set():
                self.error = exc

    def _block(self, played: np.ndarray) -> np.ndarray:
        history = self._history
        history[:-BLOCK] = history[BLOCK:]
        history[-BLOCK:] = played
        with self._lock:
            end = len(history) - self._delay
            echo = np.convolve(history[end - BLOCK - IR_TAPS + 1 : end], self._ir, "valid")
            noise = np.zeros(BLOCK)
            if self._noise_rms is not None:  # white, stationary, from the room's start
                noise = self._noise_rms * self._rng.standard_normal(BLOCK)
            if self._position < 0:
                return np.asarray(echo + noise)
            near = _slice(self._near, self._position * BLOCK)
            self._position += 1
            self.echo.append(echo)
            self.near_heard.append(near)
            self.noise_heard.append(noise)
        return np.asarray(echo + near + noise)


def _slice(track: np.ndarray, at: int) -> np.ndarray:
    part = track[at : at + BLOCK]
    return np.pad(part, (0, BLOCK - len(part)))
