"""Errors of the encrypted call history.

VicifastError (softphone.core.errors)
└── HistoryError                the call history failed; calls still work without it
    ├── HistoryUnreadable       the file cannot be read with the keychain's key (key missing or
    │                           rejected, or not a database): offer ``HistoryStore.start_fresh``
    ├── HistoryTooNew           written by a newer version of the app: update the app
    └── HistoryClosed           the history was closed or cleared

The keychain's own errors (``softphone.storage.errors.KeychainError``) pass through unchanged.
No message names a number, a name or the key.
"""

from __future__ import annotations

import enum
from pathlib import Path

from softphone.core.errors import VicifastError


class HistoryError(VicifastError):
    pass


class UnreadableReason(enum.StrEnum):
    KEY_MISSING = "key_missing"  # the file is there, the keychain has no key for it
    KEY_REJECTED = "key_rejected"  # looks encrypted, but the key does not open it
    NOT_A_DATABASE = "not_a_database"  # a plain SQLite file or something else entirely


_WHY = {
    UnreadableReason.KEY_MISSING: "its key is no longer in the system keychain",
    UnreadableReason.KEY_REJECTED: "the key in the system keychain does not open it",
    UnreadableReason.NOT_A_DATABASE: "the file is not an encrypted call history",
}


class HistoryUnreadable(HistoryError):
    """The history file cannot be read. ``start_fresh`` keeps the old file and starts anew."""

    def __init__(self, path: Path, reason: UnreadableReason) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"Your call history could not be opened: {_WHY[reason]}. You can start a fresh "
            f"history; the old file is kept, renamed, next to it in {path.parent}."
        )


class HistoryTooNew(HistoryError):
    def __init__(self, version: int, supported: int) -> None:
        self.version = version
        super().__init__(
            f"Your call history was written by a newer version of VICIfast (format {version}; "
            f"this version reads up to {supported}). Update the app to see it."
        )


class HistoryClosed(HistoryError):
    def __init__(self) -> None:
        super().__init__("The call history is closed. Sign in again to record calls.")
