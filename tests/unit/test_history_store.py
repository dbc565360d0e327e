"""HistoryStore on real SQLCipher in a temporary directory: schema and migrations, every query,
key handling, deletion, export, and what the files on disk may (not) contain."""

from __future__ import annotations

import csv
import dataclasses
import os
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3

from softphone.core import events as ev
from softphone.core.errors import NotDeleted, VicifastError
from softphone.core.secret import Secret
from softphone.storage import history as h
from softphone.storage.history import HistoryStore, Outcome, schema, search
from softphone.storage.history import store as store_module
from softphone.storage.history.database import connect
from softphone.storage.history.errors import (
    HistoryClosed,
    HistoryTooNew,
    HistoryUnreadable,
    UnreadableReason,
)
from tests.unit.history_kit import MemorySecrets, call


@pytest.fixture
def secrets_() -> MemorySecrets:
    return MemorySecrets()


@pytest.fixture
def store(tmp_path: Path, secrets_: MemorySecrets) -> HistoryStore:
    s = HistoryStore.open(tmp_path, secrets_)
    yield s
    s.close()


def fill(store: HistoryStore, n: int) -> list[int]:
    return [store.add(call(i)) for i in range(n)]


# ---- key and file ----------------------------------------------------------------------------


def test_first_open_creates_a_random_raw_key_and_an_encrypted_file(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    store = HistoryStore.open(tmp_path, secrets_)
    store.add(call(1))
    store.close()
    key = secrets_.values[h.KEY_NAME].reveal()
    assert len(bytes.fromhex(key)) == 32
    assert not (tmp_path / h.DB_NAME).read_bytes().startswith(b"SQLite format 3")
    other = MemorySecrets()
    HistoryStore.open(tmp_path / "other", other).close()
    assert other.values[h.KEY_NAME].reveal() != key


def test_reopening_with_the_same_key_reads_the_rows(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    store = HistoryStore.open(tmp_path, secrets_)
    ids = fill(store, 3)
    store.close()
    again = HistoryStore.open(tmp_path, secrets_)
    assert [e.id for e in again.page()] == ids[::-1]
    assert again.integrity_check() == "ok"
    again.close()


def test_wal_mode_and_secure_delete(store: HistoryStore) -> None:
    db = store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_wrong_key_is_a_clear_error_and_start_fresh_keeps_the_old_file(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    store = HistoryStore.open(tmp_path, secrets_)
    fill(store, 2)
    store.close()
    old = (tmp_path / h.DB_NAME).read_bytes()
    secrets_.set(h.KEY_NAME, Secret("ab" * 32))
    with pytest.raises(HistoryUnreadable) as err:
        HistoryStore.open(tmp_path, secrets_)
    assert err.value.reason is UnreadableReason.KEY_REJECTED
    assert isinstance(err.value, VicifastError)
    assert "start a fresh history" in str(err.value)
    assert "ab" * 32 not in str(err.value)

    fresh = HistoryStore.start_fresh(tmp_path, secrets_)
    assert fresh.page() == []
    fresh.add(call(5))
    fresh.close()
    aside = list(tmp_path.glob("calls.db.unreadable-*"))
    assert [p.name for p in aside if not p.name.endswith(("-wal", "-shm"))]
    kept = next(p for p in aside if not p.name.endswith(("-wal", "-shm")))
    assert kept.read_bytes() == old
    assert secrets_.values[h.KEY_NAME].reveal() != "ab" * 32


def test_a_missing_key_with_an_existing_file_is_not_silently_replaced(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    HistoryStore.open(tmp_path, secrets_).close()
    secrets_.clear()
    with pytest.raises(HistoryUnreadable) as err:
        HistoryStore.open(tmp_path, secrets_)
    assert err.value.reason is UnreadableReason.KEY_MISSING
    assert h.KEY_NAME not in secrets_.values  # no new key for the old file
    assert (tmp_path / h.DB_NAME).exists()


@pytest.mark.parametrize(
    "content", [b"hello, this is not a database\n", b"\x00" * 5000], ids=["text", "zeros"]
)
def test_a_file_that_is_not_a_database(
    tmp_path: Path, secrets_: MemorySecrets, content: bytes
) -> None:
    (tmp_path / h.DB_NAME).write_bytes(content)
    secrets_.set(h.KEY_NAME, Secret("cd" * 32))
    with pytest.raises(HistoryUnreadable) as err:
        HistoryStore.open(tmp_path, secrets_)
    assert err.value.reason is UnreadableReason.NOT_A_DATABASE
    HistoryStore.start_fresh(tmp_path, secrets_).close()
    (kept,) = tmp_path.glob("calls.db.unreadable-*")
    assert kept.read_bytes() == content


def test_a_plain_sqlite_file_is_not_a_history(tmp_path: Path, secrets_: MemorySecrets) -> None:
    plain = sqlite3.connect(tmp_path / h.DB_NAME)
    plain.execute("CREATE TABLE t(x)")
    plain.commit()
    plain.close()
    secrets_.set(h.KEY_NAME, Secret("ef" * 32))
    with pytest.raises(HistoryUnreadable) as err:
        HistoryStore.open(tmp_path, secrets_)
    assert err.value.reason is UnreadableReason.NOT_A_DATABASE


def test_clear_all_deletes_the_database_wal_shm_and_key(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    store = HistoryStore.open(tmp_path, secrets_)
    fill(store, 3)
    assert all(p.exists() for p in h.db_files(tmp_path))  # WAL mode keeps -wal and -shm
    store.clear_all()
    assert not any(p.exists() for p in h.db_files(tmp_path))
    assert h.KEY_NAME not in secrets_.values
    with pytest.raises(HistoryClosed):
        store.page()
    HistoryStore.open(tmp_path, secrets_).close()  # the next sign-in starts a new history


def test_a_newer_schema_is_refused(store: HistoryStore, tmp_path: Path, secrets_: MemorySecrets):
    store._db.execute("UPDATE schema_version SET version = 99")
    store.close()
    with pytest.raises(HistoryTooNew, match="newer version"):
        HistoryStore.open(tmp_path, secrets_)


# ---- schema and migrations -------------------------------------------------------------------


def test_a_version_1_database_is_migrated_forward_keeping_its_rows(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    key = "12" * 32
    secrets_.set(h.KEY_NAME, Secret(key))
    conn = connect(tmp_path / h.DB_NAME, key)
    schema.migrate(conn, upto=1)
    conn.execute(
        "INSERT INTO calls(id, direction, remote_number, remote_name, account_id, started_at, "
        "ended_at, duration_s, outcome) VALUES (1, 'inbound', '+33 6 12 34 56 78', "
        "'Hélène Dupré', 'acc1', 1.0, 2.0, 0.0, 'missed')"
    )
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == 1
    conn.close()

    store = HistoryStore.open(tmp_path, secrets_)
    assert store._db.execute("SELECT version FROM schema_version").fetchall() == [
        (schema.SCHEMA_VERSION,)
    ]
    assert [e.remote_name for e in store.page(search="dupre")] == ["Hélène Dupré"]
    assert [e.id for e in store.page(search="3361")] == [1]
    assert [e.id for e in store.page(search="hé")] == [1]
    assert store.missed_count() == 1
    store.close()


def test_a_version_2_database_gets_the_short_index(tmp_path: Path, secrets_: MemorySecrets) -> None:
    key = "34" * 32
    secrets_.set(h.KEY_NAME, Secret(key))
    conn = connect(tmp_path / h.DB_NAME, key)
    schema.migrate(conn, upto=2)
    for i, (number, name) in enumerate([("+49 30 1234", "Jürgen Groß"), ("200", "Zoë")]):
        conn.execute(
            "INSERT INTO calls(id, direction, remote_number, remote_name, account_id, "
            "started_at, ended_at, duration_s, outcome, search_key) "
            "VALUES (?, 'inbound', ?, ?, 'acc1', 1.0, 2.0, 0.0, 'missed', ?)",
            (i + 1, number, name, search.search_key(number, name)),
        )
    conn.close()

    store = HistoryStore.open(tmp_path, secrets_)
    db = store._db
    version = db.execute("SELECT version FROM schema_version").fetchone()[0]
    assert version == schema.SCHEMA_VERSION
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type='index'")}
    assert "calls_search" not in indexes
    assert [e.id for e in store.page(search="ü")] == [1]
    assert [e.id for e in store.page(search="ss")] == [1]  # ß folds to "ss"
    assert [e.id for e in store.page(search="zö")] == [2]
    assert [e.id for e in store.page(search="0")] == [2, 1]
    assert [e.id for e in store.page(search="+4")] == [1]
    assert store.delete(1)
    assert store.page(search="ü") == []
    store.close()


def test_a_version_3_database_gains_the_quality_column_its_calls_without_one(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    key = "56" * 32
    secrets_.set(h.KEY_NAME, Secret(key))
    conn = connect(tmp_path / h.DB_NAME, key)
    schema.migrate(conn, upto=3)
    conn.execute(  # a call from before: no quality reading
        "INSERT INTO calls(id, direction, remote_number, remote_name, account_id, started_at, "
        "ended_at, duration_s, outcome) VALUES (1, 'inbound', '200', 'Zoë', 'acc1', 1.0, 2.0, "
        "1.0, 'answered')"
    )
    conn.close()
    store = HistoryStore.open(tmp_path, secrets_)
    assert store._db.execute("SELECT version FROM schema_version").fetchone() == (
        schema.SCHEMA_VERSION,
    )
    store.add(dataclasses.replace(call(2), mos=3.38))
    assert [e.mos for e in store.page()] == [3.38, None]  # newest first
    store.close()


def test_a_calls_quality_is_kept_and_exported(store: HistoryStore, tmp_path: Path) -> None:
    store.add(dataclasses.replace(call(1), mos=4.39))
    store.add(call(2, outcome=Outcome.MISSED))  # never connected: no reading
    assert [e.mos for e in store.page()] == [None, 4.39]
    out = tmp_path / "export.csv"
    store.export_csv(out)
    with out.open(newline="", encoding="utf-8") as f:
        assert [r["mos"] for r in csv.DictReader(f)] == ["", "4.39"]


# ---- queries ---------------------------------------------------------------------------------


def test_newest_first_with_paging(store: HistoryStore) -> None:
    ids = fill(store, 120)
    pages = []
    before = None
    while page := store.page(before=before, limit=50):
        pages.append(page)
        before = page[-1].id
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [e.id for p in pages for e in p] == sorted(ids, reverse=True)
    assert store.count() == 120


def test_ids_follow_start_time_even_when_written_out_of_order(store: HistoryStore) -> None:
    late, early = store.add(call(10)), store.add(call(2))
    same = store.add(call(2))  # the same microsecond: still its own row
    assert [e.id for e in store.page()] == [late, same, early]
    assert same == early + 1


def test_filter_by_outcome_and_direction(store: HistoryStore) -> None:
    store.add(call(1, outcome=Outcome.MISSED, sip_code=487))
    store.add(call(2, outcome=Outcome.REJECTED, sip_code=603))
    store.add(call(3, direction=ev.Direction.OUTBOUND, outcome=Outcome.FAILED, sip_code=486))
    store.add(call(4, direction=ev.Direction.OUTBOUND))
    store.add(call(5))
    assert [e.outcome for e in store.page(outcome=Outcome.MISSED)] == [Outcome.MISSED]
    failed = store.page(outcome=Outcome.FAILED)
    assert [(e.sip_code, e.sip_reason) for e in failed] == [(486, "Some reason")]
    outbound = store.page(direction=ev.Direction.OUTBOUND)
    assert [e.remote_number for e in outbound] == ["+1 555 0100004", "+1 555 0100003"]
    both = store.page(direction=ev.Direction.INBOUND, outcome=Outcome.ANSWERED)
    assert [e.remote_number for e in both] == ["+1 555 0100005"]


NAMES = [
    ("+1 (555) 010-2030", "José Álvarez"),
    ("+44 20 7946 0958", "Zoë O'Brien"),
    ("0612345678", "Björk Guðmundsdóttir"),
    ("1001", ""),
    ("+33 1 23 45 67 89", "François Müller"),
]


@pytest.fixture
def people(store: HistoryStore) -> dict[str, int]:
    return {
        name or number: store.add(call(i, number=number, name=name or " "))
        for i, (
            number,
            name,
        ) in enumerate(NAMES)
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # 6 characters and more: the trigram index
        ("álvare", ["José Álvarez"]),
        ("alvare", ["José Álvarez"]),
        ("MÜLLER", ["François Müller"]),
        ("guðmun", ["Björk Guðmundsdóttir"]),
        ("555 010-2", ["José Álvarez"]),
        ("+4420794", ["Zoë O'Brien"]),
        ("7946 09", ["Zoë O'Brien"]),
        # 3 characters
        ("zoe", ["Zoë O'Brien"]),
        ("o'b", ["Zoë O'Brien"]),
        ("234", ["François Müller", "Björk Guðmundsdóttir"]),
        ("100", ["1001"]),
        ("fra", ["François Müller"]),
        # 1 and 2 characters: the narrow index, newest first
        ("ç", ["François Müller"]),
        ("ö", ["José Álvarez", "Zoë O'Brien", "Björk Guðmundsdóttir", "François Müller"]),
        ("+4", ["Zoë O'Brien", "Björk Guðmundsdóttir", "François Müller"]),
        ("jo", ["José Álvarez", "Björk Guðmundsdóttir"]),
        ("10", ["1001", "José Álvarez"]),
        ("x", []),
    ],
)
def test_search_as_you_type(
    store: HistoryStore, people: dict[str, int], typed: str, expected: list[str]
) -> None:
    found = [e.remote_name.strip() or e.remote_number for e in store.page(search=typed)]
    assert sorted(found) == sorted(expected)


def test_search_results_are_newest_first_and_page(store: HistoryStore) -> None:
    ids = [store.add(call(i, name=f"Agnès {i}")) for i in range(70)]
    for typed in ("a", "ag", "agnes"):
        first = store.page(search=typed, limit=50)
        rest = store.page(search=typed, limit=50, before=first[-1].id)
        assert [e.id for e in first + rest] == ids[::-1], typed


def test_search_with_like_wildcards_is_literal(store: HistoryStore) -> None:
    store.add(call(1, name="100% sure"))
    store.add(call(2, name="1000 sure"))
    assert [e.remote_name for e in store.page(search="0% s")] == ["100% sure"]
    assert [e.remote_name for e in store.page(search="_")] == []


def test_search_combines_with_filters(store: HistoryStore) -> None:
    store.add(call(1, name="Ana", outcome=Outcome.MISSED, sip_code=487))
    store.add(call(2, name="Ana"))
    assert [e.outcome for e in store.page(search="ana", outcome=Outcome.MISSED)] == [Outcome.MISSED]
    assert [e.outcome for e in store.page(search="an", outcome=Outcome.MISSED)] == [Outcome.MISSED]


# ---- short fragments: the index of one- and two-character pieces -------------------------------


def test_short_grams_stay_inside_each_part_of_the_key() -> None:
    key = search.search_key("+1 (55) 0", "Zoë O")
    assert key == "1550\x1fzoe o"
    assert search.short_grams(key) == {
        "1", "5", "0", "15", "55", "50",
        "z", "o", "e", " ", "zo", "oe", "e ", " o",
    }  # fmt: skip
    assert search.gram_token("a") == "61"
    assert search.gram_token("jo") == "6ax6f"
    assert search.gram_token("+ç") == "2bxe7"
    assert search.gram_document("") == ""


SHORT = [
    ("+44 20 7946 0958", "Zoë O'Brien"),
    ("+1 555 0100", "José Álvarez"),
    ("0612345678", "ÉLODIE Œuvray"),
    ("7", ""),
    ("+33 9", "Ana 100% Ñ_n"),
]


@pytest.fixture
def short(store: HistoryStore) -> dict[str, int]:
    return {
        name or number: store.add(call(i, number=number, name=name or " "))
        for i, (number, name) in enumerate(SHORT)
    }


def names(entries: list[h.CallEntry]) -> list[str]:
    return [e.remote_name.strip() or e.remote_number for e in entries]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # one character: newest first
        ("7", ["7", "ÉLODIE Œuvray", "Zoë O'Brien"]),
        ("z", ["José Álvarez", "Zoë O'Brien"]),
        ("Z", ["José Álvarez", "Zoë O'Brien"]),
        ("é", ["ÉLODIE Œuvray", "José Álvarez", "Zoë O'Brien"]),
        ("ñ", ["Ana 100% Ñ_n", "Zoë O'Brien"]),  # ñ folds to "n"
        ("n", ["Ana 100% Ñ_n", "Zoë O'Brien"]),
        ("'", ["Zoë O'Brien"]),
        ("%", ["Ana 100% Ñ_n"]),
        ("_", ["Ana 100% Ñ_n"]),
        ("#", []),
        ("q", []),
        # two characters
        ("oe", ["Zoë O'Brien"]),
        ("ZÖ", ["Zoë O'Brien"]),
        ("œu", ["ÉLODIE Œuvray"]),  # Œ folds to "oe": "oeu", three characters
        ("Œ", ["ÉLODIE Œuvray"]),  # "oe"
        ("el", ["ÉLODIE Œuvray"]),
        ("0%", ["Ana 100% Ñ_n"]),
        ("_n", ["Ana 100% Ñ_n"]),
        ("jz", []),
        ("9a", []),  # digits and letters never meet: the number and the name are apart
        ("59", []),  # "+33 9" is "339", the name has no digits next to it
        # numbers: "+", spaces and brackets are not dialled
        ("+4", ["ÉLODIE Œuvray", "Zoë O'Brien"]),
        ("+ 4", ["ÉLODIE Œuvray", "Zoë O'Brien"]),
        ("4 4", ["Zoë O'Brien"]),
        ("(7)", ["7", "ÉLODIE Œuvray", "Zoë O'Brien"]),
        ("+1 5", ["José Álvarez"]),
        ("39", ["Ana 100% Ñ_n"]),
        ("10", ["Ana 100% Ñ_n", "José Álvarez"]),
        ("+", []),  # no digit: taken as text, and no number holds a "+" once folded
    ],
)
def test_short_fragments(
    store: HistoryStore, short: dict[str, int], typed: str, expected: list[str]
) -> None:
    assert names(store.page(search=typed)) == expected


def test_short_fragments_page_newest_first_with_filters(store: HistoryStore) -> None:
    ids = []
    for i in range(130):
        outcome = Outcome.MISSED if i % 3 == 0 else Outcome.ANSWERED
        ids.append(store.add(call(i, name=f"Øle {i}", outcome=outcome, sip_code=487)))
    store.add(call(200, name="Someone else"))
    missed = [id_ for n, id_ in enumerate(ids) if n % 3 == 0][::-1]
    for typed in ("ø", "ØL", "Øl", "le"):
        got: list[int] = []
        before = None
        while page := store.page(search=typed, outcome=Outcome.MISSED, before=before, limit=20):
            got += [e.id for e in page]
            before = page[-1].id
        assert got == missed, typed
        everything = store.page(search=typed, limit=1000)
        assert [e.id for e in everything] == ids[::-1], typed


def test_a_short_search_that_finds_nothing_reads_almost_nothing(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    """The work of a one- or two-character search does not grow with the history: the same
    number of SQLite VM steps over 100 and over 2,000 calls, found or not."""

    def steps(store: HistoryStore, typed: str) -> int:
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        store._db.set_progress_handler(tick, 1)
        store.page(search=typed, limit=10)
        store._db.set_progress_handler(None, 1)
        return count[0]

    small = HistoryStore.open(tmp_path / "small", secrets_)
    large = HistoryStore.open(tmp_path / "large", MemorySecrets())
    for i in range(100):
        small.add(call(i))
    large._db.execute("BEGIN")
    for i in range(2000):
        large.add(call(i))
    large._db.execute("COMMIT")
    for typed in ("#", "x", "9a", "1", "55", "ca"):
        few, many = steps(small, typed), steps(large, typed)
        assert many < 2 * few + 200, (typed, few, many)
    small.close()
    large.close()


def test_deleted_entries_leave_the_short_index(store: HistoryStore) -> None:
    keep = store.add(call(1, name="Ülla"))
    gone = store.add(call(2, name="Ülla"))
    assert store.delete(gone)
    assert [e.id for e in store.page(search="ü")] == [keep]
    assert [e.id for e in store.page(search="ll")] == [keep]
    store.add(call(3, name="Ülla"))  # the same grams again, after the delete
    assert len(store.page(search="ul")) == 2
    store._db.execute("INSERT INTO calls_grams(calls_grams, rank) VALUES ('integrity-check', 1)")
    assert store.integrity_check() == "ok"


def test_a_row_and_its_short_index_entry_are_written_together(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add(call(1))

    def broken(key: str) -> str:
        raise RuntimeError("no grams")

    monkeypatch.setattr(store_module, "gram_document", broken)
    with pytest.raises(RuntimeError, match="no grams"):
        store.add(call(2))
    assert store.count() == 1
    assert store._db.in_transaction is False
    # Inside a transaction the caller opened, the failed row is undone and the rest kept.
    store._db.execute("BEGIN")
    with pytest.raises(RuntimeError, match="no grams"):
        store.add(call(3))
    monkeypatch.undo()
    store.add(call(4))
    store._db.execute("COMMIT")
    assert [e.remote_name for e in store.page(search="c")] == ["Caller 4", "Caller 1"]


def test_three_characters_and_more_with_like_wildcards_are_literal(store: HistoryStore) -> None:
    store.add(call(1, name="100% sure"))
    store.add(call(2, name="1000 sure"))
    store.add(call(3, name='Say "hi"'))
    assert names(store.page(search="0% s")) == ["100% sure"]
    assert names(store.page(search="00%")) == ["100% sure"]
    assert names(store.page(search="0_s")) == []
    assert names(store.page(search='"hi"')) == ['Say "hi"']
    assert names(store.page(search="sure")) == ["1000 sure", "100% sure"]


def test_missed_count_since_last_view(store: HistoryStore) -> None:
    assert store.missed_count() == 0
    store.add(call(1, outcome=Outcome.MISSED, sip_code=487))
    store.add(call(2, outcome=Outcome.MISSED, sip_code=487))
    store.add(call(3))
    store.add(call(4, outcome=Outcome.REJECTED, sip_code=603))
    assert store.missed_count() == 2
    store.mark_viewed(at=call(2).ended_at)
    assert store.missed_count() == 0
    store.add(call(5, outcome=Outcome.MISSED, sip_code=487))
    assert store.missed_count() == 1


def test_call_back_target(store: HistoryStore) -> None:
    assert store.call_back_target() is None
    first = store.add(call(1, number="+1 555 0100", name="Ann", account="acc2"))
    store.add(call(2, number="200", name="Bob"))
    target = store.call_back_target(first)
    assert target == h.CallBackTarget(number="+1 555 0100", account_id="acc2", name="Ann")
    latest = store.call_back_target()
    assert latest is not None
    assert latest.number == "200"
    assert store.call_back_target(12345) is None


def test_delete_one_entry(store: HistoryStore) -> None:
    a, b, c = fill(store, 3)
    assert store.delete(b)
    assert not store.delete(b)
    assert [e.id for e in store.page()] == [c, a]
    assert store.page(search="0100001") == []
    assert store.page(search="1") and all(e.id != b for e in store.page(search="1"))
    assert store.get(b) is None
    assert store.integrity_check() == "ok"


def test_export_csv(store: HistoryStore, tmp_path: Path) -> None:
    store.add(call(1, name='José, "Pepe"', outcome=Outcome.MISSED, sip_code=487))
    store.add(call(2, direction=ev.Direction.OUTBOUND, auto=False))
    store.add(call(3, auto=True))
    out = tmp_path / "export.csv"
    assert store.export_csv(out) == 3
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == ["Caller 3", "Caller 2", 'José, "Pepe"']
    assert rows[0]["auto_answered"] == "1"
    assert rows[1]["direction"] == "outbound"
    assert rows[2]["outcome"] == "missed"
    assert rows[2]["sip_code"] == "487"
    assert rows[2]["answered"] == ""
    assert rows[0]["duration_s"] == "30.0"
    assert rows[0]["started"].startswith("20")


def test_export_csv_of_a_search_and_filter_has_exactly_the_rows_page_gives(
    store: HistoryStore, tmp_path: Path
) -> None:
    for n in range(1, 2500):  # more than one of the export's pages
        store.add(call(n, outcome=Outcome.MISSED if n % 3 else Outcome.ANSWERED))
    out = tmp_path / "export.csv"
    wanted = store.page(search="0001", outcome=Outcome.MISSED, limit=10_000)
    count = store.export_csv(out, search="0001", outcome=Outcome.MISSED)
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert count == len(rows) == len(wanted) > 0
    assert [int(r["id"]) for r in rows] == [e.id for e in wanted]
    assert store.export_csv(out, direction=ev.Direction.OUTBOUND) == 0


# ---- privacy ---------------------------------------------------------------------------------


def raw_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in h.db_files(data_dir) if p.exists())


def test_no_number_or_name_is_on_disk_in_clear(tmp_path: Path, secrets_: MemorySecrets) -> None:
    store = HistoryStore.open(tmp_path, secrets_)
    for i, (number, name) in enumerate(NAMES):
        store.add(call(i, number=number, name=name or "Nobody"))
    # Before and after a checkpoint: rows are in the WAL first, then in the main file.
    for _ in range(2):
        blob = raw_bytes(tmp_path)
        assert blob
        for number, name in NAMES:
            for text in {number, search.number_key(number), name, search.fold_text(name)} - {""}:
                for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                    assert text.encode(encoding) not in blob, text
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def test_plain_sqlite_cannot_open_it(store: HistoryStore, tmp_path: Path) -> None:
    fill(store, 2)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    plain = sqlite3.connect(tmp_path / h.DB_NAME)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        plain.execute("SELECT * FROM sqlite_schema").fetchall()
    plain.close()
    cipher_without_key = sqlcipher3.connect(str(tmp_path / h.DB_NAME))
    with pytest.raises(sqlcipher3.DatabaseError):
        cipher_without_key.execute("SELECT * FROM sqlite_schema").fetchall()
    cipher_without_key.close()


def test_the_history_holds_no_audio(store: HistoryStore, tmp_path: Path) -> None:
    """Call audio is never stored: no column can hold it and the store writes no other file."""
    fill(store, 3)
    columns = store._db.execute("SELECT name, type FROM pragma_table_info('calls')").fetchall()
    assert all(kind.upper() != "BLOB" for _, kind in columns)
    assert not {"audio", "recording", "pcm", "wav"} & {name for name, _ in columns}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in h.db_files(tmp_path)
    )


# ---- who can read the files (issue 14) -------------------------------------------------------


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_database_wal_and_shm_are_the_owners_only(
    tmp_path: Path, secrets_: MemorySecrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = os.umask(0o022)  # a usual desktop umask: SQLite alone would make them 0644
    try:
        data = tmp_path / "share" / "vicifast-desktop"
        store = HistoryStore.open(data, secrets_)
        fill(store, 2)
        assert all(p.exists() for p in h.db_files(data))
        assert {p.name: mode(p) for p in h.db_files(data)} == {
            p.name: 0o600 for p in h.db_files(data)
        }
        assert mode(data) == 0o700 and mode(data.parent) == 0o700  # made here: 0700 (XDG)
        store.close()
    finally:
        os.umask(old)


def test_an_older_wider_data_dir_and_database_are_tightened(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    HistoryStore.open(tmp_path / "data", secrets_).close()
    for path, wide in ((tmp_path / "data", 0o755), (tmp_path / "data" / h.DB_NAME, 0o644)):
        path.chmod(wide)
    tmp_path.chmod(0o755)
    HistoryStore.open(tmp_path / "data", secrets_).close()
    assert (mode(tmp_path / "data"), mode(tmp_path / "data" / h.DB_NAME)) == (0o700, 0o600)
    assert mode(tmp_path) == 0o755  # not the app's own: left alone


def test_an_export_is_the_owners_only(store: HistoryStore, tmp_path: Path) -> None:
    fill(store, 1)
    out = tmp_path / "export.csv"
    out.write_text("old\n")
    out.chmod(0o644)
    store.export_csv(out)
    assert mode(out) == 0o600


def test_erase_all_names_what_it_could_not_delete(tmp_path: Path, secrets_: MemorySecrets) -> None:
    data = tmp_path / "data"
    HistoryStore.open(data, secrets_).close()
    # something unlink() refuses even to root: a folder where a set-aside copy would be
    stuck = data / f"{h.DB_NAME}.unreadable-20250131-080000"
    (stuck / "inside").mkdir(parents=True)
    with pytest.raises(NotDeleted) as err:
        h.erase_all(data, secrets_)
    assert err.value.what == "the call history"
    assert err.value.where == str(stuck)
    assert str(err.value) == f"the call history at {stuck} could not be deleted: Is a directory"
    assert not (data / h.DB_NAME).exists()  # the rest went all the same
    assert h.KEY_NAME not in secrets_.values


def test_the_package_exports_what_the_app_uses_and_no_more() -> None:
    # The rest (schema, search keys, the connection) is imported from its own module.
    assert sorted(h.__all__) == [
        "CallBackTarget", "CallEntry", "CallRecord", "DB_NAME", "HistoryChanged",
        "HistoryRecorder", "HistoryStore", "HistoryWriter", "KEY_NAME", "Outcome", "PAGE_SIZE",
        "db_files", "erase_all", "outcome_of",
    ]  # fmt: skip
    assert all(hasattr(h, name) for name in h.__all__)
