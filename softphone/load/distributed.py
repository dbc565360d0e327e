"""Load runs over several machines: Locust's master on one, its workers on the others.

``vicifast-phone load --master --expect-workers N --bind ADDRESS`` runs the world (the emulator,
kamailio, the demo lines and the dialler, all on ``ADDRESS``) and Locust's master, which starts
the run once ``N`` Locust worker processes have come. ``vicifast-phone load --worker
--master-host ADDRESS`` runs only Locust worker processes (``--processes``); their agents sign in
to the master's world. What a worker needs comes from the master: Locust hands every worker the
master's ``--vf-*`` options with each spawn (the control plane's URL, the numbering stride, whom
to call), and the locustfile adds the CA certificate's PEM to them. Locust's ``worker_index`` is
unique over all machines, so agents' numbers (their logins) are too.

Agents on another machine than the servers need addresses the servers reach: ``--address-base``
names the first of a block of this machine's own addresses (its interface must hold them all),
and each local Locust process takes every ``processes``-th of them, so they never share one.
Without it, agents speak from 127.0.1.1 on, by their number: only where the servers are.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from softphone.desktop.children import spawn

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOCUST_PORT = 5557  # Locust's own default: the one port a worker machine reaches the master on
_POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    master_host: str
    master_port: int = LOCUST_PORT
    processes: int = 0  # 0: one a core
    address_base: str = ""  # the first of this machine's addresses for agents ("": 127.0.1.x)


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def local_arguments(processes: int) -> list[str]:
    """Locust's arguments for a master and ``processes`` workers on this machine only: on a
    free port of 127.0.0.1, so no other run's workers join this one (nor this one's theirs)."""
    if processes <= 1:
        return []
    port = str(free_tcp_port())
    return ["--processes", str(processes), "--master-port", port,
            "--master-bind-host", "127.0.0.1", "--master-bind-port", port]  # fmt: skip


def master_arguments(expect_workers: int, port: int) -> list[str]:
    """Locust's arguments for a master that waits for ``expect_workers`` worker processes,
    from any machine, on ``port``."""
    return ["--master", "--expect-workers", str(expect_workers), "--master-bind-port", str(port)]


def wait_for_first_agent(registered: Callable[[], bool], locust: subprocess.Popen[bytes]) -> float:
    """Block until ``registered()`` (the first agent is registered: the workers came and the run
    started) or Locust ended; the time (monotonic) it happened."""
    while locust.poll() is None and not registered():
        time.sleep(_POLL_S)
    return time.monotonic()


def worker_argv(options: WorkerOptions, slot: int, slots: int) -> list[str]:
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
            "--master-host", options.master_host,
            "--master-port", str(options.master_port)]  # fmt: skip
    if options.address_base:
        argv += ["--vf-address-base", options.address_base, "--vf-address-slot", f"{slot}/{slots}"]
    return argv


def run_workers(options: WorkerOptions) -> int:
    """``vicifast-phone load --worker``: Locust worker processes until the master ends the run;
    0 when they all ended well (the run's result is the master's)."""
    if options.address_base:
        try:
            ipaddress.IPv4Address(options.address_base)
        except ValueError:
            print(
                f"vicifast-phone: --address-base {options.address_base!r} is not an IPv4 address."
            )
            return 2
    processes = options.processes or os.cpu_count() or 1
    where = options.address_base or "127.0.1.1 on (the servers must be on this machine)"
    print(
        f"{processes} Locust worker processes for the master at "
        f"{options.master_host}:{options.master_port}; agents speak from {where}",
        flush=True,
    )
    # each is its own Locust process (not Locust's --processes): each needs its own address slot
    children = [spawn(worker_argv(options, slot, processes)) for slot in range(processes)]
    try:
        codes = [child.wait() for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
                child.wait(30)
    if any(codes):
        print("load workers: some Locust worker processes failed; see their output above")
        return 1
    print("load workers: done (the master's report has the result)")
    return 0
