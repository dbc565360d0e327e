"""The Recents queries on a real SQLCipher connection are compiled once per shape and then run
from the connection's statement cache, never compiled again on every run (a recompile cost
10-30 µs a search: bench/RESULTS.md, section 7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3  # type: ignore[import-untyped]

from softphone.core import events as ev
from softphone.storage.history import HistoryStore, Outcome
from tests.unit.history_kit import MemorySecrets, call

QUERIES: dict[str, dict[str, Any]] = {
    "newest page": {},
    "1-character search": {"search": "5"},
    "2-character search": {"search": "ca"},
    "trigram search": {"search": "555"},
    "missed": {"outcome": Outcome.MISSED},
    "answered": {"outcome": Outcome.ANSWERED},
    "inbound": {"direction": ev.Direction.INBOUND},
    "search, filters, next page": {"search": "ller", "outcome": Outcome.MISSED, "before": 2**62},
    "export batch": {"limit": 1000},
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    s = HistoryStore.open(tmp_path, MemorySecrets())
    for n in range(6):
        s.add(call(n, outcome=Outcome.MISSED if n % 2 else Outcome.ANSWERED))
    yield s
    s.close()


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_a_page_query_is_compiled_once_then_reused(
    store: HistoryStore, query: dict[str, Any]
) -> None:
    compiled: list[tuple[Any, ...]] = []

    def authorize(*action: Any) -> int:
        compiled.append(action)
        return int(sqlcipher3.SQLITE_OK)

    # SQLite asks the authorizer while it compiles a statement, never while it runs one.
    store._db.set_authorizer(authorize)
    first = store.page(**query)
    assert compiled, "the first run compiles the query"
    compiled.clear()
    assert store.page(**query) == first
    assert store.page(**query) == first
    assert compiled == []
