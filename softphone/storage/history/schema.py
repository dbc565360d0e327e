"""The call history's schema: its forward migrations (``MIGRATIONS``, one per version) and
``migrate``, which brings a database to ``SCHEMA_VERSION`` one transaction per step.

v1 the ``calls`` and ``meta`` tables; v2 a folded ``search_key`` per call, its FTS5 trigram
index and the filters' indexes; v3 ``calls_grams``, the index of short pieces (``search``); v4
``mos``, how the call sounded (NULL: no reading, as for every call before it); v5 the search
indexes kept in few segments (``_v5``); v6 their leaves each in one page of the file (``_v6``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from softphone.storage.history.errors import HistoryTooNew
from softphone.storage.history.search import gram_document, search_key


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


def _v4(conn: Any) -> None:
    """The call's quality as it ended: the E-model MOS of its last CallQuality (NULL: none)."""
    conn.execute("ALTER TABLE calls ADD COLUMN mos REAL")


SEARCH_INDEXES: Final = ("calls_fts", "calls_grams")


def _v5(conn: Any) -> None:
    """Search indexes in few segments. FTS5 adds a segment to an index per transaction, one per
    call here, and by default merges a level's segments a little at a time once it has 4;
    written one call at a time, an index held 10-25 segments (median ~17 at 20,000 calls), and
    a search reads a few pages in each: on a connection just opened, each one SQLCipher has to
    check and decrypt. ``crisismerge = 2`` merges two segments of a level at once, as in a
    binary counter: ~7 segments at 20,000 calls (at most one per level, log2 of the calls in
    all), for ~0.1 ms more CPU per call written and, once in a while, a merge of most of the
    index in one commit (tens of ms at 20,000 calls). The setting is kept in the index's
    ``_config`` table. The existing rows are merged into one segment now."""
    for index in SEARCH_INDEXES:  # names of ours, not input
        conn.execute(f"INSERT INTO {index}({index}, rank) VALUES ('crisismerge', 2)")  # noqa: S608
        conn.execute(f"INSERT INTO {index}({index}) VALUES ('optimize')")  # noqa: S608


# The most an FTS5 leaf may hold: FTS5's default (``pgsz`` 4050) is made for a whole 4096-byte
# page, but SQLCipher keeps 48 bytes of each page for its IV and MAC (80 with HMAC-SHA512), and
# SQLite keeps a row in its b-tree page only up to 35 bytes less than what is left (4013, or
# 3981). A leaf may pass ``pgsz`` by a rowid and a short term (tens of bytes).
LEAF_BYTES: Final = 3900


def _v6(conn: Any) -> None:
    """Search index leaves that fit in a page. With FTS5's default leaf size each leaf of an
    index was too large for SQLCipher's page (``LEAF_BYTES``), so SQLite kept ~480 bytes of it
    in a b-tree page and the rest in an overflow page: every leaf a search read cost two pages,
    each checked and decrypted on a connection just opened. Smaller leaves fit in one. The
    setting is kept in the index's ``_config`` table and applies to every leaf written after
    it. FTS5 writes leaves anew only when it merges segments, and an index in one segment (as
    v5 left them) has nothing to merge with: one entry, added and then taken out again, gives
    it a second segment each time, and each merge writes all of the index's leaves in the new
    size (about 0.2 s a merge at 100,000 calls, against ~8 s to index every call anew)."""
    for index, column in (("calls_fts", "search_key"), ("calls_grams", "grams")):
        # names of ours, not input; rowid 0 is no call's id (ids are start times in µs)
        conn.execute(f"INSERT INTO {index}({index}, rank) VALUES ('pgsz', {LEAF_BYTES})")  # noqa: S608
        conn.execute(f"INSERT INTO {index}(rowid, {column}) VALUES (0, 'xxx')")  # noqa: S608
        conn.execute(f"INSERT INTO {index}({index}) VALUES ('optimize')")  # noqa: S608
        conn.execute(f"INSERT INTO {index}({index}, rowid, {column}) VALUES ('delete', 0, 'xxx')")  # noqa: S608
        conn.execute(f"INSERT INTO {index}({index}) VALUES ('optimize')")  # noqa: S608


MIGRATIONS: Final[tuple[Callable[[Any], None], ...]] = (_v1, _v2, _v3, _v4, _v5, _v6)
SCHEMA_VERSION: Final = len(MIGRATIONS)


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
