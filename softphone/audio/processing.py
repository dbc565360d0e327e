"""Echo cancellation, noise suppression, a high-pass filter and gain control between the sound
devices and the rings, on the sound card's threads (never the SIP thread).

pjsua's own echo canceller sits on its sound-device port, which the pjsua2 wheel does not have;
our bridge moves audio through rings instead (:mod:`softphone.audio.ring`), so the processing
sits where the device meets them:

- the speaker's block, as the backend reads it from the ``playback`` ring, is the echo
  canceller's reference (``render``): exactly what the speaker is about to play;
- the microphone's block is processed (``capture``) before it goes into the ``capture`` ring.

``ProcessedCapture`` and ``ProcessedPlayback`` wrap the two rings with the methods a backend
calls (``start``, ``stop``, ``write`` / ``read_into``), cutting whatever block sizes the backend
uses into the 10 ms frames the processor takes. With PortAudio's 10 ms blocks nothing waits; a
backend with other block sizes (Qt) holds back less than one frame of microphone audio.

The processor is WebRTC's audio processing module (AEC3, noise suppression, high-pass filter,
AGC2) as the ``livekit`` wheel ships it, chosen over pjmedia's speex canceller on measurement
(``bench/aec.py``, ``bench/RESULTS.md``): 25 dB against 10 dB of echo removed, on Windows, macOS
and Linux alike. ``AudioProcessing.configure`` switches its parts live (any thread): a new module
is made with the new choice and takes over at the next frame (the canceller re-converges within
a second or two); with every part off the audio passes untouched, and so it does where the
module cannot load (``available`` False, ``unavailable_reason`` says why).

The delay hint (``set_delay_ms``) is the audio queued outside the rings in both directions,
which the controller reads from the stream's statistics; AEC3 finds the exact echo path itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from softphone.audio.levels import Level
from softphone.audio.processing_choice import ProcessingChoice
from softphone.audio.ring import SAMPLE_BYTES, SAMPLE_RATE, PcmRing, RingStats

if TYPE_CHECKING:
    from livekit.rtc import AudioProcessingModule

_log = logging.getLogger(__name__)

FRAME_SAMPLES = SAMPLE_RATE // 100  # the 10 ms the processor takes
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_BYTES
MAX_DELAY_MS = 500  # a delay hint beyond this is a clock mix-up
MAX_REFERENCE_FRAMES = 32  # speaker frames kept for the microphone's thread; older are dropped


class Processor(Protocol):
    """One 10 ms frame at a time, 16 kHz mono s16; ``render`` on the speaker's thread,
    ``capture`` (in place) on the microphone's; both may run at once."""

    def render(self, frame: bytes | bytearray | memoryview) -> None: ...

    def capture(self, frame: bytearray) -> None: ...

    def set_delay_ms(self, delay_ms: int) -> None: ...


ProcessorFactory = Callable[[ProcessingChoice], Processor]


class WebRtcProcessor:
    """WebRTC's audio processing module through ``livekit.rtc`` (loaded on first use).

    Both directions go into the module on one thread, the microphone's: ``render`` (the
    speaker's thread) only keeps a copy of the reference frame, and ``capture`` hands the module
    the reference frames the speaker read since the last microphone frame, then the microphone's
    frame. Two threads each waking the module every 10 ms cost about 1.6 times the CPU of one
    thread making both calls back to back (``bench/RESULTS.md`` § 6); the reference reaches the
    module up to one frame later than the speaker read it, well inside the echo's own delay.
    """

    def __init__(self, choice: ProcessingChoice) -> None:
        from livekit.rtc import AudioProcessingModule

        self._apm = AudioProcessingModule(
            echo_cancellation=choice.cancels_echo,
            noise_suppression=choice.noise_suppression,
            high_pass_filter=True,
            auto_gain_control=choice.auto_gain,
        )
        self._echo = choice.cancels_echo
        far, near = bytearray(FRAME_BYTES), bytearray(FRAME_BYTES)
        self._reverse = _prepared(self._apm, "apm_process_reverse_stream", far)
        self._process = _prepared(self._apm, "apm_process_stream", near)
        # the native calls hold these buffers' addresses: written through views, which refuse
        # a frame of another size and keep the buffers from ever being resized (moved)
        self._far, self._near = memoryview(far), memoryview(near)
        self._references: deque[bytes] = deque(maxlen=MAX_REFERENCE_FRAMES)
        self._delay_ms = 0
        self._delay_given = -1  # what the module was last told

    def render(self, frame: bytes | bytearray | memoryview) -> None:
        if self._echo:  # the reference only feeds the canceller
            self._references.append(bytes(frame))

    def capture(self, frame: bytearray) -> None:
        references = self._references
        while references:
            self._far[:] = references.popleft()
            self._reverse()
        delay = self._delay_ms
        if self._echo and delay != self._delay_given:  # AEC3 keeps it until told again
            self._apm.set_stream_delay_ms(delay)
            self._delay_given = delay
        self._near[:] = frame
        self._process()
        frame[:] = self._near

    def set_delay_ms(self, delay_ms: int) -> None:
        self._delay_ms = max(0, min(MAX_DELAY_MS, delay_ms))


