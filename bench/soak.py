"""Soak: RSS over a real hour of idle registration, the GUI and the headless agent side by side.

``python -m bench.soak [--minutes 60] [--sample-s 60] [--reauth-s 300] [--output bench/SOAK.md]``

Three child processes (``--probe``):

* ``world``: the demo world as ``--demo`` and ``vicifast-phone demo`` start it (the emulator over
  HTTPS in this process; kamailio and the demo lines as its children). Before anyone signs in
  its emulator is set to provision ``reg_expires_s`` = 60 (the model's minimum, so pjsua
  refreshes the REGISTER about once a minute) and to grant firewall leases with a re-auth
  interval of ``--reauth-s`` (TTL twice that), so the hour includes lease refreshes too: each
  is a new login and provisioning round, and kamailio's allow-rule is renewed;
* ``gui``: the app as ``--demo`` opens it (signed in through its form; offscreen platform, null
  audio, no tray, in-memory credential store) on Qt's own event loop, against that world;
* ``headless``: :class:`softphone.headless.agent.HeadlessAgent` signed in to the same world (what
  ``vicifast-phone agent --signin --audio none`` runs, with an in-memory store instead of the
  OS keychain).

Neither client hosts the emulator, so their RSS is the client's own. No calls are made. This
process samples VmRSS, VmHWM, CPU time and threads of all three from /proc every
``--sample-s`` and counts REGISTER and lease refreshes from the events each client prints (one
JSON object per line). A child ends when its stdin closes (also if this process dies); the
world stops kamailio and the lines by PID, and their PIDs are checked from here afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds, status_kib
from bench.report import _first_line, cpu_model, loadavg
from bench.stats import markdown_table

HOST = "127.0.0.1"
WORLD_ENV = "BENCH_SOAK_WORLD"  # the world's address and demo login, for the two clients
REG_EXPIRES_S = 60  # the model's minimum
DEFAULT_REAUTH_S = 300  # a lease refresh every 5 min: 12 in the hour
WARMUP_S = 300.0  # growth is measured from the first sample after this (shorter runs: 1/4)
CHECKPOINTS_MIN = (0, 5, 15, 30, 45, 60)
NO_GROWTH_MIB_PER_H = 1.0  # below this (slope and end-to-end) the verdict is "no growth"
REGISTER_WAIT_S = 60.0
STOP_WAIT_S = 30.0
ROOT = Path(__file__).resolve().parents[1]
NAMES = ("gui", "headless")  # the two clients compared
SAMPLED = (*NAMES, "world")  # the world's process (the emulator) is sampled too, for reference
LABELS = {
    "gui": "GUI",
    "headless": "headless agent",
    "world": "demo world (emulator process)",
}


# ---- the children -------------------------------------------------------------------------


def _say(data: dict[str, Any]) -> None:
    print(json.dumps(data, separators=(",", ":"), default=str), flush=True)


def _tune(env: Any, reauth_s: int) -> None:
    """Before anyone signs in: provision a 60 s REGISTER expiry, grant leases that want a
    re-auth every ``reauth_s`` (TTL twice that, so a lease never lapses between refreshes)."""
    state = env.server.state
    for company in state.companies:
        company.sip = replace(company.sip, reg_expires_s=REG_EXPIRES_S)
    state.set_durations(time.time(), 2 * reauth_s, reauth_s)


def _on_stdin_eof(action: Any) -> None:
    def watch() -> None:
        for _line in sys.stdin:
            pass
        action()

    threading.Thread(target=watch, name="soak-stdin", daemon=True).start()


def probe_world(reauth_s: int) -> None:
    """The demo world both clients sign in to: the emulator (this process), kamailio and the
    demo lines (its children). Prints where it is, then waits for its stdin to close."""
    from softphone.demo.environment import start_demo_environment

    with tempfile.TemporaryDirectory(prefix="vicifast-soak-world-") as tmp:
        env = start_demo_environment(Path(tmp))
        try:
            if env.direct:
                _say({"event": "probe_failed", "message": "no kamailio on PATH: no registrar"})
                return
            _tune(env, reauth_s)
            creds = env.credentials
            stop = threading.Event()
            _on_stdin_eof(stop.set)
            _say(
                {
                    "event": "world",
                    "pids": env.pids(),
                    "control_plane": env.control_plane,
                    "ca_file": str(env.ca_file),
                    "registrar": env.registrar,
                    "company": creds.company,
                    "username": creds.username,
                    "password": creds.password.reveal(),  # the seed's public demo login
                }
            )
            stop.wait()
        finally:
            env.close()  # the lines and kamailio, by PID
    _say({"event": "probe_done"})


def _world() -> dict[str, Any]:
    world: dict[str, Any] = json.loads(os.environ[WORLD_ENV])
    return world


def probe_gui() -> None:
    """The app as ``--demo`` opens it, signed in through its form to the world's emulator."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication

    from softphone import app as appmod
    from softphone.audio.backend import NullBackend
    from softphone.core import events as ev
    from softphone.core.models import EngineConfig
    from softphone.core.secret import MemorySecretStore
    from softphone.core.session_events import FirewallLeaseChanged, SessionStateChanged
    from softphone.signin.config import SignInConfig
    from softphone.ui.single_instance import instance_name

    class Stopper(QObject):
        stop = Signal()

    world = _world()
    qapp = QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory(prefix="vicifast-soak-gui-") as tmp:
        work = Path(tmp)
        options = appmod.AppOptions(
            data_dir=work / "data",
            settings_path=work / "settings.json",
            store=MemorySecretStore(),
            device_id="soak-gui",
            signin=SignInConfig(world["control_plane"], world["ca_file"], HOST),
            instance=instance_name(f"-soak-{os.getpid()}"),
            engine_config=EngineConfig(bind_address=HOST),
            audio_backend=NullBackend,
            tray=False,
            persist_control_plane=False,
            demo_login=(world["company"], world["username"], world["password"]),
            log_dir=work / "logs",
        )
        app = appmod.App(options)
        for kind in (ev.RegistrationChanged, FirewallLeaseChanged, SessionStateChanged):
            app.bus.subscribe(kind, lambda e: _say(e.to_dict()))
        stopper = Stopper()
        stopper.stop.connect(qapp.quit)  # queued: emitted from the stdin thread
        _on_stdin_eof(stopper.stop.emit)
        try:
            app.start()
            qapp.exec()
        finally:
            app.quit()  # unregisters and stops the engine, bounded
            qapp.processEvents()
    _say({"event": "probe_done"})


