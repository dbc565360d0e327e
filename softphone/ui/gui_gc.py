"""Python's cycle collector, run on the GUI thread only.

Left automatic, the collector runs on whichever thread allocates past its threshold: the SIP
engine's, the history's, the sign-in service's. A collection finalises every unreachable cycle of
the process, Qt objects among them, and PySide tears a Qt object down there: off the GUI thread,
that can deadlock the GUI thread (the collecting thread holds Qt's connection lock and waits for
the GIL, the GUI thread holds the GIL and waits for that lock). So the app turns the automatic
collector off and collects on a GUI-thread timer instead, by the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    """``start()`` turns automatic collection off and checks the counts every second on this
    (the GUI) thread; ``stop()`` turns it back on."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = _INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> GuiThreadCollector:
        gc.disable()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as the automatic
        collector would have (it runs a generation once the one below it ran often enough)."""
        young, middle, old = gc.get_count()
        t_young, t_middle, t_old = gc.get_threshold()
        if young <= t_young:
            return
        if middle <= t_middle:
            gc.collect(0)
        elif old <= t_old:
            gc.collect(1)
        else:
            gc.collect(2)
