"""GUI measures: start-up against a bare PySide6 window (issue 21: spawn → window exposed,
alternating runs, and the app registered against a demo world in a process of its own, its
RSS and GUI-thread stalls); cold start to window shown and to registered in demo mode, RSS
after a simulated hour of idle registration, and GUI-thread stalls over 50 ms during a call
while typing into the Recents search; the headless demo agent measured in the same run for
comparison. ``python -m bench.gui --start [--quick]`` prints the start-up comparison alone.

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
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.report import Section

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


# ---- start-up against a bare PySide6 window (issue 21) ----------------------------------------

WORLD_ENV = "BENCH_GUI_WORLD"  # the external demo world's address and login, for the app probe
KEYCHAIN_ENV = "BENCH_GUI_KEYCHAIN"  # "1": the app probe keeps its secrets in the system keychain
START_RUNS = 5  # each, alternating
SIGNED_IN_IDLE_S = 10.0


def _say(step: str, **fields: Any) -> None:
    print(json.dumps({"step": step, "at": time.time(), **fields}), flush=True)


def _wait_exposed(qapp: Any, window: Any) -> None:
    """Process events until ``window`` is exposed (without QtTest, which the bare one lacks)."""
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + 30
    while (handle := window.windowHandle()) is None or not handle.isExposed():
        qapp.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
        if time.monotonic() > deadline:
            raise SystemExit("the window was not exposed within 30 s")


def probe_bare() -> None:
    """The baseline: a bare PySide6 window (QApplication + QMainWindow shown), nothing else."""
    started = float(os.environ["BENCH_SPAWNED_AT"])
    from PySide6.QtWidgets import QApplication, QMainWindow

    qapp = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(720, 560)
    window.show()
    _wait_exposed(qapp, window)
    _say("shown", since_spawn_s=time.time() - started, cpu_s=time.process_time())


def probe_start(idle_s: float) -> None:
    """The app started as ``run`` starts it (Qt's set-up, the translator, the icon, the first
    window shown, then the app behind it imported on a thread and built in steps), signed in
    through its form to the demo world of another process; null audio, no tray; its secrets in
    the system keychain as a real start's (a private Secret Service: ``start_compare``), or in
    memory as ``--demo``'s when there is none."""
    started = float(os.environ["BENCH_SPAWNED_AT"])
    world = json.loads(os.environ[WORLD_ENV])
    from PySide6.QtWidgets import QApplication

    qapp = QApplication([sys.argv[0]])
    from softphone.app import process
    from softphone.app.first_window import FirstWindow
    from softphone.app.options import AppOptions
    from softphone.core.models import EngineConfig
    from softphone.core.secret import MemorySecretStore, SecretStore
    from softphone.signin.config import SignInConfig
    from softphone.ui.i18n import install_translator
    from softphone.ui.icons import app_icon
    from softphone.ui.quit_signal import QuitOnSignal
    from softphone.ui.single_instance import instance_name

    qapp.setApplicationName("VICIfast Desktop")
    qapp.setWindowIcon(app_icon())
    qapp.setQuitOnLastWindowClosed(False)
    install_translator(qapp)
    work = Path(tempfile.mkdtemp(prefix="vicifast-bench-start-"))
    store: SecretStore = MemorySecretStore()
    if os.environ.get(KEYCHAIN_ENV) == "1":
        from softphone.storage.keychain import KeychainStore  # as options_for opens it

        store = KeychainStore.open(f"bench-start-{os.getpid()}")
    options = AppOptions(
        data_dir=work / "data",
        settings_path=work / "settings.json",
        store=store,
        device_id=f"bench-start-{os.getpid()}",
        signin=SignInConfig(world["control_plane"], world["ca_file"], "127.0.0.1"),
        instance=instance_name(f"-bench-{os.getpid()}"),
        engine_config=EngineConfig(bind_address="127.0.0.1"),
        audio_backend=_null_backend,
        tray=False,
        persist_control_plane=False,
        demo_login=(world["company"], world["username"], world["password"]),
        log_dir=work / "logs",
        service_after_show=True,  # as options_for makes a real start's and --demo's
    )
    first = FirstWindow(options)
    first.show()
    quit_on_signal = QuitOnSignal(qapp)
    start = process._Start(qapp, first, [], None, quit_on_signal)
    try:
        _probe_start(qapp, first, start, started, idle_s)
    finally:
        app = start.app
        if app is not None and app.built:
            app.quit()
            deadline = time.monotonic() + 15
            while app.stopped_cleanly is None and time.monotonic() < deadline:
                qapp.processEvents()
                time.sleep(0.01)
        quit_on_signal.close()


def _null_backend() -> Any:
    """Imported when the app behind the window is built, as a real start's default backend."""
    from softphone.audio.backend import NullBackend

    return NullBackend()


