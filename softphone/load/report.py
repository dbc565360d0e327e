"""The load run's own report, beside Locust's: what a tester reads first.

:class:`TimelineSampler` counts, once a second while Locust runs, the agents registered and the
calls up at once, into ``timeline.csv``. :func:`write_summary` then reads that timeline and
Locust's CSV files and writes ``summary.json``, ``summary.html`` (no JavaScript) and
``timeline.png`` (registered agents and calls up over time) to the report folder. A Locust that
wrote nothing (it crashed) still gives a summary, saying so.
"""

from __future__ import annotations

import csv
import html
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

CallCounter = Callable[[], int]
TIMELINE = "timeline.csv"
_TIMELINE_COLUMNS = ("seconds", "registered_agents", "active_calls")
_PLOT_SIZE_IN = (9.0, 4.5)
PLOT_DPI = 100


@dataclass(frozen=True, slots=True)
class Sample:
    seconds: float  # since the run started
    registered_agents: int
    active_calls: int


class TimelineSampler:
    """Samples once every ``every_s`` on its own thread (``load-timeline``) from :meth:`start`
    to :meth:`stop`, appending each sample to ``path`` as it goes. ``call_counters`` (each
    returning the calls one sipp has up) are summed; add to the list before :meth:`start`."""

    def __init__(
        self,
        path: Path,
        registered_agents: Callable[[], int],
        call_counters: Sequence[CallCounter] = (),
        *,
        started_at: float | None = None,
        every_s: float = 1.0,
    ) -> None:
        self.path = path
        self.call_counters = list(call_counters)
        self._registered = registered_agents
        self._started_at = time.monotonic() if started_at is None else started_at
        self._every_s = every_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-timeline", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(10.0)

    def sample(self) -> Sample:
        return Sample(
            seconds=round(time.monotonic() - self._started_at, 1),
            registered_agents=max(0, _count(self._registered)),
            active_calls=sum(max(0, _count(counter)) for counter in self.call_counters),
        )

    def _run(self) -> None:
        with self.path.open("w", newline="") as out:
            rows = csv.writer(out)
            rows.writerow(_TIMELINE_COLUMNS)
            ticks = 0
            while True:
                point = self.sample()
                rows.writerow((f"{point.seconds:g}", point.registered_agents, point.active_calls))
                out.flush()
                ticks += 1
                next_at = self._started_at + ticks * self._every_s
                if self._stopping.wait(max(0.0, next_at - time.monotonic())):
                    break


def _count(counter: Callable[[], int]) -> int:
    # a count that cannot be read this second is 0 this second, never the end of the run
    try:
        return int(counter())
    except Exception:
        return 0


@dataclass(frozen=True, slots=True)
class RequestStats:
    """One Locust request name: times in ms (Locust's percentiles are rounded)."""

    name: str
    count: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


@dataclass(frozen=True, slots=True)
class Failure:
    name: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class CallCount:
    """What one sipp (the dialler, a counterpart) counted of its calls."""

    answered: int
    failed: int
    invite_to_answer_ms: float | None = None  # the mean, where sipp measured it


@dataclass(frozen=True, slots=True)
class Summary:
    passed: bool
    agents: int
    requests: list[RequestStats]
    total: RequestStats | None  # Locust's "Aggregated" row
    failures: list[Failure]
    calls: dict[str, CallCount]  # by sipp: "dialler", …
    peak_registered_agents: int
    peak_active_calls: int
    seconds: float
    notes: list[str] = field(default_factory=list)  # what could not be read, in sentences
    plot: str | None = None  # the PNG's file name beside the summary


def _read_csv(path: Path) -> list[dict[str, str]] | None:
    """The rows, or None when the file is missing or has not even a header."""
    try:
        with path.open(newline="") as rows:
            reader = csv.DictReader(rows)
            read = list(reader)
            return read if reader.fieldnames else None
    except (OSError, csv.Error, UnicodeDecodeError):
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "N/A") else None
    except ValueError:
        return None


def _request(row: dict[str, str]) -> RequestStats:
    most = _number(row.get("Max Response Time"))

    def percentile(column: str) -> float | None:
        # Locust rounds its percentiles (1059 ms is "1100"): never above the true maximum
        value = _number(row.get(column))
        return value if value is None or most is None else min(value, round(most, 1))

    return RequestStats(
        name=row.get("Name", ""),
        count=int(_number(row.get("Request Count")) or 0),
        failures=int(_number(row.get("Failure Count")) or 0),
        p50_ms=percentile("50%"),
        p95_ms=percentile("95%"),
        p99_ms=percentile("99%"),
        max_ms=None if most is None else round(most, 1),
    )


def read_timeline(path: Path) -> list[Sample]:
    samples = []
    for row in _read_csv(path) or []:
        seconds, registered, calls = (_number(row.get(c)) for c in _TIMELINE_COLUMNS)
        if seconds is not None:
            samples.append(Sample(seconds, int(registered or 0), int(calls or 0)))
    return samples


