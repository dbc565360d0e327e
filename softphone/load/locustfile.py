"""Locust users that are VICIfast agents: ``locust -f`` this file (``vicifast-phone load`` does).

Each Locust user is one emulated agent. It signs in to the control plane from its own loopback
address, keeps the firewall lease, registers with the SIP account it is given, takes the calls
the dialler pushes (auto-answered on ``answer-after=0``, as in the app), places calls of its own,
and signs out at the end: the app's own code in :class:`~softphone.load.host.AgentHost`.

pjsua2 never runs under gevent: every Locust process (the local runner, or each worker) starts
plain child processes (:class:`~softphone.load.client.WorkerProcess`), each holding up to
:data:`~softphone.load.host.MAX_AGENTS` agents, and its users talk to them over pipes. A user's
number in the whole run (``worker index × --vf-stride + its number in its process``) gives its
agent (``load0001``…) and its address (``127.0.1.1``…), so users on different workers and
machines never share either. Across machines the agents need addresses the servers reach:
``--vf-address-base`` (this machine's own addresses; see :mod:`softphone.load.distributed`).

What Locust reports, per request type "agent": ``sign-in`` (to the session holding its SIP
account), ``REGISTER`` (from then to registered), ``sign-in to registered`` (both), ``call
setup`` (outgoing, from INVITE to answer), ``pushed call answered`` and ``sign-out``; failures
carry the reason. Locust's master tells its workers to quit and waits only half a second for
their last figures, so the sign-outs (the users' ``on_stop``) would be lost: when the run stops,
the master first asks every worker to stop its users and send its figures, and waits for them
(:func:`_sign_everyone_out`).
"""

from __future__ import annotations

import atexit
import ipaddress
import itertools
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from locust import User, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from softphone.emulator.seed import LOAD_COMPANY_CODE, load_agent
from softphone.load.client import WorkerProcess
from softphone.load.host import MAX_AGENTS, address_of

_REQUEST_TYPE = "agent"
_STEP_S = 30.0
_SIGN_OUT = "vf_sign_out"  # master → worker: stop your users (they sign out), send your figures
_SIGNED_OUT = "vf_signed_out"  # worker → master: done, with the figures (Locust's stats report)


def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("VICIfast agents")
    group.add_argument("--vf-control-plane", default="", help="the control plane's URL")
    group.add_argument("--vf-ca-file", default="", help="the control plane's CA certificate")
    group.add_argument("--vf-company", default=LOAD_COMPANY_CODE, help="company code")
    group.add_argument(
        "--vf-stride", type=int, default=1000, help="agents a worker may start (numbering)"
    )
    group.add_argument("--vf-call-target", default="600", help="whom agents call (the echo line)")
    group.add_argument("--vf-call-hold", type=float, default=5.0, help="seconds a call lasts")
    group.add_argument(
        "--vf-call-every",
        type=float,
        default=0.0,
        help="about how many seconds between an agent's own calls (0: it places none)",
    )
    # this machine's own: Locust hands its workers the master's --vf-* values with every spawn,
    # so these are read once, at start-up (_LOCAL)
    group.add_argument(
        "--vf-address-base",
        default="",
        help="the first of this machine's addresses the agents speak from (default: 127.0.1.1 "
        "on, by the agent's number; only when the servers run on this machine)",
    )
    group.add_argument(
        "--vf-address-slot",
        default="0/1",
        help="with --vf-address-base: this process's share of the addresses, N/OF (agent k of "
        "process N takes base + (k-1)×OF + N)",
    )


class _Local:
    """This process's own --vf-address-* values and the CA file it writes from the master's PEM."""

    def __init__(self) -> None:
        self.address_base: ipaddress.IPv4Address | None = None
        self.slot, self.slots = 0, 1
        self.ca_file = ""

    def read(self, options: Any) -> None:
        if options is None or not getattr(options, "vf_address_base", ""):
            return
        self.address_base = ipaddress.IPv4Address(options.vf_address_base)
        slot, _, slots = str(options.vf_address_slot).partition("/")
        self.slot, self.slots = int(slot), max(1, int(slots or 1))

    def address(self, number: int, in_process: int) -> str:
        """Agent ``number`` of the run, the ``in_process``-th (1…) of this process."""
        if self.address_base is None:
            return address_of(number)
        return str(self.address_base + (in_process - 1) * self.slots + self.slot)

    def ca_file_for(self, options: Any) -> str | None:
        """The CA certificate to trust: the master's PEM (workers on other machines have no
        copy of its file), else --vf-ca-file."""
        pem = getattr(options, "vf_ca_pem", "")
        if not pem:
            return options.vf_ca_file or None
        if not self.ca_file:
            handle, name = tempfile.mkstemp(prefix="vicifast-load-ca-", suffix=".pem")
            with os.fdopen(handle, "w") as out:
                out.write(pem)
            atexit.register(Path(name).unlink, missing_ok=True)
            self.ca_file = name
        return self.ca_file


LOCAL = _Local()


