"""``vicifast-phone load``: the testers' load run (see :mod:`softphone.load.run`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

_DESCRIPTION = """\
Run many emulated agents at once, on Locust's engine, against the bundled emulator (its
control plane over TLS and kamailio as the registrar, with that many generated agents:
company LOAD, load0001/load-pass-0001 …). Each agent does what the app does, with the app's
own code: signs in from its own loopback address (127.0.1.x), holds the firewall lease,
registers, takes the calls the dialler pushes with answer-after=0, and signs out at the end.
Once every agent is registered, the dialler (sipp) rings them as VICIdial does, --calls at once.
Needs kamailio and sipp (Debian: kamailio, sip-tester) and Locust (`uv sync --group load`).
Exit status 0 only when no request failed (a sign-in not registered within 30 s is one) and
every pushed call was answered. The report (Locust's HTML and CSV) goes to --report-dir.
Locust stays usable directly: `locust -f softphone/load/locustfile.py --help` lists its --vf-*
options."""


def add_load_parser(sub: Any) -> None:
    load = sub.add_parser(
        "load",
        help="run many emulated agents at once on Locust (testers)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("--agents", type=int, required=True, help="how many agents (1-2000)")
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
        help="about how often (s) each agent calls the echo line itself (default 0: never)",
    )
    load.add_argument("--report-dir", type=Path, help="where the report goes (default: a temp dir)")
    load.add_argument("--web-port", type=int, default=8089, help="Locust's web UI port")


def run_load_command(args: argparse.Namespace) -> int:
    import importlib.util

    if importlib.util.find_spec("locust") is None:
        print("vicifast-phone: load runs need Locust: run `uv sync --group load`.")
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
        )
    )
