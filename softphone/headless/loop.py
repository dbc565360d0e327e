"""The headless event loop: the core's thread when there is no Qt.

:class:`HeadlessLoop` runs on the thread that calls :meth:`~HeadlessLoop.run_until`. Other threads
hand it work through one queue: the engine's events (:meth:`~HeadlessLoop.emit`, published on
:attr:`~HeadlessLoop.bus` there) and callables (:meth:`~HeadlessLoop.post`, e.g. the ``done`` of
the sign-in session's executor). :meth:`~HeadlessLoop.call_later` is the session's
:class:`~softphone.core.executor.Scheduler`. The headless agent (:mod:`softphone.headless.agent`)
and the headless demo (:mod:`softphone.demo.headless`) run their core on it.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from softphone.core import events as ev
from softphone.core.bus import EventBus


class Timer:
    """A pending :meth:`HeadlessLoop.call_later`; ``cancel`` before it is due drops it."""

    __slots__ = ("action", "cancelled", "due")

    def __init__(self, due: float, action: Callable[[], None]) -> None:
        self.due, self.action, self.cancelled = due, action, False

    def cancel(self) -> bool:
        self.cancelled = True
        return True


def _nothing() -> None:
    """Posted only to wake the loop."""


class HeadlessLoop:
    """Engine events, posted work and timers, run on the thread that calls :meth:`run_until`;
    the bus publishes there."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: queue.SimpleQueue[ev.Event | Callable[[], None]] = queue.SimpleQueue()
        self._timers: list[Timer] = []
        self._clock = clock
        self.bus = EventBus()

    def emit(self, event: ev.Event) -> None:
        """Publish ``event`` on the loop's thread (thread-safe: the engine's ``emit``)."""
        self._items.put(event)

    def post(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the loop's thread (thread-safe)."""
        self._items.put(action)

    def wake(self) -> None:
        """End the loop's wait at once, to look at its condition again (safe from a signal
        handler: a SimpleQueue's put is reentrant)."""
        self._items.put(_nothing)

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` on the loop's thread after ``delay_s`` (call on that thread)."""
        timer = Timer(self._clock() + delay_s, callback)
        self._timers.append(timer)
        return timer

    def run_until(
        self, done: Callable[[], bool], *, timeout_s: float = float("inf"), poll_s: float = 1.0
    ) -> bool:
        """Run events, posted work and due timers until ``done()``; False if ``timeout_s``
        passed first. ``done`` is asked again at least every ``poll_s``, for conditions that
        change without anything reaching the loop."""
        deadline = self._clock() + timeout_s
        while not done():
            now = self._clock()
            if now > deadline:
                return False
            self._run_due_timers(now, done)
            if done():
                return True
            now = self._clock()
            wait = min([t.due for t in self._timers] + [deadline, now + poll_s]) - now
            try:
                item = self._items.get(timeout=max(0.0, wait))
            except queue.Empty:
                continue
            if isinstance(item, ev.Event):
                self.bus.publish(item)
            else:
                item()
        return True

    def drain(self) -> None:
        """Publish the events still queued (posted work is dropped): at shutdown, after the
        engine stopped, so that its last events are still seen."""
        while True:
            try:
                item = self._items.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, ev.Event):
                self.bus.publish(item)

    def _run_due_timers(self, now: float, done: Callable[[], bool]) -> None:
        due = [t for t in self._timers if t.due <= now or t.cancelled]
        for timer in due:
            self._timers.remove(timer)
        for timer in sorted(due, key=lambda t: t.due):
            if not timer.cancelled and not done():
                timer.action()
