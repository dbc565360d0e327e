"""The search indexes stay in few FTS5 segments (schema v5): a search reads a few pages in each
segment of an index, so calls written one per transaction, as the app writes them, must not
pile segments up, and a history from before is merged once when it is migrated."""

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
    conn = connect(tmp_path / h.DB_NAME, KEY)
    conn.execute("PRAGMA synchronous = OFF")
    schema.migrate(conn, upto=4)
    old = HistoryStore(conn, tmp_path, secrets_)
    ids = [old.add(call(n, name=f"Zoë Lefèvre {n}")) for n in range(40)]
    assert min(segments(conn, i) for i in schema.SEARCH_INDEXES) > 1
    old.close()

    store = HistoryStore.open(tmp_path, secrets_)
    db = store._db
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] == 5
    for index in schema.SEARCH_INDEXES:
        assert segments(db, index) == 1
        sql = f"SELECT v FROM {index}_config WHERE k = 'crisismerge'"
        assert db.execute(sql).fetchone()[0] == 2
    assert [e.id for e in store.page(search="lefe")] == ids[::-1]
    assert [e.id for e in store.page(search="z")] == ids[::-1]
    assert store.integrity_check() == "ok"
    store.close()