def _prepared(apm: AudioProcessingModule, kind: str, buffer: bytearray) -> Callable[[], None]:
    """A call that has the module process ``buffer`` (one frame, in place) as ``kind``.

    ``livekit.rtc`` builds, serialises and parses a protobuf message for every call; the
    request for a frame is the same every time (the buffer's address, its size, the rate), so
    it is serialised once here and the native entry point called with it directly, reading
    the answer only when it is not the empty success. Where this version of the package does
    not have the pieces it uses, the frame goes through the package's own method instead.
    """
    try:
        import ctypes

        from livekit.rtc._ffi_client import FfiClient
        from livekit.rtc._proto import ffi_pb2
        from livekit.rtc._utils import get_address

        request = ffi_pb2.FfiRequest()
        body = getattr(request, kind)
        body.apm_handle = apm._ffi_handle.handle
        body.data_ptr = get_address(buffer)
        body.size = len(buffer)
        body.sample_rate = SAMPLE_RATE
        body.num_channels = 1
        wire = request.SerializeToString()
        success = ffi_pb2.FfiResponse()
        getattr(success, kind).SetInParent()
        success_len = len(success.SerializeToString())
        lib = FfiClient.instance._ffi_lib
        send, drop = lib.livekit_ffi_request, lib.livekit_ffi_drop_handle
    except (ImportError, AttributeError) as exc:
        _log.info("audio processing through livekit's own calls (%s)", type(exc).__name__)
        return _through_package(apm, kind, buffer)
    payload = (ctypes.c_ubyte * len(wire)).from_buffer_copy(wire)
    answer, answer_len = ctypes.POINTER(ctypes.c_ubyte)(), ctypes.c_size_t()
    answer_ref, answer_len_ref = ctypes.byref(answer), ctypes.byref(answer_len)

    def call() -> None:
        handle = send(payload, len(wire), answer_ref, answer_len_ref)
        try:
            if answer_len.value != success_len:
                response = ffi_pb2.FfiResponse()
                response.ParseFromString(ctypes.string_at(answer, answer_len.value))
                raise RuntimeError(getattr(response, kind).error or "unexpected answer")
        finally:
            drop(handle)

    return call


def _through_package(
    apm: AudioProcessingModule, kind: str, buffer: bytearray
) -> Callable[[], None]:
    from livekit.rtc import AudioFrame

    frame = AudioFrame(buffer, SAMPLE_RATE, 1, FRAME_SAMPLES)
    method = apm.process_stream if kind == "apm_process_stream" else apm.process_reverse_stream
    return lambda: method(frame)


@dataclass(frozen=True, slots=True)
class ProcessingStats:
    """Counters for diagnostics and the benchmark."""

    frames: int  # microphone frames processed
    busy_s: float  # CPU time spent in the processor, both directions (threads' own clocks)
    errors: int  # frames passed through untouched because the processor failed


