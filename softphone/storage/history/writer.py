"""The history's one thread ("history-writer"): ``HistoryWriter`` opens the store there and
runs every job, writes and reads alike, in submission order on that one connection, so a
query sees every write submitted before it; listeners hear ``HistoryChanged`` there.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from softphone.core.errors import NotDeleted, VicifastError
from softphone.core.secret import SecretStore
from softphone.storage.history.calls import CallRecord
from softphone.storage.history.database import DB_NAME, not_deleted, remove_all
from softphone.storage.history.errors import (
    HistoryClosed,
    HistoryError,
    HistoryUnreadable,
    UnreadableReason,
)
from softphone.storage.history.store import HistoryStore

_log = logging.getLogger(__name__)

T = TypeVar("T")
_Job = tuple[Callable[[Any], Any], Future[Any], bool]


@dataclass(frozen=True, slots=True)
class HistoryChanged:
    """What changed: "added", "deleted", "cleared", "viewed", "opened" or "set_aside" (a history
    whose key was gone, renamed ``calls.db.unreadable-<time>``; a new one opened) (``entry_id``
    for the first two)."""

    kind: str
    entry_id: int | None = None


class HistoryWriter:
    """The history's one thread ("history-writer"): opens the store there, then runs every job
    (writes and reads alike) in submission order on that one connection.

    Every method may be called from any thread and returns at once with a ``Future``; futures
    resolve, and listeners are called, on the writer thread. If the history cannot be opened,
    ``opened`` holds the ``HistoryUnreadable`` error and jobs fail with it until
    ``start_fresh()`` succeeds.
    """

    def __init__(self, data_dir: Path, secret_store: SecretStore) -> None:
        self._data_dir = data_dir
        self._secrets = secret_store
        self._store: HistoryStore | None = None
        self._error: HistoryError = HistoryClosed()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._listeners: list[Callable[[HistoryChanged], None]] = []
        self._set_aside_unheard = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self.opened: Future[None] = Future()

    def start(self) -> HistoryWriter:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the queued jobs, close the connection and end the thread."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)

    def add_listener(self, listener: Callable[[HistoryChanged], None]) -> None:
        with self._lock:
            self._listeners.append(listener)
            unheard, self._set_aside_unheard = self._set_aside_unheard, False
        if unheard:
            listener(HistoryChanged("set_aside"))

    def remove_listener(self, listener: Callable[[HistoryChanged], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def submit(self, job: Callable[[HistoryStore], T]) -> Future[T]:
        """Run ``job(store)`` on the writer thread; for reads (and writes that need no notice)."""
        return self._put(job, needs_store=True)

    def record(self, call: CallRecord) -> Future[int]:
        return self._put(lambda s: self._notify(s.add(call), "added"), needs_store=True)

    def delete(self, entry_id: int) -> Future[bool]:
        def job(store: HistoryStore) -> bool:
            deleted = store.delete(entry_id)
            if deleted:
                self._notify(entry_id, "deleted")
            return deleted

        return self._put(job, needs_store=True)

    def mark_viewed(self, at: float | None = None) -> Future[None]:
        return self._put(lambda s: self._notify(s.mark_viewed(at), "viewed"), needs_store=True)

    def clear_all(self) -> Future[None]:
        """Delete the files and the key, even when the history could not be opened."""

        def job(store: HistoryStore | None) -> None:
            if store is not None:
                store.close()
            self._store, self._error = None, HistoryClosed()
            remove_all(self._data_dir, self._secrets)
            self._notify(None, "cleared")

        return self._put(job, needs_store=False)

    def erase(self, timeout_s: float = 10.0) -> None:
        """:meth:`clear_all` for a session's wipe, waited for (call it off the writer thread).

        Raises ``NotDeleted`` saying what is left and where. Jobs after it fail with
        ``HistoryClosed`` until :meth:`reopen`: nothing is written between a wipe and the next
        sign-in."""
        try:
            self.clear_all().result(timeout_s)
        except TimeoutError:  # before OSError: it is one
            where = str(self._data_dir / DB_NAME)
            raise NotDeleted("the call history", where, "deleting it took too long") from None
        except (OSError, VicifastError) as err:
            raise not_deleted(err, self._data_dir) from None

    def reopen(self) -> Future[None]:
        """Open the history again after :meth:`clear_all` or :meth:`erase` (a new sign-in):
        a new database under a new key. Nothing happens while one is open."""

        def job(store: HistoryStore | None) -> None:
            if store is not None:
                return
            try:
                self._store = self._open()
            except HistoryError as exc:
                self._error = exc  # what later jobs fail with, as at start
                raise
            self._notify(None, "opened")

        return self._put(job, needs_store=False)

    def start_fresh(self) -> Future[None]:
        def job(store: HistoryStore | None) -> None:
            if store is not None:
                store.close()
            self._store = HistoryStore.start_fresh(self._data_dir, self._secrets)
            self._notify(None, "opened")

        return self._put(job, needs_store=False)

    # -- the thread -----------------------------------------------------------------------

    def _put(self, job: Callable[[Any], T], *, needs_store: bool) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((job, future, needs_store))
        return future

    def _notify(self, value: T, kind: str) -> T:
        change = HistoryChanged(kind, value if isinstance(value, int) else None)
        with self._lock:
            listeners = tuple(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                _log.exception("history listener failed on %s", kind)
        return value

    def _open(self) -> HistoryStore:
        """Open the history; one whose key is gone for good (a keychain reset, an interrupted
        wipe) can never be read again, so it is set aside and a new one started, said once
        through a "set_aside" change, instead of every call failing from then on."""
        try:
            return HistoryStore.open(self._data_dir, self._secrets)
        except HistoryUnreadable as exc:
            if exc.reason is not UnreadableReason.KEY_MISSING:
                raise
            store = HistoryStore.start_fresh(self._data_dir, self._secrets)
            _log.warning("the call history had lost its key: set aside, a new one started")
            with self._lock:  # at start nobody may listen yet: the first listener hears it
                self._set_aside_unheard = not self._listeners
            self._notify(None, "set_aside")
            return store

    def _run(self) -> None:
        try:
            self._store = self._open()
        except HistoryError as exc:
            self._error = exc
            self.opened.set_exception(exc)
        except Exception as exc:  # the keychain's errors: reported, the thread lives on
            self._error = HistoryClosed()
            self.opened.set_exception(exc)
        else:
            self.opened.set_result(None)
        while (item := self._jobs.get()) is not None:
            job, future, needs_store = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if needs_store and self._store is None:
                    raise self._error
                future.set_result(job(self._store))
            except BaseException as exc:
                future.set_exception(exc)
        if self._store is not None:
            self._store.close()
            self._store = None
