"""Test-only conference-bridge ports: a PCM source and a sink that keeps what it hears in memory.

Both run on pjmedia's clock thread; the test thread reads a sink through ``snapshot``.
"""

from __future__ import annotations

import threading
from typing import Any

import pjsua2 as pj

from softphone.audio.ring import PcmRing
from softphone.sip.audio_port import FRAME_BYTES, AudioBridgePort


def audio_format() -> pj.MediaFormatAudio:
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, 16000, 1, 20000, 16)
    return fmt


class PcmSource(pj.AudioMediaPort):  # type: ignore[misc]
    """Plays ``pcm`` (looped) once ``playing`` is set, silence before."""

    def __init__(self, name: str, pcm: bytes) -> None:
        super().__init__()
        self.pcm = pcm
        self.playing = threading.Event()
        self._pos = 0
        self.createPort(name, audio_format())

    def onFrameRequested(self, frame: Any) -> None:
        if self.playing.is_set():
            chunk = (self.pcm[self._pos :] + self.pcm)[:FRAME_BYTES]
            self._pos = (self._pos + FRAME_BYTES) % len(self.pcm)
        else:
            chunk = bytes(FRAME_BYTES)
        frame.buf = pj.ByteVector(chunk)
        frame.size = FRAME_BYTES
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO


class PcmTape:
    """Frames appended on the clock thread, read on the test thread."""

    def __init__(self) -> None:
        self._pcm = bytearray()
        self._lock = threading.Lock()

    def add(self, frame: Any) -> None:
        data = bytes(frame.buf) if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO else b""
        data = (data + bytes(FRAME_BYTES))[:FRAME_BYTES]  # one frame per tick, silence if empty
        with self._lock:
            self._pcm += data

    def snapshot(self) -> bytes:
        with self._lock:
            return bytes(self._pcm)

    def seconds(self) -> float:
        with self._lock:
            return len(self._pcm) / 32000


class PcmSink(pj.AudioMediaPort):  # type: ignore[misc]
    """Keeps every frame it receives on its tape."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.tape = PcmTape()
        self.createPort(name, audio_format())

    def onFrameReceived(self, frame: Any) -> None:
        self.tape.add(frame)


class RecordingBridgePort(AudioBridgePort):
    """The real bridge port that also tapes what the bridge hands it for the speaker, so that a
    test can line it up, tick for tick, with what a PcmSink heard."""

    def __init__(self, capture: PcmRing, playback: PcmRing) -> None:
        super().__init__(capture, playback)
        self.tape = PcmTape()
        self.createPort("bridge-under-test", audio_format())

    def onFrameReceived(self, frame: Any) -> None:
        super().onFrameReceived(frame)
        self.tape.add(frame)