class AudioProcessing:
    """The live choice and the processor that carries it out; any thread may ``configure``."""

    def __init__(
        self,
        choice: ProcessingChoice | None = None,
        factory: ProcessorFactory = WebRtcProcessor,
    ) -> None:
        self._factory = factory
        self._choice = choice or ProcessingChoice()
        self._processor: Processor | None = None
        self._built_for: ProcessingChoice | None = None
        self._lock = threading.Lock()
        self._delay_ms = 0
        self._unavailable: str | None = None
        self._frames = self._errors = 0
        self._busy = 0.0

    # ---- any thread ----------------------------------------------------------------------------

    @property
    def choice(self) -> ProcessingChoice:
        return self._choice

    @property
    def available(self) -> bool:
        """False once the processor failed to load: the audio then passes untouched."""
        return self._unavailable is None

    @property
    def unavailable_reason(self) -> str | None:
        return self._unavailable

    def configure(self, choice: ProcessingChoice) -> None:
        """Take ``choice`` from the next frame on (a new processor is made on an audio thread
        when the next frame needs one)."""
        with self._lock:
            self._choice = choice

    def set_delay_ms(self, delay_ms: float) -> None:
        self._delay_ms = round(delay_ms)
        processor = self._processor
        if processor is not None:
            processor.set_delay_ms(self._delay_ms)

    def stats(self) -> ProcessingStats:
        return ProcessingStats(self._frames, self._busy, self._errors)

    def wrap(
        self, capture: PcmRing, playback: PcmRing
    ) -> tuple[ProcessedCapture, ProcessedPlayback]:
        """The two rings as a backend should see them."""
        return ProcessedCapture(capture, self), ProcessedPlayback(playback, self)

    # ---- the sound card's threads --------------------------------------------------------------

    def _current(self) -> Processor | None:
        choice = self._choice
        if choice is self._built_for:
            return self._processor
        with self._lock:
            choice = self._choice
            if choice is self._built_for:
                return self._processor
            processor: Processor | None = None
            if choice.any and self._unavailable is None:
                try:
                    processor = self._factory(choice)
                    processor.set_delay_ms(self._delay_ms)
                except Exception as exc:  # a missing wheel or native library: pass through
                    self._unavailable = _explain(exc)
                    _log.warning("audio processing is off: %s", self._unavailable)
            self._processor, self._built_for = processor, choice
            return processor

    def render(self, data: memoryview) -> None:
        processor = self._current()
        if processor is None:
            return
        started = time.thread_time()
        try:
            processor.render(data)
        except Exception:
            self._errors += 1
        self._busy += time.thread_time() - started

    def capture(self, frame: bytearray) -> None:
        processor = self._current()
        if processor is None:
            return
        started = time.thread_time()
        try:
            processor.capture(frame)
        except Exception:
            self._errors += 1  # the frame may be half-written: the caller keeps its copy
            raise
        finally:
            self._busy += time.thread_time() - started
            self._frames += 1


def _explain(exc: Exception) -> str:
    if isinstance(exc, ImportError):
        return "this installation lacks WebRTC's audio processing (the livekit package)"
    return f"WebRTC's audio processing did not start ({type(exc).__name__})"


class ProcessedCapture:
    """The capture ring as the microphone's side sees it: 10 ms frames processed, then
    written; one producer thread (the backend's microphone callback)."""

    def __init__(self, ring: PcmRing, processing: AudioProcessing) -> None:
        self.ring = ring
        self._processing = processing
        self._pending = bytearray()
        self._frame = bytearray(FRAME_BYTES)

    def start(self) -> None:
        self._pending.clear()
        self.ring.start()

    def stop(self) -> None:
        self.ring.stop()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pending = self._pending
        pending += data
        frame = self._frame
        whole = len(pending) - len(pending) % FRAME_BYTES
        for offset in range(0, whole, FRAME_BYTES):
            frame[:] = pending[offset : offset + FRAME_BYTES]
            try:
                self._processing.capture(frame)
            except Exception:
                frame[:] = pending[offset : offset + FRAME_BYTES]  # untouched rather than lost
            self.ring.write(frame)
        del pending[:whole]

    def stats(self) -> RingStats:
        return self.ring.stats()

    def level(self) -> Level:
        return self.ring.level()


class ProcessedPlayback:
    """The playback ring as the speaker's side sees it: what is read out is also the echo
    canceller's reference; one consumer thread (the backend's speaker callback)."""

    def __init__(self, ring: PcmRing, processing: AudioProcessing) -> None:
        self.ring = ring
        self._processing = processing
        self._pending = bytearray()

    def start(self) -> None:
        self._pending.clear()
        self.ring.start()

    def stop(self) -> None:
        self.ring.stop()

    def read_into(self, out: bytearray | memoryview) -> None:
        self.ring.read_into(out)
        pending = self._pending
        if len(out) == FRAME_BYTES and not pending:  # PortAudio's 10 ms blocks: no copy
            self._processing.render(memoryview(out))
            return
        pending += out
        whole = len(pending) - len(pending) % FRAME_BYTES
        view = memoryview(pending)
        for offset in range(0, whole, FRAME_BYTES):
            self._processing.render(view[offset : offset + FRAME_BYTES])
        view.release()
        del pending[:whole]

    def stats(self) -> RingStats:
        return self.ring.stats()
