"""The provisioning pane's one worker: scrypt for SIP codes (~65 ms each), reading a CSV and
writing PDFs must not block the GUI thread, and run one at a time, in order, as the supervisor
asked for them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from softphone.core.executor import Outcome
from softphone.ui.bridge import QtBridge


class Worker:
    """Runs jobs on a bridge lane ("qr-make"); each handler gets its job's result (or the
    exception it raised) on the GUI thread, unless the worker has been closed by then or
    ``owner`` (the pane) is gone."""

    def __init__(self, bridge: QtBridge, owner: QObject) -> None:
        self._lane = bridge.lane("qr-make")
        self._owner = owner
        self._closed = False

    def __call__(self, work: Callable[[], object], handler: Callable[[object], None]) -> None:
        if self._closed:
            return

        def finished(outcome: Outcome[object]) -> None:
            if not self._closed:
                handler(outcome.error if outcome.error is not None else outcome.value)

        self._lane(work, finished, owner=self._owner)

    def close(self) -> None:
        """Drop the jobs not started; the result of the one running is ignored."""
        self._closed = True
        self._lane.close()
