"""One open Qt audio stream: a QAudioSource into the capture ring and/or a QAudioSink out of
the playback ring, pumped on the backend's 10 ms tick.

How it works around Qt's traps (pull-mode source, push-mode sink, stall detection) is told in
:mod:`softphone.ui.qt_audio.backend`.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QIODevice
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QAudioSource, QtAudio

from softphone.audio.backend import SAMPLE_RATE, AudioDevice, ErrorCallback, StreamStats
from softphone.audio.errors import AudioError
from softphone.audio.ring import SAMPLE_BYTES, PcmReader, PcmWriter
from softphone.ui.qt_audio.devices import default_device, describe, device_id

if TYPE_CHECKING:
    from softphone.ui.qt_audio.backend import QtAudioBackend

BLOCK_MS = 10  # the unit of the block counters in StreamStats
START_GRACE_S = 3.0  # how long a new stream may take to move its first audio
BYTES_PER_MS = SAMPLE_RATE * SAMPLE_BYTES // 1000
_BAD_ERRORS = (QtAudio.Error.OpenError, QtAudio.Error.IOError, QtAudio.Error.FatalError)


def audio_format() -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(SAMPLE_RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fmt


class QtStream:
    """A QAudioSource into ``capture`` and/or a QAudioSink out of ``playback``.

    Everything but ``stats`` and ``close`` runs on the backend's Qt thread; ``on_error`` is
    called there, once per direction.
    """

    def __init__(
        self,
        backend: QtAudioBackend,
        capture: PcmWriter | None,
        playback: PcmReader,
        on_error: ErrorCallback | None,
    ) -> None:
        self._backend = backend
        self._capture = capture
        self._playback = playback
        self._on_error = on_error
        self._lock = threading.Lock()
        self._closed = False
        self.input_device: AudioDevice | None = None
        self.output_device: AudioDevice | None = None
        self._follow = [False, False]  # per direction: on the system default, move with it
        self._source: QAudioSource | None = None
        self._source_io: QIODevice | None = None
        self._sink: QAudioSink | None = None
        self._sink_io: QIODevice | None = None
        self._out = bytearray(backend._buffers[1])
        self._latency_ms = [0.0, 0.0]
        self._failed = [False, False]
        self._started = self._moved_in = self._moved_out = time.monotonic()
        self._in_bytes = self._out_bytes = 0  # one writer each (the Qt thread)
        self._overflows = self._underflows = 0
        self._sink_idle = False

    # ---- opening (Qt thread) -------------------------------------------------------------------

    def open_input(self, device: QAudioDevice, follow: bool) -> None:
        assert self._capture is not None
        fmt = audio_format()
        if not device.isFormatSupported(fmt):
            raise AudioError(
                f"The microphone “{device.description()}” cannot record 16 kHz mono audio. "
                "Pick another in Settings."
            )
        source = QAudioSource(device, fmt)
        source.setBufferSize(self._backend._buffers[0])
        self._capture.start()
        io = source.start()
        if io is None or source.error() in _BAD_ERRORS:
            source.stop()
            raise AudioError(_start_failed("microphone", device))
        self._source, self._source_io, self._follow[0] = source, io, follow
        self.input_device = describe(device, True)
        self._latency_ms[0] = source.bufferSize() / BYTES_PER_MS
        self._started = self._moved_in = time.monotonic()
        self._failed[0] = False

    def open_output(self, device: QAudioDevice, follow: bool) -> None:
        fmt = audio_format()
        if not device.isFormatSupported(fmt):
            raise AudioError(
                f"The speaker “{device.description()}” cannot play 16 kHz mono audio. "
                "Pick another in Settings."
            )
        sink = QAudioSink(device, fmt)
        sink.setBufferSize(self._backend._buffers[1])
        self._playback.start()
        io = sink.start()
        if io is None or sink.error() in _BAD_ERRORS:
            sink.stop()
            raise AudioError(_start_failed("speaker", device))
        self._sink, self._sink_io, self._follow[1] = sink, io, follow
        self.output_device = describe(device, False)
        self._out = bytearray(max(sink.bufferSize(), len(self._out)))
        self._latency_ms[1] = sink.bufferSize() / BYTES_PER_MS
        self._started = self._moved_out = time.monotonic()
        self._failed[1] = False

    def _close_input(self) -> None:
        if self._source is not None:
            self._source.stop()
        self._source = self._source_io = None

    def _close_output(self) -> None:
        if self._sink is not None:
            self._sink.stop()
        self._sink = self._sink_io = None

    # ---- the 10 ms tick (Qt thread) ------------------------------------------------------------

    def pump(self, now: float) -> None:
        """Move what the source recorded into ``capture`` and what the sink can take out of
        ``playback``; then look for a direction that failed or stalled."""
        self._check_states()
        if self._source_io is not None and self._source is not None and self._capture is not None:
            available = self._source_io.bytesAvailable()
            if available >= self._source.bufferSize():
                self._overflows += 1  # the buffer filled up: Qt drops what comes next
            data = self._source_io.read(available - available % SAMPLE_BYTES)
            if data.size():
                self._capture.write(data.data())
                self._in_bytes += data.size()
                self._moved_in = now
        if self._sink_io is not None and self._sink is not None:
            free = self._sink.bytesFree()
            free -= free % SAMPLE_BYTES
            if free > 0:
                if free > len(self._out):
                    self._out = bytearray(free)
                chunk = memoryview(self._out)[:free]
                self._playback.read_into(chunk)
                written = self._sink_io.write(chunk.tobytes())
                if written > 0:
                    self._out_bytes += written
                    self._moved_out = now
        self._check_stalls(now)

    def broken(self, exc: Exception) -> None:
        """Qt thread: pumping raised; report it for both directions (once) and stop pumping."""
        for direction, open_ in enumerate((self._source, self._sink)):
            if open_ is not None:
                self._fail(direction, f"The sound device failed: {exc}")
        self.teardown()

    def _check_stalls(self, now: float) -> None:
        grace = max(self._started + START_GRACE_S - now, 0.0)
        stall = self._backend._stall_s
        if self._source is not None and now - self._moved_in > stall + grace:
            self._backend._stalled()
            self._fail(0, "The microphone stopped working (unplugged, or the sound server quit).")
        if self._sink is not None and now - self._moved_out > stall + grace:
            self._backend._stalled()
            self._fail(1, "The speaker stopped working (unplugged, or the sound server quit).")

    def _fail(self, direction: int, message: str) -> None:
        if self._failed[direction]:
            return
        self._failed[direction] = True
        with self._lock:
            closing = self._closed
        if not closing and self._on_error is not None:
            self._on_error(message)

    def _check_states(self) -> None:
        # Polled, not connected: PySide6 6.12 cannot convert stateChanged's QAudio::State.
        if self._source is not None and self._source.error() in _BAD_ERRORS:
            self._fail(0, "The microphone stopped working (unplugged, or the sound server quit).")
        if self._sink is None:
            return
        error = self._sink.error()
        if error in _BAD_ERRORS:
            self._fail(1, "The speaker stopped working (unplugged, or the sound server quit).")
        # In push mode the sink idles from the moment it runs dry until the next write.
        idle = self._sink.state() == QtAudio.State.IdleState
        if idle and not self._sink_idle and error == QtAudio.Error.UnderrunError:
            self._underflows += 1
        self._sink_idle = idle

    def devices_changed(self, inputs: list[AudioDevice], outputs: list[AudioDevice]) -> None:
        """Qt thread: follow a moved system default; report a chosen device that went away."""
        if self.input_device is not None and self._source is not None:
            if self._follow[0]:
                self._retarget(True)
            elif self.input_device.id not in {d.id for d in inputs}:
                self._fail(0, f"The microphone “{self.input_device.name}” was disconnected.")
        if self.output_device is not None and self._sink is not None:
            if self._follow[1]:
                self._retarget(False)
            elif self.output_device.id not in {d.id for d in outputs}:
                self._fail(1, f"The speaker “{self.output_device.name}” was disconnected.")

    def _retarget(self, is_input: bool) -> None:
        current = self.input_device if is_input else self.output_device
        device = default_device(is_input)
        if device.isNull() or current is None or device_id(device) == current.id:
            return
        try:
            if is_input:
                self._close_input()
                self.open_input(device, follow=True)
            else:
                self._close_output()
                self.open_output(device, follow=True)
        except AudioError as exc:
            self._fail(0 if is_input else 1, str(exc))

    # ---- any thread ----------------------------------------------------------------------------

    def stats(self) -> StreamStats:
        return StreamStats(
            input_latency_ms=self._latency_ms[0],
            output_latency_ms=self._latency_ms[1],
            input_overflows=self._overflows,
            output_underflows=self._underflows,
            input_blocks=self._in_bytes // (BLOCK_MS * BYTES_PER_MS),
            output_blocks=self._out_bytes // (BLOCK_MS * BYTES_PER_MS),
        )

    def teardown(self) -> None:
        """Qt thread: stop and drop the Qt objects (so they are destroyed on their thread)."""
        self._close_input()
        self._close_output()
        self._backend._forget(self)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            if self._backend._running:
                self._backend.call(self.teardown)
        finally:
            if self._capture is not None:
                self._capture.stop()
            self._playback.stop()


def _start_failed(what: str, device: QAudioDevice) -> str:
    return (
        f"The {what} “{device.description()}” could not be opened (the sound server refused it "
        "or is gone). Pick another in Settings, or restart the app after the sound system is back."
    )
