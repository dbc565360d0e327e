"""Notices a stream that stops moving audio without reporting an error, or whose delay piles up.

Some failures end no stream: PortAudio on an ALSA plugin whose PulseAudio sink was suspended or
unloaded may just stop calling back, and Qt's PulseAudio streams stop moving when the server
quits. ``StallWatch`` compares a stream's block counters between checks; a direction that has
moved at least once and then moves nothing for ``stall_s`` is stalled. Nothing is judged in the
first ``start_grace_s``: streams often move a block or two, then wait for the device or the
sound server for a second or two (PulseAudio's remap sources, Bluetooth), and a direction that
never started is not judged at all.

``BacklogWatch`` reads the queue outside the rings that a stream reports per direction
(``StreamStats.input_queue_ms``/``output_queue_ms``): a direction above ``threshold_ms`` at every
check for ``sustain_s`` has a backlog the rings' drift compensation cannot see (audio queued in
the sound server after a late callback under load: a call then runs a second behind). Reopening
the stream drops that queue; the controller does it. A backend reporting 0 (unknown) is never
judged.
"""

from __future__ import annotations

from softphone.audio.backend import AudioStream

STALL_S = 1.0
START_GRACE_S = 3.0
BACKLOG_MS = 250.0  # normal on PulseAudio: ~15-25 ms per direction
BACKLOG_S = 1.0


class StallWatch:
    """One stream's counters as last seen; call ``check`` from one thread, every few 100 ms."""

    def __init__(
        self,
        stream: AudioStream,
        now: float,
        stall_s: float = STALL_S,
        start_grace_s: float = START_GRACE_S,
    ) -> None:
        self._stream = stream
        self._stall_s = stall_s
        self._judged_from = now + start_grace_s
        self._watched = (stream.input_device is not None, stream.output_device is not None)
        self._counts = [-1, -1]  # nothing seen yet
        self._moved_at = [now, now]
        self._started = [False, False]

    def check(self, now: float) -> str | None:
        """The reason to give up on the stream if a direction stalled, else None."""
        stats = self._stream.stats()
        for i, (count, what) in enumerate(
            ((stats.input_blocks, "microphone"), (stats.output_blocks, "speaker"))
        ):
            if not self._watched[i]:
                continue
            if count != self._counts[i]:
                self._started[i] = self._started[i] or self._counts[i] >= 0 or count > 0
                self._counts[i] = count
                self._moved_at[i] = now
            elif (
                self._started[i]
                and now >= self._judged_from
                and now - self._moved_at[i] >= self._stall_s
            ):
                silent_s = now - self._moved_at[i]
                return f"The {what} stopped responding (no audio for {silent_s:.1f} s)."
        return None


class BacklogWatch:
    """One stream's queues outside the rings; call ``check`` from one thread, every few 100 ms."""

    def __init__(
        self,
        stream: AudioStream,
        now: float,
        threshold_ms: float = BACKLOG_MS,
        sustain_s: float = BACKLOG_S,
        start_grace_s: float = START_GRACE_S,
    ) -> None:
        self._stream = stream
        self._threshold_ms = threshold_ms
        self._sustain_s = sustain_s
        self._judged_from = now + start_grace_s
        self._above_since: list[float | None] = [None, None]

    def check(self, now: float) -> tuple[str, float] | None:
        """(direction, queued ms) when a direction's queue stayed above the threshold for
        ``sustain_s`` (direction "input" or "output"), else None."""
        stats = self._stream.stats()
        for i, (queued, what) in enumerate(
            ((stats.input_queue_ms, "input"), (stats.output_queue_ms, "output"))
        ):
            if queued <= self._threshold_ms:
                self._above_since[i] = None
                continue
            since = self._above_since[i]
            if since is None:
                self._above_since[i] = since = now
            if now >= self._judged_from and now - since >= self._sustain_s:
                return what, queued
        return None
