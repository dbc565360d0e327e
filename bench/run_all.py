"""Run every benchmark in one go against one kamailio, and write bench/RESULTS.md.

    .venv/bin/python -m bench.run_all            # the recorded run (~2.5 min)
    .venv/bin/python -m bench.run_all --quick                      # smoke run (~25 s)

A ``--quick`` run writes its report into its work directory (printed at the end), never over
bench/RESULTS.md, unless ``--output`` says otherwise.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import audio_bridge, auto_answer, call_setup, gui, history, idle, limits, qr, register
from bench.diagnosis import diagnosis
from bench.lab import BENCH_DIR, Lab
from bench.plan import Plan, parser, plan_from
from bench.report import Section, loadavg, machine
from bench.stats import markdown_table

METRICS: list[tuple[str, Callable[[Lab, Plan], Section]]] = [
    ("register", register.run),
    ("call setup", call_setup.run),
    ("auto-answer", auto_answer.run),
    ("idle", idle.run),
    ("limits", limits.run),
    ("audio bridge", audio_bridge.run),
    ("qr", qr.run),
    ("history", history.run),
    ("gui", gui.run),
]

NOTES = """\
## Reading these numbers

- **Everything runs on one 2-core machine over loopback**: kamailio, sipp, the peer under test
  and this benchmark share the CPUs, so every latency includes some scheduling noise. Peers
  run interleaved or back to back against the same kamailio so that noise touches them alike;
  the load average before and after the run is in the table above. Other work on the machine
  during the run (there may be some: it is shared) shows up as outliers in the p90/p95 and max
  columns more than in the medians.
- **Sub-millisecond differences are real but small.** A ratio such as 1.5× on a 1 ms median
  is half a millisecond; next to a real network's round trip (tens of ms to a VICIdial server)
  it does not show. The targets are ratios, so the verdicts are given as ratios anyway.
- **Run-to-run spread.** While this benchmark was written, two full runs of the same code
  (35e50c7) on this machine, minutes apart and with a load average under 0.3, moved
  sub-millisecond medians by up to 0.4 ms, all peers the same way (e.g. auto-answer at the
  wire: agent 1.19 then 1.58 ms, raw pjsua2 0.96 then 1.17 ms), and flipped two verdicts that
  sat near the line (INVITE → ACK 1.20× then 1.27×; auto-answer in sipp's message log 1.08×
  then 1.22×). Read a ratio within about ±0.1× of a target as a tie. What held in both:
  start-up ~1.65× (33 ms more), the agent within 0.06 ms of the engine alone at auto-answer,
  the engine 0.29-0.40 ms behind raw pjsua2 there, and REGISTER 200 → call connected
  1.3-1.5×.
- **The wire tap** (bench/wire.py) reads every SIP datagram to or from kamailio's UDP port on
  `lo` through a packet socket with kernel timestamps (SO_TIMESTAMPNS), so the reader's own
  latency is not in the numbers, and all three peers are timed by the same clock.
- **Bytecode cache.** Where Python runs with PYTHONDONTWRITEBYTECODE=1 and the venv
  holds no .pyc files, so a plain start recompiles every imported module of the venv and the
  project (pjsua2's 570 kB SWIG module alone: ~60 ms, and the compiler's garbage stays in the
  heap). An installed app, or any machine without that variable, runs from cached bytecode, so
  the Python peers (agent, raw script, engine driver) run with PYTHONPYCACHEPREFIX pointing into
  the benchmark's work directory, filled before the first measurement. Table 1 and table 4
  also show the agent without it. Nothing is written into the repository or the venv.
- **The code under test** is `softphone/` as committed in HEAD when the run starts (or, with
  `--code worktree`, the working tree as it is then), copied into the work directory; every
  Python peer imports that copy, so edits made while the benchmark runs cannot mix into it.
  The table at the top names the commit.
- **sipp's rtd** (`start_rtd`/`rtd`, `-trace_rtt`) is kept by sipp in whole milliseconds of
  its own loop clock, so at 1-2 ms it mostly reads 0 or a tick; sipp's message log stamps
  some messages late. The sipp-side number to read is the wire at sipp's port (table 3).
