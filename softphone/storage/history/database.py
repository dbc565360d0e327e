"""The call history's encrypted database on disk: its files, its key in the keychain, a keyed
and tuned connection, and deleting it all.

The database's key is 32 random bytes kept (as hex) in the keychain under ``history.key`` and
given to SQLCipher as a raw key, so opening runs no PBKDF2 (``kdf_iter`` does not apply to raw
keys): open + key + first page takes about a millisecond.

SQLCipher settings: SQLCipher 4's (AES-256-CBC, 4096-byte pages, a random IV per page write)
with HMAC-SHA256 instead of its default HMAC-SHA512 as each page's MAC (``FORMATS``). Every page
is still encrypted at rest and authenticated: a page changed on disk, or read with another key,
is refused. HMAC-SHA256 is a sound MAC (a 256-bit tag under a 256-bit key: no known attack
comes near forging one; it is a setting SQLCipher 4 supports, and TLS's SHA-256 suites' MAC).
SQLCipher checks and decrypts each page the first time a connection reads it, which made the
first search after opening ~2x plain SQLite's with HMAC-SHA512. On x86 OpenSSL computes SHA-256
with the CPU's SHA extensions (most x86 CPUs of recent years) and SHA-512 without (few have any
for it), so HMAC-SHA256 costs about half as much a page there (bench/RESULTS.md, section 7); on
Apple silicon both are in hardware and the gain is smaller (not measured). The
file is local only and read by this code alone, so nothing needs SQLCipher's defaults in it.
Files written before (SQLCipher 4's defaults, HMAC-SHA512) are read as they are:
``connect`` tries the current format first, then the older one, and a file opened that way keeps
HMAC-SHA512. ``cipher_memory_security`` stays off (SQLCipher's default since 4.5; once on, it
stays on for the process): locking and wiping every SQLite allocation made searches 6-13x slower
(bench/RESULTS.md, section 7). What it would guard: that SQLCipher's freed buffers keep no
plaintext and its memory is not swapped out. The same rows sit unlocked in Python objects and on
screen, locking stops at the system's locked-memory limit (8 MiB by default on Linux), below a
cache this size, and swap is the system's to encrypt, for the history as for the rest of the
app. ``secure_delete`` is on, so a deleted entry's bytes are zeroed in the file, and temporary
tables stay in memory.

Durability: WAL with ``synchronous = FULL``, so every commit (one per call) is fsync'd before
``add`` returns and a call that ended survives a power cut, not only a crash of the app. In WAL
mode ``NORMAL`` would skip that fsync (the WAL is synced at checkpoints only): still safe when
the app is killed, but the last calls before a power loss could vanish. The fsync costs 0.3-3 ms
(the disk decides), once per call, on the writer thread; encryption adds ~0.2 ms to a commit
either way. So the history keeps FULL (bench/RESULTS.md, section 7, measures both).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from softphone.core.errors import NotDeleted, VicifastError
from softphone.core.secret import SecretStore
from softphone.storage.history.errors import HistoryUnreadable, UnreadableReason
from softphone.storage.private_files import open_private, private_file

DB_NAME: Final = "calls.db"
KEY_NAME: Final = "history.key"
_SQLITE_HEADER: Final = b"SQLite format 3\x00"


# The page formats a history file may have, newest first: the settings given after the key
# (SQLCipher keeps them nowhere in the file). A new file gets the first.
FORMATS: Final[tuple[tuple[str, ...], ...]] = (
    ("PRAGMA cipher_hmac_algorithm = HMAC_SHA256",),  # every file made since
    (),  # SQLCipher 4's defaults: HMAC-SHA512
)


def connect(path: Path, key_hex: str) -> Any:
    """A keyed connection, validated by a read (SQLCipher checks a key only when it reads).
    Each of ``FORMATS`` is tried in turn (a file in an older one costs one refused read of its
    first page); none reading the file is ``HistoryUnreadable``. SQLCipher loads here, on the
    history's own thread, not with the app's first screen."""
    import sqlcipher3  # type: ignore[import-untyped]  # untyped: Any at this boundary

    for n, settings in enumerate(FORMATS):
        conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
            for pragma in settings:
                conn.execute(pragma)
            if n + 1 < len(FORMATS):
                _quiet_read(conn)  # a file in an older format: not an error yet
            else:
                conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlcipher3.DatabaseError:
            conn.close()
            continue
        tune(conn)
        return conn
    raise HistoryUnreadable(path, _why_unreadable(path))


def _quiet_read(conn: Any) -> None:
    """The validating read without SQLCipher's log of a page it refuses ("hmac check failed",
    on stderr). Its log level is the process's: the one before is put back."""
    (level,) = conn.execute("PRAGMA cipher_log_level").fetchone()
    conn.execute("PRAGMA cipher_log_level = NONE")
    try:
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    finally:
        conn.execute(f"PRAGMA cipher_log_level = {level}")


