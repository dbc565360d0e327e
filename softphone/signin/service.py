"""The sign-in session composed for the headless side (no Qt): keychain, HTTP clients, engine.

:class:`SignInService` builds the two HTTP clients, the :class:`~softphone.core.session.Session`
and a pool for their blocking work. The owner's loop (the headless agent's) runs the core: it
gives ``post`` (run a callable on the loop thread), a scheduler and ``emit``; every Session
method and every emitted event stays on that thread.

The login's source address is the IP the control plane whitelists, so HTTP leaves from the
address SIP is bound to (:class:`BoundTransport`). pjsua2 binds its transports when they are
created, so a move to another *explicit* local address is done by :class:`RebindingEngine` as
remove account → restart the engine on the new address → add the account; with the wildcard
bind (the default) an IP change is pjsua2's own ``handleIpChange``.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import httpx

from softphone.core import events as ev
from softphone.core.engine import SipEngineApi
from softphone.core.executor import Scheduler, pooled
from softphone.core.models import EngineConfig, SipAccountConfig
from softphone.core.retry import Backoff
from softphone.core.secret import Secret, SecretStore
from softphone.core.session import Session
from softphone.core.session_events import ACCOUNT_ID, SessionReason
from softphone.core.session_ports import Engine
from softphone.provisioning.client import (
    ControlPlaneClient,
    DeviceInfo,
    ProvisioningClient,
)
from softphone.provisioning.https import make_ssl_context
from softphone.signin.config import SignInConfig
from softphone.storage.private_files import open_private, private_dir

if TYPE_CHECKING:
    from softphone.audio.ring import AudioRings

_log = logging.getLogger(__name__)
T = TypeVar("T")

WILDCARD = frozenset({"", "0.0.0.0", "::"})
APP_DIR_NAME = "vicifast-desktop"
_ENGINE_STEP_S = 15.0

EngineFactory = Callable[
    [Callable[[ev.Event], None], EngineConfig, "AudioRings | None"], SipEngineApi
]
"""Makes an engine from ``(emit, config, audio)``: ``SipEngine`` itself, handed down by the
composition root, so this package never imports ``softphone.sip`` (nor, through it, pjsua2)."""


# ---- ids of this install (not secrets) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstallIds:
    """``install_id`` names this install's keychain service; ``device_id`` goes to the login."""

    install_id: str
    device_id: str


def default_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def load_install_ids(state_dir: Path | None = None) -> InstallIds:
    """Read ``install.json`` from ``state_dir``, creating it with random ids the first time
    (0600, in a folder made or tightened to 0700: see ``storage.private_files``)."""
    folder = private_dir(state_dir or default_state_dir())
    path = folder / "install.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return InstallIds(str(data["install_id"]), str(data["device_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    ids = InstallIds(str(uuid.uuid4()), uuid.uuid4().hex)
    tmp = path.with_suffix(".tmp")
    with os.fdopen(open_private(tmp), "w", encoding="utf-8") as out:
        json.dump({"install_id": ids.install_id, "device_id": ids.device_id}, out)
    tmp.replace(path)
    return ids


# ---- HTTP from the bound address ------------------------------------------------------------


class BoundTransport(httpx.BaseTransport):
    """An HTTPS transport leaving from ``local_address`` (None: the kernel's choice), which
    :meth:`rebind` changes; pooled connections from the old address are dropped with it."""

    def __init__(self, context: ssl.SSLContext, local_address: str | None) -> None:
        self._context = context
        self._lock = threading.Lock()
        self._retired: list[httpx.HTTPTransport] = []
        self._inner = self._make(local_address)

    def _make(self, local_address: str | None) -> httpx.HTTPTransport:
        address = None if local_address in WILDCARD else local_address
        return httpx.HTTPTransport(verify=self._context, local_address=address)

    def rebind(self, local_address: str | None) -> None:
        with self._lock:
            # a request may still be in flight on the old one: close it with the rest
            self._retired.append(self._inner)
            self._inner = self._make(local_address)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            inner = self._inner
        return inner.handle_request(request)

    def close(self) -> None:
        with self._lock:
            for transport in (*self._retired, self._inner):
                transport.close()
            self._retired.clear()


