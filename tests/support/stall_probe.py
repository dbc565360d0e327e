"""An event-loop latency monitor for GUI tests: how late a 10 ms timer on the GUI thread fires.

A GUI thread doing blocking work (DNS, a keychain prompt, PortAudio) shows up as a tick that
fires long after it was due; :attr:`StallProbe.worst_s` is the worst such lateness seen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, QTimer


class StallProbe(QObject):
    """Measures, on the thread that creates it, how late each ``interval_ms`` tick fires."""

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_s = interval_ms / 1000
        self.worst_s = 0.0
        self.worst_at = 0.0  # seconds since start() at which the worst tick fired
        self.ticks = 0
        self._started = 0.0
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._started = self._last = time.monotonic()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.monotonic()
        late = now - self._last - self.interval_s
        self._last = now
        self.ticks += 1
        if late > self.worst_s:
            self.worst_s, self.worst_at = late, now - self._started

    def __repr__(self) -> str:
        return (
            f"StallProbe(worst={self.worst_s * 1000:.0f} ms at {self.worst_at:.2f} s, "
            f"ticks={self.ticks})"
        )


@contextmanager
def stall_probe(interval_ms: int = 10) -> Iterator[StallProbe]:
    """A running :class:`StallProbe` for the ``with`` block."""
    probe = StallProbe(interval_ms)
    probe.start()
    try:
        yield probe
    finally:
        probe.stop()
        probe.deleteLater()
