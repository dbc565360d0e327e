"""The audio device side of the app: which microphone and speaker the rings are wired to.

``AudioController`` opens a backend stream on the chosen devices (None = the system default),
switches devices on request (a call keeps running: the engine's port and the rings stay), and
recovers when a stream dies on its own: the backend's error callback runs on the sound card's
thread, so it only queues the error; the controller's worker thread closes the dead stream,
reports ``AudioDeviceLost`` and reopens, first on the chosen devices, then on the system default,
retrying with a bounded backoff until a stream opens or ``close`` is called.

Threads: ``open``, ``switch``, ``devices`` and ``close`` are for one owner thread (the app's);
the worker thread is the only other one touching the backend, and a lock serialises the two.
``on_event`` is called from the thread that made the change (the owner for ``open``/``switch``,
the worker for a loss and its recovery), under that lock so events arrive in order. It must be
quick and must not wait for another thread that uses the controller (hand the event over, e.g.
post it to a queue or a Qt signal).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from softphone.audio.backend import AudioBackend, AudioDevice, AudioStream
from softphone.audio.errors import AudioError
from softphone.audio.ring import AudioRings

BACKOFF_INITIAL_S = 0.25
BACKOFF_MAX_S = 2.0
_JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class AudioDevicesOpened:
    """A stream is running on these devices (after ``open`` or ``switch``)."""

    input_id: str | None
    input_name: str | None
    output_id: str | None
    output_name: str | None


@dataclass(frozen=True, slots=True)
class AudioDeviceLost:
    """The stream stopped on its own; calls hear silence until it is restored."""

    reason: str


@dataclass(frozen=True, slots=True)
class AudioDeviceRestored:
    """A stream runs again after a loss; ``fallback`` if on the system default, not the choice."""

    input_id: str | None
    input_name: str | None
    output_id: str | None
    output_name: str | None
    fallback: bool
    attempts: int


AudioDeviceEvent = AudioDevicesOpened | AudioDeviceLost | AudioDeviceRestored

_Choice = tuple[str | None, str | None]
_STOP = object()


def _names(stream: AudioStream) -> tuple[str | None, str | None, str | None, str | None]:
    mic, speaker = stream.input_device, stream.output_device
    return (
        mic.id if mic else None,
        mic.name if mic else None,
        speaker.id if speaker else None,
        speaker.name if speaker else None,
    )


class AudioController:
    """Owns the backend stream between the rings and the sound devices; Qt-free."""

    def __init__(
        self,
        backend: AudioBackend,
        rings: AudioRings,
        on_event: Callable[[AudioDeviceEvent], None],
        *,
        backoff_initial_s: float = BACKOFF_INITIAL_S,
        backoff_max_s: float = BACKOFF_MAX_S,
    ) -> None:
        self._backend = backend
        self._rings = rings
        self._on_event = on_event
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._lock = threading.RLock()  # the backend, the stream, the choice, the generation
        self._stream: AudioStream | None = None
        self._choice: _Choice = (None, None)
        self._generation = 0  # bumped whenever a stream is replaced: older errors are stale
        self._errors: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._recovering = False

    # ---- owner thread --------------------------------------------------------------------------

    @property
    def choice(self) -> _Choice:
        """The (input_id, output_id) asked for; None = the system default. Any thread."""
        return self._choice

    @property
    def stream(self) -> AudioStream | None:
        """The running stream, None while closed or recovering. Any thread."""
        return self._stream

    @property
    def recovering(self) -> bool:
        """True while the worker is trying to reopen after a loss. Any thread."""
        return self._recovering

    def devices(self) -> tuple[list[AudioDevice], list[AudioDevice]]:
        """(microphones, speakers); owner thread. Re-scans first unless a stream is open (the
        PortAudio backend can only re-scan with no stream open)."""
        with self._lock:
            if self._stream is None:
                self._backend.refresh()
            return self._backend.input_devices(), self._backend.output_devices()

    def open(self, input_id: str | None = None, output_id: str | None = None) -> None:
        """Open a stream on these devices (None = system default) and remember them; owner thread.

        Replaces a stream already open. Raises ``AudioError``/``DeviceNotFound`` if the devices
        cannot be opened; nothing is open then (the rings are stopped, calls hear silence)."""
        with self._lock:
            self._ensure_worker()
            self._close_stream_locked()
            self._choice = (input_id, output_id)
            self._open_locked(input_id, output_id)
            self._emit_opened_locked()

    def switch(self, input_id: str | None, output_id: str | None) -> None:
        """Move to other devices mid-call; owner thread. The rings and the engine's port stay, so
        a call continues (with a gap of about the stream's start-up).

        If the new devices fail the previous ones are reopened (or, failing that, recovered by
        the worker) and the ``AudioError`` is raised; the choice stays the previous one."""
        with self._lock:
            self._ensure_worker()
            previous = self._choice
            self._close_stream_locked()
            try:
                self._open_locked(input_id, output_id)
            except AudioError:
                try:
                    self._open_locked(*previous)
                except AudioError as again:
                    self._errors.put((self._generation, str(again)))
                else:
                    self._emit_opened_locked()
                raise
            self._choice = (input_id, output_id)
            self._emit_opened_locked()

    def close(self) -> None:
        """Stop the worker (and any retrying) and close the stream; owner thread, idempotent."""
        self._stop.set()
        self._errors.put(_STOP)
        worker, self._worker = self._worker, None
        if worker is not None and worker is not threading.current_thread():
            worker.join(_JOIN_TIMEOUT_S)
        with self._lock:
            self._close_stream_locked()

    # ---- helpers (lock held) -------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        self._stop = threading.Event()
        self._errors = queue.SimpleQueue()
        self._worker = threading.Thread(
            target=self._run, args=(self._stop, self._errors), name="audio-devices", daemon=True
        )
        self._worker.start()

    def _open_locked(self, input_id: str | None, output_id: str | None) -> AudioStream:
        self._generation += 1
        generation, errors = self._generation, self._errors

        def on_error(reason: str) -> None:
            # PortAudio's thread: only hand the error over (SimpleQueue.put never blocks)
            errors.put((generation, reason))

        self._stream = self._backend.open_duplex(
            self._rings.capture,
            self._rings.playback,
            input_id=input_id,
            output_id=output_id,
            on_error=on_error,
        )
        return self._stream

    def _close_stream_locked(self) -> None:
        stream, self._stream = self._stream, None
        self._generation += 1
        if stream is not None:
            stream.close()

    def _emit_opened_locked(self) -> None:
        assert self._stream is not None
        self._on_event(AudioDevicesOpened(*_names(self._stream)))

    # ---- worker thread -------------------------------------------------------------------------

    def _run(self, stop: threading.Event, errors: queue.SimpleQueue[object]) -> None:
        """The worker: wait for a stream error, then recover; until ``close``."""
        while not stop.is_set():
            item = errors.get()
            if item is _STOP or stop.is_set():
                return
            assert isinstance(item, tuple)
            generation, reason = item
            with self._lock:
                if generation != self._generation:
                    continue  # from a stream already replaced (or the second direction)
                self._close_stream_locked()
                self._recovering = True
                self._on_event(AudioDeviceLost(str(reason)))
            try:
                self._recover(stop)
            finally:
                self._recovering = False

    def _recover(self, stop: threading.Event) -> None:
        """Worker thread: reopen the chosen devices, else the defaults, with a bounded backoff."""
        delay, longest = self._backoff
        attempts = 0
        while not stop.is_set():
            attempts += 1
            with self._lock:
                if stop.is_set() or self._stream is not None:
                    return  # closed, or the owner opened/switched meanwhile
                choice = self._choice
                candidates = [choice] if choice == (None, None) else [choice, (None, None)]
                try:
                    self._backend.refresh()  # a device that came back is only seen now
                except AudioError:
                    candidates = []
                for candidate in candidates:
                    try:
                        stream = self._open_locked(*candidate)
                    except AudioError:
                        continue
                    fallback = candidate != choice
                    self._on_event(AudioDeviceRestored(*_names(stream), fallback, attempts))
                    return
            stop.wait(delay)
            delay = min(delay * 2, longest)
