"""Metric 7: the encrypted call history (SQLCipher) against plain sqlite3, same schema, same run.

    .venv/bin/python -m bench.history            # 100,000 rows, printed as markdown
    .venv/bin/python -m bench.history --write    # ... and replace its section in RESULTS.md

Both databases are built by the same code (``softphone.storage.history``: schema, migrations,
connection settings, queries); the only difference is the key. Needs no kamailio.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.lab import BENCH_DIR, Lab
from bench.plan import Plan
from bench.report import Section, Verdict
from bench.stats import Summary, fmt, markdown_table
from softphone.core import events as ev
from softphone.core.secret import Secret
from softphone.storage import history as h
from softphone.storage.history import CallRecord, HistoryStore, Outcome

TITLE = "7. Call history: SQLCipher vs plain sqlite3"
ROWS = 100_000
OPEN_TARGET_MS = 5.0
SEARCH_TARGET_MS = 10.0
FACTOR = 1.5
SEARCHES = 200  # per fragment length and database
OPENS = 50
SINGLE_COMMITS = 200  # the app's pattern: one call, one transaction, fsync'd

FIRST = ["José", "María", "François", "Zoë", "Li", "Anna", "Peter", "Jürgen", "Søren", "Aoife",
         "Đorđe", "Nguyễn", "Chloé", "Ahmed", "Olga", "Kenji", "Beatriz", "Ioana"]  # fmt: skip
LAST = ["Álvarez", "Müller", "O'Brien", "Smith", "Garcia", "Dubois", "Kowalski", "Björk",
        "Tanaka", "Rossi", "Novák", "Ivanova", "Silva", "Haddad", "Murphy", "Lefèvre"]  # fmt: skip
OUTCOMES = (
    [Outcome.ANSWERED] * 70 + [Outcome.MISSED] * 15 + [Outcome.REJECTED] * 5 + [Outcome.FAILED] * 10
)


class _Keychain:
    def __init__(self) -> None:
        self.values: dict[str, Secret] = {}

    def get(self, key: str) -> Secret | None:
        return self.values.get(key)

    def set(self, key: str, value: Secret) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    def clear(self) -> None:
        self.values.clear()


def fake_call(rng: random.Random, n: int, t0: float) -> CallRecord:
    outcome = rng.choice(OUTCOMES)
    answered = outcome is Outcome.ANSWERED
    start = t0 + n * 30 + rng.random()
    number = f"+1 {rng.randint(200, 999)} {rng.randint(200, 999)} {rng.randint(0, 9999):04d}"
    return CallRecord(
        direction=rng.choice([ev.Direction.INBOUND, ev.Direction.OUTBOUND]),
        remote_number=number,
        remote_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.8 else "",
        account_id="acc1",
        started_at=start,
        answered_at=start + 3 if answered else None,
        ended_at=start + 60,
        duration_s=57.0 if answered else 0.0,
        outcome=outcome,
        sip_code=200 if answered else 487,
        sip_reason="",
        auto_answered=answered and rng.random() < 0.5,
    )


def open_plain(data_dir: Path) -> HistoryStore:
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / h.DB_NAME, isolation_level=None, check_same_thread=False)
    conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    h.tune(conn)
    h.migrate(conn)
    return HistoryStore(conn, data_dir, _Keychain())


def fragments(rng: random.Random, calls: list[CallRecord], length: int) -> list[str]:
    """What people type: a piece of a stored number (digits) or name, as written."""
    out: list[str] = []
    while len(out) < SEARCHES:
        c = rng.choice(calls)
        text = c.remote_name if rng.random() < 0.5 and c.remote_name else c.remote_number
        text = text.replace(" ", "") if text.startswith("+") else text
        if len(text) >= length:
            start = rng.randrange(len(text) - length + 1)
            out.append(text[start : start + length])
    return out


def timed(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def measure(kind: str, data_dir: Path, calls: list[CallRecord], seed: int) -> dict[str, Any]:
    keychain = _Keychain()

    def open_store() -> HistoryStore:
        return (
            HistoryStore.open(data_dir, keychain) if kind == "sqlcipher" else open_plain(data_dir)
        )

    store = open_store()
    began = time.perf_counter()
    store._db.execute("BEGIN")
    for c in calls:
        store.add(c)
    store._db.execute("COMMIT")
    bulk_rate = len(calls) / (time.perf_counter() - began)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    size = (data_dir / h.DB_NAME).stat().st_size

    rng = random.Random(seed)
    began = time.perf_counter()
    for n in range(SINGLE_COMMITS):
        store.add(fake_call(rng, len(calls) + n, calls[-1].started_at))
    single_rate = SINGLE_COMMITS / (time.perf_counter() - began)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    store.close()

    def open_first_page() -> None:
        s = open_store()
        assert len(s.page()) == h.PAGE_SIZE
        s.close()

    opens = [timed(open_first_page) for _ in range(OPENS)]
    store = open_store()
    searches: dict[int, list[float]] = {}
    hits: dict[int, float] = {}
    for length in (1, 3, 6):
        typed = fragments(random.Random(seed + length), calls, length)
        found = []
        samples = []
        for fragment in typed:
            began = time.perf_counter()
            found.append(len(store.page(search=fragment)))
            samples.append((time.perf_counter() - began) * 1000)
        searches[length] = samples
        hits[length] = statistics.median(found)
    # The worst case of the short path: a character nothing contains scans the whole index.
    nothing = [timed(lambda: store.page(search="#")) for _ in range(20)]
    store.close()
    return {
        "open": Summary.of(opens),
        "search": {n: Summary.of(v) for n, v in searches.items()},
        "hits": hits,
        "nothing": Summary.of(nothing),
        "bulk_rate": bulk_rate,
        "single_rate": single_rate,
        "size": size,
    }


def run(lab: Lab | None, plan: Plan) -> Section:
    rows = 10_000 if plan.quick else ROWS
    rng = random.Random(7)
    t0 = 1_780_000_000.0
    calls = [fake_call(rng, n, t0) for n in range(rows)]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        for kind in ("sqlcipher", "sqlite3"):
            data_dir = Path(tmp) / kind
            results[kind] = measure(kind, data_dir, calls, seed=11)
    return section(rows, results["sqlcipher"], results["sqlite3"])


def section(rows: int, enc: dict[str, Any], plain: dict[str, Any]) -> Section:
    def row(what: str, a: Summary, b: Summary) -> list[str]:
        return [what, fmt(a.median), fmt(a.p95), fmt(b.median), fmt(b.p95),
                f"{a.median / b.median:.2f}×", f"{a.p95 / b.p95:.2f}×"]  # fmt: skip

    table = [row("open + key + first page (50 rows)", enc["open"], plain["open"])]
    for n in (1, 3, 6):
        table.append(row(f"search, {n}-character fragment", enc["search"][n], plain["search"][n]))
    table.append(row("search, 1 character found nowhere", enc["nothing"], plain["nothing"]))
    latency = markdown_table(
        ["", "SQLCipher median (ms)", "p95", "sqlite3 median (ms)", "p95", "÷ median", "÷ p95"],
        table,
    )
    volume = markdown_table(
        ["", "SQLCipher", "sqlite3", "÷"],
        [
            ["insert rate, one transaction (rows/s)", f"{enc['bulk_rate']:,.0f}",
             f"{plain['bulk_rate']:,.0f}", f"{plain['bulk_rate'] / enc['bulk_rate']:.2f}× slower"],
            ["insert rate, one commit per call, fsync'd (rows/s)", f"{enc['single_rate']:,.0f}",
             f"{plain['single_rate']:,.0f}",
             f"{plain['single_rate'] / enc['single_rate']:.2f}× slower"],
            ["file size after checkpoint (MB)", f"{enc['size'] / 1e6:.1f}",
             f"{plain['size'] / 1e6:.1f}", f"{enc['size'] / plain['size']:.2f}×"],
        ],
    )  # fmt: skip
    hits = ", ".join(f"{n} chars: {enc['hits'][n]:.0f}" for n in (1, 3, 6))
    worst_search = max(enc["search"][n].p95 for n in (1, 3, 6))
    worst_ratio = max(enc["search"][n].p95 / plain["search"][n].p95 for n in (1, 3, 6))
    verdicts = [
        Verdict(
            f"history: open + key + first page < {OPEN_TARGET_MS:g} ms (median; p95 beside)",
            f"{fmt(enc['open'].median)} ms (p95 {fmt(enc['open'].p95)} ms)",
            enc["open"].median < OPEN_TARGET_MS,
        ),
        Verdict(
            f"history: every search (1, 3, 6 characters) < {SEARCH_TARGET_MS:g} ms p95",
            f"{fmt(worst_search)} ms worst p95",
            worst_search < SEARCH_TARGET_MS,
        ),
        Verdict(
            f"history: open within {FACTOR}× of plain sqlite3 (medians)",
            f"{enc['open'].median / plain['open'].median:.2f}×",
            enc["open"].median <= FACTOR * plain["open"].median,
        ),
        Verdict(
            f"history: searches within {FACTOR}× of plain sqlite3 (worst p95 ratio)",
            f"{worst_ratio:.2f}×",
            worst_ratio <= FACTOR,
        ),
        Verdict(
            f"history: insert rate within {FACTOR}× of plain sqlite3 (one transaction)",
            f"{plain['bulk_rate'] / enc['bulk_rate']:.2f}× slower",
            plain["bulk_rate"] <= FACTOR * enc["bulk_rate"],
        ),
        Verdict(
            f"history: insert rate within {FACTOR}× of plain sqlite3 (one commit per call)",
            f"{plain['single_rate'] / enc['single_rate']:.2f}× slower",
            plain["single_rate"] <= FACTOR * enc["single_rate"],
        ),
        Verdict(
            f"history: file size within {FACTOR}× of plain sqlite3",
            f"{enc['size'] / plain['size']:.2f}×",
            enc["size"] <= FACTOR * plain["size"],
        ),
    ]
    method = (
        f"{rows:,} call rows (random numbers, names with accents, 70 % answered) written by "
        "`softphone.storage.history` into an SQLCipher database (raw 32-byte key, SQLCipher 4 "
        f"defaults, sqlcipher3 bundling SQLite {_cipher_sqlite()}) and, in the same run, into "
        f"plain sqlite3 (the standard library's SQLite {sqlite3.sqlite_version}) through the "
        "same schema, migrations, settings (WAL, synchronous=FULL, secure_delete) and queries. "
        f"Open: {OPENS} times connect + key + validating read + schema check + the first page "
        f"of 50, warm OS cache. Search: {SEARCHES} fragments per length, each a piece of a "
        "stored number (digits) or name as typed, first page of 50, newest first, on one open "
        "connection (so the page cache is warm after the first queries); 1-2 characters scan "
        "the narrow (id, search_key) index newest first and stop at 50 matches, 3 and more use "
        "the FTS5 trigram index. The 'found nowhere' row is the short path's worst case (the "
        f"whole index scanned). Insert rate: the {rows:,} rows in one transaction, then "
        f"{SINGLE_COMMITS} rows one commit each, as the app writes them. Median matches per "
        f"search: {hits}."
    )
    return Section(TITLE, method, [latency, volume], verdicts)


def _cipher_sqlite() -> str:
    import sqlcipher3  # type: ignore[import-untyped]

    return str(sqlcipher3.sqlite_version)


def write_section(markdown: str, results: Path = BENCH_DIR / "RESULTS.md") -> None:
    """Replace this metric's section in RESULTS.md (or add it before the notes), nothing else."""
    text = results.read_text()
    head = f"## {TITLE}"
    if head in text:
        start = text.index(head)
        end = text.find("\n## ", start + len(head))
        end = len(text) if end < 0 else end + 1
        text = text[:start] + markdown.rstrip() + "\n\n" + text[end:]
    else:
        anchor = text.find("\n## Reading these numbers")
        at = len(text) if anchor < 0 else anchor + 1
        text = text[:at] + markdown.rstrip() + "\n\n" + text[at:]
    results.write_text(text.rstrip() + "\n")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    args.add_argument("--quick", action="store_true", help="10,000 rows")
    args.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    options = args.parse_args()
    plan = Plan.smoke() if options.quick else Plan.full()
    markdown = run(None, plan).markdown()
    print(markdown)
    if options.write:
        write_section(markdown)


if __name__ == "__main__":
    main()
