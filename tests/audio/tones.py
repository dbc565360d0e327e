"""Test signals in 16-bit mono PCM: make a tone, measure how much of a signal is one tone.

Standard library only (Goertzel for one frequency is all the tests need).
"""

from __future__ import annotations

import array
import math

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
    n = len(samples)
    energy = sum(s * s for s in samples)
    if n == 0 or energy == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return min(2 * power / (n * energy), 1.0)


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