class _Workers:
    """This Locust process's worker children: a new one when the others are full."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._children: list[WorkerProcess] = []
        self._seated = 0  # users given a seat; child n holds seats n×7 … n×7+6
        self._numbers = itertools.count(1)

    def next_number(self) -> int:
        return next(self._numbers)

    def take(self, options: Any) -> WorkerProcess:
        with self._lock:
            child_index, self._seated = self._seated // MAX_AGENTS, self._seated + 1
            if child_index == len(self._children):
                ca_file = LOCAL.ca_file_for(options)
                self._children.append(WorkerProcess(options.vf_control_plane, ca_file))
            return self._children[child_index]

    def close(self) -> None:
        with self._lock:
            children, self._children, self._seated = self._children, [], 0
        for child in children:
            child.close(_STEP_S)


WORKERS = _Workers()


def _close_workers(environment: Environment, **_kwargs: Any) -> None:
    WORKERS.close()


class _SignOuts:
    """The master's side of the sign-out hand-shake: which workers still owe their figures."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._owed: set[str] = set()

    def ask(self, environment: Environment, runner: MasterRunner) -> None:
        clients = [client.id for client in runner.clients.all]
        with self._changed:
            self._owed = set(clients)
        for client in clients:
            runner.send_message(_SIGN_OUT, None, client)
        timeout = (environment.stop_timeout or 0.0) + _STEP_S
        with self._changed:
            if not self._changed.wait_for(lambda: not self._owed, timeout):
                print(f"{len(self._owed)} Locust workers did not report their sign-outs in time")
            else:
                print(f"the agents of all {len(clients)} Locust workers signed out", flush=True)

    def heard(self, environment: Environment, msg: Any, **_kwargs: Any) -> None:
        # their figures, as Locust's own periodic report carries them
        environment.events.worker_report.fire(  # type: ignore[no-untyped-call]
            client_id=msg.node_id, data=msg.data or {}
        )
        with self._changed:
            self._owed.discard(msg.node_id)
            self._changed.notify_all()


SIGN_OUTS = _SignOuts()


def _sign_everyone_out(environment: Environment, **_kwargs: Any) -> None:
    """The master, as the run stops: every worker's users stop (and sign out) and their figures
    arrive before Locust tells the workers to quit and writes its report."""
    if isinstance(environment.runner, MasterRunner):
        SIGN_OUTS.ask(environment, environment.runner)


def _stop_and_report(environment: Environment, **_kwargs: Any) -> None:
    """A worker asked by its master: stop the users (their on_stop signs them out), then send
    the figures with the answer."""
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    runner.stop()
    figures: dict[str, Any] = {}
    environment.events.report_to_master.fire(  # type: ignore[no-untyped-call]
        client_id=runner.client_id, data=figures
    )
    runner.send_message(_SIGNED_OUT, figures)


def _on_init(environment: Environment, **_kwargs: Any) -> None:
    options = environment.parsed_options
    LOCAL.read(options)
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        if options is not None and options.vf_ca_file:
            # Locust sends the master's options to every worker with each spawn: the CA's PEM
            # reaches workers on machines that have no copy of the file
            options.vf_ca_pem = Path(options.vf_ca_file).read_text()
        runner.register_message(_SIGNED_OUT, SIGN_OUTS.heard)
        environment.events.test_stopping.add_listener(  # type: ignore[no-untyped-call]
            _sign_everyone_out
        )
    elif isinstance(runner, WorkerRunner):
        # concurrent: the worker's message loop goes on (heartbeats) while its users stop
        runner.register_message(_SIGN_OUT, _stop_and_report, concurrent=True)


events.init_command_line_parser.add_listener(_arguments)  # type: ignore[no-untyped-call]
events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
# test_stop: once the users have stopped (signed out). Not quitting, which fires before they
# stop: their sign-outs would find their worker gone. A worker whose Locust process dies ends
# by itself (its stdin closes).
events.test_stop.add_listener(_close_workers)  # type: ignore[no-untyped-call]


class _Refused(RuntimeError):
    """The worker refused a command; ``full``: a call refused because it holds 4 already."""

    def __init__(self, sentence: str, *, full: bool = False) -> None:
        super().__init__(sentence)
        self.full = full


