"""The audio device side of the app: which microphone, speaker and ringer the rings are wired to.

``AudioController`` opens a backend stream on the chosen devices (None = the system default),
switches devices on request (a call keeps running: the engine's port and the rings stay), and
recovers when a stream dies. Its worker thread ("audio-devices") does the watching:

- **Errors**: the backend's error callback runs on the sound card's thread, so it only queues the
  error; the worker closes the dead stream, reports ``AudioDeviceLost`` and reopens, first on the
  chosen devices, then on the system default, retrying with a bounded backoff until a stream
  opens or ``close`` is called.
- **Stalls**: every ``watch_interval_s`` it reads the stream's block counters; a direction that
  stops moving for ``stall_s`` (no error: e.g. a hung sound server) is a loss like any other
  (not judged in a stream's first ``start_grace_s``, see ``watchdog``).
- **Backlog** (``backlog_guard``, on by default): a direction whose queue outside the rings (as
  the backend reports it, ``StreamStats.input_queue_ms``/``output_queue_ms``) stays above
  ``backlog_ms`` for ``backlog_s`` is closed and reopened on the same devices, which drops the
  sound server's queue: ``AudioLatencyReset(direction, backlog_ms)``. This is not a loss (no
  ``AudioDeviceLost``/``Restored``: the devices work, the call only hears a gap of one reopen).
  At most one reset per ``backlog_reset_interval_s``: a backlog that comes straight back is left
  alone rather than cut into a gap every few seconds.
- **Back to the choice**: after a recovery on the system default (``fallback=True``) it looks for
  the chosen devices every ``return_interval_s`` and moves back to them when they are listed
  (``AudioDeviceRestored(fallback=False)``). A backend that can re-scan with a stream open is
  simply re-scanned. One that cannot (PortAudio) is only closed for a re-scan when it hints that
  the devices changed (``RescanHint``): a gap of one close, re-scan and reopen each time the
  hardware changes, never a periodic gap; with no hint (PortAudio on Windows and macOS) the
  choice comes back at the next loss or when the user picks it again.
- **The ringer** (``set_ringer``): an output-only stream on ``rings.ringer``, watched for
  stalls like the call stream and reopened with the same backoff after a loss, but never on
  another device (:mod:`softphone.audio.ringer`).

- **Voice processing** (``processing``, optional): the backends get the rings through
  :mod:`softphone.audio.processing` (echo cancellation, noise suppression…), and every
  ``watch_interval_s`` the worker gives it the stream's queued audio both ways as the echo
  canceller's delay hint.

Following the system default is the backend's part: a stream opened on the default follows it
where the platform allows (PulseAudio moves a stream on ALSA's "pulse"/"default" to the new
default sink by itself; Qt retargets its streams).

Threads: ``open``, ``switch``, ``set_ringer``, ``devices`` and ``close`` are the owner's (in the
app: its audio lane, a thread that runs them in order, and the quit thread for the last
``close``); they can block (a PortAudio re-scan, a sound server that is slow to open a stream),
so never call them on a GUI thread. The worker is the only other thread touching the backend,
and a lock serialises them all. ``levels`` and the properties may be read from any thread.
``on_event`` is called from the thread that made the change (the owner for ``open``/``switch``/
``set_ringer``, the worker for a loss, a recovery or a return), under that lock so events arrive
in order (the events: :mod:`softphone.audio.device_events`). It must be quick and must not wait
for another thread that uses the controller (hand the event over, e.g. post it to a queue or a
Qt signal).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable

from softphone.audio.backend import AudioBackend, AudioDevice, AudioStream, RescanHint
from softphone.audio.device_events import (
    AudioDeviceEvent,
    AudioDeviceLost,
    AudioDeviceRestored,
    AudioDevicesOpened,
    AudioLatencyReset,
    device_names,
)
from softphone.audio.errors import AudioError
from softphone.audio.levels import AudioLevels
from softphone.audio.processing import AudioProcessing
from softphone.audio.ring import AudioRings, PcmReader, PcmWriter
from softphone.audio.ringer import RingerOutput
from softphone.audio.watchdog import (
    BACKLOG_MS,
    BACKLOG_S,
    STALL_S,
    START_GRACE_S,
    BacklogWatch,
    StallWatch,
)

BACKOFF_INITIAL_S = 0.25
BACKOFF_MAX_S = 2.0
WATCH_INTERVAL_S = 0.25
RETURN_INTERVAL_S = 2.0
BACKLOG_RESET_INTERVAL_S = 30.0
_JOIN_TIMEOUT_S = 5.0


_Choice = tuple[str | None, str | None]
_DEFAULTS: _Choice = (None, None)
_STOP = object()
_MAIN, _RINGER = "main", "ringer"


class AudioController:
    """Owns the backend streams between the rings and the sound devices; Qt-free."""

    def __init__(
        self,
        backend: AudioBackend,
        rings: AudioRings,
        on_event: Callable[[AudioDeviceEvent], None],
        *,
        backoff_initial_s: float = BACKOFF_INITIAL_S,
        backoff_max_s: float = BACKOFF_MAX_S,
        watch_interval_s: float = WATCH_INTERVAL_S,
        stall_s: float = STALL_S,
        start_grace_s: float = START_GRACE_S,
        return_interval_s: float = RETURN_INTERVAL_S,
        backlog_guard: bool = True,
        backlog_ms: float = BACKLOG_MS,
        backlog_s: float = BACKLOG_S,
        backlog_reset_interval_s: float = BACKLOG_RESET_INTERVAL_S,
        processing: AudioProcessing | None = None,
    ) -> None:
        self._backend = backend
        self._rings = rings
        self.processing = processing
        # what the call stream's device side reads and writes: the rings, or the processing
        # (echo cancellation, ...) in front of them
        self._device_side: tuple[PcmWriter, PcmReader] = (
            processing.wrap(rings.capture, rings.playback)
            if processing is not None
            else (rings.capture, rings.playback)
        )
        self._on_event = on_event
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._watch_interval = watch_interval_s
        self._stall = (stall_s, start_grace_s)
        self._return_interval = return_interval_s
        self._backlog_guard = backlog_guard
        self._backlog_limits = (backlog_ms, backlog_s, start_grace_s)
        self._backlog_interval = backlog_reset_interval_s
        self._backlog_reset_at = float("-inf")  # the last reset
        self._lock = threading.RLock()  # everything below
        self._errors: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        # the call stream
        self._stream: AudioStream | None = None
        self._watch: StallWatch | None = None
        self._backlog: BacklogWatch | None = None
        self._choice: _Choice = _DEFAULTS
        self._generation = 0  # bumped whenever a stream is replaced: older errors are stale
        self._recovering = False
        self._attempts = 0
        self._retry_at = self._retry_delay = 0.0
        self._fallback = False
        self._return_at = 0.0
        self._watch_at = 0.0
        self._ringer = RingerOutput(
            backend,
            rings.ringer,
            on_event,
            lambda generation: self._on_error_for(_RINGER, generation),
            backoff=self._backoff,
            stall=self._stall,
        )

    # ---- any thread ----------------------------------------------------------------------------

    @property
    def choice(self) -> _Choice:
        """The (input_id, output_id) asked for; None = the system default."""
        return self._choice

    @property
    def stream(self) -> AudioStream | None:
        """The running stream, None while closed or recovering."""
        return self._stream

    @property
    def recovering(self) -> bool:
        """True while the worker is trying to reopen after a loss."""
        return self._recovering

    @property
    def fallback(self) -> bool:
        """True while running on the system default because the chosen devices are missing."""
        return self._fallback

    @property
    def ringer(self) -> AudioStream | None:
        """The running ringer stream, None while there is none (the ringtone uses the speaker)."""
        return self._ringer.stream

    @property
    def ringer_choice(self) -> str | None:
        return self._ringer.choice

    def levels(self) -> AudioLevels:
        """The microphone and speaker levels of the last ~50 ms (silent while closed)."""
        return AudioLevels(self._rings.capture.level(), self._rings.playback.level())

    # ---- owner thread --------------------------------------------------------------------------

    def devices(self) -> tuple[list[AudioDevice], list[AudioDevice]]:
        """(microphones, speakers). Re-scans first unless a stream is open (PortAudio can only
        re-scan with no stream open; the last scan is listed then)."""
        with self._lock:
            if self._stream is None and self._ringer.stream is None:
                self._backend.refresh()
            return self._backend.input_devices(), self._backend.output_devices()

    def open(self, input_id: str | None = None, output_id: str | None = None) -> None:
        """Open a stream on these devices (None = system default) and remember them.

        Replaces a stream already open. Raises ``AudioError``/``DeviceNotFound`` if the devices
        cannot be opened; nothing is open then (the rings are stopped, calls hear silence)."""
        with self._lock:
            self._ensure_worker()
            self._close_stream_locked()
            self._choice = (input_id, output_id)
            self._open_locked(input_id, output_id)
            self._emit_opened_locked()

    def switch(self, input_id: str | None, output_id: str | None) -> None:
        """Move to other devices mid-call. The rings and the engine's port stay, so a call
        continues (with a gap of about the stream's start-up).

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
                    self._errors.put((_MAIN, self._generation, str(again)))
                else:
                    self._emit_opened_locked()
                raise
            self._choice = (input_id, output_id)
            self._emit_opened_locked()

    def set_ringer(self, output_id: str | None) -> None:
        """Play ``rings.ringer`` on this output (None = no separate ringer: the ringtone goes to
        the speaker). Raises ``AudioError``/``DeviceNotFound`` if it cannot be opened; there is
        no separate ringer then."""
        with self._lock:
            self._ensure_worker()
            self._ringer.set(output_id)

    def close(self) -> None:
        """Stop the worker (and any retrying) and close the streams; idempotent."""
        with self._lock:  # not between _ensure_worker's making the worker and starting it
            self._stop.set()
            self._errors.put(_STOP)
            worker, self._worker = self._worker, None
        if worker is not None and worker is not threading.current_thread():
            worker.join(_JOIN_TIMEOUT_S)
        with self._lock:
            self._close_stream_locked()
            self._ringer.close()
            self._ringer.choice = None
            self._recovering = self._fallback = False

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

    def _on_error_for(self, target: str, generation: int) -> Callable[[str], None]:
        errors = self._errors

        def on_error(reason: str) -> None:
            # the sound card's thread: only hand the error over (SimpleQueue.put never blocks)
            errors.put((target, generation, reason))

        return on_error

    def _open_locked(self, input_id: str | None, output_id: str | None) -> AudioStream:
        """Open the call stream; any open, switch or recovery ends recovering and fallback."""
        self._generation += 1
        stream = self._backend.open_duplex(
            *self._device_side,
            input_id=input_id,
            output_id=output_id,
            on_error=self._on_error_for(_MAIN, self._generation),
        )
        now = time.monotonic()
        self._stream = stream
        self._watch = StallWatch(stream, now, *self._stall)
        self._backlog = (
            BacklogWatch(stream, now, *self._backlog_limits) if self._backlog_guard else None
        )
        self._recovering = self._fallback = False
        return stream

    def _close_stream_locked(self) -> None:
        stream, self._stream, self._watch = self._stream, None, None
        self._backlog = None
        self._generation += 1
        if stream is not None:
            stream.close()

    def _emit_opened_locked(self) -> None:
        assert self._stream is not None
        self._on_event(AudioDevicesOpened(*device_names(self._stream)))

    def _present_locked(self, choice: _Choice) -> bool:
        mic, speaker = choice
        return (mic is None or mic in {d.id for d in self._backend.input_devices()}) and (
            speaker is None or speaker in {d.id for d in self._backend.output_devices()}
        )

    # ---- worker thread -------------------------------------------------------------------------

    def _run(self, stop: threading.Event, errors: queue.SimpleQueue[object]) -> None:
        """The worker: handle stream errors as they come, and the periodic duties; until
        ``close``."""
        while not stop.is_set():
            try:
                item = errors.get(timeout=self._next_wake())
            except queue.Empty:
                item = None
            if item is _STOP or stop.is_set():
                return
            with self._lock:
                if stop.is_set():
                    return
                if isinstance(item, tuple):
                    self._on_stream_error_locked(*item)
                self._duties_locked(time.monotonic())

    def _next_wake(self) -> float:
        now = time.monotonic()
        due = now + self._watch_interval
        if self._recovering:
            due = min(due, self._retry_at)
        if self._ringer.waiting:
            due = min(due, self._ringer.retry_at)
        return max(due - now, 0.0)

    def _on_stream_error_locked(self, target: str, generation: int, reason: str) -> None:
        if target == _MAIN and generation == self._generation:
            self._lose_locked(reason)
        elif target == _RINGER and generation == self._ringer.generation:
            self._ringer.lose(reason)
        # else: from a stream already replaced (or the second direction of a dead one)

    def _duties_locked(self, now: float) -> None:
        if now >= self._watch_at:
            self._watch_at = now + self._watch_interval
            stalled = self._watch.check(now) if self._watch is not None else None
            if stalled is not None:
                self._lose_locked(stalled)
            backlog = self._backlog.check(now) if self._backlog is not None else None
            if backlog is not None and now - self._backlog_reset_at >= self._backlog_interval:
                self._reset_latency_locked(now, *backlog)
            self._ringer.check(now)
            if self.processing is not None and self._stream is not None:
                self.processing.set_delay_ms(_echo_delay_ms(self._stream))
        if self._recovering and now >= self._retry_at:
            self._attempt_locked(now)
        if self._fallback and self._stream is not None and now >= self._return_at:
            self._return_at = now + self._return_interval
            self._try_return_locked()
        if self._ringer.waiting and now >= self._ringer.retry_at:
            self._ringer.attempt(now)

    def _lose_locked(self, reason: str) -> None:
        self._close_stream_locked()
        self._recovering, self._fallback = True, False
        self._attempts = 0
        self._retry_at, self._retry_delay = 0.0, self._backoff[0]
        self._on_event(AudioDeviceLost(reason))

    def _reset_latency_locked(self, now: float, direction: str, backlog_ms: float) -> None:
        """Reopen the same devices to drop a queue the rings cannot see; a failure is a loss."""
        self._backlog_reset_at = now
        fallback = self._fallback
        self._close_stream_locked()
        try:
            self._open_locked(*(_DEFAULTS if fallback else self._choice))
        except AudioError as exc:
            self._lose_locked(str(exc))
            return
        self._fallback = fallback
        self._on_event(AudioLatencyReset(direction, round(backlog_ms, 1)))

    def _attempt_locked(self, now: float) -> None:
        """Reopen the chosen devices, else the defaults; schedule the next try if neither."""
        self._attempts += 1
        choice = self._choice
        self._rescan_locked()  # a device that came back is only seen after a re-scan
        for candidate in [choice] if choice == _DEFAULTS else [choice, _DEFAULTS]:
            try:
                stream = self._open_locked(*candidate)
            except AudioError:
                continue
            self._fallback = candidate != choice
            self._return_at = now + self._return_interval
            self._on_event(
                AudioDeviceRestored(*device_names(stream), self._fallback, self._attempts)
            )
            return
        self._retry_at = now + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, self._backoff[1])

    def _try_return_locked(self) -> None:
        """On the fallback: move back to the chosen devices if they are listed again."""
        choice = self._choice
        try:
            self._backend.refresh()
        except AudioError:
            backend = self._backend
            if not (isinstance(backend, RescanHint) and backend.devices_changed()):
                return
            # PortAudio re-scans only with every stream closed: worth a short gap now that the
            # hardware changed.
            self._close_stream_locked()
            self._rescan_locked()
        if self._present_locked(choice):
            self._close_stream_locked()
            try:
                stream = self._open_locked(*choice)
            except AudioError:
                pass
            else:
                self._on_event(AudioDeviceRestored(*device_names(stream), False, 1))
                return
        if self._stream is None:  # closed above: back onto the default, still a fallback
            try:
                self._open_locked(*_DEFAULTS)
            except AudioError as exc:
                self._lose_locked(str(exc))
                return
            self._fallback = True

    def _rescan_locked(self) -> None:
        """Re-scan with the call stream closed. A backend that refuses while the ringer is open
        (PortAudio) gets the ringer closed too; its own duty reopens it right after."""
        try:
            self._backend.refresh()
        except AudioError:
            if self._ringer.stream is None:
                return
            self._ringer.close_for_rescan()
            with contextlib.suppress(AudioError):
                self._backend.refresh()


def _echo_delay_ms(stream: AudioStream) -> float:
    """The echo canceller's delay hint: the audio queued outside the rings both ways (where the
    backend can tell, else the latencies the devices were opened with)."""
    stats = stream.stats()
    queued = stats.input_queue_ms + stats.output_queue_ms
    return queued if queued > 0 else stats.input_latency_ms + stats.output_latency_ms