def tune(conn: Any) -> None:
    """The settings every connection gets (also the plain-sqlite3 baseline of bench/history)."""
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = FULL")  # a call row is worth an fsync (module doc)
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    # Decrypted pages, filled only as they are read: a small history uses little. At 100,000
    # calls the search indexes and recent rows want ~32 MiB; with 8 MiB every search decrypted
    # pages again and 6-character searches took ~1.8x as long as without a key (bench/history).
    # A page's first read on a connection is checked and decrypted (~10 µs here), so the first
    # search after open costs more than later ones; mmap would not help (SQLCipher ignores it).
    conn.execute("PRAGMA cache_size = -32768")


def _why_unreadable(path: Path) -> UnreadableReason:
    with path.open("rb") as f:
        head = f.read(len(_SQLITE_HEADER))
    size = path.stat().st_size
    # An SQLCipher file is whole 4096-byte pages of noise; anything else is not ours.
    if head == _SQLITE_HEADER or size % 4096:
        return UnreadableReason.NOT_A_DATABASE
    return UnreadableReason.KEY_REJECTED


def db_files(data_dir: Path) -> list[Path]:
    """The database and its WAL and shared-memory files."""
    return [data_dir / DB_NAME, data_dir / f"{DB_NAME}-wal", data_dir / f"{DB_NAME}-shm"]


def private_db_files(data_dir: Path) -> None:
    """The database file made 0600 before SQLite opens it (SQLite would create it 0644, the
    umask permitting); SQLite gives the -wal and -shm files it creates the database file's mode
    (unix VFS), so they are 0600 too. Files an older version left wider are tightened."""
    database, *others = db_files(data_dir)
    os.close(open_private(database, os.O_RDONLY | os.O_CREAT))  # made if missing, else as is
    for file in others:
        private_file(file)


def remove_all(data_dir: Path, secret_store: SecretStore) -> None:
    """Delete the history's files and its key, whether or not it could be opened. Each is
    tried; the first ``OSError`` is raised after the others are deleted."""
    aside = list(data_dir.glob(f"{DB_NAME}.unreadable-*"))
    failed: OSError | None = None
    for file in [*db_files(data_dir), *aside]:
        try:
            file.unlink(missing_ok=True)
        except OSError as err:
            failed = failed or err
    secret_store.delete(KEY_NAME)
    if failed is not None:
        raise failed


def erase_all(data_dir: Path, secret_store: SecretStore) -> None:
    """:func:`remove_all`, raising ``NotDeleted`` (what is left, where) for a failure."""
    try:
        remove_all(data_dir, secret_store)
    except (OSError, VicifastError) as err:
        raise not_deleted(err, data_dir) from None


def not_deleted(err: OSError | VicifastError, data_dir: Path) -> NotDeleted:
    if isinstance(err, OSError):
        where = err.filename or data_dir / DB_NAME
        return NotDeleted("the call history", str(where), err.strerror or str(err))
    return NotDeleted("the call history's key", "", str(err))  # the files are gone, the key not
