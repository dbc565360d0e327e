"""The app's cycle collector runs on the GUI thread only (see softphone/ui/gui_gc.py: a Qt object
finalised on another thread can deadlock the GUI thread)."""

from __future__ import annotations

import gc
import threading

from pytestqt.qtbot import QtBot

from softphone.ui.gui_gc import GuiThreadCollector
from tests.support.cycles import Cycle


def _make_garbage_and_allocate(finalised_on: list[str], kept: list[object]) -> None:
    """A cycle becomes garbage, then enough allocations for the automatic collector to run
    here, on this thread, were it on (kept alive, so the count stays past the threshold)."""
    Cycle(finalised_on)
    kept.extend([] for _ in range(20 * gc.get_threshold()[0]))


def test_cycles_that_become_garbage_on_another_thread_are_collected_on_the_gui_thread(
    qtbot: QtBot,
) -> None:
    finalised_on: list[str] = []
    kept: list[object] = []
    collector = GuiThreadCollector(interval_ms=10).start()
    try:
        worker = threading.Thread(
            target=_make_garbage_and_allocate, args=(finalised_on, kept), name="busy"
        )
        worker.start()
        worker.join(10)
        assert finalised_on == [], "collected on the thread that allocated"
        qtbot.waitUntil(lambda: bool(finalised_on), timeout=5000)
        assert finalised_on == [threading.current_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled()


def test_without_it_the_thread_that_allocates_collects() -> None:
    """The test above is not vacuous: left automatic, the worker itself collects the cycle."""
    finalised_on: list[str] = []
    kept: list[object] = []
    gc.collect()
    worker = threading.Thread(
        target=_make_garbage_and_allocate, args=(finalised_on, kept), name="busy"
    )
    worker.start()
    worker.join(10)
    assert finalised_on == ["busy"]
