"""Echo cancellers measured on one simulated room, before one goes into the audio bridge
(issue 20): none, pjmedia's (the pjsua2 wheel's own, through ctypes: Linux only) and WebRTC's
audio processing module (AEC3, as the ``livekit`` wheel ships it; Windows, macOS, Linux).

    .venv/bin/python -m bench.aec

The room, 16 kHz mono: the far end talks (espeak-ng, else a voiced synthetic); the speaker's sound
comes back to the microphone through a decaying random impulse response (~150 ms RT60), delayed
D ms, 10 dB quieter, with noise at -60 dBFS; for double talk the agent talks too. Each canceller
gets the far end as its reference and the microphone, 10 ms at a time, as the bridge would.

Measured:
- **ERLE** (echo return loss enhancement): the echo's power over what is left of it, after
  2 s of convergence, for D = 30, 60 and 120 ms; and after the delay jumps from 60 to 120 ms
  mid-run (a device switch), over the 2 s after the jump and over the rest.
- **Near end kept** in double talk: the energy of the agent's speech left in the output (the
  output of the same run without the agent's speech taken from it).
- **CPU**: process time per second of audio.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 16_000
FRAME = RATE // 100  # 10 ms: what both cancellers take
CONVERGE_S = 2.0
Canceller = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (mic, far) frames -> output frame

FAR_TEXT = (
    "Good morning, thank you for calling. I am looking at your account now, and I can see the "
    "payment you made last week. Could you confirm the last four digits of the card, please? "
    "Thank you. Everything is in order, and the next bill will be sent on the first of the month."
)
NEAR_TEXT = (
    "Yes, of course, let me check that for you right away. The number on the card ends in "
    "four two seven nine, and the billing address has not changed since last year at all."
)


def speech(text: str, voice: str, seconds: float, seed: int) -> np.ndarray:
    """``seconds`` of speech as float samples in [-1, 1]: espeak-ng, looped; a voiced synthetic
    signal where espeak-ng is not installed."""
    n = int(seconds * RATE)
    espeak = shutil.which("espeak-ng")
    if espeak is not None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "s.wav"
            subprocess.run([espeak, "-v", voice, "-s", "160", "-w", str(path), text], check=True)
            with wave.open(str(path)) as w:
                rate = w.getframerate()
                raw = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16) / 32768.0
        t = np.arange(int(len(raw) * RATE / rate)) * rate / RATE
        one = np.interp(t, np.arange(len(raw)), raw)
        one = one / (np.max(np.abs(one)) or 1.0) * 0.5
        return np.resize(one, n)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 8))
    syllables = np.maximum(0.0, np.sin(2 * np.pi * 2.5 * t + rng.uniform(0, 6))) ** 0.7
    return 0.2 * syllables * voiced + 0.01 * rng.standard_normal(n)


def room(far: np.ndarray, delay_ms: float, seed: int) -> np.ndarray:
    """What the microphone hears of the speaker: ``far`` through a decaying random impulse
    response, ``delay_ms`` late, 10 dB down."""
    rng = np.random.default_rng(seed)
    taps = int(0.15 * RATE)
    ir = rng.standard_normal(taps) * np.exp(-6.9 * np.arange(taps) / taps)  # -60 dB at 150 ms
    ir[0] = 3.0  # the direct path
    ir *= 10 ** (-10 / 20) / np.sqrt(np.sum(ir**2))
    echo = np.convolve(far, ir)[: len(far)]
    shift = int(delay_ms * RATE / 1000)
    return np.concatenate([np.zeros(shift), echo[: len(echo) - shift]])


def pcm(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def run(canceller: Canceller, mic: np.ndarray, far: np.ndarray) -> tuple[np.ndarray, float]:
    """The canceller's output for the whole signal, and its CPU seconds per second of audio."""
    m, f = pcm(mic), pcm(far)
    out = np.empty_like(m)
    started = time.process_time()
    for i in range(0, len(m) - FRAME + 1, FRAME):
        out[i : i + FRAME] = canceller(m[i : i + FRAME], f[i : i + FRAME])
    cpu = (time.process_time() - started) / (len(m) / RATE)
    return out.astype(np.float64) / 32767, cpu


def erle_db(echo: np.ndarray, out: np.ndarray, start_s: float, end_s: float | None = None) -> float:
    a, b = int(start_s * RATE), int(end_s * RATE) if end_s else len(out)
    return float(10 * np.log10(np.sum(echo[a:b] ** 2) / max(np.sum(out[a:b] ** 2), 1e-12)))


# ---- the cancellers -----------------------------------------------------------------------


def no_canceller() -> Canceller:
    return lambda mic, far: mic


