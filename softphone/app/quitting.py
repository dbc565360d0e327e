"""What quitting stops in the background, within one deadline (:class:`Teardown`); ``App.quit``
hides the app at once, then runs it on two threads of its own."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from softphone.app.engine import AppEngine
from softphone.audio.backend import AudioBackend
from softphone.audio.controller import AudioController
from softphone.core.executor import Outcome
from softphone.signin.service import SignInService
from softphone.storage.history import HistoryWriter
from softphone.ui.diagnostics import TraceLog

_log = logging.getLogger(__name__)


@dataclass
class Teardown:
    """The engine (hang up, unregister, destroy pjsua2) stops on the quit-engine thread
    (:meth:`stop_engine`); the sound devices, the sign-in clients and the history (its pending
    writes flushed first, then the engine's last events) on the quit thread
    (:meth:`stop_the_rest`). Every wait ends by ``deadline`` (``time.monotonic()``)."""

    deadline: float
    engine: AppEngine
    engine_up: threading.Event | None  # set once the engine's start returned; None: not begun
    trace: TraceLog
    audio: AudioController
    audio_backend: AudioBackend
    service: Callable[[], SignInService | None]  # None: never made
    service_up: threading.Event | None  # set once a service made at start is; None: made before
    history: HistoryWriter
    _engine_events_in: threading.Event = field(default_factory=threading.Event)

    def _left_s(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def stop_engine(self) -> None:
        # the quit-engine thread: a start still under way is let finish, then stopped
        if self.engine_up is not None:
            self.engine_up.wait(self._left_s())
        self.engine.stop()

    def engine_stopped(self, outcome: Outcome[None]) -> None:
        # The GUI thread, after every event the engine emitted while stopping (its calls'
        # ends among them) was published: the recorder has queued them for the history.
        if outcome.error is not None:
            _log.error("stopping the SIP engine failed: %s", outcome.error)
        self.trace.detach()
        self._engine_events_in.set()

    def stop_the_rest(self) -> bool:
        """The quit thread; True if everything ended in time."""
        # what the history has queued is written whatever the engine does meanwhile
        flushed = self._flush_history()
        try:
            self.audio.close()
            self.audio_backend.shutdown()  # e.g. Qt Multimedia's own thread
        except Exception:
            _log.exception("closing the sound devices failed")
        if self.service_up is not None:
            self.service_up.wait(self._left_s())
        service = self.service()
        if service is not None:
            service.close()  # before the history stops: a sign-out's wipe writes to it
        engine_done = self._engine_events_in.wait(self._left_s())
        flushed = self._flush_history() and flushed
        self.history.stop(timeout=self._left_s())
        return engine_done and flushed

    def _flush_history(self) -> bool:
        """Wait (bounded) until every history job queued so far has run."""
        try:
            self.history.submit(lambda _store: None).result(self._left_s())
        except TimeoutError:
            _log.error("the call history did not finish writing in time")
            return False
        except Exception:  # an unreadable or closed history: nothing was waiting to be written
            return True
        return True
