"""When this computer goes to sleep and wakes up.

Two sources, one owner: :class:`SleepWake` runs on the owner's thread (the GUI thread, or the
headless agent's loop) and says each sleep and each wake once, whichever source saw it.

- Linux: logind's ``PrepareForSleep(b)`` signal (True: about to sleep, False: woke), read by
  :class:`LogindSleepWatch` on a daemon thread of its own over a blocking jeepney connection to
  the system bus. It holds a logind "delay" inhibitor lock, so the system waits (at most
  logind's ``InhibitDelayMaxSec``, 5 s by default) while calls are hung up and their BYE sent;
  the owner says when that is done with :meth:`LogindSleepWatch.ready_for_sleep`.
- Everywhere, and the only source where there is no logind: :class:`WakeDetector`, a periodic
  tick that notices the wall clock jumped far beyond the tick (the machine slept in between).
  It sees the wake only, never the sleep before it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from _socket import SHUT_RDWR  # not socket, a larger import the first window does without
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from softphone.core import events as ev

_log = logging.getLogger(__name__)

LOGIND: Final = "org.freedesktop.login1"
LOGIND_PATH: Final = "/org/freedesktop/login1"
LOGIND_MANAGER: Final = "org.freedesktop.login1.Manager"
TICK_S: Final = 10.0  # how often the wake detector looks at the clock
JUMP_S: Final = 30.0  # a tick this much later than due means the machine slept
SAME_WAKE_S: Final = 20.0  # a second report of a wake within this is the same wake
SLEEP_DELAY_MAX_S: Final = 3.0  # the longest we hold the system up (logind allows 5 s)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputerSleepChanged(ev.Event):
    """The computer is about to sleep (``sleeping``) or woke up. Published on the owner's
    thread by :class:`SleepWake`; ``source`` is "logind", "clock" or "windows"."""

    sleeping: bool
    source: str


class WakeDetector:
    """Call :meth:`tick` every ``interval_s``; it says True (a wake) when the wall clock moved
    more than ``interval_s + jump_s`` since the last tick. A clock set back is no wake."""

    def __init__(
        self,
        *,
        interval_s: float = TICK_S,
        jump_s: float = JUMP_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval_s = interval_s
        self._jump_s = jump_s
        self._clock = clock
        self._last = clock()

    def tick(self) -> bool:
        now = self._clock()
        gap, self._last = now - self._last, now
        return gap > self.interval_s + self._jump_s


class SleepWake:
    """Sleep and wake from every source, on the owner's thread, each said once: ``on_sleep``
    before a sleep (logind only), ``on_wake`` after it, and :class:`ComputerSleepChanged`
    through ``emit``. Call every method on the owner's thread (sources post onto it)."""

    def __init__(
        self,
        *,
        on_sleep: Callable[[], None],
        on_wake: Callable[[], None],
        emit: Callable[[ev.Event], None] = lambda _e: None,
        detector: WakeDetector | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._on_sleep = on_sleep
        self._on_wake = on_wake
        self._emit = emit
        self._clock = clock
        self.detector = detector or WakeDetector(clock=clock)
        self._asleep = False
        self._woke_at: float | None = None

    def changed(self, sleeping: bool, source: str) -> None:
        """A platform source says the computer is about to sleep (True) or woke (False)."""
        if sleeping:
            if self._asleep:
                return
            self._asleep = True
            _log.info("the computer is going to sleep")
            self._emit(ComputerSleepChanged(sleeping=True, source=source))
            self._on_sleep()
        else:
            self._woke(source)

    def tick(self) -> None:
        """The periodic tick (every ``detector.interval_s``)."""
        if self.detector.tick():
            self._woke("clock")

    def _woke(self, source: str) -> None:
        now = self._clock()
        if not self._asleep and self._woke_at is not None and now - self._woke_at < SAME_WAKE_S:
            return  # the other source saw this wake already
        self._asleep, self._woke_at = False, now
        _log.info("the computer woke up (%s)", source)
        self._emit(ComputerSleepChanged(sleeping=False, source=source))
        self._on_wake()


# ---- logind (Linux) -------------------------------------------------------------------------


class LogindSleepWatch:
    """logind's ``PrepareForSleep`` on the system bus (or ``bus_address``), read on the daemon
    thread "sleep-watch"; ``post(action)`` runs ``on_change(sleeping)`` on the owner's thread.

    :meth:`start` says False when there is no bus or no logind on it (the owner then relies on
    the clock alone). While it runs it holds a delay inhibitor lock, let go once the owner calls
    :meth:`ready_for_sleep` (or after ``SLEEP_DELAY_MAX_S``) and taken again on wake.
    """

    def __init__(
        self,
        on_change: Callable[[bool], None],
        post: Callable[[Callable[[], None]], None],
        *,
        bus_address: str = "SYSTEM",
    ) -> None:
        self._on_change = on_change
        self._post = post
        self._address = bus_address
        self._conn: Any = None
        self._lock_fd: int | None = None
        self._ready = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        if not sys.platform.startswith("linux"):
            return False
        try:
            from jeepney.bus_messages import message_bus  # type: ignore[import-untyped]
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

            conn = open_dbus_connection(bus=self._address, enable_fds=True)
        except Exception as err:  # no system bus: a container, another init
            _log.info("no system bus to hear sleep from (%s)", type(err).__name__)
            return False
        try:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(LOGIND), timeout=5.0)
            if not reply.body[0]:
                _log.info("no logind on the system bus")
                conn.close()
                return False
            conn.send_and_get_reply(message_bus.AddMatch(_rule(sender=True)), timeout=5.0)
        except Exception as err:
            _log.info("logind is not answering (%s)", type(err).__name__)
            conn.close()
            return False
        self._conn = conn
        self._inhibit()
        self._thread = threading.Thread(target=self._run, name="sleep-watch", daemon=True)
        self._thread.start()
        return True

    def ready_for_sleep(self) -> None:
        """The owner did what it must before the sleep (thread-safe)."""
        self._ready.set()

    def stop(self) -> None:
        """Let go of the bus and the lock; returns at once (the thread ends by itself)."""
        self._stopping = True
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(SHUT_RDWR)  # ends the thread's blocking read
        self._ready.set()

    def _run(self) -> None:
        conn = self._conn
        try:
            with conn.filter(_rule(sender=False)) as queue:
                while not self._stopping:
                    message = conn.recv_until_filtered(queue)
                    self._signal(bool(message.body[0]))
        except Exception as err:
            if not self._stopping:
                _log.warning("stopped listening for sleep: %s", type(err).__name__)
        finally:
            self._release()
            conn.close()

    def _signal(self, sleeping: bool) -> None:
        if sleeping:
            self._ready.clear()
            self._post(lambda: self._on_change(True))
            self._ready.wait(SLEEP_DELAY_MAX_S)
            self._release()
        else:
            self._post(lambda: self._on_change(False))
            self._inhibit()

    def _inhibit(self) -> None:
        from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]

        if self._lock_fd is not None:
            return
        manager = DBusAddress(LOGIND_PATH, bus_name=LOGIND, interface=LOGIND_MANAGER)
        why = "Ending calls before the computer sleeps"
        call = new_method_call(manager, "Inhibit", "ssss", ("sleep", "VICIfast", why, "delay"))
        try:
            reply = self._conn.send_and_get_reply(call, timeout=5.0)
            self._lock_fd = reply.body[0].to_raw_fd()
        except Exception as err:  # no right to inhibit: calls may end without their BYE
            _log.info("could not delay sleep (%s)", type(err).__name__)

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def _rule(*, sender: bool) -> Any:
    """The bus rule names logind's well-known name; the bus resolves it, and delivers only its
    signals. Received signals carry logind's unique name, so the local filter leaves it out."""
    from jeepney import MatchRule

    extra = {"sender": LOGIND} if sender else {}
    return MatchRule(
        type="signal", interface=LOGIND_MANAGER, member="PrepareForSleep", path=LOGIND_PATH,
        **extra,
    )  # fmt: skip