class _Pjmedia:
    """The pjsua2 wheel's library through ctypes, with one pjsua (for its pool) for the run."""

    def __init__(self) -> None:
        import pjsua2 as pj

        self.lib = ctypes.CDLL(pj._pjsua2.__file__)
        self.lib.pj_log_set_level(0)
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        self.lib.pjsua_pool_create.restype = ctypes.c_void_p
        self.lib.pjsua_pool_create.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t)
        self.lib.pjmedia_echo_create.argtypes = (
            ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p),
        )  # fmt: skip
        self.lib.pjmedia_echo_cancel.argtypes = (
            ctypes.c_void_p, _SHORT, _SHORT, ctypes.c_uint, ctypes.c_void_p,
        )  # fmt: skip
        self.lib.pjmedia_echo_destroy.argtypes = (ctypes.c_void_p,)
        self.lib.pj_pool_release.argtypes = (ctypes.c_void_p,)

    def canceller(self, tail_ms: int = 250) -> tuple[Canceller, Callable[[], None]]:
        """pjmedia's echo canceller (PJMEDIA_ECHO_DEFAULT: speex in this build), fresh."""
        lib = self.lib
        pool = lib.pjsua_pool_create(b"aec", 4096, 4096)
        state = ctypes.c_void_p()
        status = lib.pjmedia_echo_create(pool, RATE, FRAME, tail_ms, 0, 0, ctypes.byref(state))
        if status != 0:
            raise RuntimeError(f"pjmedia_echo_create failed ({status})")

        def cancel(mic: np.ndarray, far: np.ndarray) -> np.ndarray:
            frame = np.ascontiguousarray(mic).copy()
            reference = np.ascontiguousarray(far)
            lib.pjmedia_echo_cancel(
                state, frame.ctypes.data_as(_SHORT), reference.ctypes.data_as(_SHORT), 0, None
            )
            return frame

        def close() -> None:
            lib.pjmedia_echo_destroy(state)
            lib.pj_pool_release(pool)

        return cancel, close

    def close(self) -> None:
        self.endpoint.libDestroy()


_SHORT = ctypes.POINTER(ctypes.c_int16)


def webrtc_canceller(*, full: bool = False, delay_ms: int = 0) -> Canceller:
    """WebRTC's audio processing module (livekit): AEC3 alone, or (``full``) with noise
    suppression, the high-pass filter and gain control, as the bridge would run it."""
    from livekit.rtc import AudioFrame, AudioProcessingModule

    apm = AudioProcessingModule(
        echo_cancellation=True, noise_suppression=full, high_pass_filter=full,
        auto_gain_control=full,
    )  # fmt: skip

    def cancel(mic: np.ndarray, far: np.ndarray) -> np.ndarray:
        reference = AudioFrame(far.tobytes(), RATE, 1, FRAME)
        apm.process_reverse_stream(reference)
        apm.set_stream_delay_ms(delay_ms)
        frame = AudioFrame(mic.tobytes(), RATE, 1, FRAME)
        apm.process_stream(frame)
        return np.frombuffer(bytes(frame.data), dtype=np.int16).copy()

    return cancel


# ---- the runs -----------------------------------------------------------------------------


def main() -> int:
    seconds = 12.0
    far = speech(FAR_TEXT, "en-us", seconds, 1)
    near = speech(NEAR_TEXT, "en+f3", seconds, 2)
    noise = 10 ** (-60 / 20) * np.random.default_rng(3).standard_normal(len(far))
    pjmedia = _Pjmedia()
    makers: dict[str, Callable[[int], tuple[Canceller, Callable[[], None]]]] = {
        "none": lambda d: (no_canceller(), lambda: None),
        "pjmedia (speex), tail 250 ms": lambda d: pjmedia.canceller(),
        "WebRTC AEC3 (livekit)": lambda d: (webrtc_canceller(), lambda: None),
        "WebRTC AEC3, told the delay": lambda d: (webrtc_canceller(delay_ms=d), lambda: None),
        "WebRTC AEC3 + NS + HPF + AGC2": lambda d: (webrtc_canceller(full=True), lambda: None),
    }
    print("| canceller | ERLE 30 ms | ERLE 60 ms | ERLE 120 ms | jump 60→120: first 2 s / "
          "after | near end kept (double talk) | CPU % of a core |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, make in makers.items():
        cells: list[str] = []
        cpus: list[float] = []
        for delay in (30, 60, 120):
            cancel, close = make(delay)
            echo = room(far, delay, 4)
            out, cpu = run(cancel, echo + noise, far)
            close()
            cpus.append(cpu)
            cells.append(f"{erle_db(echo, out, CONVERGE_S):.1f} dB")
        # the delay jumps mid-run (a device switch)
        half = len(far) // 2
        echo = np.concatenate([room(far, 60, 4)[:half], room(far, 120, 4)[half:]])
        cancel, close = make(60)
        out, _ = run(cancel, echo + noise, far)
        close()
        jump_s = half / RATE
        first, rest = erle_db(echo, out, jump_s, jump_s + 2), erle_db(echo, out, jump_s + 2)
        cells.append(f"{first:.1f} / {rest:.1f} dB")
        # double talk: how much of the agent's own speech is left. The cancellers delay and
        # filter what they pass, so no sample-by-sample projection: the same run without the
        # agent's speech is taken from the run with it, and the energies compared.
        echo = room(far, 60, 4)
        outs = []
        for mic in (echo + near + noise, echo + noise):
            cancel, close = make(60)
            outs.append(run(cancel, mic, far)[0])
            close()
        tail = slice(int(CONVERGE_S * RATE), len(far))
        kept = np.sum((outs[0][tail] - outs[1][tail]) ** 2) / np.sum(near[tail] ** 2)
        cells.append(f"{100 * kept:.0f} % ({10 * np.log10(max(kept, 1e-12)):+.1f} dB)")
        cells.append(f"{100 * float(np.mean(cpus)):.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    pjmedia.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
