"""The one way onto the GUI thread.

Engine events (emitted on the SIP thread), audio device events (the audio worker's thread) and
the results of blocking work (a small pool) all reach the GUI thread through :class:`QtBridge`'s
queued signals; there they are published on the :class:`~softphone.core.bus.EventBus` or run.
The bridge is also the sign-in session's executor (:meth:`QtBridge.run_in_pool`) and scheduler
(:meth:`QtBridge.call_later`), so the core runs on the GUI thread exactly as it runs on the
headless agent's loop. Work that must keep its order (sound-device changes) goes on a
:meth:`QtBridge.lane`; work that must not wait behind a busy pool (the engine's start, quitting)
on a thread of its own (:meth:`QtBridge.run_in_thread`). Each way, the result comes back on the
GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.executor import Outcome

_log = logging.getLogger(__name__)
T = TypeVar("T")


class QtTimer:
    """A pending :meth:`QtBridge.call_later`; :meth:`cancel` before it fires drops it."""

    __slots__ = ("_timer",)

    def __init__(self, parent: QObject, delay_s: float, callback: Callable[[], None]) -> None:
        self._timer: QTimer | None = None
        timer = QTimer(parent)
        timer.setSingleShot(True)
        timer.setTimerType(Qt.TimerType.CoarseTimer if delay_s > 5 else Qt.TimerType.PreciseTimer)

        def fire() -> None:
            self._timer = None
            timer.deleteLater()
            callback()

        timer.timeout.connect(fire)
        # QTimer takes int milliseconds (at most ~24 days); re-auths are hours at most
        timer.start(max(0, min(int(delay_s * 1000), 2**31 - 1)))
        self._timer = timer

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def cancel(self) -> bool:
        timer, self._timer = self._timer, None
        if timer is None:
            return False
        timer.stop()
        timer.deleteLater()
        return True


class Lane:
    """An executor (:class:`~softphone.core.executor.Executor`'s shape) that runs its work one job
    at a time, in the order given, on one thread of its own; ``done`` runs on the GUI thread.
    Made by :meth:`QtBridge.lane`; ``owner`` as with :meth:`QtBridge.post_call`."""

    def __init__(
        self, name: str, post: Callable[[Callable[[], None], QObject | None], None]
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._post = post
        self._closed = False

    def __call__(
        self,
        work: Callable[[], T],
        done: Callable[[Outcome[T]], None],
        /,
        owner: QObject | None = None,
    ) -> None:
        if self._closed:
            _log.warning("work submitted after its lane closed was dropped")
            return

        def job() -> None:
            outcome = Outcome.of(work)
            self._post(lambda: done(outcome), owner)

        self._pool.submit(job)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Drop the jobs not started yet; the one running finishes (nobody waits for it)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


class QtBridge(QObject):
    """Moves events and results onto the GUI thread (the thread that created it).

    ``post``, ``post_call``, ``post_other``, ``run_in_pool``, ``run_in_thread`` and a lane's
    work may be called from any thread; ``call_later``, ``lane`` and ``close`` on the GUI
    thread. Everything they deliver runs on the GUI thread, in the order posted. ``other``
    carries objects that are not core events (the audio controller's device events) to whoever
    connects to it, on the GUI thread.
    """

    _event = Signal(object)
    _call = Signal(object)
    other = Signal(object)

    def __init__(self, bus: EventBus, parent: QObject | None = None, pool_size: int = 3) -> None:
        super().__init__(parent)
        self.bus = bus
        self._pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="gui-pool")
        self._closed = False
        self._lanes: list[Lane] = []
        queued = Qt.ConnectionType.QueuedConnection
        self._event.connect(bus.publish, queued)
        self._call.connect(self._run_call, queued)

    # ---- any thread ----------------------------------------------------------------------------

    def post(self, event: ev.Event) -> None:
        """Publish ``event`` on the bus, on the GUI thread (the engine's ``emit``)."""
        self._emit(self._event, event)

    def post_call(self, action: Callable[[], None], owner: QObject | None = None) -> None:
        """Run ``action`` on the GUI thread (the sign-in service's ``post``).

        With an ``owner`` (the widget the action updates), the action is dropped if the owner
        has been deleted by the time it would run, as a queued signal to it would be."""
        self._emit(self._call, (action, owner))

    def post_other(self, item: object) -> None:
        """Hand a non-event object (an audio device event) to :attr:`other` on the GUI thread."""
        self._emit(self.other, item)

    def run_in_pool(
        self,
        work: Callable[[], T],
        done: Callable[[Outcome[T]], None],
        owner: QObject | None = None,
    ) -> None:
        """Run ``work`` on the pool, then ``done`` with its outcome on the GUI thread (dropped
        if ``owner`` is given and deleted by then, as with :meth:`post_call`).

        The shape of :class:`softphone.core.executor.Executor`."""

        def job() -> None:
            outcome = Outcome.of(work)
            self.post_call(lambda: done(outcome), owner)

        if self._closed:
            _log.warning("work submitted after the bridge closed was dropped")
            return
        self._pool.submit(job)

    def run_in_thread(
        self,
        name: str,
        work: Callable[[], T],
        done: Callable[[Outcome[T]], None],
        owner: QObject | None = None,
    ) -> None:
        """Run ``work`` on a new daemon thread called ``name``, then ``done`` with its outcome
        on the GUI thread: for work that must not queue behind the pool (a hung DNS lookup or
        keychain prompt there) and that nothing may wait for at exit (the engine's start, the
        steps of quitting). Taken even after :meth:`close`. ``owner`` as with :meth:`post_call`."""

        def job() -> None:
            outcome = Outcome.of(work)
            self.post_call(lambda: done(outcome), owner)

        threading.Thread(target=job, name=name, daemon=True).start()

    def lane(self, name: str) -> Lane:
        """A new :class:`Lane` whose thread is called ``name``; :meth:`close` closes it too."""
        lane = Lane(name, self.post_call)
        # lanes closed by their owners (a scan dialog's) are forgotten, not kept to the end
        self._lanes = [*(kept for kept in self._lanes if not kept.closed), lane]
        return lane

    def _emit(self, signal: SignalInstance, item: object) -> None:
        try:
            signal.emit(item)
        except RuntimeError:  # the QObject is gone (app shutting down): nothing to deliver to
            _log.debug("dropped %s posted after the bridge was deleted", type(item).__name__)

    # ---- GUI thread ----------------------------------------------------------------------------

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> QtTimer:
        """Run ``callback`` on the GUI thread after ``delay_s`` (the session's scheduler)."""
        return QtTimer(self, delay_s, callback)

    def close(self, wait: bool = True) -> None:
        """Stop taking pool work; with ``wait``, let the pending jobs (keychain writes) finish."""
        self._closed = True
        for lane in self._lanes:
            lane.close()
        self._pool.shutdown(wait=wait)

    def _run_call(self, payload: tuple[Callable[[], None], QObject | None]) -> None:
        action, owner = payload
        if owner is not None and not shiboken6.isValid(owner):
            _log.debug("dropped a task posted for a widget that is gone")
            return
        try:
            action()
        except Exception:
            _log.exception("a task posted to the GUI thread failed")
