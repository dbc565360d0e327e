"""AudioBackend on Qt Multimedia (``QMediaDevices``, ``QAudioSource``, ``QAudioSink``).

Unlike PortAudio on Linux, Qt lists the sound server's real devices, knows the system default and
signals changes to the device list. It has traps, which this module works around:

- ``QAudioSource.start(QIODevice)`` loses data: the source is started in pull mode
  (``io = source.start()``) and drained on a 10 ms timer.
- A ``QIODevice.readData`` that returns more than ``maxlen`` corrupts the heap: the sink is fed
  in push mode (``io = sink.start()``), never more than ``bytesFree()`` a tick.
- Input buffers under ~100 ms starve: the source's buffer is 100 ms (drained every 10 ms, so the
  audio waits far less than that in it).
- Qt reports neither a removed device nor a sound server that quits (its PulseAudio streams just
  stop moving, and Qt does not reconnect for the life of the process): a direction that moves
  nothing for ``stall_s`` is reported through ``on_error``, as is a chosen device that leaves the
  device list.
- After the PulseAudio server went away, starting a new Qt stream aborts the process inside
  libpulse (PySide6 6.11; 6.12 fails it with FatalError): on Linux, once a stream stalled, the
  backend refuses new streams with ``AudioUnavailable`` until the app restarts.

Every Qt object lives on one ``QThread`` owned by the backend (Qt audio needs an event loop; the
GUI thread must not carry the 10 ms timer). Calls from other threads are marshalled to it and
waited for with a timeout. Qt needs a ``QCoreApplication``: the backend creates one if none
exists, which is only allowed on the main thread.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QIODevice, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtMultimedia import (
    QAudioDevice,
    QAudioFormat,
    QAudioSink,
    QAudioSource,
    QMediaDevices,
    QtAudio,
)

from softphone.audio.backend import (
    SAMPLE_RATE,
    AudioDevice,
    AudioStream,
    ErrorCallback,
    StreamStats,
)
from softphone.audio.errors import AudioError, AudioUnavailable, DeviceNotFound
from softphone.audio.ring import SAMPLE_BYTES, PcmRing

TICK_MS = 10
BLOCK_MS = 10  # the unit of the block counters in StreamStats
INPUT_BUFFER_MS = 100
OUTPUT_BUFFER_MS = 20  # 40 ms added ~20 ms of round trip; 10 and 15 ms made it erratic
STALL_S = 1.0  # a direction that moves nothing this long (once running) has failed
START_GRACE_S = 3.0  # how long a new stream may take to move its first audio
CALL_TIMEOUT_S = 5.0
HOST_API = "Qt Multimedia"
_BYTES_PER_MS = SAMPLE_RATE * SAMPLE_BYTES // 1000
_BAD_ERRORS = (QtAudio.Error.OpenError, QtAudio.Error.IOError, QtAudio.Error.FatalError)

T = TypeVar("T")
DevicesChanged = Callable[[], None]
"""Told that the device list or a system default changed; runs on the backend's Qt thread, so
it must only hand the news over (e.g. emit a queued signal, put it on a queue)."""


def _format() -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(SAMPLE_RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fmt


def _device_id(device: QAudioDevice) -> str:
    return bytes(device.id().data()).decode("utf-8", "surrogateescape")


def _describe(device: QAudioDevice, is_input: bool) -> AudioDevice:
    channels = max(1, device.preferredFormat().channelCount())
    return AudioDevice(
        id=_device_id(device),
        name=device.description(),
        host_api=HOST_API,
        input_channels=channels if is_input else 0,
        output_channels=0 if is_input else channels,
    )


class _Invoker(QObject):
    """Runs callables on the thread it lives in (a queued signal carries them there)."""

    submit = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.submit.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, job: tuple[Callable[[], Any], Future[Any]]) -> None:
        fn, future = job
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:
            future.set_exception(exc)


class QtAudioBackend:
    """Devices and streams of Qt Multimedia, run on the backend's own Qt thread ("qt-audio").

    ``on_devices_changed`` (hot-plug) is called on that thread after the lists below were
    updated. ``input_devices`` & co. read a snapshot and may be called from any thread; open
    streams from one thread (the app's audio controller). ``shutdown`` ends the thread.
    """

    name = "qt"

    def __init__(
        self,
        *,
        on_devices_changed: DevicesChanged | None = None,
        tick_ms: int = TICK_MS,
        input_buffer_ms: int = INPUT_BUFFER_MS,
        output_buffer_ms: int = OUTPUT_BUFFER_MS,
        stall_s: float = STALL_S,
        call_timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self.on_devices_changed = on_devices_changed
        self._tick_ms = tick_ms
        self._buffers = (input_buffer_ms * _BYTES_PER_MS, output_buffer_ms * _BYTES_PER_MS)
        self._stall_s = stall_s
        self._timeout = call_timeout_s
        self._lock = threading.Lock()
        self._inputs: list[AudioDevice] = []
        self._outputs: list[AudioDevice] = []
        self._defaults: tuple[str | None, str | None] = (None, None)
        self._streams: list[_QtStream] = []  # the Qt thread's
        self._app: QCoreApplication | None = None
        if QCoreApplication.instance() is None:
            if threading.current_thread() is not threading.main_thread():
                raise AudioUnavailable("Qt audio needs the application to be created first.")
            self._app = QCoreApplication([])
        self._thread = QThread()
        self._thread.setObjectName("qt-audio")
        self._thread.start()
        self._invoker = _Invoker()
        self._invoker.moveToThread(self._thread)
        self._qt_thread_id = -1  # set by _setup, on the Qt thread
        self._server_lost = False  # the Qt thread's: see the module doc
        self._running = True
        self.call(self._setup)

    # ---- the Qt thread -------------------------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the backend's Qt thread and return its result; any thread."""
        if threading.get_ident() == self._qt_thread_id:
            return fn()
        if not self._running:
            raise AudioError("The Qt audio backend has been shut down.")
        future: Future[T] = Future()
        self._invoker.submit.emit((fn, future))
        try:
            return future.result(self._timeout)
        except FutureTimeout:
            future.cancel()
            raise AudioError(
                f"The sound system did not answer within {self._timeout:.0f} s. "
                "Restart the app; if it keeps happening, switch the audio backend in Settings."
            ) from None

    def _setup(self) -> None:
        self._qt_thread_id = threading.get_ident()
        self._media = QMediaDevices()
        self._media.audioInputsChanged.connect(self._devices_changed)
        self._media.audioOutputsChanged.connect(self._devices_changed)
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self._tick_ms)
        self._timer.timeout.connect(self._tick)
        self._scan()

    def _scan(self) -> None:
        """Qt thread: snapshot the device lists and the defaults."""
        inputs = [_describe(d, True) for d in QMediaDevices.audioInputs()]
        outputs = [_describe(d, False) for d in QMediaDevices.audioOutputs()]
        default_in, default_out = (
            QMediaDevices.defaultAudioInput(),
            QMediaDevices.defaultAudioOutput(),
        )
        with self._lock:
            self._inputs, self._outputs = inputs, outputs
            self._defaults = (
                None if default_in.isNull() else _device_id(default_in),
                None if default_out.isNull() else _device_id(default_out),
            )

    def _devices_changed(self) -> None:
        """Qt thread: a device came or went, or a default moved."""
        self._scan()
        for stream in list(self._streams):
            stream.devices_changed(self._inputs, self._outputs)
        callback = self.on_devices_changed
        if callback is not None:
            callback()

    def _tick(self) -> None:
        now = time.monotonic()
        for stream in list(self._streams):
            try:
                stream.pump(now)
            except Exception as exc:  # must not escape into Qt's event loop 100 times a second
                stream.broken(exc)

    def _find(self, device_id: str | None, is_input: bool) -> QAudioDevice:
        """Qt thread: the QAudioDevice for an id (None = the system default)."""
        what = "microphone" if is_input else "speaker"
        if device_id is None:
            device = (
                QMediaDevices.defaultAudioInput()
                if is_input
                else QMediaDevices.defaultAudioOutput()
            )
            if device.isNull():
                raise DeviceNotFound(f"No {what} found. Connect one, or pick one in Settings.")
            return device
        listed = QMediaDevices.audioInputs() if is_input else QMediaDevices.audioOutputs()
        for device in listed:
            if _device_id(device) == device_id:
                return device
        raise DeviceNotFound(
            f"The {what} “{device_id}” is not connected. Plug it in, or pick another in Settings."
        )

    # ---- devices (any thread) ------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the lists; Qt keeps them current, so this is allowed with a stream open."""
        self.call(self._scan)

    def input_devices(self) -> list[AudioDevice]:
        with self._lock:
            return list(self._inputs)

    def output_devices(self) -> list[AudioDevice]:
        with self._lock:
            return list(self._outputs)

    def _default(self, is_input: bool) -> AudioDevice | None:
        with self._lock:
            wanted = self._defaults[0 if is_input else 1]
            devices = self._inputs if is_input else self._outputs
            return next((d for d in devices if d.id == wanted), None)

    def default_input(self) -> AudioDevice | None:
        return self._default(True)

    def default_output(self) -> AudioDevice | None:
        return self._default(False)

    # ---- streams -------------------------------------------------------------------------------

    def open_duplex(
        self,
        capture: PcmRing,
        playback: PcmRing,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        """Open the microphone into ``capture`` and the speaker from ``playback`` (None = the
        system default, followed when it changes); raises ``DeviceNotFound`` or ``AudioError``."""
        stream = _QtStream(self, capture, playback, on_error)

        def open_() -> None:
            stream.open_input(self._find(input_id, True), follow=input_id is None)
            stream.open_output(self._find(output_id, False), follow=output_id is None)

        self._open(stream, open_)
        return stream

    def open_output(
        self, ring: PcmRing, output_id: str | None = None, on_error: ErrorCallback | None = None
    ) -> AudioStream:
        """Open a speaker alone, fed from ``ring`` (e.g. a separate ringer device)."""
        stream = _QtStream(self, None, ring, on_error)
        follow = output_id is None
        self._open(stream, lambda: stream.open_output(self._find(output_id, False), follow))
        return stream

    def _open(self, stream: _QtStream, open_: Callable[[], None]) -> None:
        def run() -> None:
            if self._server_lost:
                raise AudioUnavailable(
                    "The sound server stopped, and Qt audio cannot reconnect to it. Restart "
                    "VICIfast, or choose the PortAudio audio backend in Settings."
                )
            try:
                open_()
            except Exception:
                stream.teardown()
                raise
            self._streams.append(stream)
            if not self._timer.isActive():
                self._timer.start()

        try:
            self.call(run)
        except Exception:
            stream.close()
            raise

    def _stalled(self) -> None:
        """Qt thread: a stream stopped moving audio. On Linux Qt talks to PulseAudio, which moves
        streams off a removed device rather than stalling them: the server itself is gone."""
        if sys.platform.startswith("linux"):
            self._server_lost = True

    def _forget(self, stream: _QtStream) -> None:
        """Qt thread: the stream is closed."""
        if stream in self._streams:
            self._streams.remove(stream)
        if not self._streams:
            self._timer.stop()

    def shutdown(self) -> None:
        """Close every stream and end the Qt thread; idempotent, from any thread but the
        backend's own (the app calls it on its quit thread: ``QThread.quit``/``wait`` are
        thread-safe). Streams asked for afterwards are refused with ``AudioError``."""
        if not self._running:
            return

        def stop_all() -> None:
            for stream in list(self._streams):
                stream.close()
            self._timer.stop()
            del self._timer, self._media  # destroyed here, on their own thread

        try:
            self.call(stop_all)
        finally:
            self._running = False
            self._thread.quit()
            self._thread.wait(int(self._timeout * 1000))


class _QtStream:
    """A QAudioSource into ``capture`` and/or a QAudioSink out of ``playback``.

    Everything but ``stats`` and ``close`` runs on the backend's Qt thread; ``on_error`` is
    called there, once per direction.
    """

    def __init__(
        self,
        backend: QtAudioBackend,
        capture: PcmRing | None,
        playback: PcmRing,
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
        fmt = _format()
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
        self.input_device = _describe(device, True)
        self._latency_ms[0] = source.bufferSize() / _BYTES_PER_MS
        self._started = self._moved_in = time.monotonic()
        self._failed[0] = False

    def open_output(self, device: QAudioDevice, follow: bool) -> None:
        fmt = _format()
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
        self.output_device = _describe(device, False)
        self._out = bytearray(max(sink.bufferSize(), len(self._out)))
        self._latency_ms[1] = sink.bufferSize() / _BYTES_PER_MS
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
        device = (
            QMediaDevices.defaultAudioInput() if is_input else QMediaDevices.defaultAudioOutput()
        )
        if device.isNull() or current is None or _device_id(device) == current.id:
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
            input_blocks=self._in_bytes // (BLOCK_MS * _BYTES_PER_MS),
            output_blocks=self._out_bytes // (BLOCK_MS * _BYTES_PER_MS),
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