- "÷ fastest" divides a row's median by the lowest median in its table.
"""


def verdict_summary(sections: list[Section]) -> str:
    rows = []
    for section in sections:
        number = section.title.split(".", 1)[0]
        for v in section.verdicts:
            rows.append([number, v.target, v.measured, "met" if v.met else "**NOT met**"])
    return markdown_table(["§", "target", "measured", "verdict"], rows)


def behind(sections: list[Section]) -> str:
    missed = [v for s in sections for v in s.verdicts if not v.met]
    if not missed:
        return "Every target was met in this run."
    lines = [f"- **Behind:** {v.target} — measured {v.measured}." for v in missed]
    return "Where we are behind, plainly:\n\n" + "\n".join(lines)


def write_report(
    path: Path, plan: Plan, sections: list[Section], failures: list[str], info: dict[str, str]
) -> None:
    kind = "QUICK SMOKE RUN (small samples, not the recorded numbers)" if plan.quick else "full"
    parts = [
        "# Benchmarks: our agent vs raw pjsua2 vs baresip",
        f"Generated by `bench/run_all.py` ({kind} run). Re-run: `"
        ".venv/bin/python -m bench.run_all` (add `--quick` for a smoke run); one metric: "
        "`.venv/bin/python -m bench.<register|call_setup|auto_answer|idle|limits>`. "
        "See bench/README.md.",
        "## Machine and run\n\n" + markdown_table(["", ""], [[k, v] for k, v in info.items()]),
        "## Targets\n\n" + verdict_summary(sections) + "\n\n" + behind(sections),
    ]
    explained = diagnosis(sections)
    if explained:
        parts.append(explained)
    if failures:
        parts.append("## Metrics that failed to run\n\n" + "\n\n".join(failures))
    parts += [s.markdown() for s in sections]
    parts.append(NOTES)
    path.write_text("\n\n".join(parts).rstrip() + "\n")


def main() -> int:
    args = parser(__doc__.split("\n", 1)[0])
    args.add_argument("--output", type=Path, help="where to write the report")
    options = args.parse_args()
    plan = plan_from(options)
    info = dict(machine())
    info["load average before (1/5/15 min)"] = loadavg()
    began = time.monotonic()
    sections: list[Section] = []
    failures: list[str] = []
    # One Qt application for the whole run, a GUI one: the Qt audio backend would otherwise make
    # a QCoreApplication, and the QR sheet's fonts then abort the process.
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance() or QApplication(["bench", "-platform", "offscreen"])  # noqa: F841
    with Lab(options.keep, code=options.code) as lab:
        info["code under test"] = lab.code_label
        for name, run in METRICS:
            print(f"[bench] {name} …", flush=True)
            started = time.monotonic()
            try:
                sections.append(run(lab, plan))
            except Exception:
                # One broken metric must not cost the others; its traceback goes in the report.
                failures.append(f"**{name}**\n\n```\n{traceback.format_exc()}```")
                print(failures[-1], flush=True)
            print(f"[bench] {name} done in {time.monotonic() - started:.1f} s", flush=True)
        output = options.output or (
            lab.workdir / "RESULTS-quick.md" if plan.quick else BENCH_DIR / "RESULTS.md"
        )
        if plan.quick and options.output is None:
            lab.keep = True  # the report lives in the work directory: keep it
        info["load average after (1/5/15 min)"] = loadavg()
        info["total run time"] = f"{time.monotonic() - began:.0f} s"
        info["sample sizes"] = (
            f"{plan.register_runs} starts per peer (register), {plan.cold_calls} cold + "
            f"{plan.warm_calls} warm calls per peer (call setup), {plan.answer_calls} calls per "
            f"peer (auto-answer), {plan.idle_s:.0f} s idle window, {plan.limits_s:.0f} s "
            "with 4 calls up"
        )
        write_report(output, plan, sections, failures, info)
    print(f"[bench] wrote {output}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
