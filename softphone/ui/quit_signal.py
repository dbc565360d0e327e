"""SIGINT/SIGTERM (Ctrl+C, logout, ``kill``, a service manager) → the app's own Quit."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _noted(signum: int, frame: FrameType | None) -> None:
    """Python's own handler does nothing: the wakeup socket carries the signal to the loop."""


class QuitOnSignal(QObject):
    """Runs a callback on the GUI thread, from the event loop, when SIGINT or SIGTERM comes.

    Python runs a signal handler only when the interpreter gets control, which a Qt loop waiting
    in C never gives it (hence the old 250 ms timer), and a handler running between two bytecodes
    of some slot is no place to tear the app down. ``signal.set_wakeup_fd`` makes the C-level
    handler write the signal to a socket; a QSocketNotifier wakes the loop at once. A signal that
    comes before the loop runs (while demo mode starts its servers) waits in the socket and quits
    the app as soon as it is up. Create on the main thread; :meth:`close` restores what it found.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._receive, self._send = socket.socketpair()
        self._receive.setblocking(False)
        self._send.setblocking(False)
        self._callback: Callable[[], None] | None = None
        self._pending = False
        self._previous_fd = signal.set_wakeup_fd(self._send.fileno(), warn_on_full_buffer=False)
        self._previous = {sig: signal.signal(sig, _noted) for sig in _SIGNALS}
        self._notifier = QSocketNotifier(self._receive.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def on_signal(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the event loop) for every later signal, and for one already
        received."""
        self._callback = callback
        if self._pending:
            self._pending = False
            QTimer.singleShot(0, callback)

    def _drain(self) -> None:
        try:
            received = self._receive.recv(512)
        except BlockingIOError:
            return
        if not received:
            return
        if self._callback is None:
            self._pending = True
        else:
            self._callback()

    def close(self) -> None:
        """Give the signals back their previous handlers."""
        self._notifier.setEnabled(False)
        with contextlib.suppress(ValueError):  # not the main thread: nothing was set
            signal.set_wakeup_fd(self._previous_fd)
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
        self._receive.close()
        self._send.close()
