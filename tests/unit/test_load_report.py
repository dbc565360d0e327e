"""The load run's own report: from Locust's CSV files and the sampled timeline, a summary a
tester reads (percentiles, failures with their reasons, peaks, the dialler's count) and a plot."""

from __future__ import annotations

import json
import struct
import threading
import zlib
from pathlib import Path

from softphone.load.report import (
    PLOT_DPI,
    CallCount,
    TimelineSampler,
    read_timeline,
    write_summary,
)
from softphone.load.sipp_process import SippProcess

_STATS = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,\
80%,90%,95%,98%,99%,99.9%,99.99%,100%
agent,pushed call answered,4,0,1,0.9,0.7,1.1,0.0,0.1,0.0,1,1,1,1,1,1,1,1,1,1,1
agent,sign-in to registered,8,2,440,355.2,150.0,30012.5,0.0,0.3,0.0,440,480,480,480,480,\
30000,30000,30000,30000,30000,30000
agent,sign-out,8,0,8,8.5,5.0,11.18,0.0,0.2,0.0,8,9,9,10,11,12,12,12,12,12,12
agent,REGISTER,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
,Aggregated,12,2,4,143.1,0.7,30012.5,0.0,0.7,0.0,4,190,430,440,480,480,30000,30000,30000,\
30000,30000
"""
_FAILURES = """\
Method,Name,Error,Occurrences,First Seen,Last Seen
agent,sign-in to registered,RuntimeError('not registered within 30 s'),2,1,2
agent,sign-out,"RuntimeError('<b>kamailio</b> said 500, ""busy""')",1,1,2
"""
_TIMELINE = "seconds,registered_agents,active_calls\n0,0,0\n1,5,0\n2,8,1\n3,8,2\n4,7,1\n"


def _report(
    tmp_path: Path, *, stats: str | None = _STATS, timeline: str | None = _TIMELINE
) -> Path:
    if stats is not None:
        (tmp_path / "locust_stats.csv").write_text(stats)
        (tmp_path / "locust_failures.csv").write_text(_FAILURES)
    if timeline is not None:
        (tmp_path / "timeline.csv").write_text(timeline)
    return tmp_path


def _png(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decoded scanlines (filter bytes included) of an 8-bit PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, idat = 8, {}, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        chunks[kind] = body
        idat += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    return width, height, zlib.decompress(idat)


def test_the_summary_gives_each_requests_percentiles_failures_and_peaks(tmp_path: Path) -> None:
    report = _report(tmp_path)
    dialler = CallCount(answered=4, failed=1, invite_to_answer_ms=12.3)
    write_summary(report, passed=False, agents=8, calls={"dialler": dialler})
    summary = json.loads((report / "summary.json").read_text())
    requests = {r["name"]: r for r in summary["requests"]}
    assert list(requests) == ["pushed call answered", "sign-in to registered", "sign-out",
                              "REGISTER"]  # fmt: skip
    sign_in = requests["sign-in to registered"]
    assert (sign_in["count"], sign_in["failures"]) == (8, 2)
    assert (sign_in["p50_ms"], sign_in["p95_ms"], sign_in["p99_ms"]) == (440, 30000, 30000)
    assert sign_in["max_ms"] == 30012.5
    # Locust's rounded 12 ms is not shown above the 11.18 ms it measured at most
    assert (requests["sign-out"]["p95_ms"], requests["sign-out"]["max_ms"]) == (11.2, 11.2)
    assert requests["REGISTER"]["p50_ms"] is None  # Locust's N/A: nothing to measure
    assert summary["total"]["count"] == 12
    assert summary["failures"] == [
        {"name": "sign-in to registered", "reason": "RuntimeError('not registered within 30 s')",
         "count": 2},
        {"name": "sign-out", "reason": "RuntimeError('<b>kamailio</b> said 500, \"busy\"')",
         "count": 1},
    ]  # fmt: skip
    assert summary["calls"] == {
        "dialler": {"answered": 4, "failed": 1, "invite_to_answer_ms": 12.3}
    }
    assert (summary["peak_registered_agents"], summary["peak_active_calls"]) == (8, 2)
    assert summary["notes"] == []

    page = (report / "summary.html").read_text()
    assert "<script" not in page
    assert "FAILED" in page and '<img src="timeline.png"' in page
    assert "not registered within 30 s" in page
    assert "&lt;b&gt;kamailio&lt;/b&gt;" in page  # a reason is text, never markup
    cells = "".join(f'<td class="n">{n}</td>' for n in (8, 2, 440, 30000, 30000, 30012))
    assert f"<tr><td>sign-in to registered</td>{cells}</tr>" in page


def test_the_plot_is_a_png_of_the_expected_size_with_something_drawn(tmp_path: Path) -> None:
    report = _report(tmp_path)
    write_summary(report, passed=True, agents=8)
    width, height, pixels = _png(report / "timeline.png")
    assert (width, height) == (9 * PLOT_DPI, round(4.5 * PLOT_DPI))
    # not one colour: axes, labels and two lines drew on it
    assert len(set(pixels[i : i + 3] for i in range(0, len(pixels) - 3, 997))) > 5


def test_a_run_whose_locust_wrote_nothing_still_gets_a_summary_that_says_so(
    tmp_path: Path,
) -> None:
    report = _report(tmp_path, stats=None, timeline=None)
    (report / "locust_stats.csv").write_text("")  # Locust died before its header
    write_summary(report, passed=False, agents=8)
    summary = json.loads((report / "summary.json").read_text())
    assert summary["requests"] == [] and summary["plot"] is None
    page = (report / "summary.html").read_text()
    assert "Locust wrote no statistics" in page and "it did not finish its run" in page
    assert "No timeline of registered agents and calls was sampled." in page
    assert not (report / "timeline.png").exists()


def test_the_sampler_counts_registered_agents_and_sums_the_calls_of_every_counter(
    tmp_path: Path,
) -> None:
    path = tmp_path / "timeline.csv"
    enough = threading.Event()
    taken = 0

    def registered() -> int:
        nonlocal taken
        taken += 1
        if taken >= 3:
            enough.set()
        return 6

    def broken() -> int:
        raise OSError("kamailio went away")

    sampler = TimelineSampler(path, registered, [lambda: 2, lambda: 3, broken], every_s=0.01)
    sampler.start()
    assert enough.wait(10.0)
    sampler.stop()
    samples = read_timeline(path)
    assert len(samples) >= 3
    assert {(s.registered_agents, s.active_calls) for s in samples} == {(6, 5)}
    assert [s.seconds for s in samples] == sorted(s.seconds for s in samples)


def test_calls_up_is_sipps_latest_whole_row(tmp_path: Path) -> None:
    stats = tmp_path / "dialler-stats.csv"
    sipp = SippProcess(tmp_path, stats, tmp_path / "dialler.log")
    header = "StartTime;CurrentTime;TotalCallCreated;CurrentCall;SuccessfulCall(C);\n"
    assert sipp.calls_up() == 0  # sipp has not started
    stats.write_text(header)
    assert sipp.calls_up() == 0
    stats.write_text(header + "a\tb;c;1;1;0;\n" + "a\tb;c;5;3;2;\n" + "a\tb;c;6")
    assert sipp.calls_up() == 3  # the half-written row is not read
    assert sipp.count("SuccessfulCall(C)") == 2
