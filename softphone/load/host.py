"""Emulated agents for load runs: up to seven in one process, on one SIP engine, each its own
computer to the servers.

The pjsua2 wheel holds 8 accounts and 8 transports a process (a 9th account aborts it) and 4
calls; each agent needs a transport on its own address and the engine keeps one for itself, so a
load run spreads its agents over worker processes, seven at most in each :class:`AgentHost`. An
agent does what the app does, with the app's own code: the sign-in
:class:`~softphone.core.session.Session` (login to the control plane, the firewall lease, the
SIP account from the employer's server, REGISTER, re-authentication on schedule and after a
move, sign-out), over HTTPS, SIP and RTP that all leave from the agent's own loopback address
(``127.0.1.x``), so the server's firewall and registrar see distinct agents. The engine answers
the calls the server pushes with ``answer-after=0`` as the account's auto-answer policy says,
exactly as in the app.

Threads: the host's core loop (a :class:`~softphone.headless.loop.HeadlessLoop`) runs on a thread
of its own ("load-core"); every session runs and emits there. The public methods are
thread-safe and return :class:`~concurrent.futures.Future` objects, so a load tool's users (on
gevent, in Locust) wait for them without ever touching the engine's or the loop's threads.
A host's ``on_event`` hears every event of each agent (session and engine), on the core thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TypeVar

from softphone.core import events as ev
from softphone.core.errors import LimitExceeded
from softphone.core.models import EngineConfig, SipAccountConfig
from softphone.core.secret import MemorySecretStore, Secret
from softphone.core.session_events import (
    FirewallLeaseChanged,
    SessionState,
    SessionStateChanged,
)
from softphone.headless.loop import HeadlessLoop
from softphone.signin.config import SignInConfig
from softphone.signin.service import SignInService
from softphone.sip.engine import SipEngine
from softphone.sip.transports import MAX_TRANSPORTS

_log = logging.getLogger(__name__)
T = TypeVar("T")

# Each agent speaks from its own address, so has a transport of its own: pjsua holds 8, one of
# them the engine's wake transport (and 8 accounts, so accounts are not what binds first)
MAX_AGENTS = MAX_TRANSPORTS - 1
_STEP_S = 15.0


def address_of(number: int) -> str:
    """The loopback address of a run's agent ``number`` (1…): 127.0.1.1 … 127.0.1.250,
    127.0.2.1 …"""
    third, fourth = divmod(number - 1, 250)
    return f"127.0.{1 + third}.{1 + fourth}"


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """Who an emulated agent signs in as, and the loopback address it speaks from."""

    company: str
    username: str
    password: Secret = field(repr=False)
    address: str


@dataclass(slots=True)
class AgentRecord:
    """What happened to one agent, for the run's report: state changes with their time."""

    timeline: list[tuple[float, str]] = field(default_factory=list)
    calls_confirmed: list[ev.CallStateChanged] = field(default_factory=list)
    calls_ended: list[ev.CallStateChanged] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class _AgentLine:
    """One agent's account in the shared engine: what its session sees as its engine.

    Its account binds to the agent's address. A move (:meth:`move_to`, then the session's
    :meth:`handle_ip_change` after its re-auth) takes the account off the engine and adds it
    again from the new address; the engine's own ``handle_ip_change`` would move every agent.
    Account commands run one at a time on the host's ops thread."""

    def __init__(self, engine: SipEngine, address: str, ops: ThreadPoolExecutor) -> None:
        self._engine = engine
        self.address = address
        self._wanted = address
        self._ops = ops
        self._accounts: dict[str, SipAccountConfig] = {}

    def add_account(self, config: SipAccountConfig, account_id: str | None = None) -> Future[str]:
        def work() -> str:
            mine = replace(config, local_address=self.address)
            added = self._engine.add_account(mine, account_id).result(_STEP_S)
            self._accounts[added] = config
            return added

        return self._ops.submit(work)

    def remove_account(self, account_id: str) -> Future[None]:
        def work() -> None:
            self._accounts.pop(account_id, None)
            self._engine.remove_account(account_id).result(_STEP_S)

        return self._ops.submit(work)

    def reregister(self, account_id: str) -> Future[None]:
        return self._ops.submit(lambda: self._engine.reregister(account_id).result(_STEP_S))

    def move_to(self, address: str) -> None:
        self._wanted = address

    def handle_ip_change(self) -> Future[None]:
        return self._ops.submit(self._move)

    def _move(self) -> None:
        if self._wanted == self.address:
            for account_id in self._accounts:
                self._engine.reregister(account_id).result(_STEP_S)
            return
        self.address = self._wanted
        for account_id, config in self._accounts.items():
            self._engine.remove_account(account_id).result(_STEP_S)
            mine = replace(config, local_address=self.address)
            self._engine.add_account(mine, account_id).result(_STEP_S)


