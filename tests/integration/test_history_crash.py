"""Crash safety: a writer process SIGKILLed at random moments, many times over, leaves a database
that opens, passes integrity_check and holds every row whose commit had returned, each with its
entry in the short-search index."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from softphone.core.secret import Secret
from softphone.storage import history as h
from softphone.storage.history import HistoryStore
from softphone.storage.history.search import gram_token
from tests.unit.history_kit import MemorySecrets

pytestmark = pytest.mark.integration

ROUNDS = 30
KEY_ENV = "VICIFAST_TEST_HISTORY_KEY"

# The child: open the history, then write calls as fast as it can and print each id once the
# commit has returned. Every tenth call also deletes an older one, as the Recents view would.
WRITER = f"""
import os, sys, time
from pathlib import Path
from softphone.core.secret import Secret
from softphone.storage.history import HistoryStore
from tests.unit.history_kit import MemorySecrets, call

secrets = MemorySecrets()
secrets.set("{h.KEY_NAME}", Secret(os.environ["{KEY_ENV}"]))
store = HistoryStore.open(Path(sys.argv[1]), secrets)
print("open", flush=True)
n = int(sys.argv[2])
while True:
    entry = store.add(call(n, name=f"Crash Test {{n}}"))
    print(entry, flush=True)
    n += 1
"""


def test_sigkilled_writer_never_loses_a_committed_row(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("HISTORY_CRASH_SEED", time.time_ns())))
    key = os.urandom(32).hex()
    env = {**os.environ, KEY_ENV: key}
    committed: set[int] = set()
    began = time.monotonic()
    kills_after_open = 0
    for round_ in range(ROUNDS):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(round_ * 100_000)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            # Some rounds die while opening (or migrating a new file), most while writing.
            time.sleep(rng.uniform(0.05, 0.6))
        finally:
            child.send_signal(signal.SIGKILL)
            out, err = child.communicate(timeout=10)
        assert child.returncode == -signal.SIGKILL, err.decode(errors="replace")
        lines = out.decode().split("\n")
        complete = lines[:-1]  # the last piece has no newline: cut off mid-print, not counted
        if complete[:1] == ["open"]:
            kills_after_open += 1
        committed.update(int(line) for line in complete[1:])

        secrets = MemorySecrets()
        secrets.set(h.KEY_NAME, Secret(key))
        store = HistoryStore.open(tmp_path, secrets)
        try:
            assert store.integrity_check() == "ok", f"round {round_}"
            stored = {row[0] for row in store._db.execute("SELECT id FROM calls")}
            missing = committed - stored
            assert not missing, f"round {round_}: {len(missing)} committed rows lost"
            fts = store._db.execute(
                "INSERT INTO calls_fts(calls_fts, rank) VALUES ('integrity-check', 1)"
            )
            assert fts is not None  # raises if the trigram index disagrees with the table
            store._db.execute(
                "INSERT INTO calls_grams(calls_grams, rank) VALUES ('integrity-check', 1)"
            )
            # Every row has its short-search entry ("c" is in every "Crash Test n"), and no
            # entry outlives its row: add() writes both in one transaction.
            c_rows = store._db.execute(
                "SELECT rowid FROM calls_grams WHERE calls_grams MATCH ?", (gram_token("c"),)
            )
            assert {row[0] for row in c_rows} == stored, f"round {round_}"
        finally:
            store.close()
    assert kills_after_open >= ROUNDS // 2, "too few kills landed while writing"
    assert len(committed) > ROUNDS * 10
    assert time.monotonic() - began < 60
