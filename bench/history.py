"""Metric 7: the encrypted call history (SQLCipher) against plain SQLite, same schema, same run.

    .venv/bin/python -m bench.history                # 100,000 rows, printed as markdown
    .venv/bin/python -m bench.history --repeat 3     # three runs, spread table at the end
    .venv/bin/python -m bench.history --write        # ... and replace its section in RESULTS.md

Three databases are built by the same code (``softphone.storage.history``: schema, migrations,
connection settings, queries): SQLCipher with its key (the app), the same sqlcipher3 library
without a key (plain SQLite of the same version and build: the cost of encryption alone), and
the standard library's sqlite3 (the issue's baseline, an older SQLite). Every measurement is
interleaved across the three (A, B, C, B, C, A, …), so a change in the machine's load touches
all alike. Needs no kamailio.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlcipher3  # type: ignore[import-untyped]

from bench.lab import BENCH_DIR, Lab
from bench.plan import Plan
from bench.report import Section, Verdict, loadavg
from bench.stats import Summary, fmt, markdown_table
from softphone.core import events as ev
from softphone.core.secret import Secret
from softphone.storage import history as h
from softphone.storage.history import CallRecord, HistoryStore, Outcome
from softphone.storage.history.database import tune
from softphone.storage.history.schema import SCHEMA_VERSION, SEARCH_INDEXES, migrate

TITLE = "7. Call history: SQLCipher vs plain SQLite"
ROWS = 100_000
OPEN_TARGET_MS = 5.0
SEARCH_TARGET_MS = 10.0
FACTOR = 1.5
SEARCHES = 200  # per fragment length, each timed on all three databases
ROUNDS = 3  # sweeps over them on connections in use (steady state)
COLD = 40  # per length: the first search on a connection just opened
NOWHERE = 60  # repetitions of each found-nowhere search
OPENS = 100
CHUNK = 1_000  # rows per transaction while filling
SINGLE_COMMITS = 200  # per database and synchronous setting: one call, one transaction
LENGTHS = (1, 2, 3, 6)
KINDS = ("sqlcipher", "unkeyed", "sqlite3")
LABEL = {"sqlcipher": "SQLCipher", "unkeyed": "sqlcipher3, no key", "sqlite3": "stdlib sqlite3"}
NOWHERE_FRAGMENTS = {1: "#", 2: "9a", 3: "#x#"}  # no number or name holds these
SYNC = ("FULL", "NORMAL")

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


def open_plain(data_dir: Path, module: Any = sqlite3) -> HistoryStore:
    """The same schema and settings without a key: the standard library's sqlite3, or
    sqlcipher3 with no ``PRAGMA key`` (plain SQLite of sqlcipher3's version and build)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = module.connect(str(data_dir / h.DB_NAME), isolation_level=None, check_same_thread=False)
    conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    tune(conn)
    migrate(conn)
    return HistoryStore(conn, data_dir, _Keychain())


def opener(kind: str, data_dir: Path) -> Callable[[], HistoryStore]:
    keychain = _Keychain()
    if kind == "sqlcipher":
        return lambda: HistoryStore.open(data_dir, keychain)
    module = sqlcipher3 if kind == "unkeyed" else sqlite3
    return lambda: open_plain(data_dir, module)


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


def rotated(n: int) -> Sequence[str]:
    """The three databases in the n-th order of the rotation: A B C, B C A, C A B, …"""
    k = n % len(KINDS)
    return KINDS[k:] + KINDS[:k]


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The collector off while searches are timed: a collection landing inside one search
    (every few hundred result objects) would be charged to whichever database ran it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


Samples = dict[str, dict[Any, list[float]]]  # kind → fragment length (or found-nowhere key) → ms
CLOCKS = ("cpu", "wall")


def searched(store: HistoryStore, fragment: str) -> tuple[float, float, int]:
    """One search: (its thread's CPU time, user + system, in ms; wall-clock ms; rows). The
    search never waits (the pages are in memory, in SQLite's cache or the OS's), so on an idle
    machine the two agree; on this shared one the wall clock also counts the time another
    process held the core, which lands on whichever database was running."""
    wall, cpu = time.perf_counter(), time.thread_time()
    rows = len(store.page(search=fragment))
    return (time.thread_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000, rows


def _empty(keys: Iterable[Any]) -> dict[str, Samples]:
    return {clock: {kind: {key: [] for key in keys} for kind in KINDS} for clock in CLOCKS}


def first_pass(
    stores: dict[str, HistoryStore], typed: dict[int, list[str]]
) -> tuple[dict[str, Samples], dict[int, float]]:
    """Each fragment once on connections opened just before (the method of earlier runs): a
    fragment's first search decrypts the pages it reads, a repeated one finds them cached, so
    the tail depends on how many fragments repeat. Leaves the caches warm."""
    out = _empty(typed)
    hits: dict[int, float] = {}
    turn = 0
    for length, fragments_ in typed.items():
        found: list[int] = []
        for fragment in fragments_:
            for kind in rotated(turn):
                cpu, wall, rows = searched(stores[kind], fragment)
                out["cpu"][kind][length].append(cpu)
                out["wall"][kind][length].append(wall)
                if kind == "sqlcipher":
                    found.append(rows)
            turn += 1
        hits[length] = statistics.median(found)
    return out, hits


def steady_state(
    stores: dict[str, HistoryStore], typed: dict[int, list[str]]
) -> dict[str, Samples]:
    """The searches of a connection in use (every page they read already read once): ROUNDS
    sweeps over the fragments, each fragment's median of its ROUNDS times. A sweep apart, one
    fragment's times are seconds apart, so a burst of other work on the machine lands in one of
    them and the median drops it; a fragment slow on one database is slow in every sweep."""
    jobs: list[tuple[Any, list[str]]] = list(typed.items())
    jobs += [(f"nowhere{n}", [f] * NOWHERE) for n, f in NOWHERE_FRAGMENTS.items()]
    per: dict[str, dict[str, dict[Any, list[list[float]]]]] = {
        clock: {kind: {key: [[] for _ in f] for key, f in jobs} for kind in KINDS}
        for clock in CLOCKS
    }
    turn = 0
    for key, fragments_ in jobs:
        for kind in KINDS:
            stores[kind].page(search=fragments_[0])  # the found-nowhere ones' pages, once
        for _ in range(ROUNDS):
            for i, fragment in enumerate(fragments_):
                for kind in rotated(turn):
                    cpu, wall, _rows = searched(stores[kind], fragment)
                    per["cpu"][kind][key][i].append(cpu)
                    per["wall"][kind][key][i].append(wall)
                turn += 1
    return {
        clock: {
            kind: {key: [statistics.median(times) for times in each] for key, each in d.items()}
            for kind, d in by_kind.items()
        }
        for clock, by_kind in per.items()
    }


def after_open(
    opens: dict[str, Callable[[], HistoryStore]], typed: dict[int, list[str]]
) -> dict[str, Samples]:
    """The first search on a connection just opened (as Recents shows it: open, first page,
    then the search): every page the search reads that the first page did not is read into an
    empty cache, where SQLCipher checks and decrypts it and plain SQLite copies it from the
    OS's file cache."""
    out = _empty(typed)
    turn = 0
    for length, fragments_ in typed.items():
        for fragment in fragments_:
            for kind in rotated(turn):
                store = opens[kind]()
                store.page()
                cpu, wall, _rows = searched(store, fragment)
                out["cpu"][kind][length].append(cpu)
                out["wall"][kind][length].append(wall)
                store.close()
            turn += 1
    return out


def _summaries(samples: Samples) -> dict[str, dict[Any, Summary]]:
    return {kind: {key: Summary.of(v) for key, v in d.items()} for kind, d in samples.items()}


def measure(tmp: Path, calls: list[CallRecord], seed: int, quick: bool) -> dict[str, Any]:
    opens_n = 20 if quick else OPENS
    commits_n = 40 if quick else SINGLE_COMMITS
    open_ = {kind: opener(kind, tmp / kind) for kind in KINDS}
    stores = {kind: open_[kind]() for kind in KINDS}

    # Fill in 1,000-row transactions, the three in turn; rows/s per transaction.
    bulk: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for n, at in enumerate(range(0, len(calls), CHUNK)):
        chunk = calls[at : at + CHUNK]
        for kind in rotated(n):
            db = stores[kind]._db
            began = time.perf_counter()
            db.execute("BEGIN")
            for c in chunk:
                stores[kind].add(c)
            db.execute("COMMIT")
            bulk[kind].append(len(chunk) / (time.perf_counter() - began))
    for store in stores.values():
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    size = {kind: (tmp / kind / h.DB_NAME).stat().st_size for kind in KINDS}
    enc = stores["sqlcipher"]._db
    segments = {  # an FTS5 index's segments: each has its first leaf in the index's _idx table
        i: enc.execute(f"SELECT count(DISTINCT segid) FROM {i}_idx").fetchone()[0]
        for i in SEARCH_INDEXES
    }

    # One call, one commit, as the app writes: under synchronous=FULL (the app's setting)
    # and NORMAL, in turn, on the same three connections.
    rng = random.Random(seed)
    commit: dict[tuple[str, str], list[float]] = {(k, m): [] for k in KINDS for m in SYNC}
    for n in range(commits_n):
        call = fake_call(rng, len(calls) + n, calls[-1].started_at)
        for kind in rotated(n):
            for mode in SYNC if n % 2 else SYNC[::-1]:
                store = stores[kind]
                store._db.execute(f"PRAGMA synchronous = {mode}")
                commit[kind, mode].append(timed(lambda: store.add(call)))  # noqa: B023
    for store in stores.values():
        store._db.execute("PRAGMA synchronous = FULL")
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        store.close()

    def open_first_page(kind: str) -> None:
        s = open_[kind]()
        assert len(s.page()) == h.PAGE_SIZE
        s.close()

    opens: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for n in range(opens_n):
        for kind in rotated(n):
            opens[kind].append(timed(lambda: open_first_page(kind)))  # noqa: B023

    stores = {kind: open_[kind]() for kind in KINDS}
    typed = {n: fragments(random.Random(seed + n), calls, n) for n in LENGTHS}
    with _no_gc():
        first, hits = first_pass(stores, typed)
        steady = steady_state(stores, typed)
    for store in stores.values():
        store.close()
    with _no_gc():
        cold = after_open(open_, {n: typed[n][:COLD] for n in LENGTHS})
    return {
        "open": {k: Summary.of(v) for k, v in opens.items()},
        "search": _summaries(steady["cpu"]),
        "first": _summaries(first["cpu"]),
        "cold": _summaries(cold["cpu"]),
        "wall": {
            "search": _summaries(steady["wall"]),
            "first": _summaries(first["wall"]),
            "cold": _summaries(cold["wall"]),
        },
        "hits": hits,
        "bulk": {k: statistics.median(v) for k, v in bulk.items()},
        "commit": {key: Summary.of(v) for key, v in commit.items()},
        "size": size,
        "segments": segments,
        "counts": {"opens": opens_n, "commits": commits_n},
    }


def run(lab: Lab | None, plan: Plan) -> Section:
    return section(*measure_once(plan))


def measure_once(plan: Plan) -> tuple[int, dict[str, Any], str, str]:
    rows = 10_000 if plan.quick else ROWS
    rng = random.Random(7)
    t0 = 1_780_000_000.0
    calls = [fake_call(rng, n, t0) for n in range(rows)]
    before = loadavg()
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        result = measure(Path(tmp), calls, seed=11, quick=plan.quick)
    return rows, result, before, loadavg()


SEARCH_ROWS: list[tuple[Any, str]] = [
    (1, "search, 1-character fragment"),
    (2, "search, 2-character fragment"),
    (3, "search, 3-character fragment"),
    (6, "search, 6-character fragment"),
    ("nowhere1", "search, 1 character found nowhere"),
    ("nowhere2", "search, 2 characters found nowhere"),
    ("nowhere3", "search, 3 characters found nowhere"),
]


def section(rows: int, r: dict[str, Any], load_before: str, load_after: str) -> Section:
    enc, unk, std = (r["search"][k] for k in KINDS)

    def row(what: str, a: Summary, b: Summary, c: Summary) -> list[str]:
        return [what, fmt(a.median), fmt(a.p95), fmt(b.median), fmt(b.p95), fmt(c.median),
                fmt(c.p95), f"{a.median / c.median:.2f}×", f"{a.median / b.median:.2f}×",
                f"{a.p95 / c.p95:.2f}×"]  # fmt: skip

    opens = [r["open"][k] for k in KINDS]
    table = [row("open + key + first page (50 rows)", *opens)]
    for key, what in SEARCH_ROWS:
        table.append(row(what, enc[key], unk[key], std[key]))
    latency = markdown_table(
        ["", "SQLCipher median (ms)", "p95", "sqlcipher3 no key median", "p95",
         "stdlib sqlite3 median", "p95", "÷ stdlib (median)", "÷ no key (median)",
         "÷ stdlib (p95)"],
        table,
    )  # fmt: skip
    first, cold = r["first"], r["cold"]
    fresh = markdown_table(
        ["fragment", "each once (earlier runs' method): SQLCipher p95 (ms)", "stdlib p95",
         "÷ stdlib (p95)", "first search after open: SQLCipher median (ms)", "p95",
         "stdlib median", "p95", "÷ stdlib (median)", "÷ stdlib (p95)", "÷ no key (median)"],
        [
            [f"{n} character{'s' if n > 1 else ''}", fmt(first["sqlcipher"][n].p95),
             fmt(first["sqlite3"][n].p95),
             f"{first['sqlcipher'][n].p95 / first['sqlite3'][n].p95:.2f}×",
             fmt(cold["sqlcipher"][n].median), fmt(cold["sqlcipher"][n].p95),
             fmt(cold["sqlite3"][n].median), fmt(cold["sqlite3"][n].p95),
             f"{cold['sqlcipher'][n].median / cold['sqlite3'][n].median:.2f}×",
             f"{cold['sqlcipher'][n].p95 / cold['sqlite3'][n].p95:.2f}×",
             f"{cold['sqlcipher'][n].median / cold['unkeyed'][n].median:.2f}×"]
            for n in LENGTHS
        ],
    )  # fmt: skip

    commit = r["commit"]
    commit_rows = []
    for mode in SYNC:
        c = [commit[k, mode] for k in KINDS]
        commit_rows.append(
            [f"one call, one commit, synchronous={mode} (ms per commit)"]
            + [f"{fmt(s.median)} / {fmt(s.p95)}" for s in c]
            + [f"{c[0].median / c[2].median:.2f}×", f"{c[0].median / c[1].median:.2f}×"]
        )
    bulk, size = r["bulk"], r["size"]
    volume = markdown_table(
        ["", "SQLCipher", "sqlcipher3, no key", "stdlib sqlite3", "÷ stdlib", "÷ no key"],
        [
            ["insert rate, 1,000 rows per transaction (rows/s, median)",
             *(f"{bulk[k]:,.0f}" for k in KINDS),
             f"{bulk['sqlite3'] / bulk['sqlcipher']:.2f}× slower",
             f"{bulk['unkeyed'] / bulk['sqlcipher']:.2f}× slower"],
            *commit_rows,
            ["file size after checkpoint (MB)", *(f"{size[k] / 1e6:.1f}" for k in KINDS),
             f"{size['sqlcipher'] / size['sqlite3']:.2f}×",
             f"{size['sqlcipher'] / size['unkeyed']:.2f}×"],
        ],
    )  # fmt: skip
    hits = ", ".join(f"{n} chars: {r['hits'][n]:.0f}" for n in LENGTHS)
    keys = [key for key, _ in SEARCH_ROWS]
    worst_search = max([enc[k].p95 for k in keys] + [cold["sqlcipher"][n].p95 for n in LENGTHS])
    worst_cold = worst_p95_ratio(cold)
    worst_cold_median = worst_median_ratio_of(cold)
    worst_ratio = max(enc[k].p95 / std[k].p95 for k in keys)
    worst_median_ratio = max(enc[k].median / std[k].median for k in keys)
    worst_unkeyed = max(enc[k].median / unk[k].median for k in keys)
    o_enc, o_unk, o_std = opens
    full = [commit[k, "FULL"] for k in KINDS]
    verdicts = [
        Verdict(
            f"history: open + key + first page < {OPEN_TARGET_MS:g} ms (median; p95 beside)",
            f"{fmt(o_enc.median)} ms (p95 {fmt(o_enc.p95)} ms)",
            o_enc.median < OPEN_TARGET_MS,
        ),
        Verdict(
            f"history: every search (1, 2, 3, 6 characters; found nowhere; first after open) < "
            f"{SEARCH_TARGET_MS:g} ms p95",
            f"{fmt(worst_search)} ms worst p95",
            worst_search < SEARCH_TARGET_MS,
        ),
        Verdict(
            f"history: open within {FACTOR}× of plain sqlite3 (medians)",
            f"{o_enc.median / o_std.median:.2f}× (no-key sqlcipher3: "
            f"{o_enc.median / o_unk.median:.2f}×)",
            o_enc.median <= FACTOR * o_std.median,
        ),
        Verdict(
            f"history: searches within {FACTOR}× of plain sqlite3 (connection in use, worst "
            "median ratio)",
            f"{worst_median_ratio:.2f}× (no-key sqlcipher3: {worst_unkeyed:.2f}×)",
            worst_median_ratio <= FACTOR,
        ),
        Verdict(
            f"history: searches within {FACTOR}× of plain sqlite3 (connection in use, worst "
            "p95 ratio)",
            f"{worst_ratio:.2f}×",
            worst_ratio <= FACTOR,
        ),
        Verdict(
            f"history: first search after open within {FACTOR}× of plain sqlite3 (worst p95 "
            "ratio; median beside)",
            f"{worst_cold:.2f}× (worst median ratio {worst_cold_median:.2f}×)",
            worst_cold <= FACTOR,
        ),
        Verdict(
            f"history: insert rate within {FACTOR}× of plain sqlite3 (1,000 rows per transaction)",
            f"{bulk['sqlite3'] / bulk['sqlcipher']:.2f}× slower (no-key sqlcipher3: "
            f"{bulk['unkeyed'] / bulk['sqlcipher']:.2f}×)",
            bulk["sqlite3"] <= FACTOR * bulk["sqlcipher"],
        ),
        Verdict(
            f"history: insert rate within {FACTOR}× of plain sqlite3 (one commit per call, "
            "synchronous=FULL, medians)",
            f"{full[0].median / full[2].median:.2f}× slower (no-key sqlcipher3: "
            f"{full[0].median / full[1].median:.2f}×)",
            full[0].median <= FACTOR * full[2].median,
        ),
        Verdict(
            f"history: file size within {FACTOR}× of plain sqlite3",
            f"{size['sqlcipher'] / size['sqlite3']:.2f}×",
            size["sqlcipher"] <= FACTOR * size["sqlite3"],
        ),
    ]
    method = (
        f"{rows:,} call rows (random numbers, names with accents, 70 % answered) written by "
        f"`softphone.storage.history` (schema v{SCHEMA_VERSION}) into three databases in the "
        "same run: SQLCipher (raw 32-byte key, SQLCipher 4's settings with HMAC-SHA256 pages, "
        f"sqlcipher3 bundling SQLite {sqlcipher3.sqlite_version}), the same sqlcipher3 without "
        f"a key (plain SQLite {sqlcipher3.sqlite_version}, same build: the cost of encryption "
        "alone) and the "
        f"standard library's sqlite3 (SQLite {sqlite3.sqlite_version}, the issue's baseline), "
        "through the same schema, migrations, settings (WAL, synchronous=FULL, secure_delete) "
        "and queries, in a temporary directory on the machine's disk (fsync is real). Every "
        "measurement takes the three in turn, rotating who goes first (A B C, B C A, C A B), "
        f"so a change of load touches all three. Fill: {CHUNK:,} rows per transaction "
        "(FTS5 segments after it, SQLCipher's: "
        + ", ".join(f"`{i}` {n}" for i, n in r["segments"].items())
        + "; the app writes one call per transaction, which leaves more). "
        f"Single commits: {r['counts']['commits']} calls, each written to all three once under "
        "synchronous=FULL and once under NORMAL (the order alternating). Open: "
        f"{r['counts']['opens']} times connect + key + validating read + schema check + the "
        f"first page of 50, warm OS cache. Search: {SEARCHES} fragments per length, each a "
        "piece of a stored number (digits) or name as typed, first page of 50, newest first; "
        "1-2 characters read the FTS5 index of 1- and 2-character pieces (`calls_grams`), 3 and "
        "more the FTS5 trigram index. Searches are timed by the searching thread's CPU time "
        "(user + system; a search never waits, its pages being in memory, so on an idle "
        "machine this is its wall time, while on this shared one the wall clock also counts "
        "other processes' turns on the core: wall-clock figures below the second table), with "
        "Python's garbage collector off (collected before), in three ways. *Connection in use* "
        "(the first table, and the target): on one open connection that has run every "
        "fragment once before, "
        f"{ROUNDS} sweeps over the fragments; a fragment's time is the median of its {ROUNDS} "
        "(seconds apart, so a burst of other work on the shared machine lands in one of them); "
        "median and p95 are over the fragments. *Each once* (second table, the method of "
        "earlier runs): the first of those passes, every fragment timed once on connections "
        "opened just before, so a fragment's first search reads pages into an empty cache and "
        "a repeated one does not: its tail depends on how many fragments repeat (1 character: "
        "~50 distinct in 200). *First search after open* (second table): "
        f"{COLD} fragments per length, each on a connection opened for it (open, first page, "
        "then the search): all that search reads beyond the first page comes into an empty "
        "cache. The 'found nowhere' rows "
        f"({', '.join(repr(f) for f in NOWHERE_FRAGMENTS.values())}, {NOWHERE} times each) "
        f"were the old short path's worst case. Median matches per search: {hits}. Load "
        f"average (1/5/15 min) before: {load_before}; after: {load_after}."
    )
    wall = r["wall"]
    w_enc, w_std = wall["search"]["sqlcipher"], wall["search"]["sqlite3"]
    wall_note = (
        "Wall clock, the same samples (other processes' turns on the shared cores included): "
        "connection in use, worst ratio to stdlib "
        f"{max(w_enc[k].median / w_std[k].median for k in keys):.2f}× (median), "
        f"{max(w_enc[k].p95 / w_std[k].p95 for k in keys):.2f}× (p95); each once "
        f"{worst_p95_ratio(wall['first']):.2f}× (p95); first search after open "
        f"{worst_median_ratio_of(wall['cold']):.2f}× "
        f"(median), {worst_p95_ratio(wall['cold']):.2f}× (p95). Slowest SQLCipher search by wall "
        f"clock, p95: {fmt(max(w_enc[k].p95 for k in keys))} ms in use, "
        f"{fmt(max(wall['cold']['sqlcipher'][n].p95 for n in LENGTHS))} ms first after open."
    )
    return Section(TITLE, method, [latency, fresh, wall_note, volume], verdicts)


def worst_p95_ratio(summaries: dict[str, dict[Any, Summary]]) -> float:
    return max(summaries["sqlcipher"][n].p95 / summaries["sqlite3"][n].p95 for n in LENGTHS)


def worst_median_ratio_of(summaries: dict[str, dict[Any, Summary]]) -> float:
    return max(summaries["sqlcipher"][n].median / summaries["sqlite3"][n].median for n in LENGTHS)


def spread(runs: list[tuple[int, dict[str, Any], str, str]]) -> str:
    """One line per run: the numbers that moved between runs, and the load."""
    body = []
    for n, (_, r, before, after) in enumerate(runs, 1):
        enc, std = r["search"]["sqlcipher"], r["search"]["sqlite3"]
        keys = [key for key, _ in SEARCH_ROWS]
        worst = max(keys, key=lambda k: enc[k].p95)
        o, c = r["open"], r["commit"]
        body.append(
            [
                str(n),
                f"{before} → {after}",
                f"{fmt(o['sqlcipher'].median)} / {fmt(o['unkeyed'].median)} / "
                f"{fmt(o['sqlite3'].median)}",
                f"{fmt(enc[worst].p95)} ({worst})",
                f"{max(enc[k].p95 / std[k].p95 for k in keys):.2f}×",
                f"{worst_p95_ratio(r['first']):.2f}×",
                f"{worst_p95_ratio(r['cold']):.2f}×",
                " / ".join(fmt(c[k, "FULL"].median) for k in KINDS),
                " / ".join(fmt(c[k, "NORMAL"].median) for k in KINDS),
                " / ".join(f"{r['bulk'][k]:,.0f}" for k in KINDS),
            ]
        )
    return markdown_table(
        ["run", "load before → after", "open median, ms (enc / no key / stdlib)",
         "worst search p95, ms (SQLCipher, in use)", "worst search p95 ÷ stdlib (in use)",
         "each once: p95 ÷ stdlib", "first after open: p95 ÷ stdlib",
         "commit FULL median, ms (enc / no key / stdlib)", "commit NORMAL median, ms",
         "fill rows/s (enc / no key / stdlib)"],
        body,
    )  # fmt: skip


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
    args.add_argument("--quick", action="store_true", help="10,000 rows, fewer samples")
    args.add_argument("--repeat", type=int, default=1, help="runs; a spread table at the end")
    args.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    options = args.parse_args()
    plan = Plan.smoke() if options.quick else Plan.full()
    runs = []
    for n in range(options.repeat):
        runs.append(measure_once(plan))
        print(f"<!-- run {n + 1} of {options.repeat} -->\n{section(*runs[-1]).markdown()}\n")
    markdown = section(*runs[-1]).markdown()
    if len(runs) > 1:
        markdown += "\n\nRuns of this section, back to back:\n\n" + spread(runs)
        print(spread(runs))
    if options.write:
        write_section(markdown)


if __name__ == "__main__":
    main()