class EmulatedAgent:
    """One agent of a host. Read its state from any thread; act through the host."""

    def __init__(self, host: AgentHost, spec: AgentSpec, account_id: str) -> None:
        self.spec = spec
        self.account_id = account_id
        self.record = AgentRecord()
        self.state = SessionState.SIGNED_OUT
        self.registered = threading.Event()
        self.signed_out = threading.Event()
        self.signed_out.set()
        self.lease: FirewallLeaseChanged | None = None
        self.active_calls: set[str] = set()
        self._host = host
        self.line = _AgentLine(host.engine, spec.address, host.ops)
        self.service = SignInService(
            SignInConfig(
                control_plane=host.control_plane,
                ca_file=host.ca_file,
                bind_address=spec.address,
            ),
            engine=self.line,
            store=MemorySecretStore(),
            device_id=f"load-{spec.username}",
            emit=self._on_session_event,
            post=host.loop.post,
            scheduler=host.loop,
            account_id=account_id,
        )

    def _note(self, what: str) -> None:
        self.record.timeline.append((time.monotonic(), what))

    # ---- events (the host's core thread) ------------------------------------------------------

    def _on_session_event(self, event: ev.Event) -> None:
        if isinstance(event, SessionStateChanged):
            self.state = event.state
            self._note(f"session {event.state.value}")
            if event.state is SessionState.SIGNED_OUT:
                self.registered.clear()
                if not event.wiping:  # a wipe's final word follows: signed out once it is done
                    self.signed_out.set()
                if event.message and event.reason.value not in ("", "user_sign_out"):
                    self.record.failures.append(event.message)
            else:
                self.signed_out.clear()
        elif isinstance(event, FirewallLeaseChanged):
            self.lease = event if event.ip else None
        self._host.tell(self, event)

    def on_engine_event(self, event: ev.Event) -> None:
        self.service.on_engine_event(event)
        if isinstance(event, ev.RegistrationChanged):
            self._note(f"registration {event.state.value} {event.code}".rstrip())
            if event.state is ev.RegistrationState.REGISTERED:
                self.registered.set()
            else:
                self.registered.clear()
        elif isinstance(event, ev.CallStateChanged):
            if event.state is ev.CallState.DISCONNECTED:
                self.active_calls.discard(event.call_id)
                self.record.calls_ended.append(event)
            else:
                self.active_calls.add(event.call_id)
                if event.state is ev.CallState.CONFIRMED:
                    self.record.calls_confirmed.append(event)
        self._host.tell(self, event)