def _probe_start(qapp: Any, first: Any, start: Any, started: float, idle_s: float) -> None:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from softphone.core import events as ev

    registered: list[float] = []
    first.bus.subscribe(
        ev.RegistrationChanged,
        lambda e: (
            registered.append(time.time()) if e.state is ev.RegistrationState.REGISTERED else None
        ),
    )
    _wait_exposed(qapp, first.window)
    _say("shown", since_spawn_s=time.time() - started, cpu_s=time.process_time())
    stalls: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    ticks = [0]

    def beat() -> None:
        now = clock.elapsed()
        if now - last[0] > STALL_MS:
            stalls.append(float(now - last[0]))
        last[0] = now
        ticks[0] += 1

    detector = QTimer()
    detector.setTimerType(Qt.TimerType.PreciseTimer)
    detector.setInterval(5)
    detector.timeout.connect(beat)
    detector.start()
    deadline = time.monotonic() + 30
    while not registered:
        if start.error is not None:
            raise SystemExit(f"the app did not start: {start.error!r}")
        qapp.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
        if time.monotonic() > deadline:
            raise SystemExit("not registered within 30 s")
    detector.stop()
    beat()
    _say(
        "registered",
        since_spawn_s=registered[0] - started,
        cpu_s=time.process_time(),  # a few ms after: the loop above wakes every 5 ms
        stalls=stalls,
        worst_ms=max(stalls, default=0.0),
        ticks=ticks[0] - 1,  # the last is the call above
    )
    idle_end = time.monotonic() + idle_s
    while time.monotonic() < idle_end:
        qapp.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    _say("idle", rss_mb=_rss_mb(os.getpid()), idle_s=idle_s)


def _platform_env() -> tuple[dict[str, str], Any]:
    """Xvfb (xcb) as tests/support/xvfb.py starts it, when installed; else offscreen."""
    import contextlib

    if shutil.which("Xvfb") is None:
        return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}, contextlib.nullcontext()
    from tests.support.xvfb import xvfb_env

    context = xvfb_env()
    return context.__enter__(), context