def provisioning_context(ca_file: str | None) -> ssl.SSLContext:
    """System CAs, plus ``ca_file`` (a test or in-house employer server signed by it)."""
    context = make_ssl_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


# ---- the engine, movable to another local address -------------------------------------------


class RebindingEngine:
    """The :class:`~softphone.core.session_ports.Engine` the session uses, on a SIP engine (made by
    ``factory``, ``SipEngine`` itself in the app and the agent) that can move to another
    explicit local address (see the module docstring).

    Account commands and moves run one at a time on a worker thread of their own, so a move
    never interleaves with an add or remove. Events are emitted on the SIP thread (of the
    current engine), like ``SipEngine``'s.
    """

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        config: EngineConfig,
        audio: AudioRings | None,
        factory: EngineFactory,
    ) -> None:
        self._emit = emit
        self._config = config
        self._audio = audio
        self._factory = factory
        self._engine = factory(emit, config, audio)
        self._wanted = config.bind_address
        self._accounts: dict[str, SipAccountConfig] = {}
        self._ops = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-ops")

    @property
    def bind_address(self) -> str:
        return self._config.bind_address

    @property
    def current(self) -> SipEngineApi:
        return self._engine

    def start(self) -> None:
        self._engine.start()

    def stop(self) -> None:
        self._ops.shutdown(wait=True)
        self._engine.stop()

    def move_to(self, address: str) -> None:
        """Bind to ``address`` from the next :meth:`handle_ip_change` on (thread-safe)."""
        self._wanted = address

    def _serial(self, work: Callable[[], T]) -> Future[T]:
        return self._ops.submit(work)

    def add_account(self, config: SipAccountConfig, account_id: str | None = None) -> Future[str]:
        def work() -> str:
            added = self._engine.add_account(config, account_id).result(_ENGINE_STEP_S)
            self._accounts[added] = config
            return added

        return self._serial(work)

    def remove_account(self, account_id: str) -> Future[None]:
        def work() -> None:
            self._accounts.pop(account_id, None)
            self._engine.remove_account(account_id).result(_ENGINE_STEP_S)

        return self._serial(work)

    def reregister(self, account_id: str) -> Future[None]:
        return self._serial(lambda: self._engine.reregister(account_id).result(_ENGINE_STEP_S))

    def handle_ip_change(self) -> Future[None]:
        return self._serial(self._handle_ip_change)

    def _handle_ip_change(self) -> None:
        wanted = self._wanted
        if wanted == self._config.bind_address or wanted in WILDCARD:
            self._engine.handle_ip_change().result(_ENGINE_STEP_S)
            return
        _log.info("moving the SIP engine to another local address")
        accounts = dict(self._accounts)
        for account_id in accounts:
            try:
                self._engine.remove_account(account_id).result(_ENGINE_STEP_S)
            except Exception as err:  # the old network may be gone; the stop cleans up
                _log.warning("removing an account before the move failed: %s", err)
        self._engine.stop()
        self._config = replace(self._config, bind_address=wanted)
        self._engine = self._factory(self._emit, self._config, self._audio)
        self._engine.start()
        for account_id, config in accounts.items():
            self._engine.add_account(config, account_id).result(_ENGINE_STEP_S)

    # call control for the agent's plan: straight to the current engine
    def make_call(self, account_id: str, target: str) -> Future[str]:
        return self._engine.make_call(account_id, target)

    def send_dtmf(self, call_id: str, digits: str) -> Future[None]:
        return self._engine.send_dtmf(call_id, digits)

    def hold(self, call_id: str) -> Future[None]:
        return self._engine.hold(call_id)

    def hangup(self, call_id: str) -> Future[None]:
        return self._engine.hangup(call_id)


# ---- the composition -----------------------------------------------------------------------


class MovableEngine(Engine, Protocol):
    """The engine a sign-in service drives: the session's :class:`Engine`, which can also be
    moved to another local address (:class:`RebindingEngine`; a load worker's line of a
    shared engine)."""

    def move_to(self, address: str) -> None: ...


TransportWrapper = Callable[[httpx.BaseTransport], httpx.BaseTransport]