def probe_headless() -> None:
    """The headless agent signed in to the world's emulator (``agent --signin --audio none``,
    with an in-memory credential store instead of the OS keychain)."""
    from softphone.core.models import EngineConfig
    from softphone.core.secret import MemorySecretStore, Secret
    from softphone.headless.agent import AgentPlan, HeadlessAgent
    from softphone.signin.config import SignInConfig
    from softphone.signin.service import SignInPlan

    world = _world()
    plan = SignInPlan(
        config=SignInConfig(world["control_plane"], world["ca_file"], HOST),
        store=MemorySecretStore(),
        device_id="soak-headless",
        company=world["company"],
        username=world["username"],
        password=Secret(world["password"]),
    )
    agent = HeadlessAgent(
        None,
        AgentPlan(),
        engine_config=EngineConfig(bind_address=HOST),
        as_json=True,
        signin=plan,
    )
    _on_stdin_eof(agent.stop_soon)
    outcome = agent.run()
    if outcome.exit_code:
        _say({"event": "probe_failed", "message": outcome.message})
    _say({"event": "probe_done"})


# ---- the parent ---------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[str]
    stderr_path: Path
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (monotonic, …)
    lock: threading.Lock = field(default_factory=threading.Lock)
    reader: threading.Thread | None = None

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.startswith("{"):
                continue  # pjsua2 prints a few lines before its log settings apply
            try:
                data = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append((time.monotonic(), data))

    def snapshot(self) -> list[tuple[float, dict[str, Any]]]:
        with self.lock:
            return list(self.events)

    def registrations(self, until: float = math.inf) -> list[dict[str, Any]]:
        return [
            e for t, e in self.snapshot() if t <= until and e.get("event") == "RegistrationChanged"
        ]

    def registered(self, until: float = math.inf) -> int:
        return sum(e.get("state") == "registered" for e in self.registrations(until))

    def leases(self, until: float = math.inf) -> list[dict[str, Any]]:
        return [
            e
            for t, e in self.snapshot()
            if t <= until and e.get("event") == "FirewallLeaseChanged" and e.get("ip")
        ]

    def world(self) -> dict[str, Any] | None:
        return next((e for _t, e in self.snapshot() if e.get("event") == "world"), None)

    def grandchildren(self) -> list[int]:
        for _t, e in self.snapshot():
            if e.get("event") == "world":
                return [int(p) for p in e.get("pids", [])]
        return []

    def stderr_tail(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


@dataclass(frozen=True, slots=True)
class Sample:
    elapsed_s: float
    rss_kib: dict[str, int]
    hwm_kib: dict[str, int]
    cpu_s: dict[str, float]
    threads: dict[str, int]
    register_refreshes: dict[str, int]
    lease_refreshes: dict[str, int]


def _spawn(name: str, reauth_s: int, logdir: Path, world: dict[str, Any] | None) -> Child:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
    if world is not None:
        env[WORLD_ENV] = json.dumps(world)
    stderr_path = logdir / f"{name}.stderr"
    with stderr_path.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.soak", "--probe", name, "--reauth-s", str(reauth_s)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            text=True, start_new_session=True,
        )  # fmt: skip
    child = Child(name, proc, stderr_path)
    child.reader = threading.Thread(target=child.read, name=f"soak-{name}", daemon=True)
    child.reader.start()
    return child


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by its parent) counts as gone
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _stop_pid(pid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _alive(pid):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)


