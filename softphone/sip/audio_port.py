"""The SIP side of the audio bridge: a conference-bridge port between pjsua2 and two PcmRings.

The wheel has no sound device, so this port stands in for one. ``create_audio_port`` runs on the
SIP thread; the two callbacks run on pjmedia's clock thread, 50 times a second, with 20 ms frames
of 16 kHz mono s16 (640 bytes). They never allocate Python buffers per frame: they read and write
the frames' ``std::vector`` storage in place through ctypes (``bytes(frame.buf)`` costs ~0.25–0.7 ms
a frame, the direct copy a few µs). The vector's layout is checked once at import; should it ever
differ, the slow copies are used instead.

How the stack wires it (all on the SIP thread):

    port = create_audio_port(capture_ring, playback_ring)  # once, after libInit + setNullDev()
    # a call's audio became ACTIVE (on_call_media_state):
    call_audio = call.getAudioMedia(index)
    call_audio.startTransmit(port)       # far end -> speaker
    port.startTransmit(call_audio)       # microphone -> far end; skip it while muted
    # mute / unmute: port.stopTransmit(call_audio) / port.startTransmit(call_audio)
    # ringtone, ringback, DTMF feedback: player.startTransmit(port)
    # shutdown, after the calls are gone:
    ep.audDevManager().setNoDev()        # stops the clock thread: no callback can run any more
    port = None                          # drop every reference (and the players'), gc.collect()
    ep.libDestroy()

Muting by disconnecting sends real silence (the bridge transmits nothing from the port). The port
lives as long as the endpoint; a device switch only reopens the backend's stream. Dropping the port
while the clock runs races its callbacks against the object's teardown (the clock thread can call
into a half-deleted object); a port alive at libDestroy() aborts the process, like a Call.
"""

from __future__ import annotations

import ctypes
import logging
import time
from typing import Any

import pjsua2 as pj

from softphone.audio.ring import FRAME_SAMPLES, SAMPLE_BYTES, SAMPLE_RATE, PcmRing

_log = logging.getLogger(__name__)

FRAME_BYTES = FRAME_SAMPLES * SAMPLE_BYTES
_FRAME_PTIME_US = 20_000

# std::vector<unsigned char> is {begin, end, end_of_storage} in libstdc++, libc++ and MSVC
# release builds; _vector_layout_ok() proves it on this build before the fast path is used.
_VectorPointers = ctypes.c_void_p * 3
_FrameBytes = ctypes.c_ubyte * FRAME_BYTES


def _vector_data(vector: Any) -> tuple[int, int]:
    """Address and length of a SWIG ``ByteVector``'s storage."""
    begin, end, _ = _VectorPointers.from_address(int(vector.this))
    if not begin or not end:
        return 0, 0
    return begin, end - begin


def _vector_layout_ok() -> bool:
    probe = pj.ByteVector(4)
    for i in range(4):
        probe[i] = i + 1
    address, size = _vector_data(probe)
    return size == 4 and ctypes.string_at(address, 4) == b"\x01\x02\x03\x04"


_FAST = _vector_layout_ok()


class AudioBridgePort(pj.AudioMediaPort):  # type: ignore[misc]
    """Moves frames between pjsua2's conference bridge and the rings.

    ``onFrameReceived`` (bridge → ``playback`` ring) and ``onFrameRequested`` (``capture`` ring →
    bridge) run on pjmedia's clock thread; the counters may be read from any thread.
    """

    _live = False  # what a half-deleted instance (its __dict__ already cleared) sees

    def __init__(self, capture: PcmRing, playback: PcmRing) -> None:
        super().__init__()
        self.capture = capture
        self.playback = playback
        self.frames_received = 0
        self.frames_requested = 0
        self.busy_ns = 0  # time spent in both callbacks, for the bridge's CPU figure
        self.errors = 0
        self._silence = bytes(FRAME_BYTES)
        # The frame handed to pjsua2 on every request: filled in place, copied by the setter.
        self._out = pj.ByteVector(FRAME_BYTES)
        address, _ = _vector_data(self._out)
        self._out_view = memoryview(_FrameBytes.from_address(address)) if _FAST else None
        self._slow_out = bytearray(FRAME_BYTES)
        self._live = True

    def onFrameReceived(self, frame: Any) -> None:
        """Clock thread: the bridge's mix for the speaker."""
        if not self._live:
            return
        began = time.perf_counter_ns()
        try:
            self.frames_received += 1
            if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO:
                # nothing is connected (no call, or on hold): keep the speaker's clock fed
                self.playback.write(self._silence)
            elif _FAST:
                address, size = _vector_data(frame.buf)
                if size:
                    self.playback.write(memoryview((ctypes.c_ubyte * size).from_address(address)))
            else:
                self.playback.write(bytes(frame.buf))
        except Exception:
            self._failed("onFrameReceived")
        self.busy_ns += time.perf_counter_ns() - began

    def onFrameRequested(self, frame: Any) -> None:
        """Clock thread: the microphone's next 20 ms for the bridge."""
        if not self._live:
            return
        began = time.perf_counter_ns()
        try:
            self.frames_requested += 1
            if self._out_view is not None:
                self.capture.read_into(self._out_view)
                frame.buf = self._out
            else:
                self.capture.read_into(self._slow_out)
                frame.buf = pj.ByteVector(bytes(self._slow_out))
            frame.size = FRAME_BYTES
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        except Exception:
            self._failed("onFrameRequested")
        self.busy_ns += time.perf_counter_ns() - began

    def _failed(self, where: str) -> None:
        # An exception must not cross the SWIG director into pjmedia's C thread.
        self.errors += 1
        if self.errors == 1:
            _log.exception("audio port %s failed (further failures are only counted)", where)


def create_audio_port(
    capture: PcmRing, playback: PcmRing, name: str = "vicifast-audio"
) -> AudioBridgePort:
    """Create the port on the bridge; SIP thread, after ``setNullDev()``."""
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, SAMPLE_RATE, 1, _FRAME_PTIME_US, SAMPLE_BYTES * 8)
    port = AudioBridgePort(capture, playback)
    port.createPort(name, fmt)
    return port
