"""Sections of bench/RESULTS.md, the machine they ran on, and the targets they are held to."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import Summary, fmt, markdown_table, ratio


@dataclass(frozen=True, slots=True)
class Verdict:
    target: str
    measured: str
    met: bool


@dataclass
class Section:
    title: str
    method: str
    body: list[str] = field(default_factory=list)  # markdown blocks: tables, notes
    verdicts: list[Verdict] = field(default_factory=list)
    facts: dict[str, float] = field(default_factory=dict)  # medians the diagnosis reuses

    def markdown(self) -> str:
        parts = [f"## {self.title}", f"**How it was measured.** {self.method}", *self.body]
        if self.verdicts:
            rows = [
                [v.target, v.measured, "**met**" if v.met else "**NOT met**"] for v in self.verdicts
            ]
            parts.append(markdown_table(["target", "measured", "verdict"], rows))
        return "\n\n".join(parts)


def summary_table(
    rows: Sequence[tuple[str, Summary]],
    *,
    unit: str = "ms",
    tail: str = "p95",
    best_of: Sequence[str] | None = None,
) -> str:
    """One row per peer: n, median, the tail percentile, min, max, and median ÷ the fastest
    median among ``best_of`` (default: all rows with data)."""
    pool = [s.median for name, s in rows if s.n and (best_of is None or name in best_of)]
    best = min(pool) if pool else float("nan")
    header = ["peer", "n", f"median ({unit})", f"{tail} ({unit})", "min", "max", "÷ fastest"]
    body = [
        [
            name,
            str(s.n),
            fmt(s.median),
            fmt(s.p90 if tail == "p90" else s.p95),
            fmt(s.low),
            fmt(s.high),
            ratio(s.median, best) if s.n else "—",
        ]
        for name, s in rows
    ]
    return markdown_table(header, body)


def within(value: float, baseline: float, factor: float) -> bool:
    return value <= baseline * factor


RAW_FACTOR = 1.2  # the targets: within 1.2x of raw pjsua2


def vs_raw(what: str, agent_median: float, raw_median: float) -> Verdict:
    """The verdict for "<what> within 1.2x of raw pjsua2", from the two medians (ms)."""
    return Verdict(
        f"{what} within {RAW_FACTOR}× of raw pjsua2 (medians)",
        f"{fmt(agent_median)} ms vs {fmt(raw_median)} ms ({agent_median / raw_median:.2f}×)",
        within(agent_median, raw_median, RAW_FACTOR),
    )


# ---- the machine ---------------------------------------------------------------------------


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> list[tuple[str, str]]:
    try:
        pjsua2 = importlib.metadata.version("pjsua2-python")
    except importlib.metadata.PackageNotFoundError:
        pjsua2 = "unknown"
    return [
        ("date", datetime.datetime.now().astimezone().isoformat(timespec="seconds")),
        ("CPU", f"{cpu_model()}, nproc = {os.cpu_count()}"),
        ("kernel", platform.release()),
        ("OS", _os_name()),
        ("Python", sys.version.split()[0]),
        ("pjsua2", f"pjsua2-python {pjsua2}"),
        ("kamailio", _first_line(["kamailio", "-v"]).removeprefix("version: ")),
        ("sipp", _first_line(["sipp", "-v"])),
        ("baresip", _first_line(["baresip", "-h"]).split(" Copyright")[0]),
    ]


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()