class AgentHost:
    """Up to :data:`MAX_AGENTS` (7) emulated agents on one SIP engine and one core thread.

    ``control_plane`` and ``ca_file`` name the control plane the agents sign in to (the
    emulator's, over real TLS); ``on_event(agent, event)`` hears each agent's events on the core
    thread. Use as a context manager, or :meth:`start` and :meth:`close`."""

    def __init__(
        self,
        control_plane: str,
        *,
        ca_file: str | None = None,
        engine_config: EngineConfig | None = None,
        on_event: Callable[[EmulatedAgent, ev.Event], None] | None = None,
    ) -> None:
        self.control_plane = control_plane
        self.on_event = on_event
        self.ca_file = ca_file
        self.loop = HeadlessLoop()
        self.engine = SipEngine(self.loop.emit, engine_config or EngineConfig("127.0.0.1"))
        self.ops = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-engine-ops")
        self._agents: dict[str, EmulatedAgent] = {}
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="load-core", daemon=True)
        self.loop.bus.subscribe(ev.Event, self._dispatch)

    def __enter__(self) -> AgentHost:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def agents(self) -> list[EmulatedAgent]:
        return list(self._agents.values())

    def start(self) -> None:
        self.engine.start()
        self._thread.start()

    def _run(self) -> None:
        self.loop.run_until(lambda: self._closing)

    def _on_loop(self, work: Callable[[], T]) -> Future[T]:
        """Run ``work`` on the core thread; its result (or error) in the future."""
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(work())
            except Exception as err:
                future.set_exception(err)

        self.loop.post(run)
        return future

    def _dispatch(self, event: ev.Event) -> None:
        account_id = getattr(event, "account_id", None)
        if account_id:
            agent = self._agents.get(account_id)
            if agent is not None:
                agent.on_engine_event(event)

    def tell(self, agent: EmulatedAgent, event: ev.Event) -> None:
        """Hand an agent's event to ``on_event`` (core thread); its failure is only logged."""
        if self.on_event is None:
            return
        try:
            self.on_event(agent, event)
        except Exception:
            _log.exception("the load host's on_event failed")

    # ---- what a load tool does ---------------------------------------------------------------

    def add_agent(self, spec: AgentSpec) -> EmulatedAgent:
        """A new agent (signed out). LimitExceeded for a 9th: the engine cannot hold it."""
        if len(self._agents) >= MAX_AGENTS:
            raise LimitExceeded(
                f"A load worker process holds at most {MAX_AGENTS} agents (the SIP library's "
                "transport limit); start another worker for more."
            )
        if any(a.spec.address == spec.address for a in self._agents.values()):
            raise ValueError(f"Another agent of this worker already speaks from {spec.address}.")
        account_id = f"agent-{spec.username}"
        agent = EmulatedAgent(self, spec, account_id)
        self._agents[account_id] = agent
        return agent

    def sign_in(self, agent: EmulatedAgent) -> Future[bool]:
        """Start the agent's sign-in (then registration): False if its session refused."""
        spec = agent.spec
        return self._on_loop(
            lambda: agent.service.session.sign_in(spec.company, spec.username, spec.password)
        )

    def sign_out(self, agent: EmulatedAgent) -> Future[None]:
        return self._on_loop(agent.service.session.sign_out)

    def move(self, agent: EmulatedAgent, address: str) -> Future[None]:
        """The agent's computer now has ``address`` (a new network): it signs in again from
        there and re-registers, as the app does after an IP change."""
        return self._on_loop(lambda: agent.service.move_to(address))

    def call(self, agent: EmulatedAgent, target: str) -> Future[str]:
        return self.engine.make_call(agent.account_id, target)

    def hangup(self, call_id: str) -> Future[None]:
        return self.engine.hangup(call_id)

    def close(self) -> None:
        """Stop the sessions, the engine and the core thread (without waiting for the network)."""
        if self._closing:
            return
        for agent in self._agents.values():
            self._on_loop(agent.service.close)
        done = self._on_loop(lambda: None)
        try:
            done.result(_STEP_S)
        except Exception:  # a stuck loop: the engine's stop still ends what matters
            _log.warning("the load core thread did not answer before closing")
        self.ops.shutdown(wait=True)
        self.engine.stop()
        self._closing = True
        self.loop.wake()
        self._thread.join(timeout=_STEP_S)