class VicifastAgent(User):
    """One agent through a shift: sign in, registered, calls, sign out."""

    abstract = False

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        options: Any = environment.parsed_options
        if options is None:
            raise RuntimeError("VicifastAgent runs under Locust's command line (locust -f)")
        runner = environment.runner
        index = getattr(runner, "worker_index", 0) if runner is not None else 0
        self.in_process = WORKERS.next_number()
        self.number = max(0, index) * options.vf_stride + self.in_process
        self.options = options
        self.worker: WorkerProcess | None = None
        self.agent = ""
        self.registered = threading.Event()
        self.on_calls: set[str] = set()  # the pushed calls it has up (ringing or answered)
        self.provisioned_at = 0.0  # time.monotonic (system-wide), from the worker child's events
        self.registered_at = 0.0
        self.calling = options.vf_call_every > 0  # else it only takes the calls pushed to it

    def wait_time(self) -> float:
        """Between an agent's own calls: about --vf-call-every seconds (a nap when it places
        none: the calls it takes are pushed)."""
        every: float = self.options.vf_call_every
        return random.uniform(every * 0.5, every * 1.5) if self.calling else 5.0

    def _report(self, name: str, started: float, error: str = "", *, until: float = 0.0) -> None:
        """Report ``name`` as taking from ``started`` to ``until`` (default: now)."""
        self.environment.events.request.fire(
            request_type=_REQUEST_TYPE,
            name=name,
            response_time=max(0.0, (until or time.monotonic()) - started) * 1000,
            response_length=0,
            exception=RuntimeError(error) if error else None,
            context={"agent": self.agent},
        )

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("agent") != self.agent:
            return
        kind = event.get("event")
        if kind == "provisioned" and not self.provisioned_at:
            self.provisioned_at = float(event.get("mono", 0.0)) or time.monotonic()
        elif kind == "registered":
            if not self.registered_at:
                self.registered_at = float(event.get("mono", 0.0)) or time.monotonic()
            self.registered.set()
        elif kind == "unregistered":
            self.registered.clear()
        if kind == "call" and event.get("direction") == "inbound":
            if event.get("state") == "disconnected":
                self.on_calls.discard(str(event.get("call_id")))
            else:
                self.on_calls.add(str(event.get("call_id")))
        if (
            kind == "call"
            and event.get("state") == "confirmed"
            and (event.get("direction") == "inbound")
        ):
            self.environment.events.request.fire(
                request_type=_REQUEST_TYPE,
                name="pushed call answered",
                response_time=float(event.get("setup_ms", 0.0)),
                response_length=0,
                exception=None,
                context={"agent": self.agent},
            )

    def _ask(self, op: str, **fields: Any) -> dict[str, Any]:
        """The worker's reply to ``op``; :class:`_Refused` (its sentence) when it refused."""
        assert self.worker is not None
        reply = self.worker.request(op, **fields).result(_STEP_S)
        if not reply.get("ok"):
            error = str(reply.get("error") or f"The worker refused {op}.")
            raise _Refused(error, full=bool(reply.get("full")))
        return reply

    def on_start(self) -> None:
        login = load_agent(self.number)
        started = time.monotonic()
        self.worker = WORKERS.take(self.options)
        self.worker.subscribe(self._on_event)
        try:
            added = self._ask(
                "add",
                company=self.options.vf_company,
                username=login.username,
                password=login.password,
                address=LOCAL.address(self.number, self.in_process),
            )
            self.agent = str(added["agent"])
            self._ask("sign_in", agent=self.agent)
        except Exception as err:
            self._report("sign-in", started, str(err))
            self._report("sign-in to registered", started, str(err))
            raise
        if not self.registered.wait(_STEP_S):
            if not self.provisioned_at:
                self._report("sign-in", started, "no SIP account within 30 s")
            else:
                self._report("sign-in", started, until=self.provisioned_at)
                self._report("REGISTER", self.provisioned_at, "not registered within 30 s")
            self._report("sign-in to registered", started, "not registered within 30 s")
            return
        # (a worker child that says nothing of its SIP account: REGISTER counts as 0)
        provisioned = self.provisioned_at or self.registered_at
        self._report("sign-in", started, until=provisioned)
        self._report("REGISTER", provisioned, until=self.registered_at)
        self._report("sign-in to registered", started, until=self.registered_at)

    @task
    def place_a_call(self) -> None:
        if self.worker is None or not self.calling or not self.registered.is_set():
            return
        if self.on_calls:  # on a pushed call: an agent does not dial out meanwhile
            return
        started = time.monotonic()
        try:
            placed = self._ask("call", agent=self.agent, target=self.options.vf_call_target)
        except _Refused as err:
            if not err.full:  # a full worker (4 calls, the SIP library's most): try later
                self._report("call setup", started, str(err))
            return
        except Exception as err:
            self._report("call setup", started, str(err))
            return
        call_id = str(placed["call_id"])
        try:
            answered = self.worker.wait_for(
                lambda e: (
                    e.get("event") == "call"
                    and e.get("call_id") == call_id
                    and e.get("state") in ("confirmed", "disconnected")
                ),
                _STEP_S,
            )
        except Exception as err:
            self._report("call setup", started, str(err))
            return
        if answered.get("state") != "confirmed":
            self._report("call setup", started, f"not answered ({answered.get('sip_code')})")
            return
        self._report("call setup", started)
        time.sleep(self.options.vf_call_hold)  # gevent's sleep: Locust has patched it
        self.worker.request("hangup", call_id=call_id).result(_STEP_S)

    def on_stop(self) -> None:
        if self.worker is None or not self.agent:
            return
        started = time.monotonic()
        try:
            self._ask("sign_out", agent=self.agent)
            self.worker.wait_for(
                lambda e: e.get("event") == "signed_out" and e.get("agent") == self.agent,
                _STEP_S,
            )
        except Exception as err:
            self._report("sign-out", started, str(err))
            return
        self._report("sign-out", started)


__all__ = ["VicifastAgent"]