def write_summary(
    report_dir: Path,
    *,
    passed: bool,
    agents: int,
    calls: Mapping[str, CallCount] | None = None,
) -> Summary:
    """Write ``summary.json``, ``summary.html`` and ``timeline.png`` to ``report_dir``."""
    notes = []
    stats = _read_csv(report_dir / "locust_stats.csv")
    if not stats:
        notes.append(
            "Locust wrote no statistics (locust_stats.csv is missing or empty): it did not "
            "finish its run. Its own output says why."
        )
    rows = [_request(row) for row in stats or []]
    failure_rows = _read_csv(report_dir / "locust_failures.csv")
    if failure_rows is None and stats:
        notes.append("Locust wrote no list of failures (locust_failures.csv is missing).")
    failures = [
        Failure(
            row.get("Name", ""), row.get("Error", ""), int(_number(row.get("Occurrences")) or 0)
        )
        for row in failure_rows or []
    ]
    samples = read_timeline(report_dir / TIMELINE)
    if not samples:
        notes.append("No timeline of registered agents and calls was sampled.")
    summary = Summary(
        passed=passed,
        agents=agents,
        requests=[r for r in rows if r.name != "Aggregated"],
        total=next((r for r in rows if r.name == "Aggregated"), None),
        failures=sorted(failures, key=lambda f: -f.count),
        calls=dict(calls or {}),
        peak_registered_agents=max((s.registered_agents for s in samples), default=0),
        peak_active_calls=max((s.active_calls for s in samples), default=0),
        seconds=samples[-1].seconds if samples else 0.0,
        notes=notes,
        plot="timeline.png" if samples else None,
    )
    if samples:
        plot_timeline(samples, report_dir / "timeline.png")
    (report_dir / "summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n")
    (report_dir / "summary.html").write_text(summary_html(summary))
    return summary


def plot_timeline(samples: Sequence[Sample], path: Path) -> None:
    """Registered agents and calls up against seconds since the start, as a PNG."""
    # the Agg canvas directly: pyplot would choose a GUI backend of its own
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=_PLOT_SIZE_IN, dpi=PLOT_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    seconds = [s.seconds for s in samples]
    axes.plot(
        seconds, [s.registered_agents for s in samples], drawstyle="steps-post",
        color="#1f5fa8", linewidth=2, label="registered agents",
    )  # fmt: skip
    axes.plot(
        seconds, [s.active_calls for s in samples], drawstyle="steps-post",
        color="#d9661f", linewidth=2, label="calls up at once",
    )  # fmt: skip
    axes.set_xlabel("seconds since the run started")
    axes.set_ylabel("count")
    axes.set_title("Registered agents and calls up at once")
    axes.set_xlim(left=0)
    peak = max(1, *(max(s.registered_agents, s.active_calls) for s in samples))
    axes.set_ylim(bottom=0, top=peak * 1.3)  # room above the lines for the legend
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(True, color="#dddddd")
    axes.legend(loc="upper right", ncols=2)
    figure.tight_layout()
    figure.savefig(path, format="png")


_CSS = """body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .6em}
th{background:#eee;text-align:left}td.n{text-align:right}.failed{color:#b00}.passed{color:#070}
img{max-width:100%}"""


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def summary_html(summary: Summary) -> str:
    e = html.escape
    verdict = "passed" if summary.passed else "FAILED"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Load run summary</title>',
        f"<style>{_CSS}</style></head><body>",
        f'<h1>Load run: <span class="{verdict.lower()}">{verdict}</span></h1>',
        f"<p>{summary.agents} agents; at most {summary.peak_registered_agents} registered and "
        f"{summary.peak_active_calls} calls up at once, over {summary.seconds:g} seconds. "
        'Locust\'s own report: <a href="report.html">report.html</a>.</p>',
    ]
    parts += [f'<p class="failed">{e(note)}</p>' for note in summary.notes]
    if summary.plot:
        parts.append(
            f'<img src="{e(summary.plot)}" alt="registered agents and calls up at once, by second">'
        )
    if summary.requests:
        parts.append("<h2>Requests</h2><p>Times in milliseconds; percentiles as Locust "
                     "keeps them (rounded), never above the maximum.</p><table><tr><th>request</th>"
                     "<th>count</th><th>failures</th><th>p50</th><th>p95</th><th>p99</th>"
                     "<th>max</th></tr>")  # fmt: skip
        for r in [*summary.requests, *([summary.total] if summary.total else [])]:
            name = "all requests" if r is summary.total else r.name
            cells = [r.count, r.failures, _ms(r.p50_ms), _ms(r.p95_ms), _ms(r.p99_ms)]
            parts.append(
                f"<tr><td>{e(name)}</td>"
                + "".join(f'<td class="n">{c}</td>' for c in [*cells, _ms(r.max_ms)])
                + "</tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Failures</h2>")
    if summary.failures:
        parts.append("<table><tr><th>request</th><th>reason</th><th>times</th></tr>")
        parts += [
            f'<tr><td>{e(f.name)}</td><td>{e(f.reason)}</td><td class="n">{f.count}</td></tr>'
            for f in summary.failures
        ]
        parts.append("</table>")
    elif summary.requests:
        parts.append("<p>No request failed.</p>")
    else:
        parts.append("<p>Unknown: Locust wrote no statistics.</p>")
    if summary.calls:
        parts.append("<h2>Calls</h2><table><tr><th>from</th><th>answered</th><th>failed</th>"
                     "<th>INVITE to answer, mean ms</th></tr>")  # fmt: skip
        for name, counts in summary.calls.items():
            parts.append(
                f'<tr><td>{e(name)}</td><td class="n">{counts.answered}</td>'
                f'<td class="n">{counts.failed}</td>'
                f'<td class="n">{_ms(counts.invite_to_answer_ms)}</td></tr>'
            )
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
