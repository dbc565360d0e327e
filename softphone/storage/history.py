"""Encrypted call history: one SQLCipher database in the user's data directory, local only.

The database's key is 32 random bytes kept (as hex) in the keychain under ``history.key`` and
given to SQLCipher as a raw key, so opening runs no PBKDF2 (``kdf_iter`` does not apply to raw
keys): open + key + first page takes about a millisecond. Nothing here ever uploads
anything, and no call audio is ever written: a row holds who, when, how long and how it ended.

Threads: a ``HistoryStore`` is one connection and is used by one thread at a time. In the app
only ``HistoryWriter``'s thread ("history-writer") touches it: writes and reads are queued
there in submission order, so a query sees every write submitted before it. The
``HistoryRecorder`` runs on whichever thread publishes engine events (the GUI thread) and only
updates a dict and queues rows; nothing here blocks the GUI thread.

SQLCipher settings: the defaults of SQLCipher 4 (4096-byte pages, HMAC-SHA512), shared with the
mobile app. ``cipher_memory_security`` stays off (SQLCipher's default): wiping and locking every
allocation slows every query, while the plaintext it would guard is on screen anyway and the key
sits in the keychain. ``secure_delete`` is on, so a deleted entry's bytes are zeroed in the file,
and temporary tables stay in memory.

Durability: WAL with ``synchronous = FULL``, so every commit (one per call) is fsync'd before
``add`` returns and a call that ended survives a power cut, not only a crash of the app. In WAL
mode ``NORMAL`` would skip that fsync (the WAL is synced at checkpoints only): still safe when
the app is killed, but the last calls before a power loss could vanish. The fsync costs 0.3-3 ms
(the disk decides), once per call, on the writer thread; encryption adds ~0.2 ms to a commit
either way. So the history keeps FULL (bench/RESULTS.md, section 7, measures both).

Search: every call has a folded ``search_key`` (digits of the number, then the name without case
or accents). Fragments of three characters and more are looked up in an FTS5 trigram index;
fragments of one or two in ``calls_grams``, an FTS5 index of the distinct one- and two-character
pieces of each key. Both answer newest first and stop at a page, so no search reads the whole
table, not even one that matches nothing.
"""

from __future__ import annotations

import csv
import datetime
import enum
import logging
import os
import queue
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import sqlcipher3  # type: ignore[import-untyped]  # untyped: Any at this boundary

from softphone.core import events as ev
from softphone.core.errors import NotDeleted, VicifastError
from softphone.core.secret import Secret, SecretStore
from softphone.storage.history_errors import (
    HistoryClosed,
    HistoryError,
    HistoryTooNew,
    HistoryUnreadable,
    UnreadableReason,
)
from softphone.storage.private_files import open_private, private_dir, private_file

_log = logging.getLogger(__name__)

DB_NAME: Final = "calls.db"
KEY_NAME: Final = "history.key"
PAGE_SIZE: Final = 50  # rows per page of the Recents view
_SQLITE_HEADER: Final = b"SQLite format 3\x00"
_SEPARATOR: Final = "\x1f"  # between number and name in search_key: no fragment spans both


