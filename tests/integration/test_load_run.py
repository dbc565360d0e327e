"""``vicifast-phone load`` end to end: Locust's engine (two worker processes) runs emulated agents
against the bundled emulator over TLS and kamailio; the dialler (sipp) rings them as VICIdial
does once all are registered; the run passes only when every agent registered, signed out and
every pushed call was answered, and its report says so."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from softphone.emulator.registrar import kamailio_path
from softphone.load.run import _dialling_order, max_calls

pytestmark = pytest.mark.integration


def _stats(report: Path) -> dict[str, dict[str, str]]:
    with (report / "locust_stats.csv").open() as rows:
        return {row["Name"]: row for row in csv.DictReader(rows)}


def test_a_short_run_of_eight_agents_with_pushed_calls_passes_and_reports(
    tmp_path: Path,
) -> None:
    if kamailio_path() is None or shutil.which("sipp") is None:
        pytest.fail("kamailio and sipp are needed: run scripts/bootstrap.sh test")
    report = tmp_path / "report"
    argv = [sys.executable, "-m", "softphone.cli", "load", "--agents", "8", "--calls", "2",
            "--minutes", "0.35", "--call-hold", "3", "--headless", "--processes", "2",
            "--report-dir", str(report)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=150, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "every agent is registered: the dialler starts" in out
    assert "load run: passed" in out
    stats = _stats(report)
    assert stats["sign-in to registered"]["Request Count"] == "8"
    assert stats["sign-out"]["Request Count"] == "8"
    assert int(stats["pushed call answered"]["Request Count"]) >= 2
    assert stats["Aggregated"]["Failure Count"] == "0"
    assert (report / "report.html").stat().st_size > 0
    dialled = [line for line in out.splitlines() if line.startswith("dialler:")]
    assert dialled and " 0 failed" in dialled[0], dialled
    # our own report beside Locust's: what happened, second by second and in sum
    assert f"summary: {report / 'summary.html'}" in out
    summary = json.loads((report / "summary.json").read_text())
    assert summary["passed"] and summary["notes"] == [] and summary["failures"] == []
    assert summary["peak_registered_agents"] == 8  # the agents, not the PBX's lines
    assert summary["peak_active_calls"] > 0
    counts = {r["name"]: r["count"] for r in summary["requests"]}
    assert counts["sign-in to registered"] == 8 and counts["sign-out"] == 8
    assert summary["calls"]["dialler"]["answered"] >= 2
    assert summary["calls"]["dialler"]["failed"] == 0
    with (report / "timeline.csv").open() as rows:
        timeline = list(csv.DictReader(rows))
    assert max(int(row["active_calls"]) for row in timeline) > 0
    assert (report / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (report / "summary.html").read_text()
    assert "Load run: <span" in page and "<td>sign-in to registered</td>" in page


def test_more_calls_than_the_workers_hold_is_refused_with_the_limit() -> None:
    argv = [sys.executable, "-m", "softphone.cli", "load", "--agents", "7", "--calls", "5"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "between 0 and 4 for 7 agents" in done.stdout + done.stderr


def test_consecutive_calls_go_to_different_worker_children() -> None:
    # two Locust processes of 20 agents: children of 7, 7 and 6 agents in each
    order = _dialling_order(processes=2, stride=20, each=20)
    assert sorted(order) == list(range(1, 41))

    def child(number: int) -> tuple[int, int]:
        worker, k = divmod(number - 1, 20)
        return worker, k // 7

    cyclic = order + order  # sipp starts the list again at its end
    for start in range(len(order)):
        window = [child(n) for n in cyclic[start : start + 10]]
        # 10 calls up at once over 6 children: 2 at most in each (the library holds 4)
        assert max(window.count(c) for c in window) <= 2, window
    assert max_calls(40) == 24 and max_calls(7) == 4 and max_calls(3) == 3
