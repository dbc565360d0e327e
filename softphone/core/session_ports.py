"""What the sign-in session talks to, as Protocols: the HTTP clients and what they answer, and
the SIP engine, with :class:`EngineAccount`, the account the session keeps in it.

``softphone.provisioning.client`` implements :class:`SignInClient` and :class:`ProvisionClient`
(their errors carry ``reason``, a :class:`~softphone.core.session_events.SessionReason`, and
``retry_after_s``, which :func:`classify_error` reads); ``softphone.signin.service`` adapts
``SipEngine`` to :class:`Engine`. The session (``softphone.core.session``) sees only these
shapes, so the core imports neither.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Protocol

from softphone.core.errors import VicifastError
from softphone.core.models import SipAccountConfig
from softphone.core.secret import Secret
from softphone.core.session_events import SessionReason

_log = logging.getLogger(__name__)
_UNEXPECTED = "Signing in failed unexpectedly. Try again; if it keeps happening, restart the app."


class Lease(Protocol):
    @property
    def ip(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def ttl_s(self) -> int: ...


class ServerRef(Protocol):
    @property
    def provision_url(self) -> str: ...


class LoginGrant(Protocol):
    @property
    def token(self) -> Secret: ...
    @property
    def reauth_after_s(self) -> int: ...
    @property
    def server(self) -> ServerRef: ...
    @property
    def firewall(self) -> Lease: ...


class SipProvision(Protocol):
    @property
    def sip(self) -> SipAccountConfig: ...


class SignInClient(Protocol):
    """Blocking; called on a worker thread through the executor."""

    def login(
        self, company_code: str, username: str, password: Secret, totp: str | None = None
    ) -> LoginGrant: ...


class ProvisionClient(Protocol):
    """Blocking; called on a worker thread through the executor."""

    def provision(self, provision_url: str, username: str, password: Secret) -> SipProvision: ...


class Engine(Protocol):
    """What the session uses of ``softphone.sip.engine.SipEngine`` (thread-safe, non-blocking)."""

    def add_account(
        self, config: SipAccountConfig, account_id: str | None = None
    ) -> Future[str]: ...
    def remove_account(self, account_id: str) -> Future[None]: ...
    def reregister(self, account_id: str) -> Future[None]: ...
    def handle_ip_change(self) -> Future[None]: ...


class EngineAccount:
    """The SIP account the session keeps in the engine under ``account_id``, and whether it is
    registered. Engine calls return at once; a failure is logged here (the engine reports it as
    an event too)."""

    def __init__(self, engine: Engine, account_id: str) -> None:
        self._engine = engine
        self._id = account_id
        self.config: SipAccountConfig | None = None  # what the engine has, if anything
        self.registered = False
        self.refused = False  # its last REGISTER was refused (and the engine will not retry)

    def install(self, config: SipAccountConfig) -> None:
        """Put ``config`` in the engine, in place of the account it has."""
        if self.config is not None:
            self._watch("remove_account", self._engine.remove_account(self._id))
        self.config, self.registered, self.refused = config, False, False
        self._watch("add_account", self._engine.add_account(config, self._id))

    def drop(self) -> Future[None] | None:
        """Take the account out of the engine; the removal's future, if there was one."""
        removed: Future[None] | None = None
        if self.config is not None:
            removed = self._engine.remove_account(self._id)
            self._watch("remove_account", removed)
        self.config, self.registered, self.refused = None, False, False
        return removed

    def reregister(self) -> None:
        self.refused = False
        self._watch("reregister", self._engine.reregister(self._id))

    def handle_ip_change(self) -> None:
        self._watch("handle_ip_change", self._engine.handle_ip_change())

    def _watch(self, name: str, future: Future[Any]) -> None:
        def check(f: Future[Any]) -> None:  # runs on the SIP thread: log only
            if not f.cancelled() and f.exception() is not None:
                _log.warning("engine %s failed: %s", name, f.exception())

        future.add_done_callback(check)


def classify_error(err: BaseException) -> tuple[SessionReason, str, float | None]:
    """What a client's error means for the session: its reason, a message for people, and how
    long to wait before trying again (None: no advice)."""
    reason = getattr(err, "reason", None)
    if isinstance(err, VicifastError):
        wait = getattr(err, "retry_after_s", None)
        reason = reason if isinstance(reason, SessionReason) else SessionReason.ERROR
        return reason, str(err), wait if isinstance(wait, int | float) else None
    _log.error("sign-in step failed unexpectedly: %s", type(err).__name__)
    return SessionReason.ERROR, _UNEXPECTED, None
