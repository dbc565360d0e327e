"""``vicifast-phone load``: the testers' load run (see :mod:`softphone.load.run`)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

_DESCRIPTION = """\
Run many emulated agents at once, on Locust's engine, against the bundled emulator (its
control plane over TLS and kamailio as the registrar, with that many generated agents:
company LOAD, load0001/load-pass-0001 …). Each agent does what the app does, with the app's
own code: signs in from its own loopback address (127.0.1.x), holds the firewall lease,
registers, takes the calls the dialler pushes with answer-after=0, and signs out at the end.
Once every agent is registered, the dialler (sipp) rings them as VICIdial does, --calls at once,
each call carrying speech. With --outgoing-every the agents also call number 700, where a
second sipp answers any number of calls at once with speech until the agent hangs up.
Needs kamailio and sipp (Debian: kamailio, sip-tester) and Locust (`uv sync --group load`).
Exit status 0 only when no request failed (a sign-in not registered within 30 s is one) and
every pushed call was answered. The report goes to --report-dir: Locust's HTML and CSV, and
summary.html (percentiles, failures with their reasons, a plot of registered agents and calls).
--scenario plays mobile-flow scenarios instead (docs/scenarios.md): pass or fail per agent and
per step.
Locust stays usable directly: `locust -f softphone/load/locustfile.py --help` lists its --vf-*
options."""


def add_load_parser(sub: Any) -> None:
    load = sub.add_parser(
        "load",
        help="run many emulated agents at once on Locust (testers)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument(
        "--agents", type=int, default=0, help="how many agents (1-2000; not with --worker)"
    )
    load.add_argument(
        "--calls",
        type=int,
        default=0,
        help="calls the dialler keeps up at once (default 0; at most 4 per 7 agents)",
    )
    load.add_argument("--minutes", type=float, default=2.0, help="how long (default 2)")
    load.add_argument(
        "--headless", action="store_true", help="no web UI: run, print the summary, exit"
    )
    load.add_argument(
        "--spawn-rate", type=float, default=5.0, help="agents started a second (default 5)"
    )
    load.add_argument(
        "--processes",
        type=int,
        default=0,
        help="Locust worker processes (default: one a core, at most one per 7 agents)",
    )
    load.add_argument(
        "--call-hold", type=float, default=20.0, help="seconds a pushed call lasts (default 20)"
    )
    load.add_argument(
        "--outgoing-every",
        type=float,
        default=0.0,
        help="about how often (s) each agent calls number 700 itself (default 0: never)",
    )
    load.add_argument("--report-dir", type=Path, help="where the report goes (default: a temp dir)")
    load.add_argument("--web-port", type=int, default=8089, help="Locust's web UI port")
    load.add_argument(
        "--scenario",
        action="append",
        metavar="NAME|FILE",
        help="play a mobile-flow scenario instead (a built-in one by name, `all` of them, or a "
        "TOML file; docs/scenarios.md); again for more. Pass or fail per agent and per step; "
        "needs kamailio, not Locust",
    )
    spread = load.add_argument_group(
        "several machines (docs/load.md)",
        "This machine runs the servers and Locust's master (--master), or only Locust\n"
        "workers whose agents sign in to a master's servers (--worker).",
    )
    spread.add_argument(
        "--master", action="store_true", help="run the servers and Locust's master, no agents"
    )
    spread.add_argument(
        "--expect-workers",
        type=int,
        default=0,
        help="with --master: Locust worker processes (over all machines) to wait for",
    )
    spread.add_argument(
        "--bind",
        default="127.0.0.1",
        help="the address the servers listen on (with --master: one the workers reach)",
    )
    spread.add_argument(
        "--worker", action="store_true", help="run only Locust workers (--processes of them)"
    )
    spread.add_argument("--master-host", default="", help="with --worker: the master's address")
    spread.add_argument(
        "--master-port", type=int, default=5557, help="Locust's master port (default 5557)"
    )
    spread.add_argument(
        "--address-base",
        default="",
        help="with --worker: the first of this machine's addresses the agents speak from "
        "(needed when the servers are on another machine; default 127.0.1.1 on)",
    )


def run_load_command(args: argparse.Namespace) -> int:
    import importlib.util

    if args.scenario:
        from softphone.load.scenario_run import run_scenarios

        report_dir = args.report_dir or Path(tempfile.mkdtemp(prefix="vicifast-scenarios-"))
        return run_scenarios(args.scenario, report_dir)
    if importlib.util.find_spec("locust") is None:
        print("vicifast-phone: load runs need Locust: run `uv sync --group load`.")
        return 2
    if args.worker:
        if args.master or not args.master_host:
            print("vicifast-phone: --worker needs --master-host (and no --master).")
            return 2
        from softphone.load.distributed import WorkerOptions, run_workers

        return run_workers(
            WorkerOptions(args.master_host, args.master_port, args.processes, args.address_base)
        )
    if args.master and args.expect_workers < 1:
        print("vicifast-phone: --master needs --expect-workers, the Locust worker processes.")
        return 2
    if not 1 <= args.agents <= 2000:
        print("vicifast-phone: --agents must be between 1 and 2000.")
        return 2
    from softphone.load.run import LoadOptions, max_calls, run_load

    most = max_calls(args.agents)
    if not 0 <= args.calls <= most or args.minutes <= 0 or args.call_hold <= 0:
        print(
            f"vicifast-phone: --calls must be between 0 and {most} for {args.agents} agents (4 "
            "calls at once in each worker process of 7 agents), --minutes and --call-hold "
            "above 0."
        )
        return 2

    return run_load(
        LoadOptions(
            agents=args.agents,
            calls=args.calls,
            minutes=args.minutes,
            headless=args.headless,
            spawn_rate=args.spawn_rate,
            processes=args.processes,
            call_hold_s=args.call_hold,
            outgoing_every_s=args.outgoing_every,
            report_dir=args.report_dir,
            web_port=args.web_port,
            master_workers=args.expect_workers if args.master else 0,
            bind=args.bind,
            master_port=args.master_port,
        )
    )