class Outcome(enum.StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"  # incoming, never answered, not declined by the agent
    REJECTED = "rejected"  # incoming, declined by the agent (486, 480 or 603 sent)
    FAILED = "failed"  # outgoing not answered, or incoming that could not be set up; see sip_code


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One finished call, as written. Times are Unix seconds (wall clock)."""

    direction: ev.Direction
    remote_number: str
    remote_name: str
    account_id: str
    started_at: float
    answered_at: float | None
    ended_at: float
    duration_s: float
    outcome: Outcome
    sip_code: int = 0
    sip_reason: str = ""
    auto_answered: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEntry(CallRecord):
    """A stored call. ``id`` is the start time in microseconds (made unique), so id order is
    start order and the newest call has the largest id."""

    id: int


@dataclass(frozen=True, slots=True)
class CallBackTarget:
    number: str
    account_id: str
    name: str


# ---- normalisation for search ------------------------------------------------------------

_NUMBER_LIKE = re.compile(r"[\d+\-\s().]+")
_NUMBER_PUNCTUATION = re.compile(r"[+\-\s().]")


def fold_text(text: str) -> str:
    """Case- and accent-free text: "José  Müller" → "jose muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def number_key(number: str) -> str:
    """Dialled characters only: "+1 (555) 010-2030" → "15550102030"; "Alice" → "alice"."""
    return _NUMBER_PUNCTUATION.sub("", fold_text(number))


def search_key(number: str, name: str) -> str:
    return f"{number_key(number)}{_SEPARATOR}{fold_text(name)}"


def short_grams(key: str) -> set[str]:
    """The distinct one- and two-character pieces of a search key, none across the separator."""
    grams: set[str] = set()
    for part in key.split(_SEPARATOR):
        grams.update(part)
        grams.update(part[i : i + 2] for i in range(len(part) - 1))
    return grams


def gram_token(gram: str) -> str:
    """A piece as one token of FTS5's ``ascii`` tokenizer: its code points in hex, joined by
    "x" ("a" → "61", "jo" → "6ax6f"), so any character, "+", "%" or "ç", is a plain token."""
    return "x".join(f"{ord(ch):x}" for ch in gram)


def gram_document(key: str) -> str:
    """What ``calls_grams`` indexes for a search key (sorted, so it is the same every time)."""
    return " ".join(sorted(gram_token(g) for g in short_grams(key)))


def _match_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def trigram_query(fragment: str) -> str:
    """An FTS5 query for rows holding every trigram of ``fragment`` (3 characters or more);
    the caller checks the fragment itself, as the trigrams may be apart."""
    trigrams = sorted({fragment[i : i + 3] for i in range(len(fragment) - 2)})
    return " AND ".join(_match_phrase(t) for t in trigrams)


def fragment_key(text: str) -> str:
    """What a typed fragment is matched as: digits for a number ("+1 555" → "1555"), else
    folded text."""
    text = "".join(ch for ch in text if ch.isprintable())
    if _NUMBER_LIKE.fullmatch(text) and any(ch.isdigit() for ch in text):
        return _NUMBER_PUNCTUATION.sub("", text)
    return fold_text(text)


# ---- schema --------------------------------------------------------------------------------


def _v1(conn: Any) -> None:
    conn.execute(
        """CREATE TABLE calls(
            id INTEGER PRIMARY KEY,
            direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
            remote_number TEXT NOT NULL,
            remote_name TEXT NOT NULL,
            account_id TEXT NOT NULL,
            started_at REAL NOT NULL,
            answered_at REAL,
            ended_at REAL NOT NULL,
            duration_s REAL NOT NULL,
            outcome TEXT NOT NULL
                CHECK (outcome IN ('answered', 'missed', 'rejected', 'failed')),
            sip_code INTEGER NOT NULL DEFAULT 0,
            sip_reason TEXT NOT NULL DEFAULT '',
            auto_answered INTEGER NOT NULL DEFAULT 0
        )"""
    )
    conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID")


def _v2(conn: Any) -> None:
    """Search: a folded key per call, a trigram index over it, and indexes for the filters."""
    conn.execute("ALTER TABLE calls ADD COLUMN search_key TEXT NOT NULL DEFAULT ''")
    rows = conn.execute("SELECT id, remote_number, remote_name FROM calls").fetchall()
    conn.executemany(
        "UPDATE calls SET search_key = ? WHERE id = ?",
        [(search_key(number, name), id_) for id_, number, name in rows],
    )
    # (id, search_key) is narrow: 1-2 character fragments scan it newest first (until v3).
    conn.execute("CREATE INDEX calls_search ON calls(id, search_key)")
    conn.execute("CREATE INDEX calls_outcome ON calls(outcome, id)")
    conn.execute("CREATE INDEX calls_direction ON calls(direction, id)")
    conn.execute("CREATE INDEX calls_missed ON calls(ended_at) WHERE outcome = 'missed'")
    conn.execute(
        "CREATE VIRTUAL TABLE calls_fts USING fts5(search_key, content='calls', "
        "content_rowid='id', tokenize='trigram', detail='none')"
    )
    conn.execute(
        "CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls BEGIN "
        "INSERT INTO calls_fts(rowid, search_key) VALUES (new.id, new.search_key); END"
    )
    conn.execute(
        "CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls BEGIN "
        "INSERT INTO calls_fts(calls_fts, rowid, search_key) "
        "VALUES ('delete', old.id, old.search_key); END"
    )
    conn.execute("INSERT INTO calls_fts(calls_fts) VALUES ('rebuild')")


def _v3(conn: Any) -> None:
    """Short search without a scan: ``calls_grams`` holds each call's distinct one- and
    two-character pieces (``gram_document``), so a one- or two-character fragment reads only
    the newest page of its postings, and one that matches nothing reads nothing. Contentless:
    ``HistoryStore.add`` and ``delete`` keep it in step with ``calls`` in the same transaction
    (its document comes from ``search_key`` by Python, which a trigger cannot run). The narrow
    (id, search_key) index that short fragments used to scan goes."""
    conn.execute(
        "CREATE VIRTUAL TABLE calls_grams USING fts5(grams, content='', tokenize='ascii', "
        "detail='none', columnsize=0)"
    )
    rows = conn.execute("SELECT id, search_key FROM calls").fetchall()
    conn.executemany(
        "INSERT INTO calls_grams(rowid, grams) VALUES (?, ?)",
        [(id_, gram_document(key)) for id_, key in rows],
    )
    conn.execute("DROP INDEX calls_search")


MIGRATIONS: Final[tuple[Callable[[Any], None], ...]] = (_v1, _v2, _v3)
SCHEMA_VERSION: Final = len(MIGRATIONS)

_COLUMNS: Final = (
    "id, direction, remote_number, remote_name, account_id, started_at, answered_at, ended_at, "
    "duration_s, outcome, sip_code, sip_reason, auto_answered"
)
_C_COLUMNS: Final = ", ".join(f"c.{name.strip()}" for name in _COLUMNS.split(","))


def _entry(row: tuple[Any, ...]) -> CallEntry:
    return CallEntry(
        id=row[0],
        direction=ev.Direction(row[1]),
        remote_number=row[2],
        remote_name=row[3],
        account_id=row[4],
        started_at=row[5],
        answered_at=row[6],
        ended_at=row[7],
        duration_s=row[8],
        outcome=Outcome(row[9]),
        sip_code=row[10],
        sip_reason=row[11],
        auto_answered=bool(row[12]),
    )


def _connect(path: Path, key_hex: str) -> Any:
    """A keyed connection, validated by a read (SQLCipher checks a key only when it reads)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlcipher3.DatabaseError:
        conn.close()
        raise HistoryUnreadable(path, _why_unreadable(path)) from None
    tune(conn)
    return conn


def tune(conn: Any) -> None:
    """The settings every connection gets (also the plain-sqlite3 baseline of bench/history)."""
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = FULL")  # a call row is worth an fsync (module doc)
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    # Decrypted pages, filled only as they are read: a small history uses little. At 100,000
    # calls the search indexes and recent rows want ~32 MiB; with 8 MiB every search decrypted
    # pages again and 6-character searches took ~1.8x as long as without a key (bench/history).
    conn.execute("PRAGMA cache_size = -32768")


def _why_unreadable(path: Path) -> UnreadableReason:
    with path.open("rb") as f:
        head = f.read(len(_SQLITE_HEADER))
    size = path.stat().st_size
    # An SQLCipher file is whole 4096-byte pages of noise; anything else is not ours.
    if head == _SQLITE_HEADER or size % 4096:
        return UnreadableReason.NOT_A_DATABASE
    return UnreadableReason.KEY_REJECTED


def _key_hex(secret: Secret, path: Path) -> str:
    value = secret.reveal()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise HistoryUnreadable(path, UnreadableReason.KEY_REJECTED)
    return value


def migrate(conn: Any, upto: int = SCHEMA_VERSION) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    version = 0 if row is None else int(row[0])
    if version > SCHEMA_VERSION:
        raise HistoryTooNew(version, SCHEMA_VERSION)
    for number in range(version + 1, upto + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number - 1](conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version(version) VALUES (?)", (number,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def db_files(data_dir: Path) -> list[Path]:
    """The database and its WAL and shared-memory files."""
    return [data_dir / DB_NAME, data_dir / f"{DB_NAME}-wal", data_dir / f"{DB_NAME}-shm"]


def _private_db_files(data_dir: Path) -> None:
    """The database file made 0600 before SQLite opens it (SQLite would create it 0644, the
    umask permitting); SQLite gives the -wal and -shm files it creates the database file's mode
    (unix VFS), so they are 0600 too. Files an older version left wider are tightened."""
    database, *others = db_files(data_dir)
    os.close(open_private(database, os.O_RDONLY | os.O_CREAT))  # made if missing, else as is
    for file in others:
        private_file(file)


class HistoryStore:
    """The call history on one connection; use it from one thread at a time (see module doc)."""

    def __init__(self, conn: Any, data_dir: Path, secrets_: SecretStore) -> None:
        self._conn: Any = conn
        self.data_dir = data_dir
        self._secrets = secrets_

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, secret_store: SecretStore) -> HistoryStore:
        """Open (creating the key and the file at first use) and migrate to the current schema.

        Raises ``HistoryUnreadable`` when the key is missing or rejected, or the file is not a
        database; ``start_fresh`` is the way on from there.
        """
        private_dir(data_dir)
        path = data_dir / DB_NAME
        secret = secret_store.get(KEY_NAME)
        if secret is None:
            if path.exists() and path.stat().st_size > 0:
                raise HistoryUnreadable(path, UnreadableReason.KEY_MISSING)
            secret = Secret(secrets.token_bytes(32).hex())
            secret_store.set(KEY_NAME, secret)
        _private_db_files(data_dir)
        conn = _connect(path, _key_hex(secret, path))
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, data_dir, secret_store)

    @classmethod
    def start_fresh(cls, data_dir: Path, secret_store: SecretStore) -> HistoryStore:
        """Set the unreadable file (and its -wal/-shm) aside as ``calls.db.unreadable-<time>``,
        never deleting it, then open a new history under a new key."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for file in db_files(data_dir):
            if file.exists():
                suffix = file.name.removeprefix(DB_NAME)
                file.rename(file.with_name(f"{DB_NAME}.unreadable-{stamp}{suffix}"))
        secret_store.delete(KEY_NAME)
        return cls.open(data_dir, secret_store)

    @property
    def _db(self) -> Any:
        if self._conn is None:
            raise HistoryClosed()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- writing --------------------------------------------------------------------------

    def add(self, call: CallRecord) -> int:
        """Write one call; returns its id once the commit has returned (inside a transaction
        the caller opened, once the row is written)."""
        db = self._db
        key = search_key(call.remote_number, call.remote_name)
        db.execute("SAVEPOINT add_call")  # the row and its short-search entry, or neither
        try:
            id_ = self._insert(db, call, key)
            db.execute(
                "INSERT INTO calls_grams(rowid, grams) VALUES (?, ?)", (id_, gram_document(key))
            )
        except BaseException:
            db.execute("ROLLBACK TO add_call")
            db.execute("RELEASE add_call")
            raise
        db.execute("RELEASE add_call")
        return id_

    @staticmethod
    def _insert(db: Any, call: CallRecord, key: str) -> int:
        id_ = int(call.started_at * 1_000_000)
        while db.execute("SELECT 1 FROM calls WHERE id = ?", (id_,)).fetchone():
            id_ += 1  # two calls that started in the same microsecond
        db.execute(
            f"INSERT INTO calls({_COLUMNS}, search_key) VALUES ({', '.join('?' * 14)})",  # noqa: S608
            (
                id_,
                call.direction.value,
                call.remote_number,
                call.remote_name,
                call.account_id,
                call.started_at,
                call.answered_at,
                call.ended_at,
                call.duration_s,
                call.outcome.value,
                call.sip_code,
                call.sip_reason,
                int(call.auto_answered),
                key,
            ),
        )
        return id_

    def delete(self, entry_id: int) -> bool:
        """Delete one entry; True if it was there. Its bytes are zeroed in the file and the WAL
        is checkpointed so no old copy of its page lingers there."""
        db = self._db
        db.execute("SAVEPOINT delete_call")
        try:
            row = db.execute("SELECT search_key FROM calls WHERE id = ?", (entry_id,)).fetchone()
            if row is not None:
                db.execute("DELETE FROM calls WHERE id = ?", (entry_id,))
                # A contentless index forgets a row when told exactly what it indexed.
                db.execute(
                    "INSERT INTO calls_grams(calls_grams, rowid, grams) VALUES ('delete', ?, ?)",
                    (entry_id, gram_document(row[0])),
                )
        except BaseException:
            db.execute("ROLLBACK TO delete_call")
            db.execute("RELEASE delete_call")
            raise
        db.execute("RELEASE delete_call")
        if row is not None:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return row is not None

    def clear_all(self) -> None:
        """Close, delete the database with its -wal and -shm files (and any copies set aside by
        ``start_fresh``), then the key. For "Clear all" and sign-out."""
        self.close()
        remove_all(self.data_dir, self._secrets)

    def mark_viewed(self, at: float | None = None) -> None:
        """The Recents view was seen: missed calls before ``at`` (default now) stop counting."""
        self._db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('last_viewed_at', ?)",
            (time.time() if at is None else at,),
        )

    # -- reading --------------------------------------------------------------------------

    def page(
        self,
        *,
        search: str = "",
        outcome: Outcome | None = None,
        direction: ev.Direction | None = None,
        before: int | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[CallEntry]:
        """Newest first. The next page starts ``before`` the last id of this one.

        ``search`` matches the number (as digits: "+1 555" finds "15550102030") or the name
        (without case or accents) anywhere inside. Three characters or more use the trigram
        index, one or two the index of short pieces (``calls_grams``); either is read newest
        first and stops at ``limit`` matches.
        """
        # SQL text is built from constants only; every value is a bound parameter.
        where: list[str] = []
        params: list[object] = []
        fragment = fragment_key(search)
        source, order = "calls c", "c.id"
        if len(fragment) >= 3:
            # The trigrams narrow it down; instr() keeps rows where they are in one piece.
            source, order = "calls_fts f JOIN calls c ON c.id = f.rowid", "f.rowid"
            where += ["f.calls_fts MATCH ?", "instr(c.search_key, ?) > 0"]
            params += [trigram_query(fragment), fragment]
        elif fragment:
            source, order = "calls_grams g JOIN calls c ON c.id = g.rowid", "g.rowid"
            where.append("g.calls_grams MATCH ?")
            params.append(_match_phrase(gram_token(fragment)))
        if outcome is not None:
            where.append("c.outcome = ?")
            params.append(outcome.value)
        if direction is not None:
            where.append("c.direction = ?")
            params.append(direction.value)
        if before is not None:
            where.append(f"{order} < ?")
            params.append(before)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sql = f"SELECT {_C_COLUMNS} FROM {source} {clause}ORDER BY {order} DESC LIMIT ?"  # noqa: S608
        params.append(limit)
        return [_entry(row) for row in self._db.execute(sql, params).fetchall()]

    def get(self, entry_id: int) -> CallEntry | None:
        sql = f"SELECT {_COLUMNS} FROM calls WHERE id = ?"  # noqa: S608
        row = self._db.execute(sql, (entry_id,)).fetchone()
        return None if row is None else _entry(row)

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM calls").fetchone()[0])

    def missed_count(self) -> int:
        """Missed calls that ended after the Recents view was last seen (all, if never)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'last_viewed_at'").fetchone()
        since = float("-inf") if row is None else float(row[0])
        sql = (
            "SELECT count(*) FROM calls INDEXED BY calls_missed "
            "WHERE outcome = 'missed' AND ended_at > ?"
        )
        return int(self._db.execute(sql, (since,)).fetchone()[0])

    def call_back_target(self, entry_id: int | None = None) -> CallBackTarget | None:
        """Whom "call back" dials: the entry's number on the account the call was on, or, with
        no entry, the most recent call with a number."""
        if entry_id is None:
            sql = (
                "SELECT remote_number, account_id, remote_name FROM calls "
                "WHERE remote_number != '' ORDER BY id DESC LIMIT 1"
            )
            row = self._db.execute(sql).fetchone()
        else:
            sql = "SELECT remote_number, account_id, remote_name FROM calls WHERE id = ?"
            row = self._db.execute(sql, (entry_id,)).fetchone()
        if row is None or not row[0]:
            return None
        return CallBackTarget(number=row[0], account_id=row[1], name=row[2])

    def export_csv(
        self,
        path: Path,
        *,
        search: str = "",
        outcome: Outcome | None = None,
        direction: ev.Direction | None = None,
    ) -> int:
        """Write every entry, newest first, to ``path`` (on the user's request: it is their own
        data, in clear); with ``search``/``outcome``/``direction``, the ones :meth:`page` would
        show. Returns the number of rows."""
        header = [
            "id", "direction", "number", "name", "account", "started", "answered", "ended",
            "duration_s", "outcome", "sip_code", "sip_reason", "auto_answered",
        ]  # fmt: skip
        rows = self._matching(search, outcome, direction)
        written = 0
        # the person's own data, wherever they chose to put it: readable by them only
        with os.fdopen(open_private(path), "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(header)
            for entry in rows:
                out.writerow(
                    [
                        entry.id,
                        entry.direction.value,
                        entry.remote_number,
                        entry.remote_name,
                        entry.account_id,
                        _iso(entry.started_at),
                        _iso(entry.answered_at),
                        _iso(entry.ended_at),
                        f"{entry.duration_s:.1f}",
                        entry.outcome.value,
                        entry.sip_code or "",
                        entry.sip_reason,
                        int(entry.auto_answered),
                    ]
                )
                written += 1
        return written

    def _matching(
        self, search: str, outcome: Outcome | None, direction: ev.Direction | None
    ) -> Iterator[CallEntry]:
        before: int | None = None
        while entries := self.page(
            search=search, outcome=outcome, direction=direction, before=before, limit=1000
        ):
            yield from entries
            before = entries[-1].id

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def _iso(at: float | None) -> str:
    if at is None:
        return ""
    return datetime.datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


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
        raise _not_deleted(err, data_dir) from None


def _not_deleted(err: OSError | VicifastError, data_dir: Path) -> NotDeleted:
    if isinstance(err, OSError):
        where = err.filename or data_dir / DB_NAME
        return NotDeleted("the call history", str(where), err.strerror or str(err))
    return NotDeleted("the call history's key", "", str(err))  # the files are gone, the key not


# ---- from engine events to rows --------------------------------------------------------------

_AUTO_ANSWERS: Final = frozenset(
    {ev.AnswerReason.ALWAYS, ev.AnswerReason.AFTER_DELAY, ev.AnswerReason.HEADER}
)
_DECLINED: Final = frozenset({480, 486, 600, 603})  # what the engine sends when the agent rejects


def outcome_of(direction: ev.Direction, connected: bool, sip_code: int) -> Outcome:
    """How a call ended, from its direction, whether it connected and its last SIP status."""
    if connected:
        return Outcome.ANSWERED
    if direction is ev.Direction.OUTBOUND:
        return Outcome.FAILED  # busy, declined, unreachable or cancelled: sip_code says which
    if sip_code in _DECLINED:
        return Outcome.REJECTED
    if sip_code == 488 or sip_code >= 500:
        return Outcome.FAILED  # the call could not be set up (codecs, server error)
    return Outcome.MISSED  # the caller gave up (487), or it rang out


@dataclass
class _Pending:
    direction: ev.Direction
    number: str
    name: str
    account_id: str
    started_at: float
    answered_at: float | None = None


class HistoryRecorder:
    """Turns engine events into call rows, one per call, handed to ``sink`` when it ends.

    Runs on the thread that publishes engine events (the GUI thread in the app) and does no I/O
    there: ``sink`` is ``HistoryWriter.record``, which only queues. A call is written when it
    ends; one still up when the app dies is not recorded.
    """

    def __init__(self, sink: Callable[[CallRecord], object]) -> None:
        self._sink = sink
        self._pending: dict[str, _Pending] = {}

    def attach(self, subscribe: Callable[..., Callable[[], None]]) -> Callable[[], None]:
        """Subscribe to an ``EventBus.subscribe``; returns a function that unsubscribes."""
        undo = [
            subscribe(ev.IncomingCall, self.on_incoming),
            subscribe(ev.CallStateChanged, self.on_state),
        ]

        def detach() -> None:
            for unsubscribe in undo:
                unsubscribe()

        return detach

    def on_incoming(self, event: ev.IncomingCall) -> None:
        self._pending[event.call_id] = _Pending(
            ev.Direction.INBOUND,
            event.remote_number or event.remote_uri,
            event.remote_display,
            event.account_id,
            event.at,
        )

    def on_state(self, event: ev.CallStateChanged) -> None:
        pending = self._pending.get(event.call_id)
        if pending is None:
            # First news of this call (an outgoing call, or we started mid-call).
            started = event.at - event.duration_s
            pending = _Pending(event.direction, "", "", event.account_id, started)
            self._pending[event.call_id] = pending
        pending.number = event.remote_number or pending.number or event.remote_uri
        pending.name = event.remote_display or pending.name
        if event.state is ev.CallState.CONFIRMED and pending.answered_at is None:
            pending.answered_at = event.at
        if event.state is not ev.CallState.DISCONNECTED:
            return
        del self._pending[event.call_id]
        outcome = outcome_of(pending.direction, event.connected, event.sip_code)
        if outcome is Outcome.ANSWERED and pending.answered_at is None:
            pending.answered_at = event.at - event.duration_s
        record = CallRecord(
            direction=pending.direction,
            remote_number=pending.number,
            remote_name=pending.name,
            account_id=pending.account_id,
            started_at=pending.started_at,
            answered_at=pending.answered_at if outcome is Outcome.ANSWERED else None,
            ended_at=event.at,
            duration_s=event.duration_s if event.connected else 0.0,
            outcome=outcome,
            sip_code=event.sip_code,
            sip_reason=event.reason,
            auto_answered=event.connected and event.answered_by in _AUTO_ANSWERS,
        )
        self._sink(record)


# ---- the one thread that touches the database ------------------------------------------------

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
            raise _not_deleted(err, self._data_dir) from None

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
