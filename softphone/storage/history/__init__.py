"""Encrypted call history: one SQLCipher database in the user's data directory, local only.

Nothing here ever uploads anything, and no call audio is ever written: a row holds who, when,
how long and how it ended (``calls``).

Threads: a ``HistoryStore`` (``store``) is one connection and is used by one thread at a time.
In the app only ``HistoryWriter``'s thread ("history-writer", ``writer``) touches it: writes and
reads are queued there in submission order, so a query sees every write submitted before it.
The ``HistoryRecorder`` (``recorder``) runs on whichever thread publishes engine events (the GUI
thread) and only updates a dict and queues rows; nothing here blocks the GUI thread.

The rest: ``database`` (the files, the key, a tuned SQLCipher connection, deleting it all),
``schema`` (the migrations), ``search`` (folded search keys and the FTS5 queries over them),
``errors`` (what can go wrong, drawn as a tree).
"""

from __future__ import annotations

from softphone.storage.history.calls import CallBackTarget, CallEntry, CallRecord, Outcome
from softphone.storage.history.database import DB_NAME, KEY_NAME, db_files, erase_all
from softphone.storage.history.recorder import HistoryRecorder, outcome_of
from softphone.storage.history.store import PAGE_SIZE, HistoryStore
from softphone.storage.history.writer import HistoryChanged, HistoryWriter

__all__ = [
    "DB_NAME",
    "KEY_NAME",
    "PAGE_SIZE",
    "CallBackTarget",
    "CallEntry",
    "CallRecord",
    "HistoryChanged",
    "HistoryRecorder",
    "HistoryStore",
    "HistoryWriter",
    "Outcome",
    "db_files",
    "erase_all",
    "outcome_of",
]
