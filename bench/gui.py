"""GUI measures: cold start to window shown and to registered in demo mode, RSS after a simulated
hour of idle registration, and GUI-thread stalls over 50 ms during a call while typing into the
Recents search; the headless demo agent measured in the same run for comparison.

``python -m bench.gui [--quick]`` prints the section; ``run_all`` calls :func:`run`. The GUI runs
in a child process (``--probe``) on the offscreen platform with the null audio backend.

The "hour" here is a few minutes at a short REGISTER expiry, and the RSS includes the emulator,
which demo mode runs in the GUI's process. ``python -m bench.soak`` (bench/soak.py, SOAK.md)
measures a real hour instead: the GUI and the headless agent idle side by side, signed in to
one demo world in a separate process, through REGISTER and firewall-lease refreshes, with RSS
sampled over time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import bundle
from bench.report import Section, Verdict

REG_EXPIRES_S = 60  # the model's minimum: pjsua refreshes shortly before it expires
STALL_MS = 50


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def probe(idle_s: float) -> None:  # the child: one JSON line per milestone
    started = float(os.environ["BENCH_SPAWNED_AT"])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from softphone.app import App
    from softphone.app.options import options_for
    from softphone.audio.backend import NullBackend

    def say(step: str, **fields: Any) -> None:
        print(json.dumps({"step": step, "at": time.time(), **fields}), flush=True)

    qapp = QApplication([sys.argv[0]])
    work = Path(tempfile.mkdtemp(prefix="vicifast-bench-gui-"))
    options, env = options_for(work)
    assert env is not None
    short = options.adapt_account

    def adapt(account: Any) -> Any:
        account = short(account) if short is not None else account
        return replace(account, reg_expires_s=REG_EXPIRES_S)

    options.adapt_account = adapt
    options.audio_backend = NullBackend
    options.tray = False
    app = App(options)
    try:
        _probe_app(app, started, idle_s, say)
    finally:
        app.quit()
        env.close()  # the lines and kamailio, by PID, whatever happened
        qapp.processEvents()


def _probe_app(app: Any, started: float, idle_s: float, say: Any) -> None:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest

    from softphone.core import events as ev

    refreshes: list[float] = []
    calls: list[ev.CallStateChanged] = []
    app.bus.subscribe(
        ev.RegistrationChanged,
        lambda e: refreshes.append(e.at) if e.state is ev.RegistrationState.REGISTERED else None,
    )
    app.bus.subscribe(ev.CallStateChanged, calls.append)
    app.start()
    QTest.qWaitForWindowExposed(app.window)
    say("shown", since_spawn_s=time.time() - started)
    deadline = time.monotonic() + 30
    while not refreshes:
        QTest.qWait(5)
        if time.monotonic() > deadline:
            raise SystemExit("not registered within 30 s")
    say("registered", since_spawn_s=time.time() - started)
    idle_end = time.monotonic() + idle_s
    while time.monotonic() < idle_end:
        QTest.qWait(200)
    say("idle", rss_mb=_rss_mb(os.getpid()), refreshes=len(refreshes) - 1, idle_s=idle_s)

    # a call (the demo's tone line rings the agent, auto-answered), then typing in Recents
    app.ring_me()
    deadline = time.monotonic() + 20
    while not any(c.state is ev.CallState.CONFIRMED for c in calls):
        QTest.qWait(5)
        if time.monotonic() > deadline:
            raise SystemExit("the demo call did not connect")
    app.navigation.search_recents()
    assert app.recents_view is not None
    search = app.recents_view.search
    stalls: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]
    detector = QTimer()
    detector.setTimerType(Qt.TimerType.PreciseTimer)
    detector.setInterval(5)

    def beat() -> None:
        now = clock.elapsed()
        if now - last[0] > STALL_MS:
            stalls.append(float(now - last[0]))
        last[0] = now

    detector.timeout.connect(beat)
    detector.start()
    typed = 0
    for _round in range(10):
        for char in "agent 601 tone":
            QTest.keyClicks(search, char)
            typed += 1
            QTest.qWait(30)  # ~33 keys/s, a fast typist
        search.clear()
    detector.stop()
    say("typing", keys=typed, stalls=stalls, worst_ms=max(stalls, default=0.0))


def headless() -> dict[str, Any]:
    """``vicifast-phone demo --json`` (the headless agent in demo mode): spawn → registered."""
    spawned = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "softphone.cli", "demo", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    result: dict[str, Any] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        step = json.loads(line) if line.startswith("{") else {}
        if step.get("step") == "registered":
            result["registered_s"] = time.time() - spawned
            result["rss_mb"] = _rss_mb(proc.pid)
    proc.wait(120)
    return result


def measure(quick: bool) -> Section:
    idle_s = 20.0 if quick else 180.0
    spawned = time.time()
    env = {**os.environ, "BENCH_SPAWNED_AT": str(spawned), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-m", "bench.gui", "--probe", str(idle_s)],
        check=False, env=env, capture_output=True, text=True, timeout=idle_s + 180,
    )  # fmt: skip
    steps = {s["step"]: s for s in map(json.loads, _json_lines(out.stdout))}
    if "typing" not in steps:
        raise RuntimeError(f"the GUI probe failed: {out.stderr[-2000:]}")
    agent = headless()
    shown, registered = steps["shown"]["since_spawn_s"], steps["registered"]["since_spawn_s"]
    idle, typing = steps["idle"], steps["typing"]
    body = [
        "| measure | GUI (demo) | headless agent (demo) |\n|---|---|---|\n"
        f"| spawn → window shown | {shown:.2f} s | — |\n"
        f"| spawn → registered | {registered:.2f} s | {agent.get('registered_s', 0):.2f} s |\n"
        f"| RSS | {idle['rss_mb']:.1f} MiB after {idle['refreshes']} re-registrations "
        f"| {agent.get('rss_mb', 0):.1f} MiB at registered |\n"
        f"| GUI-thread stalls > {STALL_MS} ms while typing {typing['keys']} keys in Recents "
        f"during a call | {len(typing['stalls'])} (worst gap {typing['worst_ms']:.0f} ms) | — |"
    ]
    verdicts = [
        Verdict(
            f"GUI: no GUI-thread stall > {STALL_MS} ms during a call with Recents search typing",
            f"{len(typing['stalls'])} stalls, worst gap {typing['worst_ms']:.0f} ms",
            not typing["stalls"],
        ),
    ]
    method = (
        "A child process opens the app in demo mode (emulator over HTTPS + kamailio + demo "
        "lines started by the app, as `--demo` does; offscreen platform, null audio), times from "
        "its spawn to the window exposed and to REGISTER 200 (the first REGISTERED event). The "
        f"short idle here is REGISTER expiry {REG_EXPIRES_S} s for {idle_s:.0f} s (pjsua "
        "re-registers several times); RSS is read from /proc then (the real idle hour is the "
        "soak below). Then the demo's tone line rings the agent (auto-answered) and, "
        "during the call, QTest types into the Recents search (~33 keys/s, cleared every 14 "
        f"keys) while a 5 ms PreciseTimer on the GUI thread records gaps over {STALL_MS} ms. The "
        "headless agent is `vicifast-phone demo --json` in the same run (its own emulator, "
        "kamailio and lines), spawn → its 'registered' step; its RSS is read at that step."
    )
    body.append(soak_summary())
    body.append(bundle.summary(Path(__file__).with_name("BUNDLE.md")))
    return Section("GUI. Start-up, idle memory and GUI-thread stalls", method, body, verdicts)


SOAK_REPORT = Path(__file__).with_name("SOAK.md")


def soak_summary(report: Path = SOAK_REPORT) -> str:
    """The verdicts of the last hour-long soak (bench/soak.py writes SOAK.md; it takes an hour,
    so it is a run of its own), quoted with that run's date."""
    if not report.is_file():
        return "**RSS over a real idle hour:** no SOAK.md yet (`python -m bench.soak`)."
    lines = report.read_text(encoding="utf-8").splitlines()
    cells = [ln.split("|") for ln in lines if ln.count("|") >= 3]
    table = {row[1].strip(): row[2].strip() for row in cells}
    date, run = table.get("date", "?"), table.get("run", "?")
    start = lines.index("## Verdict") + 1 if "## Verdict" in lines else len(lines)
    verdicts = []
    for line in lines[start:]:
        if line.startswith("## "):
            break
        if line.startswith("- "):
            verdicts.append(line)
    return (
        f"**RSS over a real idle hour** (bench/soak.py, a run of its own on {date}: GUI and "
        f"headless agent signed in side by side to one demo world; {run}; details in "
        "[SOAK.md](SOAK.md)):\n\n" + "\n".join(verdicts)
    )


def _json_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("{")]


def run(lab: object, plan: Any) -> Section:
    """run_all's entry point; the lab's kamailio is not used (demo mode starts its own)."""
    return measure(bool(getattr(plan, "quick", False)))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--probe":
        probe(float(sys.argv[2]))
    else:
        print(measure("--quick" in sys.argv).markdown())