def _stop(child: Child) -> list[int]:
    """Close its stdin (a client unregisters and exits; the world stops kamailio and the lines
    and exits); then by PID if it must.
    Returns the PIDs that had to be stopped from here."""
    forced: list[int] = []
    proc = child.proc
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    try:
        proc.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        forced.append(proc.pid)
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if child.reader is not None:
        child.reader.join(5)
    if proc.stdout is not None:
        proc.stdout.close()
    for pid in child.grandchildren():  # kamailio and the demo lines, if they outlived it
        if _alive(pid):
            forced.append(pid)
            _stop_pid(pid)
    return forced


def _sample(children: dict[str, Child], elapsed: float, until: float) -> Sample:
    rss, hwm, cpu, threads, regs, leases = {}, {}, {}, {}, {}, {}
    for name, child in children.items():
        pid = child.proc.pid
        rss[name] = status_kib(pid, "VmRSS")
        hwm[name] = status_kib(pid, "VmHWM")
        threads[name] = status_kib(pid, "Threads")
        cpu[name] = cpu_seconds(pid)
        if name not in NAMES:
            continue
        regs[name] = max(child.registered(until) - 1, 0)
        leases[name] = max(len(child.leases(until)) - 1, 0)
    return Sample(elapsed, rss, hwm, cpu, threads, regs, leases)


def _exited(children: dict[str, Child], when: str) -> None:
    for child in children.values():
        if child.proc.poll() is not None:
            said = [e.get("message", "") for _t, e in child.snapshot() if "message" in e]
            raise RuntimeError(
                f"the {child.name} probe exited {when}: {' '.join(said)}\n{child.stderr_tail()}"
            )


def _wait_world(world: Child) -> dict[str, Any]:
    deadline = time.monotonic() + REGISTER_WAIT_S
    while (info := world.world()) is None:
        _exited({"world": world}, "before its world was up")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo world did not start:\n{world.stderr_tail()}")
        time.sleep(0.05)
    return {k: v for k, v in info.items() if k not in ("event", "pids")}


def _wait_registered(children: dict[str, Child]) -> float:
    deadline = time.monotonic() + REGISTER_WAIT_S
    while True:
        _exited(children, "early")
        if all(c.registered() for c in children.values()):
            return time.monotonic()
        if time.monotonic() > deadline:
            late = [n for n, c in children.items() if not c.registered()]
            tails = "\n".join(children[n].stderr_tail() for n in late)
            raise RuntimeError(f"not registered within {REGISTER_WAIT_S:.0f} s: {late}\n{tails}")
        time.sleep(0.05)


@dataclass
class Run:
    minutes: float
    sample_s: float
    reauth_s: int
    started: str
    load_before: str
    samples: list[Sample] = field(default_factory=list)
    spawn_to_registered_s: dict[str, float] = field(default_factory=dict)
    load_after: str = ""
    forced: dict[str, list[int]] = field(default_factory=dict)
    lost: dict[str, list[str]] = field(default_factory=dict)  # non-registered states seen
    expires_seen: dict[str, list[int]] = field(default_factory=dict)
    error: str = ""


