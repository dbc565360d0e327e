"""The search indexes' layout on disk. They stay in few FTS5 segments (schema v5): a search reads a
few pages in each segment of an index, so calls written one per transaction, as the app writes
them, must not pile segments up, and a history from before is merged once when it is migrated.
Each leaf of an index fits in one page of the file (schema v6), so reading it reads one page,
not two, in either page format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from softphone.core.secret import Secret
from softphone.storage import history as h
from softphone.storage.history import HistoryStore, schema
from softphone.storage.history.database import connect
from tests.unit.history_kit import MemorySecrets, call

KEY = "6b" * 32


def segments(db: Any, index: str) -> int:
    """The index's segments: each has its first leaf's entry in the index's ``_idx`` table."""
    return int(db.execute(f"SELECT count(DISTINCT segid) FROM {index}_idx").fetchone()[0])


def history_at(version: int, data_dir: Path, secrets_: MemorySecrets) -> HistoryStore:
    """A new history with the schema of ``version`` (commits not synced: not the point here)."""
    conn = connect(data_dir / h.DB_NAME, KEY)
    conn.execute("PRAGMA synchronous = OFF")
    schema.migrate(conn, upto=version)
    return HistoryStore(conn, data_dir, secrets_)


@pytest.fixture
def secrets_() -> MemorySecrets:
    s = MemorySecrets()
    s.set(h.KEY_NAME, Secret(KEY))
    return s


def test_calls_written_one_per_commit_keep_each_search_index_in_few_segments(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    store = HistoryStore.open(tmp_path, secrets_)
    store._db.execute("PRAGMA synchronous = OFF")  # the commits' fsyncs are not the point here
    for n in range(300):
        store.add(call(n))
        # FTS5's default merging left 10-15 segments here; two at a level are merged at once,
        # so there is at most one per level: log2(300) + 1.
        assert max(segments(store._db, i) for i in schema.SEARCH_INDEXES) <= 9
    assert [e.id for e in store.page(search="5550", limit=3)] == [e.id for e in store.page(limit=3)]
    store.close()


def test_a_version_4_history_is_merged_into_one_segment_per_index(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    old = history_at(4, tmp_path, secrets_)
    ids = [old.add(call(n, name=f"Zoë Lefèvre {n}")) for n in range(40)]
    assert min(segments(old._db, i) for i in schema.SEARCH_INDEXES) > 1
    old.close()

    store = HistoryStore.open(tmp_path, secrets_)
    db = store._db
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] == schema.SCHEMA_VERSION
    for index in schema.SEARCH_INDEXES:
        assert segments(db, index) == 1
        sql = f"SELECT v FROM {index}_config WHERE k = 'crisismerge'"
        assert db.execute(sql).fetchone()[0] == 2
    assert [e.id for e in store.page(search="lefe")] == ids[::-1]
    assert [e.id for e in store.page(search="z")] == ids[::-1]
    assert store.integrity_check() == "ok"
    store.close()


# What of a page a row of an index's %_data table may hold without an overflow page: the page
# less SQLCipher's IV and MAC (16 + 64 bytes with HMAC-SHA512, the larger of the two formats),
# less SQLite's 35 bytes a b-tree cell keeps, less the record's 3-byte header.
IN_ONE_PAGE = 4096 - (16 + 64) - 35 - 3


def largest_leaf(db: Any, index: str) -> int:
    return int(db.execute(f"SELECT max(length(block)) FROM {index}_data").fetchone()[0])


def many_calls(store: HistoryStore, first: int, n: int) -> list[int]:
    """``n`` calls in one transaction: one segment per index, its leaves full."""
    store._db.execute("BEGIN")
    ids = [store.add(call(first + i, name=f"Zoë Lefèvre {i}")) for i in range(n)]
    store._db.execute("COMMIT")
    return ids


def test_every_leaf_of_a_search_index_fits_in_one_page(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    store = HistoryStore.open(tmp_path, secrets_)
    store._db.execute("PRAGMA synchronous = OFF")
    many_calls(store, 0, 3000)
    for index in schema.SEARCH_INDEXES:
        # With FTS5's default leaf size the leaves here were 4050-4060 bytes.
        assert 3000 < largest_leaf(store._db, index) <= IN_ONE_PAGE, index
    store.close()


def test_a_version_5_history_has_its_index_leaves_written_anew_finding_the_same_calls(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    old = history_at(5, tmp_path, secrets_)
    ids = many_calls(old, 0, 3000) + [old.add(call(3000 + n)) for n in range(5)]
    assert min(largest_leaf(old._db, i) for i in schema.SEARCH_INDEXES) > IN_ONE_PAGE
    typed = ["z", "5", "ef", "01", "lef", "555", "lefevre 29", "1555010", "nobody"]
    found = {t: [e.id for e in old.page(search=t, limit=5000)] for t in typed}
    old.close()

    store = HistoryStore.open(tmp_path, secrets_)
    db = store._db
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] == 6
    for index in schema.SEARCH_INDEXES:
        assert largest_leaf(db, index) <= IN_ONE_PAGE
        assert segments(db, index) == 1
        sql = f"SELECT v FROM {index}_config WHERE k = 'crisismerge'"
        assert db.execute(sql).fetchone()[0] == 2
    for t in typed:
        assert [e.id for e in store.page(search=t, limit=5000)] == found[t], t
    assert len(found["z"]) == 3000
    assert store.delete(ids[-1])  # the short-piece index forgets it: it holds what it did
    assert [e.id for e in store.page(search="01", limit=5000)] == found["01"][1:]
    assert store.integrity_check() == "ok"
    store.close()
