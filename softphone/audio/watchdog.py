"""Notices a stream that stops moving audio without reporting an error.

Some failures end no stream: PortAudio on an ALSA plugin whose PulseAudio sink was suspended or
unloaded may just stop calling back, and Qt's PulseAudio streams stop moving when the server
quits. ``StallWatch`` compares a stream's block counters between checks; a direction that has
moved at least once and then moves nothing for ``stall_s`` is stalled. Nothing is judged in the
first ``start_grace_s``: streams often move a block or two, then wait for the device or the
sound server for a second or two (PulseAudio's remap sources, Bluetooth), and a direction that
never started is not judged at all.
"""

from __future__ import annotations

from softphone.audio.backend import AudioStream

STALL_S = 1.0
START_GRACE_S = 3.0


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