def soak(minutes: float, sample_s: float, reauth_s: int) -> Run:
    run = Run(
        minutes,
        sample_s,
        reauth_s,
        datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        loadavg(),
    )
    duration = minutes * 60
    with tempfile.TemporaryDirectory(prefix="vicifast-soak-") as tmp:
        world = _spawn("world", reauth_s, Path(tmp), None)
        clients: dict[str, Child] = {}
        children = {"world": world}
        try:
            info = _wait_world(world)
            spawned = time.monotonic()
            clients = {name: _spawn(name, reauth_s, Path(tmp), info) for name in NAMES}
            children = {**clients, "world": world}
            t0 = _wait_registered(clients)
            for name, child in clients.items():
                first = next(
                    t
                    for t, e in child.snapshot()
                    if e.get("event") == "RegistrationChanged" and e.get("state") == "registered"
                )
                run.spawn_to_registered_s[name] = first - spawned
            pids = ", ".join(f"{n} pid {c.proc.pid}" for n, c in children.items())
            print(
                f"soak: both registered ({pids}); {minutes:g} min, a sample every {sample_s:g} s",
                flush=True,
            )
            k = 0
            while True:
                due = t0 + k * sample_s
                last = due >= t0 + duration
                due = min(due, t0 + duration)
                time.sleep(max(due - time.monotonic(), 0.0))
                _exited(children, "during the run")
                now = time.monotonic()
                sample = _sample(children, now - t0, now)
                run.samples.append(sample)
                print(_progress(sample), flush=True)
                if last:
                    break
                k += 1
            end = time.monotonic()
            for name, child in clients.items():
                regs = child.registrations(end)
                first_ok = next(i for i, e in enumerate(regs) if e.get("state") == "registered")
                run.lost[name] = [
                    str(e.get("state")) for e in regs[first_ok:] if e.get("state") != "registered"
                ]
                run.expires_seen[name] = sorted(
                    {int(e.get("expires_s", 0)) for e in regs if e.get("state") == "registered"}
                )
        except (RuntimeError, OSError) as err:
            run.error = str(err)
            print(f"soak: FAILED: {err}", file=sys.stderr, flush=True)
        finally:
            for name, child in children.items():  # the clients first, the world last
                run.forced[name] = _stop(child)
            run.load_after = loadavg()
    return run


def _progress(s: Sample) -> str:
    parts = [
        f"{n} RSS {s.rss_kib[n] / 1024:.1f} MiB (HWM {s.hwm_kib[n] / 1024:.1f}), "
        f"{s.register_refreshes[n]} REGISTER / {s.lease_refreshes[n]} lease refreshes"
        for n in NAMES
    ]
    world = f"world RSS {s.rss_kib['world'] / 1024:.1f} MiB"
    return f"soak: +{s.elapsed_s / 60:5.1f} min  " + "; ".join([*parts, world])


# ---- the report ---------------------------------------------------------------------------


