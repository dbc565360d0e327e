"""The history file's page format, read back through SQLCipher itself: a new file's pages carry
HMAC-SHA256, a file in SQLCipher 4's defaults (HMAC-SHA512, every file before) still opens with
all its calls and stays in its format, and a wrong key is refused as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from softphone.core.secret import Secret
from softphone.storage import history as h
from softphone.storage.history import HistoryStore, schema
from softphone.storage.history.errors import HistoryUnreadable, UnreadableReason
from tests.unit.history_kit import MemorySecrets, call

KEY = "5a" * 32


def raw(path: Path, hmac: str) -> Any:
    """A plain sqlcipher3 connection keyed with ``KEY`` and the given page MAC."""
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{KEY}'\"")
    conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")
    return conn


def calls_in(path: Path, hmac: str) -> int:
    conn = raw(path, hmac)
    try:
        return int(conn.execute("SELECT count(*) FROM calls").fetchone()[0])
    finally:
        conn.close()


def test_a_new_history_authenticates_its_pages_with_hmac_sha256(tmp_path: Path) -> None:
    secrets_ = MemorySecrets()
    secrets_.set(h.KEY_NAME, Secret(KEY))
    store = HistoryStore.open(tmp_path, secrets_)
    assert store._db.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0] == "HMAC_SHA256"
    store.add(call(1))
    store.add(call(2))
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    store.close()

    path = tmp_path / h.DB_NAME
    assert not path.read_bytes().startswith(b"SQLite format 3")  # still encrypted at rest
    assert calls_in(path, "HMAC_SHA256") == 2
    with pytest.raises(sqlcipher3.DatabaseError):
        calls_in(path, "HMAC_SHA512")  # SQLCipher 4's default MAC does not verify these pages


def old_format_history(data_dir: Path, calls: int) -> list[int]:
    """A history as every version before wrote it: SQLCipher 4's defaults (HMAC-SHA512)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = raw(data_dir / h.DB_NAME, "HMAC_SHA512")
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    schema.migrate(conn)
    old = HistoryStore(conn, data_dir, MemorySecrets())
    ids = [old.add(call(n)) for n in range(calls)]
    old.close()  # its WAL is checkpointed into the file on close
    return ids


def test_a_history_in_the_old_format_opens_with_all_its_calls_and_keeps_its_format(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    ids = old_format_history(tmp_path, 3)
    secrets_ = MemorySecrets()
    secrets_.set(h.KEY_NAME, Secret(KEY))
    capfd.readouterr()

    store = HistoryStore.open(tmp_path, secrets_)
    # The try in the new format first is silent (SQLCipher logs a refused page on stderr) and
    # leaves SQLCipher's log level as it was.
    assert "hmac check failed" not in capfd.readouterr().err
    assert store._db.execute("PRAGMA cipher_log_level").fetchone()[0] == "WARN"
    assert store._db.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0] == "HMAC_SHA512"
    assert [e.id for e in store.page()] == ids[::-1]
    assert [e.id for e in store.page(search="5550")] == ids[::-1]
    ids.append(store.add(call(7)))
    assert store.integrity_check() == "ok"
    store.close()

    assert calls_in(tmp_path / h.DB_NAME, "HMAC_SHA512") == 4
    again = HistoryStore.open(tmp_path, secrets_)
    assert [e.id for e in again.page()] == sorted(ids, reverse=True)
    again.close()


def test_a_wrong_key_is_refused_in_either_format(tmp_path: Path) -> None:
    old_format_history(tmp_path / "old", 1)
    new = MemorySecrets()
    new.set(h.KEY_NAME, Secret(KEY))
    HistoryStore.open(tmp_path / "new", new).close()
    for data_dir in (tmp_path / "old", tmp_path / "new"):
        wrong = MemorySecrets()
        wrong.set(h.KEY_NAME, Secret("ab" * 32))
        with pytest.raises(HistoryUnreadable) as err:
            HistoryStore.open(data_dir, wrong)
        assert err.value.reason is UnreadableReason.KEY_REJECTED
        assert "the key in the system keychain does not open it" in str(err.value)
