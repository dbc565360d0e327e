"""``vicifast-phone load``: a load run on Locust, against the bundled emulator by default.

A thin front to Locust (which stays usable directly: ``locust -f`` the shipped
``softphone/load/locustfile.py`` with its ``--vf-*`` options):

1. the world: the emulator over TLS with kamailio and ``--agents`` generated agents (company
   LOAD), unless ``--control-plane`` names another;
2. Locust: ``--agents`` users (:class:`~softphone.load.locustfile.VicifastAgent`), spread over
   Locust worker processes on this machine (``--processes``), each hosting its agents in plain
   child processes, seven at most a child;
3. the dialler (:mod:`softphone.load.dialler`): once every agent is registered, it rings them with
   ``answer-after=0`` as VICIdial does, ``--calls`` at once, each held ``--call-hold`` seconds;
4. the result: Locust's CSV and HTML in ``--report-dir``, the dialler's count, and the exit code:
   0 only when no request failed (a sign-in not registered within 30 s is one) and the dialler's
   calls all succeeded. Beside Locust's report, ours (:mod:`softphone.load.report`): the
   timeline sampled while Locust runs and ``summary.html`` read from it all.
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from softphone.emulator.registrar import Registrar
from softphone.emulator.seed import load_agent
from softphone.load.counterpart import Counterpart, CounterpartResult
from softphone.load.dialler import Dialler, DiallerResult
from softphone.load.distributed import (
    LOCUST_PORT,
    local_arguments,
    master_arguments,
    wait_for_first_agent,
)
from softphone.load.host import MAX_AGENTS
from softphone.load.report import (
    TIMELINE,
    CallCount,
    CallCounter,
    TimelineSampler,
    write_summary,
)
from softphone.sip.calls import MAX_CALLS

_LOCUSTFILE = Path(__file__).with_name("locustfile.py")
_POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class LoadOptions:
    agents: int
    calls: int = 0
    minutes: float = 2.0
    headless: bool = True
    spawn_rate: float = 5.0
    processes: int = 0  # Locust worker processes; 0: as many as cores, at most one per 7 agents
    call_hold_s: float = 20.0
    outgoing_every_s: float = 0.0  # 0: agents place no calls of their own
    report_dir: Path | None = None
    web_port: int = 8089
    master_workers: int = 0  # --master: Locust worker processes to wait for (any machine); 0: none
    bind: str = "127.0.0.1"  # where the world listens (--master: an address the workers reach)
    master_port: int = LOCUST_PORT


def _registered_users(registrar: Registrar | None) -> int:
    """How many extensions kamailio holds a contact for (0 when it cannot say)."""
    if registrar is None:
        return 0
    try:
        answer = registrar.rpc("stats.get_statistics", "registered_users")
    except Exception:
        return 0
    for line in answer if isinstance(answer, list) else []:
        name, _, value = str(line).partition("=")
        if name.strip() == "usrloc:registered_users":
            with contextlib.suppress(ValueError):
                return int(value)
    return 0


def _locust_processes(options: LoadOptions) -> int:
    if options.processes:
        return options.processes
    return max(1, min(os.cpu_count() or 1, math.ceil(options.agents / MAX_AGENTS)))


def run_load(options: LoadOptions) -> int:
    from softphone.demo.environment import start_demo_environment

    processes = options.master_workers or _locust_processes(options)
    stride = math.ceil(options.agents / processes)
    report_dir = options.report_dir or Path(tempfile.mkdtemp(prefix="vicifast-load-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    env = start_demo_environment(
        report_dir / "world", load_agents=processes * stride, host=options.bind
    )
    registrar = env.server.registrar
    dialler: Dialler | None = None
    counterpart: Counterpart | None = None
    call_counters: list[CallCounter] = []  # each sipp's calls up, for the timeline
    try:
        print(f"emulator: {env.control_plane} (registrar {env.registrar})", flush=True)
        target = "600"  # the echo line, when there is no registrar to route to a counterpart
        if options.outgoing_every_s > 0 and registrar is not None:
            # answers the agents' own calls, any number at once
            counterpart = Counterpart(report_dir, host=options.bind)
            host, port = counterpart.source.rsplit(":", 1)
            registrar.trust(host, int(port))
            registrar.route(counterpart.number, host, int(port))
            counterpart.start()
            call_counters.append(counterpart.calls_up)
            target = counterpart.number
        argv = [
            sys.executable, "-m", "locust", "-f", str(_LOCUSTFILE),
            "-u", str(options.agents), "-r", f"{options.spawn_rate:g}",
            "--run-time", f"{max(1, round(options.minutes * 60))}s", "--stop-timeout", "60",
            "--csv", str(report_dir / "locust"), "--html", str(report_dir / "report.html"),
            "--vf-control-plane", env.control_plane, "--vf-ca-file", str(env.ca_file),
            "--vf-stride", str(stride), "--vf-call-target", target,
            "--vf-call-every", f"{options.outgoing_every_s:g}",
        ]  # fmt: skip
        if options.headless:
            argv += ["--headless", "--only-summary"]
        else:
            argv += ["--autostart", "--web-port", str(options.web_port)]
        if options.master_workers:
            argv += master_arguments(processes, options.master_port)
            print(
                f"waiting for {processes} Locust worker processes: vicifast-phone load --worker "
                f"--master-host {options.bind} --master-port {options.master_port}",
                flush=True,
            )
        else:
            argv += local_arguments(processes)
        lines = _registered_users(registrar)  # the PBX's own lines, registered already
        run_s = max(1, round(options.minutes * 60))
        # the dialler stops ringing in time for its last calls to end before the agents sign out
        stop_ringing_at = time.monotonic() + run_s - options.call_hold_s - 5.0
        started = time.monotonic()
        locust = subprocess.Popen(argv)
        if options.master_workers:  # the run starts once the workers come, maybe much later
            stop_ringing_at = wait_for_first_agent(
                lambda: _registered_users(registrar) > lines, locust
            ) + (run_s - options.call_hold_s - 5.0)
        if options.calls and registrar is not None:
            # every Locust worker has at least floor(agents / processes) users, numbered from
            # its index × stride + 1: those extensions are surely someone's
            each = options.agents // processes
            numbers = _dialling_order(processes, stride, each)
            dialler = Dialler(
                env.registrar,
                [load_agent(n).extension for n in numbers],
                report_dir,
                concurrent=options.calls,
                rate_per_s=max(0.1, options.calls / options.call_hold_s),
                hold_s=options.call_hold_s,
                host=options.bind,
            )
            host, port = dialler.source.rsplit(":", 1)
            registrar.trust(host, int(port))
            call_counters.append(dialler.calls_up)
            threading.Thread(
                target=_dial_once_registered,
                args=(dialler, registrar, lines + options.agents, locust, stop_ringing_at),
                name="load-dialler",
                daemon=True,
            ).start()
        sampler = TimelineSampler(
            report_dir / TIMELINE,
            lambda: _registered_users(registrar) - lines,  # the agents, not the PBX's lines
            call_counters,
            started_at=started,
        )
        sampler.start()
        code = locust.wait()
        sampler.stop()
        result = dialler.stop() if dialler is not None else None
        answered = counterpart.stop() if counterpart is not None else None
    finally:
        if counterpart is not None:
            counterpart.stop()
        env.close()
    return _summary(code, result, options, report_dir, answered)


def _dialling_order(processes: int, stride: int, each: int) -> list[int]:
    """The agents' numbers in the order the dialler rings them: consecutive calls go to agents
    of different worker children (a Locust process fills its children 7 at a time, in the order
    its users start), so the calls up at once spread over the children, each of which holds 4
    calls at most (the SIP library's limit)."""
    seats = [
        ((k - 1) % MAX_AGENTS, w, (k - 1) // MAX_AGENTS, w * stride + k)
        for w in range(processes)
        for k in range(1, each + 1)
    ]
    return [number for *_key, number in sorted(seats)]


def max_calls(agents: int) -> int:
    """The most calls the agents can hold at once: 4 a worker child of 7 agents at most."""
    return min(agents, MAX_CALLS * math.ceil(agents / MAX_AGENTS))


def _dial_once_registered(
    dialler: Dialler,
    registrar: Registrar,
    users: int,
    locust: subprocess.Popen[bytes],
    stop_at: float,
) -> None:
    """Ring once kamailio holds ``users`` (the lines and every agent); stop placing calls at
    ``stop_at`` (monotonic) so the last ones end before the agents sign out."""
    while locust.poll() is None and _registered_users(registrar) < users:
        time.sleep(_POLL_S)
    if locust.poll() is not None or time.monotonic() >= stop_at:
        print("the agents did not all register in time to ring them", flush=True)
        return
    print("every agent is registered: the dialler starts", flush=True)
    dialler.start()
    while locust.poll() is None and time.monotonic() < stop_at:
        time.sleep(_POLL_S)
    dialler.finish(timeout_s=max(1.0, stop_at - time.monotonic()) + 30.0)


def _summary(
    locust_code: int,
    dialler: DiallerResult | None,
    options: LoadOptions,
    report_dir: Path,
    counterpart: CounterpartResult | None = None,
) -> int:
    print(f"report: {report_dir / 'report.html'} (CSV: {report_dir}/locust_*.csv)")
    code = 0 if locust_code == 0 else 1
    if dialler is not None:
        print(
            f"dialler: {dialler.successful} calls answered, {dialler.failed} failed "
            f"(INVITE to answer {dialler.rtd_ms:.0f} ms on average)"
        )
        if dialler.failed or not dialler.successful:
            code = 1
    elif options.calls:
        print("dialler: no registrar to ring the agents through")
        code = 1
    if counterpart is not None:  # the agents' failed calls are Locust's failures already
        print(
            f"counterpart: {counterpart.answered} of the agents' own calls answered, "
            f"{counterpart.failed} failed"
        )
    calls: dict[str, CallCount] = {}
    if dialler is not None:
        calls["dialler"] = CallCount(dialler.successful, dialler.failed, round(dialler.rtd_ms, 1))
    if counterpart is not None:
        calls["counterpart"] = CallCount(counterpart.answered, counterpart.failed, None)
    try:
        write_summary(report_dir, passed=code == 0, agents=options.agents, calls=calls)
        print(f"summary: {report_dir / 'summary.html'} (with timeline.png, summary.json)")
    except OSError as error:
        print(f"summary: could not be written to {report_dir} ({error.strerror}).")
    print("load run: passed" if code == 0 else "load run: FAILED")
    return code
