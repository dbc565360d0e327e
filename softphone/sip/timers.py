"""A timer heap the SIP thread drains between polls (pjsua2 timers would need pj objects)."""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable


class _Entry:
    """A heap entry, ordered by (due, seq)."""

    __slots__ = ("action", "cancelled", "due", "seq")

    def __init__(self, due: float, seq: int, action: Callable[[], None]) -> None:
        self.due, self.seq, self.action = due, seq, action
        self.cancelled = False

    def __lt__(self, other: _Entry) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


def _noop() -> None:
    pass


class TimerHandle:
    __slots__ = ("_entry",)

    def __init__(self, entry: _Entry) -> None:
        self._entry = entry

    def cancel(self) -> None:
        self._entry.cancelled = True
        # Drop the closure now: it may hold a pjsua2 Call that must die with its call.
        self._entry.action = _noop

    @property
    def due(self) -> float:
        return self._entry.due


class Timers:
    """Single-threaded: schedule, cancel and run only on the owning thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[_Entry] = []
        self._seq = itertools.count()

    def call_later(self, delay_s: float, action: Callable[[], None]) -> TimerHandle:
        entry = _Entry(self._clock() + max(delay_s, 0.0), next(self._seq), action)
        heapq.heappush(self._heap, entry)
        return TimerHandle(entry)

    def seconds_to_next(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        if not self._heap:
            return None
        return max(self._heap[0].due - self._clock(), 0.0)

    def run_due(self) -> None:
        now = self._clock()
        while self._heap and self._heap[0].due <= now:
            entry = heapq.heappop(self._heap)
            if not entry.cancelled:
                entry.action()

    def clear(self) -> None:
        self._heap.clear()
