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

The devices are read in :mod:`~softphone.ui.qt_audio.devices`, a stream is pumped in
:mod:`~softphone.ui.qt_audio.stream`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtMultimedia import QMediaDevices

from softphone.audio.backend import AudioDevice, AudioStream, ErrorCallback
from softphone.audio.errors import AudioError, AudioUnavailable
from softphone.audio.ring import PcmReader, PcmWriter
from softphone.ui.qt_audio.devices import find_device, list_devices
from softphone.ui.qt_audio.stream import BYTES_PER_MS, QtStream

TICK_MS = 10
INPUT_BUFFER_MS = 100
OUTPUT_BUFFER_MS = 20  # 40 ms added ~20 ms of round trip; 10 and 15 ms made it erratic
STALL_S = 1.0  # a direction that moves nothing this long (once running) has failed
CALL_TIMEOUT_S = 5.0

T = TypeVar("T")
DevicesChanged = Callable[[], None]
"""Told that the device list or a system default changed; runs on the backend's Qt thread, so
it must only hand the news over (e.g. emit a queued signal, put it on a queue)."""


class _Invoker(QObject):
    """Runs callables on the thread it lives in (a queued signal carries them there).

    Not the app's ``QtBridge``: that one runs work on the GUI thread and answers later, while
    the Qt audio objects must live on the backend's own thread (the GUI thread must not carry
    the 10 ms tick) and :meth:`QtAudioBackend.call` must wait for the answer, with a timeout
    (a stream is open or refused when ``open_duplex`` returns). The backend also runs without
    the GUI (the bench, its test's child processes), where there is no bridge."""

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
        self._buffers = (input_buffer_ms * BYTES_PER_MS, output_buffer_ms * BYTES_PER_MS)
        self._stall_s = stall_s
        self._timeout = call_timeout_s
        self._lock = threading.Lock()
        self._inputs: list[AudioDevice] = []
        self._outputs: list[AudioDevice] = []
        self._defaults: tuple[str | None, str | None] = (None, None)
        self._streams: list[QtStream] = []  # the Qt thread's
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
        inputs, outputs, defaults = list_devices()
        with self._lock:
            self._inputs, self._outputs, self._defaults = inputs, outputs, defaults

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
        capture: PcmWriter,
        playback: PcmReader,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        """Open the microphone into ``capture`` and the speaker from ``playback`` (None = the
        system default, followed when it changes); raises ``DeviceNotFound`` or ``AudioError``."""
        stream = QtStream(self, capture, playback, on_error)

        def open_() -> None:
            stream.open_input(find_device(input_id, True), follow=input_id is None)
            stream.open_output(find_device(output_id, False), follow=output_id is None)

        self._open(stream, open_)
        return stream

    def open_output(
        self, ring: PcmReader, output_id: str | None = None, on_error: ErrorCallback | None = None
    ) -> AudioStream:
        """Open a speaker alone, fed from ``ring`` (e.g. a separate ringer device)."""
        stream = QtStream(self, None, ring, on_error)
        follow = output_id is None
        self._open(stream, lambda: stream.open_output(find_device(output_id, False), follow))
        return stream

    def _open(self, stream: QtStream, open_: Callable[[], None]) -> None:
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

    def _forget(self, stream: QtStream) -> None:
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
