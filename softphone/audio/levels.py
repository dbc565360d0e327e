"""Signal levels in dBFS for meters (the settings screen's microphone test, the call screen).

Full scale is 32768: a full-scale square wave is 0 dBFS peak and RMS, a full-scale sine 0 dBFS
peak and −3 dBFS RMS. Silence, and anything below ``FLOOR_DBFS``, reads ``FLOOR_DBFS`` (a finite
floor is easier on meters and comparisons than −inf; one 16-bit step is −90.3 dBFS).
"""

from __future__ import annotations

import array
import math
from dataclasses import dataclass

FLOOR_DBFS = -100.0
FULL_SCALE = 32768.0


@dataclass(frozen=True, slots=True)
class Level:
    """Peak and RMS of a stretch of audio, in dBFS (``FLOOR_DBFS`` for silence or no audio)."""

    peak_dbfs: float
    rms_dbfs: float


SILENT = Level(FLOOR_DBFS, FLOOR_DBFS)


@dataclass(frozen=True, slots=True)
class AudioLevels:
    """The microphone (what goes to the calls) and the speaker (what the calls send us)."""

    mic: Level
    speaker: Level


def to_dbfs(amplitude: float) -> float:
    if amplitude <= 0:
        return FLOOR_DBFS
    return max(20 * math.log10(amplitude / FULL_SCALE), FLOOR_DBFS)


def measure(pcm: bytes | bytearray) -> Level:
    """The level of 16-bit native-endian mono PCM."""
    samples = array.array("h", bytes(pcm[: len(pcm) - len(pcm) % 2]))
    if not samples:
        return SILENT
    peak = max(-min(samples), *samples)
    rms = math.sqrt(math.fsum(s * s for s in samples) / len(samples))
    return Level(to_dbfs(peak), to_dbfs(rms))