def _slope_mib_per_h(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, KiB) points, in MiB per hour."""
    if len(points) < 2:
        return math.nan
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return math.nan
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return sxy / sxx * 3600 / 1024


@dataclass(frozen=True, slots=True)
class Growth:
    warm_s: float  # elapsed of the first sample after warm-up
    first_kib: int
    last_kib: int
    span_s: float
    per_hour_mib: float  # (last - first) scaled to an hour
    slope_mib_per_h: float

    @property
    def delta_mib(self) -> float:
        return (self.last_kib - self.first_kib) / 1024

    def verdict(self) -> str:
        if math.isnan(self.slope_mib_per_h) or self.span_s <= 0:
            return "not enough samples after warm-up for a verdict"
        if self.slope_mib_per_h < NO_GROWTH_MIB_PER_H and self.delta_mib < NO_GROWTH_MIB_PER_H:
            return (
                f"no growth ({self.delta_mib:+.1f} MiB over {self.span_s / 60:.0f} min after "
                f"warm-up; least-squares slope {self.slope_mib_per_h:+.2f} MiB per hour)"
            )
        rate = max(self.slope_mib_per_h, self.per_hour_mib)
        return (
            f"grows by {rate:.1f} MiB per hour ({self.delta_mib:+.1f} MiB over "
            f"{self.span_s / 60:.0f} min after warm-up; least-squares slope "
            f"{self.slope_mib_per_h:+.2f} MiB per hour)"
        )


def growth(samples: list[Sample], name: str, warmup_s: float) -> Growth:
    after = [s for s in samples if s.elapsed_s >= warmup_s - 1e-6]
    if len(after) < 2:
        return Growth(math.nan, 0, 0, 0.0, math.nan, math.nan)
    first, last = after[0], after[-1]
    span = last.elapsed_s - first.elapsed_s
    delta = (last.rss_kib[name] - first.rss_kib[name]) / 1024
    return Growth(
        first.elapsed_s,
        first.rss_kib[name],
        last.rss_kib[name],
        span,
        delta * 3600 / span if span > 0 else math.nan,
        _slope_mib_per_h([(s.elapsed_s, float(s.rss_kib[name])) for s in after]),
    )


def _warmup_s(run: Run) -> float:
    return min(WARMUP_S, run.minutes * 60 / 4)


def _nearest(samples: list[Sample], at_s: float) -> Sample:
    return min(samples, key=lambda s: abs(s.elapsed_s - at_s))


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def code_under_test() -> str:
    head = _git("log", "-1", "--format=%h %s") or "unknown commit"
    dirty = [line for line in _git("status", "--porcelain", "--", "softphone").splitlines() if line]
    state = (
        "softphone/ as committed"
        if not dirty
        else f"softphone/ with {len(dirty)} uncommitted file change(s) in the working tree"
    )
    return f"{state}; HEAD {head[:90]}"


def markdown(run: Run, code: str) -> str:
    samples = run.samples
    warm = _warmup_s(run)
    smoke = run.minutes < 60
    title = "# Soak: RSS over an hour of idle registration, GUI vs headless agent"
    intro = (
        "Generated by `bench/soak.py`. Re-run: `.venv/bin/python -m bench.soak` "
        "(`--minutes 2 --output <file>` for a smoke run). See bench/README.md."
    )
    if smoke:
        intro += (
            f"\n\n**Smoke run of {run.minutes:g} min:** far too short for a per-hour figure to "
            "mean anything; the numbers below only show that the harness works."
        )
    method = (
        "**How it was measured.** Three processes run on the same machine over loopback. The "
        "**demo world** (`start_demo_environment`, as `vicifast-phone --demo` and "
        "`vicifast-phone demo` start it: the emulator over HTTPS in its own process, kamailio "
        "and the demo lines as its children) starts first; then, together, the two clients "
        "sign in to it as the seed's demo agent: the **GUI** (`App`, as `--demo` opens it: "
        "signed in through its sign-in form, offscreen Qt platform, null audio backend, no tray "
        "icon, an in-memory credential store, Qt's own event loop) and the **headless agent** "
        "(`HeadlessAgent`, what `vicifast-phone agent --signin --audio none` runs, with an "
        "in-memory credential store instead of the OS keychain). Neither client hosts the "
        "emulator, so their RSS is the client's alone, as with a real control plane. Before "
        f"anyone signs in, the emulator is set to provision a REGISTER expiry of "
        f"{REG_EXPIRES_S} s (the model's minimum: pjsua refreshes about every 55 s) and to "
        f"grant firewall leases with a re-auth interval of {run.reauth_s} s (TTL "
        f"{2 * run.reauth_s} s): each client's session logs in and provisions again on that "
        "schedule (HTTPS, a new lease) and kamailio's allow-rule is renewed. No calls are "
        "made. Time 0 is when both clients have reported their first REGISTER 200 "
        "(`RegistrationChanged registered`); from then this benchmark reads VmRSS, VmHWM (peak "
        f"RSS), CPU time and thread count of the three processes from `/proc/<pid>` every "
        f"{run.sample_s:g} s for {run.minutes:g} min. REGISTER refreshes are the later "
        "`registered` events each client printed, lease refreshes its later "
        "`FirewallLeaseChanged` events (a new `expires_at` from a new login). Growth is "
        f"measured after a {warm / 60:g} min warm-up: from the first sample at or after it to "
        "the last, scaled to an hour, and as the least-squares slope over all samples from "
        f'then on. The verdict says "no growth" when both are below {NO_GROWTH_MIB_PER_H:g} '
        "MiB per hour; otherwise it gives the larger of the two. A client ends when its stdin "
        "closes; the world stops kamailio and the lines by PID; this benchmark checks those "
        "PIDs afterwards and stops any left (see *Refreshes*)."
    )
    machine_rows = [
        ["date", run.started],
        ["code under test", code],
        ["CPU", f"{cpu_model()}, nproc = {os.cpu_count()}"],
        ["kernel", platform.release()],
        ["Python", sys.version.split()[0]],
        ["kamailio", _first_line(["kamailio", "-v"]).removeprefix("version: ")],
        ["load average before (1/5/15 min)", run.load_before],
        ["load average after (1/5/15 min)", run.load_after],
        [
            "run",
            f"{run.minutes:g} min idle, a sample every {run.sample_s:g} s "
            f"({len(samples)} samples), REGISTER expiry {REG_EXPIRES_S} s, "
            f"lease re-auth every {run.reauth_s} s",
        ],
    ]
    parts = [title, intro, "## Machine and run", markdown_table(["", ""], machine_rows), method]
    if run.error:
        parts.append(f"**The run failed:** {run.error.splitlines()[0]}")
    if not samples:
        return "\n\n".join(parts) + "\n"

    end_min = samples[-1].elapsed_s / 60
    marks: list[float] = [m for m in CHECKPOINTS_MIN if m <= end_min + 1e-6]
    if not math.isclose(marks[-1], end_min, abs_tol=run.sample_s / 120):
        marks.append(round(end_min, 1))
    header = [
        "time",
        "GUI RSS (MiB)",
        "headless agent RSS (MiB)",
        "GUI ÷ headless",
        "demo world RSS (MiB), for reference",
    ]
    rows = []
    for m in marks:
        s = _nearest(samples, m * 60)
        label = "registered (0)" if m == 0 else f"+{m:g} min"
        if abs(s.elapsed_s - m * 60) > 1:
            label += f" (sample at +{s.elapsed_s / 60:.1f})"
        g, h = s.rss_kib["gui"], s.rss_kib["headless"]
        rows.append(
            [label, _mib(g), _mib(h), f"{g / h:.2f}×" if h else "—", _mib(s.rss_kib["world"])]
        )
    last = samples[-1]
    rows.append(
        [
            "peak (VmHWM) by the end",
            _mib(last.hwm_kib["gui"]),
            _mib(last.hwm_kib["headless"]),
            "",
            _mib(last.hwm_kib["world"]),
        ]
    )
    parts += ["## RSS over time", markdown_table(header, rows)]

    grow = {n: growth(samples, n, warm) for n in SAMPLED}
    first = samples[0]
    g_rows = []
    for n in SAMPLED:
        gr = grow[n]
        cpu = last.cpu_s[n] - first.cpu_s[n]
        reg = run.spawn_to_registered_s.get(n)
        g_rows.append(
            [
                LABELS[n],
                f"{_mib(first.rss_kib[n])} → {_mib(last.rss_kib[n])}",
                f"{_mib(gr.first_kib)} → {_mib(gr.last_kib)} (+{gr.warm_s / 60:.0f} → "
                f"+{(gr.warm_s + gr.span_s) / 60:.0f} min)"
                if gr.span_s > 0
                else "—",
                f"{gr.per_hour_mib:+.2f}",
                f"{gr.slope_mib_per_h:+.2f}",
                f"{reg:.2f} s" if reg is not None else "—",
                f"{100 * cpu / last.elapsed_s:.3f} %" if last.elapsed_s > 0 else "—",
                f"{first.threads[n]} → {last.threads[n]}",
            ]
        )
    parts += [
        "## Growth",
        markdown_table(
            [
                "process",
                "RSS registered → end (MiB)",
                "RSS after warm-up → end (MiB)",
                "growth per hour, end to end (MiB/h)",
                "least-squares slope (MiB/h)",
                "spawn → registered",
                "CPU over the run (of one core)",
                "threads",
            ],
            g_rows,
        ),
    ]

    r_rows = []
    for n in NAMES:
        lost = run.lost.get(n, [])
        r_rows.append(
            [
                LABELS[n],
                str(last.register_refreshes[n]),
                ", ".join(f"{e} s" for e in run.expires_seen.get(n, [])) or "—",
                str(last.lease_refreshes[n]),
                ", ".join(sorted(set(lost))) + f" ({len(lost)})" if lost else "none",
            ]
        )
    forced = [f"{LABELS[n]}: {', '.join(map(str, pids))}" for n, pids in run.forced.items() if pids]
    span_min = last.elapsed_s / 60
    expected_reg = int(last.elapsed_s // (REG_EXPIRES_S - 5))
    expected_lease = int(last.elapsed_s // run.reauth_s)
    parts += [
        "## Refreshes",
        markdown_table(
            [
                "client",
                "REGISTER refreshes",
                "expiry granted",
                "lease refreshes",
                "registration lost after the first 200 (states seen)",
            ],
            r_rows,
        ),
        f"Over {span_min:.1f} min a {REG_EXPIRES_S} s registration refreshed about 5 s early "
        f"gives about {expected_reg} REGISTER refreshes; a {run.reauth_s} s re-auth about "
        f"{expected_lease} lease refreshes (the first is due {run.reauth_s} s after the sign-in, "
        "a little before time 0). Processes that had to be stopped from here at the end: "
        + ("; ".join(forced) if forced else "none (each stopped when asked)."),
    ]
    verdicts = [f"- **{LABELS[n]}:** {grow[n].verdict()}." for n in NAMES]
    gap = last.rss_kib["gui"] - last.rss_kib["headless"]
    verdicts.append(
        f"- **GUI vs headless agent at the end:** {_mib(last.rss_kib['gui'])} vs "
        f"{_mib(last.rss_kib['headless'])} MiB: the GUI holds {gap / 1024:.1f} MiB more "
        "(PySide6/Qt Widgets, the app's views, the history store and its thread)."
    )
    logins = sum(last.lease_refreshes[n] - first.lease_refreshes[n] for n in NAMES)
    world_kib = last.rss_kib["world"] - first.rss_kib["world"]
    per_login = f", {world_kib / logins:+.0f} KiB of RSS per login" if logins else ""
    verdicts.append(
        f"- **Demo world (not a client, for reference):** {grow['world'].verdict()}; from time "
        f"0 to the end it served {logins} logins with provisioning (the two clients' lease "
        f"refreshes){per_login}. In demo mode (and in bench/gui.py) this emulator runs inside "
        "the GUI's own process."
    )
    parts += ["## Verdict", "\n".join(verdicts)]
    s_rows = [
        [
            f"+{s.elapsed_s / 60:.1f}",
            *(f"{_mib(s.rss_kib[n])} / {_mib(s.hwm_kib[n])}" for n in SAMPLED),
            *(f"{s.register_refreshes[n]} / {s.lease_refreshes[n]}" for n in NAMES),
        ]
        for s in samples
    ]
    parts += [
        "## Every sample",
        "<details><summary>RSS / VmHWM (MiB) and refreshes so far (REGISTER / lease)"
        "</summary>\n\n"
        + markdown_table(
            [
                "min",
                "GUI RSS / HWM",
                "headless RSS / HWM",
                "world RSS / HWM",
                "GUI refreshes",
                "headless refreshes",
            ],
            s_rows,
        )
        + "\n\n</details>",
    ]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sample-s", type=float, default=60.0)
    parser.add_argument("--reauth-s", type=int, default=DEFAULT_REAUTH_S,
                        help="the emulator's lease re-auth interval (TTL twice that)")  # fmt: skip
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "SOAK.md")
    parser.add_argument("--probe", choices=SAMPLED, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe == "world":
        probe_world(args.reauth_s)
        return 0
    if args.probe == "gui":
        probe_gui()
        return 0
    if args.probe == "headless":
        probe_headless()
        return 0
    if args.minutes <= 0 or args.sample_s <= 0 or args.reauth_s < 1:
        parser.error("--minutes, --sample-s and --reauth-s must be positive")
    code = code_under_test()
    run = soak(args.minutes, args.sample_s, args.reauth_s)
    text = markdown(run, code)
    args.output.write_text(text)
    print(f"soak: wrote {args.output}", flush=True)
    return 1 if run.error else 0


if __name__ == "__main__":
    sys.exit(main())
