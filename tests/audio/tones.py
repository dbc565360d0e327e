"""Test signals in 16-bit mono PCM: make a tone, measure how much of a signal is one tone.

Standard library only (Goertzel for one frequency is all the tests need).
"""

from __future__ import annotations

import array
import math
from pathlib import Path

from softphone.demo.card import tone_share

RATE = 16_000


def tone(freq: float, seconds: float, *, amplitude: int = 8000, rate: int = RATE) -> bytes:
    """A sine at ``freq`` Hz as s16le."""
    n = round(seconds * rate)
    step = 2 * math.pi * freq / rate
    return array.array("h", (round(amplitude * math.sin(step * i)) for i in range(n))).tobytes()


def pcm(data: bytes | bytearray) -> array.array[int]:
    usable = len(data) - len(data) % 2
    return array.array("h", bytes(data[:usable]))


def rms(samples: array.array[int]) -> float:
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def tone_fraction(samples: array.array[int], freq: float, rate: int = RATE) -> float:
    """Share (0..1) of the signal's energy at ``freq`` (Goertzel), about 1 for a pure tone."""
    return tone_share(samples, freq, rate)


def windows(samples: array.array[int], ms: int = 20, rate: int = RATE) -> list[array.array[int]]:
    size = rate * ms // 1000
    return [samples[i : i + size] for i in range(0, len(samples) - size + 1, size)]


def first_loud(samples: array.array[int], threshold: float = 1000.0, ms: int = 5) -> int | None:
    """Index of the first ``ms`` window whose RMS exceeds ``threshold`` (an onset), or None."""
    size = RATE * ms // 1000
    for i, win in enumerate(windows(samples, ms)):
        if rms(win) > threshold:
            return i * size
    return None


CHECKED_S = 1.0


def assert_tone(data: bytes, freq: float, what: str) -> int:
    """The tone starts somewhere in ``data`` and then holds for CHECKED_S (rare short glitches
    tolerated, see below); returns
    the onset (sample index)."""
    samples = pcm(data)
    onset = first_loud(samples)
    assert onset is not None, f"no audio in {what}"
    start = onset + RATE // 10  # past the onset's ramp
    body = samples[start : start + int(CHECKED_S * RATE)]
    assert len(body) == int(CHECKED_S * RATE), f"{what}: too short"
    # per 50 ms: a drift correction shifts the phase by a sample, which a 1 s Goertzel would punish
    fractions = [tone_fraction(w, freq) for w in windows(body, 50)]
    # Most of the second must be clean tone: a rare glitch in the bridge (an underrun when the
    # clock threads are starved of the GIL on a loaded machine) is a quality figure measured in
    # the stats, not the behaviour under test here.
    disturbed = [i * 50 for i, f in enumerate(fractions) if f <= 0.7]
    assert len(disturbed) <= len(fractions) // 4, f"{what}: not a {freq} Hz tone at {disturbed} ms"
    assert sum(fractions) / len(fractions) > 0.8, f"{what}: not a clean {freq} Hz tone"
    level = rms(body)
    quiet = [i for i, w in enumerate(windows(body, 10)) if rms(w) < 0.3 * level]
    assert len(quiet) <= 5, f"{what}: gaps at {[i * 10 for i in quiet][:10]} ms after the onset"
    return onset


def has_tone_for(data: bytes, seconds: float) -> bool:
    samples = pcm(data)
    onset = first_loud(samples)
    return onset is not None and len(samples) - onset > (seconds + 0.15) * RATE


def recording(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""
