"""CPU time and memory of a process, read from /proc (whole process: all its threads)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` so far, in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True, slots=True)
class Usage:
    seconds: float  # wall time observed
    cpu_percent: float  # of one core
    rss_mean_mib: float
    rss_max_mib: float
    threads: int


def sample(pids: dict[str, int], seconds: float, *, every: float = 1.0) -> dict[str, Usage]:
    """CPU% and RSS of several processes over the same ``seconds`` window."""
    stop = threading.Event()  # never set: its wait() is a bounded sleep
    start_cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    began = time.monotonic()
    rss: dict[str, list[int]] = {name: [] for name in pids}
    while True:
        for name, pid in pids.items():
            rss[name].append(status_kib(pid, "VmRSS"))
        left = began + seconds - time.monotonic()
        if left <= 0:
            break
        stop.wait(min(every, left))
    elapsed = time.monotonic() - began
    result = {}
    for name, pid in pids.items():
        used = cpu_seconds(pid) - start_cpu[name]
        values = rss[name]
        result[name] = Usage(
            seconds=elapsed,
            cpu_percent=100 * used / elapsed,
            rss_mean_mib=sum(values) / len(values) / 1024,
            rss_max_mib=max(values) / 1024,
            threads=status_kib(pid, "Threads"),
        )
    return result
