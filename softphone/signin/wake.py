"""What the phone does when the computer sleeps and wakes: :class:`SleepWakeWatch`.

Before a sleep (logind tells; see :mod:`softphone.desktop.sleep`) every call in progress is hung
up, its BYE sent while the network is still up, and its history row says why
(``ENDED_BY_SLEEP``); the system is held up until the hang-ups are sent. After a wake the account
registers again at once (``on_wake``: the sign-in's :meth:`SignInService.on_wake`, which also
re-opens a lapsed firewall lease, or a plain account's REGISTER).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from softphone.core import events as ev
from softphone.desktop.sleep import LogindSleepWatch, SleepWake, WakeDetector

_log = logging.getLogger(__name__)

Subscribe = Callable[..., Callable[[], None]]


class SleepWakeWatch:
    """Sleep and wake, and what they do. Call every method on the owner's thread (the GUI
    thread, or the headless agent's loop), which ``post`` runs work on and ``subscribe`` (the
    event bus's) publishes on; :meth:`tick` every :attr:`interval_s` there. ``emit`` gets
    ``ComputerSleepChanged`` there; ``hangup`` and ``mark_ending`` (the history recorder's
    ``ending``) are called there for each call up at a sleep."""

    def __init__(
        self,
        *,
        post: Callable[[Callable[[], None]], None],
        subscribe: Subscribe,
        emit: Callable[[ev.Event], None],
        hangup: Callable[[str], Future[None]],
        on_wake: Callable[[], None],
        mark_ending: Callable[[str, str], None] = lambda _call, _why: None,
        bus_address: str = "SYSTEM",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._hangup = hangup
        self._mark_ending = mark_ending
        self.calls: set[str] = set()  # calls up now, by id
        self.sleep_wake = SleepWake(
            on_sleep=self._sleep,
            on_wake=on_wake,
            emit=emit,
            detector=WakeDetector(clock=clock),
            clock=clock,
        )
        self.logind = LogindSleepWatch(
            lambda sleeping: self.sleep_wake.changed(sleeping, "logind"),
            post,
            bus_address=bus_address,
        )
        self._undo = [
            subscribe(ev.IncomingCall, self._on_incoming),
            subscribe(ev.CallStateChanged, self._on_call),
        ]

    @property
    def interval_s(self) -> float:
        return self.sleep_wake.detector.interval_s

    def start(self) -> bool:
        """Listen to logind (True) or rely on the clock alone (False)."""
        return self.logind.start()

    def tick(self) -> None:
        self.sleep_wake.tick()

    def stop(self) -> None:
        self.logind.stop()
        for undo in self._undo:
            undo()

    def _on_incoming(self, event: ev.IncomingCall) -> None:
        self.calls.add(event.call_id)

    def _on_call(self, event: ev.CallStateChanged) -> None:
        if event.state is ev.CallState.DISCONNECTED:
            self.calls.discard(event.call_id)
        else:
            self.calls.add(event.call_id)

    def _sleep(self) -> None:
        calls = sorted(self.calls)
        if not calls:
            self.logind.ready_for_sleep()
            return
        # the history's package (and with it SQLCipher) only once a call is up at a sleep: the
        # headless agent watches without keeping a history
        from softphone.storage.history.calls import ENDED_BY_SLEEP

        _log.info("hanging up %d call(s) before the computer sleeps", len(calls))
        left = [len(calls)]
        lock = threading.Lock()

        def sent(_future: Future[None]) -> None:  # the SIP thread
            with lock:
                left[0] -= 1
                done = left[0] == 0
            if done:
                self.logind.ready_for_sleep()

        for call_id in calls:
            self._mark_ending(call_id, ENDED_BY_SLEEP)
            self._hangup(call_id).add_done_callback(sent)
