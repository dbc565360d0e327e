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
machines never share either.

What Locust reports, per request type "agent": ``sign-in to registered``, ``call setup``
(outgoing, from INVITE to answer) and ``pushed call answered``; failures carry the reason.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from typing import Any

from locust import User, events, task
from locust.env import Environment

from softphone.emulator.seed import LOAD_COMPANY_CODE, load_agent
from softphone.load.client import WorkerProcess
from softphone.load.host import MAX_AGENTS

_REQUEST_TYPE = "agent"
_STEP_S = 30.0


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


def address_of(number: int) -> str:
    """The loopback address of the run's agent ``number`` (1…): 127.0.1.1 … 127.0.1.250,
    127.0.2.1 …"""
    third, fourth = divmod(number - 1, 250)
    return f"127.0.{1 + third}.{1 + fourth}"


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
                ca_file = options.vf_ca_file or None
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


events.init_command_line_parser.add_listener(_arguments)  # type: ignore[no-untyped-call]
# test_stop: once the users have stopped (signed out). Not quitting, which fires before they
# stop: their sign-outs would find their worker gone. A worker whose Locust process dies ends
# by itself (its stdin closes).
events.test_stop.add_listener(_close_workers)  # type: ignore[no-untyped-call]


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
        self.number = max(0, index) * options.vf_stride + WORKERS.next_number()
        self.options = options
        self.worker: WorkerProcess | None = None
        self.agent = ""
        self.registered = threading.Event()
        self.calling = options.vf_call_every > 0  # else it only takes the calls pushed to it

    def wait_time(self) -> float:
        """Between an agent's own calls: about --vf-call-every seconds (a nap when it places
        none: the calls it takes are pushed)."""
        every: float = self.options.vf_call_every
        return random.uniform(every * 0.5, every * 1.5) if self.calling else 5.0

    def _report(self, name: str, started: float, error: str = "") -> None:
        self.environment.events.request.fire(
            request_type=_REQUEST_TYPE,
            name=name,
            response_time=(time.monotonic() - started) * 1000,
            response_length=0,
            exception=RuntimeError(error) if error else None,
            context={"agent": self.agent},
        )

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("agent") != self.agent:
            return
        kind = event.get("event")
        if kind == "registered":
            self.registered.set()
        elif kind == "unregistered":
            self.registered.clear()
        elif (
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

    def on_start(self) -> None:
        login = load_agent(self.number)
        started = time.monotonic()
        self.worker = WORKERS.take(self.options)
        self.worker.subscribe(self._on_event)
        try:
            added = self.worker.request(
                "add",
                company=self.options.vf_company,
                username=login.username,
                password=login.password,
                address=address_of(self.number),
            ).result(_STEP_S)
            self.agent = str(added["agent"])
            self.worker.request("sign_in", agent=self.agent).result(_STEP_S)
        except Exception as err:
            self._report("sign-in to registered", started, str(err))
            raise
        if self.registered.wait(_STEP_S):
            self._report("sign-in to registered", started)
        else:
            self._report("sign-in to registered", started, "not registered within 30 s")

    @task
    def place_a_call(self) -> None:
        if self.worker is None or not self.calling or not self.registered.is_set():
            return
        started = time.monotonic()
        try:
            placed = self.worker.request(
                "call", agent=self.agent, target=self.options.vf_call_target
            ).result(_STEP_S)
            call_id = str(placed["call_id"])
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
            self.worker.request("sign_out", agent=self.agent).result(_STEP_S)
            self.worker.wait_for(
                lambda e: e.get("event") == "signed_out" and e.get("agent") == self.agent,
                _STEP_S,
            )
        except Exception as err:
            self._report("sign-out", started, str(err))
            return
        self._report("sign-out", started)


__all__ = ["VicifastAgent", "address_of"]
