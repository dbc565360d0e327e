"""The call history on one SQLCipher connection (``HistoryStore``): opening it, writing and
deleting calls, and the Recents queries (pages, filters, search, missed count, CSV export).

Threads: a ``HistoryStore`` is one connection and is used by one thread at a time. In the app
only ``HistoryWriter``'s thread ("history-writer") touches it (``writer``). Nothing here ever
uploads anything.

Search: ``page`` looks fragments of three characters and more up in the FTS5 trigram index,
fragments of one or two in ``calls_grams`` (keys and queries from ``search``). Both answer
newest first and stop at a page, so no search reads the whole table, not even one that matches
nothing.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from softphone.core import events as ev
from softphone.core.secret import Secret, SecretStore
from softphone.storage.history.calls import CallBackTarget, CallEntry, CallRecord, Outcome
from softphone.storage.history.database import (
    DB_NAME,
    KEY_NAME,
    connect,
    db_files,
    private_db_files,
    remove_all,
)
from softphone.storage.history.errors import HistoryClosed, HistoryUnreadable, UnreadableReason
from softphone.storage.history.schema import migrate
from softphone.storage.history.search import (
    fragment_key,
    gram_document,
    gram_token,
    match_phrase,
    search_key,
    trigram_query,
)
from softphone.storage.private_files import open_private, private_dir

PAGE_SIZE: Final = 50  # rows per page of the Recents view
_COLUMNS: Final = (
    "id, direction, remote_number, remote_name, account_id, started_at, answered_at, ended_at, "
    "duration_s, outcome, sip_code, sip_reason, auto_answered, mos"
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
        mos=row[13],
    )


def _key_hex(secret: Secret, path: Path) -> str:
    value = secret.reveal()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise HistoryUnreadable(path, UnreadableReason.KEY_REJECTED)
    return value


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
        private_db_files(data_dir)
        conn = connect(path, _key_hex(secret, path))
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
            f"INSERT INTO calls({_COLUMNS}, search_key) VALUES ({', '.join('?' * 15)})",  # noqa: S608
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
                call.mos,
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
        # SQL text is built from constants only: the outcome (a member of our enum) and the
        # limit (an int) are written into it, every other value is a bound parameter. The
        # SQLite in sqlcipher3 recompiles a statement on every run when a bound value can change
        # its plan: a LIMIT, or an outcome (does the partial index calls_missed apply?). That
        # cost 10-30 µs a search (bench/history); written in, each shape of query is compiled
        # once and stays in the connection's statement cache (limits: a page, the rows Recents
        # holds when it reloads, an export batch; a new one compiles once, as all did before).
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
            params.append(match_phrase(gram_token(fragment)))
        if outcome is not None:
            where.append(f"c.outcome = '{Outcome(outcome).value}'")
        if direction is not None:
            where.append("c.direction = ?")
            params.append(direction.value)
        if before is not None:
            where.append(f"{order} < ?")
            params.append(before)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sql = f"SELECT {_C_COLUMNS} FROM {source} {clause}ORDER BY {order} DESC LIMIT {int(limit)}"  # noqa: S608
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
            "duration_s", "outcome", "sip_code", "sip_reason", "auto_answered", "mos",
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
                        "" if entry.mos is None else f"{entry.mos:.2f}",
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
