"""Reading a command's Future on the GUI thread, and turning its failure into a sentence.

The engine completes Futures on the SIP thread; ``CommandRunner`` hands the completed Future to
the GUI thread through the :class:`~softphone.ui.bridge.QtBridge` (``post_call``) when it
completes elsewhere, and reads it at once when it completes on the GUI thread, as a refused
command's already-complete Future does (the page says why before the click returns, as a
direct signal would). A ``VicifastError``'s text is written for people and is shown; any other
exception is logged by type only and replaced by a plain sentence, so neither a traceback nor
whatever an unexpected exception carries reaches the screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from softphone.core.errors import VicifastError
from softphone.ui.bridge import QtBridge

_log = logging.getLogger(__name__)


class CommandRunner(QObject):
    """Runs commands that return Futures; ``failed`` carries a message for people (GUI thread)."""

    failed = Signal(str)

    def __init__(self, bridge: QtBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._gui_thread = threading.get_ident()  # made on the GUI thread, as its widget is

    def run(
        self,
        failure: str,
        command: Callable[[], Future[Any]],
        on_result: Callable[[Any], object] | None = None,
        on_error: Callable[[], object] | None = None,
    ) -> Future[Any] | None:
        """Call ``command``; on failure, emit ``failed`` with "``failure``: why".

        Returns the Future (None when the command raised instead of returning one).
        """
        try:
            future = command()
        except Exception as err:
            self._fail(failure, err, on_error)
            return None
        bridge, gui_thread = self._bridge, self._gui_thread

        def done(completed: Future[Any]) -> None:
            if threading.get_ident() != gui_thread:
                bridge.post_call(
                    lambda: self._on_done(failure, on_result, on_error, completed), owner=self
                )
            elif shiboken6.isValid(self):  # else the widget is gone: nothing to show it on
                self._on_done(failure, on_result, on_error, completed)

        future.add_done_callback(done)
        return future

    def _on_done(
        self,
        failure: str,
        on_result: Callable[[Any], object] | None,
        on_error: Callable[[], object] | None,
        future: Future[Any],
    ) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self._fail(failure, error, on_error)
        elif on_result is not None:
            on_result(future.result())

    def _fail(
        self, failure: str, err: BaseException, on_error: Callable[[], object] | None
    ) -> None:
        if isinstance(err, VicifastError):
            text = str(err)
        else:
            _log.error("phone command failed: %s", type(err).__name__)
            text = self.tr("something went wrong; try again.")
        if on_error is not None:
            on_error()
        self.failed.emit(self.tr("{0}: {1}").format(failure, text))


def log_failure(command: str) -> Callable[[Future[Any]], None]:
    """A done-callback for a command nobody waits on: logs its failure (any thread), nothing
    more; the engine's events tell the UI what happened."""

    def done(future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            _log.warning("%s failed: %s", command, future.exception())

    return done
