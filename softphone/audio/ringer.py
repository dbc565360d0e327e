"""The ringer: an output-only stream on ``rings.ringer``, on a device of its own.

The ring is active exactly while the stream is open, and the engine then plays the ringtone
there instead of on the speaker. On a loss (error or stall) it is closed at once (the ringtone
falls back to the speaker), ``RingerLost`` is reported, and it is reopened on the chosen device
with the controller's backoff (``RingerOpened`` when back); it never falls back to another
device.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from softphone.audio.backend import AudioBackend, AudioStream
from softphone.audio.device_events import AudioDeviceEvent, RingerLost, RingerOpened, device_names
from softphone.audio.errors import AudioError
from softphone.audio.ring import PcmRing
from softphone.audio.watchdog import StallWatch


class RingerOutput:
    """The ringer's stream, the device asked for and the retries after a loss.

    Part of :class:`~softphone.audio.controller.AudioController`, which calls it with its lock
    held (from its owner's thread or its worker); ``on_event`` is called on that thread.
    ``on_error_for(generation)`` gives the backend's error callback for a stream of that
    generation (the controller's worker handles the error: :meth:`lose` if still current)."""

    def __init__(
        self,
        backend: AudioBackend,
        ring: PcmRing,
        on_event: Callable[[AudioDeviceEvent], None],
        on_error_for: Callable[[int], Callable[[str], None]],
        *,
        backoff: tuple[float, float],
        stall: tuple[float, float],
    ) -> None:
        self._backend = backend
        self._ring = ring
        self._on_event = on_event
        self._on_error_for = on_error_for
        self._backoff = backoff
        self._stall = stall
        self.stream: AudioStream | None = None
        self.choice: str | None = None
        self.generation = 0  # bumped whenever the stream is replaced: older errors are stale
        self.retry_at = 0.0
        self._watch: StallWatch | None = None
        self._lost = False
        self._delay = 0.0

    @property
    def waiting(self) -> bool:
        """A device is chosen but no stream runs: the next try is due at ``retry_at``."""
        return self.choice is not None and self.stream is None

    def set(self, output_id: str | None) -> None:
        """The controller's ``set_ringer``."""
        self.close()
        self.choice = None
        self._lost = False
        if output_id is None:
            return
        stream = self.open(output_id)
        self.choice = output_id
        self._on_event(RingerOpened(*device_names(stream)[2:]))

    def open(self, output_id: str) -> AudioStream:
        self.generation += 1
        stream = self._backend.open_output(
            self._ring, output_id, self._on_error_for(self.generation)
        )
        self.stream = stream
        self._watch = StallWatch(stream, time.monotonic(), *self._stall)
        return stream

    def close(self) -> None:
        stream, self.stream, self._watch = self.stream, None, None
        self.generation += 1
        if stream is not None:
            stream.close()

    def close_for_rescan(self) -> None:
        """Closed so the backend can re-scan (PortAudio); :meth:`attempt` reopens it at once."""
        self.close()
        self.retry_at = 0.0

    def check(self, now: float) -> None:
        """The stall watch: a stream that stopped moving is lost."""
        stalled = self._watch.check(now) if self._watch is not None else None
        if stalled is not None:
            self.lose(stalled)

    def lose(self, reason: str) -> None:
        self.close()
        self._lost = True
        self.retry_at, self._delay = 0.0, self._backoff[0]
        self._on_event(RingerLost(reason))

    def attempt(self, now: float) -> None:
        assert self.choice is not None
        try:
            stream = self.open(self.choice)
        except AudioError as exc:
            if not self._lost:  # closed for a re-scan, and now it will not open
                self.lose(str(exc))
            self.retry_at = now + self._delay
            self._delay = min(self._delay * 2, self._backoff[1])
            return
        if self._lost:
            self._lost = False
            self._on_event(RingerOpened(*device_names(stream)[2:]))