def _no_totp(reason: SessionReason) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class SignInPlan:
    """How the headless agent signs in; ``password`` None resumes the saved session."""

    config: SignInConfig
    store: SecretStore
    device_id: str
    company: str = ""
    username: str = ""
    password: Secret | None = field(default=None, repr=False)
    totp: Callable[[SessionReason], str | None] = _no_totp  # asked when the server wants one
    wrap_transport: TransportWrapper | None = None  # tests record or fault requests
    backoff: Backoff | None = None
    watch_network: bool = True  # with the wildcard bind: re-auth when the route changes
    probe: Callable[[], str | None] | None = None  # the local address now (default: route)


class SignInService:
    """The session and what it talks to. Call every method on the loop thread that ``post``
    and the scheduler run on; the session's events are emitted there through ``emit``."""

    def __init__(
        self,
        config: SignInConfig,
        *,
        engine: MovableEngine,
        store: SecretStore,
        device_id: str,
        emit: Callable[[ev.Event], None],
        post: Callable[[Callable[[], None]], None],
        scheduler: Scheduler,
        wrap_transport: TransportWrapper | None = None,
        backoff: Backoff | None = None,
        clear_history: Callable[[], None] = lambda: None,
        clear_trace: Callable[[], None] = lambda: None,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        """``clear_history`` and ``clear_trace`` run on a worker thread when a session ends
        with a wipe (sign-out, revocation, add-on lapse): the app's call history and SIP trace;
        they raise ``NotDeleted`` for what they leave behind. ``account_id``: the engine account
        the session owns (one per emulated agent where several share an engine)."""
        self.config = config
        self.engine = engine
        self.store = store
        self._address = config.bind_address
        # each context holds the system's CA certificates, loaded anew (~20 ms, ~1 MiB): one
        # for both servers unless a CA file makes them differ
        cp_context = make_ssl_context(config.ca_file)
        prov_context = provisioning_context(config.ca_file) if config.ca_file else cp_context
        self._cp_transport = BoundTransport(cp_context, self._address)
        self._prov_transport = BoundTransport(prov_context, self._address)
        wrap = wrap_transport or (lambda t: t)
        self.control_plane = ControlPlaneClient(
            config.control_plane,
            transport=wrap(self._cp_transport),
            ca_file=config.ca_file,
            device=DeviceInfo.current(device_id),
            insecure_test_server=config.insecure_test_server,
        )
        self.provisioning = ProvisioningClient(
            transport=wrap(self._prov_transport),
            insecure_test_server=self.control_plane.plain_http,
        )
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="signin")
        self.session = Session(
            control_plane=self.control_plane,
            provisioning=self.provisioning,
            engine=engine,
            store=store,
            emit=emit,
            run=pooled(self._pool, post),
            scheduler=scheduler,
            backoff=backoff,
            clear_history=clear_history,
            clear_trace=clear_trace,
            account_id=account_id,
        )

    @property
    def bind_address(self) -> str:
        return self._address

    def on_engine_event(self, event: ev.Event) -> None:
        """Subscribe to the engine's events (REGISTER failures become re-auths)."""
        self.session.on_engine_event(event)

    def on_ip_changed(self) -> None:
        """The network changed under a wildcard bind: re-auth, then pjsua2 re-binds."""
        self.session.on_ip_changed()

    def on_wake(self) -> None:
        """The computer woke from sleep: REGISTER at once, re-auth if the lease needs it."""
        self.session.on_wake()

    def move_to(self, address: str) -> None:
        """Leave from ``address`` from now on (HTTP at once, SIP after the re-auth)."""
        self._address = address
        self._cp_transport.rebind(address)
        self._prov_transport.rebind(address)
        self.engine.move_to(address)
        self.session.on_ip_changed()

    def close(self) -> None:
        """After the loop's last turn; returns without waiting for the network. A request in
        flight is stopped (its socket shut down) and its result dropped (``Session.close``);
        keychain saves already queued finish on the pool's threads."""
        self.session.close()
        self.control_plane.close()
        self.provisioning.close()
        self._pool.shutdown(wait=False)
