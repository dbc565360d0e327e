"""The load run at scale, and what it costs: `vicifast-phone load` with many agents and calls,
each worker child's CPU and memory beside one agent alone.

    .venv/bin/python -m bench.load --agents 200 --calls 50 --minutes 10

1. **One agent alone**: a worker child with one registered agent, idle, sampled for 30 s (the
   same code the load run uses; the baseline for a child of seven).
2. **The run**: `vicifast-phone load --headless` with the numbers given; every process it starts
   (the worker children, Locust's processes, kamailio, sipp) sampled from /proc every 5 s.

Prints a Markdown section for bench/RESULTS.md: the run's outcome (Locust's CSV and the
dialler's count), sign-in and pushed-call percentiles, and CPU (% of one core) and RSS per
worker child and per kind of process.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from bench.procstat import cpu_seconds, sample, status_kib
from softphone.demo.environment import start_demo_environment
from softphone.emulator.seed import LOAD_COMPANY_CODE, load_agent
from softphone.load.client import WorkerProcess

_EVERY_S = 5.0
KINDS = {
    "worker child": "softphone.load.worker",
    "Locust": "-m locust",
    "kamailio": "kamailio",
    "sipp (dialler)": "sipp",
    "emulator + front": "softphone.cli load",
}


def one_agent_alone(seconds: float) -> tuple[float, float]:
    """CPU % and max RSS (MiB) of a worker child with one registered agent, idle."""
    with tempfile.TemporaryDirectory() as work:
        env = start_demo_environment(Path(work), load_agents=1)
        try:
            child = WorkerProcess(env.control_plane, str(env.ca_file))
            login = load_agent(1)
            added = child.request(
                "add",
                company=LOAD_COMPANY_CODE,
                username=login.username,
                password=login.password,
                address="127.0.1.1",
            ).result(30)
            child.request("sign_in", agent=added["agent"]).result(30)
            child.wait_for(lambda e: e.get("event") == "registered", 30)
            usage = sample({"one": child.pid}, seconds)["one"]
            child.close()
            return usage.cpu_percent, usage.rss_max_mib
        finally:
            env.close()


def _kind(cmdline: str) -> str | None:
    for kind, mark in KINDS.items():
        if mark in cmdline:
            return kind
    return None


def _processes() -> dict[int, str]:
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        kind = _kind(cmdline)
        if kind is not None and "bench.load" not in cmdline:
            found[int(proc.name)] = kind
    return found


class Sampler:
    """Every few seconds: each process's CPU seconds and RSS, by PID."""

    def __init__(self) -> None:
        self.cpu: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.rss: dict[int, list[float]] = defaultdict(list)
        self.kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(_EVERY_S):
            now = time.monotonic()
            for pid, kind in _processes().items():
                try:
                    self.cpu[pid].append((now, cpu_seconds(pid)))
                    self.rss[pid].append(status_kib(pid, "VmRSS") / 1024)
                except (OSError, IndexError, ValueError):
                    continue
                self.kind[pid] = kind

    def percent(self, pid: int) -> float:
        points = self.cpu[pid]
        if len(points) < 2:
            return 0.0
        (t0, c0), (t1, c1) = points[0], points[-1]
        return 100 * (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0


def _stats(report: Path) -> dict[str, dict[str, str]]:
    with (report / "locust_stats.csv").open() as rows:
        return {row["Name"]: row for row in csv.DictReader(rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--spawn-rate", type=float, default=5.0)
    args = parser.parse_args()

    alone_cpu, alone_rss = one_agent_alone(30.0)
    report = Path(tempfile.mkdtemp(prefix="bench-load-"))
    sampler = Sampler()
    sampler.start()
    started = time.monotonic()
    argv = [sys.executable, "-m", "softphone.cli", "load", "--agents", str(args.agents),
            "--calls", str(args.calls), "--minutes", f"{args.minutes:g}", "--headless",
            "--spawn-rate", f"{args.spawn_rate:g}", "--report-dir", str(report)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    sampler.stop()
    out = done.stdout + done.stderr
    stats = _stats(report)
    dialler = next((line for line in out.splitlines() if line.startswith("dialler:")), "")

    def row(name: str) -> str:
        s = stats.get(name, {})
        return (
            f"| {name} | {s.get('Request Count', '0')} | {s.get('Failure Count', '0')} | "
            f"{s.get('50%', '-')} | {s.get('95%', '-')} | {s.get('Max Response Time', '-')} |"
        )

    by_kind: dict[str, list[int]] = defaultdict(list)
    for pid, kind in sampler.kind.items():
        by_kind[kind].append(pid)
    print(f"## Load. {args.agents} agents, {args.calls} pushed calls at once, {args.minutes:g} min")
    print()
    command = f"--agents {args.agents} --calls {args.calls} --minutes {args.minutes:g}"
    print(f"`.venv/bin/python -m bench.load {command}`: exit {done.returncode} after {wall:.0f} s")
    print(f"({dialler})")
    print()
    print("| request (Locust, type agent) | count | failures | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for name in (
        "sign-in",
        "REGISTER",
        "sign-in to registered",
        "pushed call answered",
        "sign-out",
        "Aggregated",
    ):
        print(row(name))
    print()
    print("| process | how many | CPU % of a core, each (mean / max) | RSS MiB, each (max) |")
    print("|---|---|---|---|")
    print(f"| one agent alone in a worker child, idle (baseline) | 1 | {alone_cpu:.2f} | "
          f"{alone_rss:.1f} |")  # fmt: skip
    for kind in KINDS:
        pids = by_kind.get(kind, [])
        if not pids:
            continue
        cpus = [sampler.percent(p) for p in pids]
        rss = [max(sampler.rss[p]) for p in pids if sampler.rss[p]]
        print(f"| {kind} | {len(pids)} | {statistics.mean(cpus):.1f} / {max(cpus):.1f} | "
              f"{max(rss):.1f} |")  # fmt: skip
    print()
    print(f"Report: {report / 'report.html'}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
