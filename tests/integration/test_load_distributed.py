"""A load run spread as over several machines, on one: ``vicifast-phone load --master`` runs the
emulator, kamailio, the dialler and Locust's master; two ``vicifast-phone load --worker``
commands each bring a Locust worker process whose agents sign in to it (one from its own block
of addresses, --address-base, as on another machine). Every agent registers, the pushed calls
are answered, every sign-out is in the master's report, and all three exit 0."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest

from softphone.emulator.registrar import kamailio_path
from tests.support.ports import free_port
from tests.support.process import ManagedProcess

pytestmark = pytest.mark.integration
AGENTS = 10
RUN_S = 150.0  # a generous bound: the run itself is 12 s


def _stats(report: Path) -> dict[str, dict[str, str]]:
    with (report / "locust_stats.csv").open() as rows:
        return {row["Name"]: row for row in csv.DictReader(rows)}


def _load(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "softphone.cli", "load", *arguments]


def test_two_workers_run_the_agents_of_a_master_elsewhere(tmp_path: Path) -> None:
    if kamailio_path() is None or shutil.which("sipp") is None:
        pytest.fail("kamailio and sipp are needed: run scripts/bootstrap.sh test")
    report, port = tmp_path / "report", str(free_port("tcp"))
    master = ManagedProcess(
        _load("--master", "--expect-workers", "2", "--master-port", port,
              "--agents", str(AGENTS), "--calls", "2", "--call-hold", "3", "--minutes", "0.2",
              "--spawn-rate", "20", "--headless", "--report-dir", str(report)),
        log_path=tmp_path / "master.log", name="master",
    )  # fmt: skip
    worker = "--worker", "--master-host", "127.0.0.1", "--master-port", port, "--processes", "1"
    first = ManagedProcess(_load(*worker), log_path=tmp_path / "worker1.log", name="worker 1")
    second = ManagedProcess(
        _load(*worker, "--address-base", "127.0.7.1"),
        log_path=tmp_path / "worker2.log",
        name="worker 2",
    )
    with master:
        master.wait_for_log("waiting for 2 Locust worker processes", timeout=60)
        with first, second:
            code = master.wait_exit(RUN_S)
            out = master.log_text()
            assert code == 0, master.log_tail(80)
            assert first.wait_exit(60) == 0, first.log_tail()
            assert second.wait_exit(60) == 0, second.log_tail()
    assert "agents speak from 127.0.7.1" in second.log_text()
    assert "every agent is registered: the dialler starts" in out
    assert "load run: passed" in out
    # the master waited for the workers' sign-outs before it wrote the report
    assert "the agents of all 2 Locust workers signed out" in out
    stats = _stats(report)
    for name in ("sign-in", "REGISTER", "sign-in to registered", "sign-out"):
        assert stats[name]["Request Count"] == str(AGENTS), (name, stats[name])
    assert int(stats["pushed call answered"]["Request Count"]) >= 2
    assert stats["Aggregated"]["Failure Count"] == "0"
    dialled = [line for line in out.splitlines() if line.startswith("dialler:")]
    assert dialled and " 0 failed" in dialled[0], dialled