def _child(kind: str, env: dict[str, str], *extra: str) -> dict[str, Any]:
    spawned = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "bench.gui", kind, *extra],
        check=False, env={**env, "BENCH_SPAWNED_AT": str(spawned)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    steps = {s["step"]: s for s in map(json.loads, _json_lines(out.stdout))}
    if "shown" not in steps:
        raise RuntimeError(f"the {kind} probe failed: {out.stderr[-2000:]}")
    return steps


def _keychain() -> tuple[dict[str, str], Any]:
    """A private Secret Service (gnome-keyring on a bus of its own, as the tests start it) for
    the app probes, when installed; else none (the probes keep their secrets in memory)."""
    import contextlib

    from tests.support import secret_service

    if not secret_service.available():
        return {}, contextlib.nullcontext()
    service = secret_service.SecretService(Path(tempfile.mkdtemp(prefix="vicifast-bench-keys-")))
    stop = contextlib.ExitStack()
    stop.callback(service.stop)
    service.start()
    return {**service.env, KEYCHAIN_ENV: "1"}, stop


def start_compare(runs: int = START_RUNS, idle_s: float = SIGNED_IN_IDLE_S) -> dict[str, Any]:
    """The app against a bare PySide6 window, ``runs`` each, alternating, on one display; the
    app signs in to a demo world (emulator, kamailio, lines) running in a process of its own
    (bench/soak.py's ``world`` probe), keeping its secrets in a private Secret Service as a
    real start keeps them in the system keychain (when gnome-keyring is installed)."""
    world = subprocess.Popen(
        [sys.executable, "-m", "bench.soak", "--probe", "world"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert world.stdout is not None and world.stdin is not None
    platform_env, context = _platform_env()
    keychain_env, keychain = _keychain()
    try:
        first = json.loads(world.stdout.readline() or "{}")
        if first.get("event") != "world":
            raise RuntimeError(f"the demo world did not start: {first}")
        env = {**platform_env, WORLD_ENV: json.dumps(first)}
        app_env = {**env, **keychain_env}
        bare: list[dict[str, Any]] = []
        app: list[dict[str, Any]] = []
        for _ in range(runs):
            bare.append(_child("--probe-bare", env)["shown"])
            app.append(_child("--probe-start", app_env, str(idle_s)))
    finally:
        world.stdin.close()  # the world stops kamailio and the lines by PID
        world.wait(60)
        keychain.__exit__(None, None, None)
        context.__exit__(None, None, None)
    return {
        "platform": platform_env.get("QT_QPA_PLATFORM", ""),
        "bare_shown": [b["since_spawn_s"] for b in bare],
        "bare_cpu": [b["cpu_s"] for b in bare],
        "shown": [a["shown"]["since_spawn_s"] for a in app],
        "cpu": [a["shown"]["cpu_s"] for a in app],
        "registered": [a["registered"]["since_spawn_s"] for a in app],
        "registered_cpu": [a["registered"]["cpu_s"] for a in app],
        "worst_stall_ms": [a["registered"]["worst_ms"] for a in app],
        "stalls": [len(a["registered"]["stalls"]) for a in app],
        "ticks": [a["registered"]["ticks"] for a in app],
        "rss_mb": [a["idle"]["rss_mb"] for a in app],
        "idle_s": idle_s,
        "keychain": bool(keychain_env),
    }


def start_table(result: dict[str, Any]) -> str:
    """The comparison as markdown: medians (min–max) and the ratio of the medians."""
    import statistics

    def cell(values: list[float], unit: str, scale: float = 1.0, digits: int = 2) -> str:
        med = statistics.median(values) * scale
        low, high = min(values) * scale, max(values) * scale
        return f"{med:.{digits}f} {unit} ({low:.{digits}f}–{high:.{digits}f})"

    bare, shown = result["bare_shown"], result["shown"]
    ratio = statistics.median(shown) / statistics.median(bare)
    cpu_ratio = statistics.median(result["cpu"]) / statistics.median(result["bare_cpu"])
    return (
        f"| measure ({len(shown)} runs each, alternating; {result['platform']}) | app | "
        "bare PySide6 window |\n|---|---|---|\n"
        f"| spawn → window exposed | {cell(shown, 's')} | {cell(bare, 's')} |\n"
        f"| ratio of the medians | {ratio:.2f}× (target ≤ 2×) | 1× |\n"
        f"| CPU time of the process at window exposed | {cell(result['cpu'], 's')} "
        f"| {cell(result['bare_cpu'], 's')} |\n"
        f"| ratio of the CPU medians | {cpu_ratio:.2f}× | 1× |\n"
        f"| spawn → REGISTER 200 (emulator in its own process) | {cell(result['registered'], 's')}"
        " (target ≤ 0.9 s) | — |\n"
        f"| CPU time of the process at REGISTER 200 | {cell(result['registered_cpu'], 's')} | — |\n"
        f"| RSS signed in, {result['idle_s']:.0f} s after registered (secrets "
        f"{'in a Secret Service' if result.get('keychain') else 'in memory'}) "
        f"| {cell(result['rss_mb'], 'MiB', digits=1)} (target ≤ 100 MiB) | — |\n"
        f"| worst GUI-thread gap, window shown → registered "
        f"| {cell(result['worst_stall_ms'], 'ms', digits=0)} (target ≤ {STALL_MS} ms; "
        f"{statistics.median(result['ticks']):.0f} beats of 5 ms seen) | — |"
    )


def start_verdicts(result: dict[str, Any], verdict: Any) -> list[Any]:
    """Issue 21's target 1, one verdict per part."""
    import statistics

    shown = statistics.median(result["shown"])
    bare = statistics.median(result["bare_shown"])
    registered = statistics.median(result["registered"])
    rss = statistics.median(result["rss_mb"])
    worst = max(result["worst_stall_ms"])
    return [
        verdict(
            "GUI: spawn → window shown ≤ 2× a bare PySide6 window",
            f"{shown:.2f} s vs {bare:.2f} s: {shown / bare:.2f}×",
            shown <= 2 * bare,
        ),
        verdict(
            "GUI: spawn → registered ≤ 0.9 s (emulator in its own process)",
            f"{registered:.2f} s",
            registered <= 0.9,
        ),
        verdict("GUI: idle RSS signed in ≤ 100 MiB", f"{rss:.1f} MiB", rss <= 100),
        verdict(
            f"GUI: no GUI-thread stall > {STALL_MS} ms from window shown to registered",
            f"worst gap {worst:.0f} ms",
            worst <= STALL_MS,
        ),
    ]


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
    from bench import bundle
    from bench.report import Section, Verdict

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
    start = start_compare(3 if quick else START_RUNS)
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
    body.insert(
        0, "**Start-up against a bare PySide6 window** (issue 21):\n\n" + start_table(start)
    )
    verdicts = [
        *start_verdicts(start, Verdict),
        Verdict(
            f"GUI: no GUI-thread stall > {STALL_MS} ms during a call with Recents search typing",
            f"{len(typing['stalls'])} stalls, worst gap {typing['worst_ms']:.0f} ms",
            not typing["stalls"],
        ),
    ]
    method = (
        "Start-up (issue 21): a bare PySide6 window (QApplication + QMainWindow shown) and the "
        "app, started alternately the same way (`python -m bench.gui --probe-…`, same "
        "interpreter, Xvfb when installed, else offscreen), each timed from its spawn to its "
        "window exposed, with the process's CPU time then (less sensitive to the load of a "
        "shared machine than the wall clock). The app is started as `run` starts it, with null "
        "audio, no tray and an in-memory credential store, and signs in through its form to a "
        "demo world (emulator, kamailio, lines) in a process of its own (bench/soak.py's "
        "`world` probe): spawn → REGISTER 200, the worst gap of a 5 ms PreciseTimer on the GUI "
        f"thread from the window shown to registered, and RSS {SIGNED_IN_IDLE_S:.0f} s after. "
        "Then: a child process opens the app in demo mode (emulator over HTTPS + kamailio + demo "
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
    elif len(sys.argv) > 1 and sys.argv[1] == "--probe-bare":
        probe_bare()
    elif len(sys.argv) > 2 and sys.argv[1] == "--probe-start":
        probe_start(float(sys.argv[2]))
    elif "--start" in sys.argv:  # only the comparison with a bare window
        print(start_table(start_compare(3 if "--quick" in sys.argv else START_RUNS)))
    else:
        print(measure("--quick" in sys.argv).markdown())
