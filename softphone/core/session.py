"""The sign-in session: sign-in, provisioning, registration, firewall re-auth and sign-out.

::

  SIGNED_OUT ─sign_in─► SIGNING_IN ─► PROVISIONING ─► REGISTERING ◄──► REGISTERED
   ▲  ▲                   │   ▲                          ▲    │              │ timer,
   │  │        totp asked ▼   │ submit_totp              │    ▼              │ IP change,
   │  │              AWAITING_TOTP                      REFRESHING ◄────────┘ REGISTER 403
   │  │                                                   │    ▲
   │  └─ revoked, add-on lapsed, password changed ────────┘    │ retry
   │                                                      BACKING_OFF (registration kept)
   └──── sign_out (from any state)

Threads: every public method must be called on the core thread (the GUI thread, or the
headless agent's loop); every event is emitted there. Blocking work (HTTP, the keychain, clearing
the history) runs through the injected :class:`Executor`, whose ``done`` callback must come back
on the core thread; the :class:`Scheduler`'s callbacks must run there too. Engine methods return
futures and never block; the engine's events reach :meth:`Session.on_engine_event`.

Wipes: a session that ends with a wipe (sign-out, revocation, add-on lapse: the keychain, the
call history and the SIP trace; a changed password: the password, token and SIP account) goes to
SIGNED_OUT at once with ``wiping`` set, and says so again with its message for people once the
wipe has run: that it is done, or what is left and where. No sign-in starts in between.

The HTTP clients are reached through :class:`SignInClient` and :class:`ProvisionClient`
(``softphone.provisioning.client`` implements them). Their errors carry ``reason`` (a
:class:`SessionReason`) and ``retry_after_s``, read here without importing that package.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from softphone.core import events as ev
from softphone.core.errors import ConfigError, NotDeleted, VicifastError
from softphone.core.models import (
    AutoAnswerMode,
    AutoAnswerPolicy,
    DtmfMethod,
    SipAccountConfig,
    SrtpMode,
    Transport,
)
from softphone.core.retry import Backoff
from softphone.core.secret import Secret, SecretStore
from softphone.core.session_events import (
    FirewallLeaseChanged,
    SessionReason,
    SessionState,
    SessionStateChanged,
)

_log = logging.getLogger(__name__)
T = TypeVar("T")
Reason = SessionReason
State = SessionState

ACCOUNT_ID = "session"  # the engine account the session owns
# Keychain keys (never anything of this in a settings file).
KEY_COMPANY = "vicidial.company_code"
KEY_USERNAME = "vicidial.username"
KEY_PASSWORD = "vicidial.password"
KEY_TOKEN = "session.token"
KEY_SIP = "sip.account"

# REGISTER answers after which a re-auth can help: the firewall closed (403, timeouts) or the
# SIP password was rotated (401/407 after the challenge was answered).
REAUTH_REGISTER_CODES = frozenset({401, 403, 407, 408})
REGISTER_REAUTH_MIN_INTERVAL_S = 60.0  # REGISTER failures re-auth at most this often
MIN_REAUTH_DELAY_S = 5.0  # a lease that is already due does not make us spin
_ENDS_SESSION = frozenset(
    {
        Reason.ACCOUNT_REVOKED,
        Reason.ADDON_INACTIVE,
        Reason.INVALID_CREDENTIALS,
        Reason.UNKNOWN_COMPANY,
    }
)
_WIPES_ALL = frozenset({Reason.ACCOUNT_REVOKED, Reason.ADDON_INACTIVE})
# a re-auth is under way or pending: it ends by provisioning (and installing) the account again
_REAUTHING = frozenset({State.REFRESHING, State.BACKING_OFF, State.AWAITING_TOTP})
_SIGNED_OUT_MESSAGE = "You signed out. Your saved sign-in and your call history were deleted."
_WIPING_MESSAGE = "Deleting your saved sign-in and your call history…"
ENGINE_REMOVAL_WAIT_S = 10.0  # the wipe waits this long for the engine to drop the account
_UNEXPECTED = "Signing in failed unexpectedly. Try again; if it keeps happening, restart the app."


# ---- what the session talks to -----------------------------------------------------------


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


class Cancellable(Protocol):
    def cancel(self) -> object: ...


class Scheduler(Protocol):
    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Cancellable:
        """Run ``callback`` on the core thread after ``delay_s`` seconds."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What a piece of blocking work returned, or the error it raised."""

    value: T | None = None
    error: BaseException | None = None

    @classmethod
    def of(cls, work: Callable[[], T]) -> Outcome[T]:
        try:
            return cls(value=work())
        except Exception as err:  # handed to the core thread, which decides
            return cls(error=err)


class Executor(Protocol):
    def __call__(self, work: Callable[[], T], done: Callable[[Outcome[T]], None], /) -> None:
        """Run ``work`` off the core thread, then ``done`` with its outcome on the core thread."""
        ...


def run_inline(work: Callable[[], T], done: Callable[[Outcome[T]], None]) -> None:
    """An executor that blocks the caller: for tests and one-shot scripts only."""
    done(Outcome.of(work))


def pooled(pool: ThreadPoolExecutor, post: Callable[[Callable[[], None]], None]) -> Executor:
    """An executor running work on ``pool`` and ``done`` wherever ``post`` puts it (the Qt
    bridge's queued signal, or the headless agent's queue): the core thread."""

    def run(work: Callable[[], T], done: Callable[[Outcome[T]], None]) -> None:
        def job() -> None:
            outcome = Outcome.of(work)
            post(lambda: done(outcome))

        pool.submit(job)

    return run


@dataclass(frozen=True, slots=True)
class Credentials:
    company_code: str
    username: str
    password: Secret = field(repr=False)


# ---- the SIP account in the keychain -------------------------------------------------------


def account_to_secret(account: SipAccountConfig) -> Secret:
    """The account as JSON, password included: a Secret, for the keychain only."""
    policy = account.auto_answer
    auto = f"after={policy.delay_s:g}" if policy.mode is AutoAnswerMode.AFTER else policy.mode
    data = {
        "extension": account.extension,
        "password": account.password.reveal(),
        "domain": account.domain,
        "proxy": account.proxy,
        "transport": account.transport.value,
        "port": account.port,
        "srtp": account.srtp.value,
        "codecs": list(account.codecs),
        "reg_expires_s": account.reg_expires_s,
        "keepalive_s": account.keepalive_s,
        "display_name": account.display_name,
        "dtmf": account.dtmf.value,
        "auto_answer": str(auto),
        "auth_user": account.auth_user,
        "ca_file": account.ca_file,
        "verify_server": account.verify_server,
        "register": account.register,
    }
    return Secret(json.dumps(data))


def account_from_secret(value: Secret) -> SipAccountConfig:
    """The inverse of :func:`account_to_secret`; ConfigError if the stored value is damaged."""
    try:
        d: dict[str, Any] = json.loads(value.reveal())
        return SipAccountConfig(
            extension=str(d["extension"]),
            password=Secret(str(d["password"])),
            domain=str(d["domain"]),
            proxy=str(d["proxy"]),
            transport=Transport(d["transport"]),
            port=int(d["port"]),
            srtp=SrtpMode(d["srtp"]),
            codecs=tuple(str(c) for c in d["codecs"]),
            reg_expires_s=int(d["reg_expires_s"]),
            keepalive_s=int(d["keepalive_s"]),
            display_name=str(d["display_name"]),
            dtmf=DtmfMethod(d["dtmf"]),
            auto_answer=AutoAnswerPolicy.parse(str(d["auto_answer"])),
            auth_user=str(d["auth_user"]),
            ca_file=str(d["ca_file"]),
            verify_server=bool(d["verify_server"]),
            register=bool(d["register"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError("The saved SIP account is damaged; sign in again.") from None


def reauth_at(issued_at: datetime, reauth_after_s: float, lease: Lease) -> datetime:
    """When to re-authenticate: after ``reauth_after_s``, and at the latest at 90 % of the TTL
    (counted from the request, and from the server's ``expires_at``)."""
    ttl = timedelta(seconds=lease.ttl_s)
    return min(
        issued_at + timedelta(seconds=reauth_after_s),
        issued_at + 0.9 * ttl,
        lease.expires_at - 0.1 * ttl,
    )


def _classify(err: BaseException) -> tuple[SessionReason, str, float | None]:
    reason = getattr(err, "reason", None)
    if isinstance(err, VicifastError):
        wait = getattr(err, "retry_after_s", None)
        reason = reason if isinstance(reason, SessionReason) else Reason.ERROR
        return reason, str(err), wait if isinstance(wait, int | float) else None
    _log.error("sign-in step failed unexpectedly: %s", type(err).__name__)
    return Reason.ERROR, _UNEXPECTED, None


# ---- the state machine ---------------------------------------------------------------------


class Session:
    """The agent's sign-in session. Emits on the core thread (see the module docstring)."""

    def __init__(
        self,
        *,
        control_plane: SignInClient,
        provisioning: ProvisionClient,
        engine: Engine,
        store: SecretStore,
        emit: Callable[[ev.Event], None],
        run: Executor,
        scheduler: Scheduler,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        clear_history: Callable[[], None] = lambda: None,
        clear_trace: Callable[[], None] = lambda: None,
        backoff: Backoff | None = None,
    ) -> None:
        """``clear_history`` and ``clear_trace`` delete the app's call history and SIP trace in a
        wipe (on the executor's worker); each raises ``NotDeleted`` (or ``OSError``) for what
        it leaves behind."""
        self._cp = control_plane
        self._prov = provisioning
        self._engine = engine
        self._store = store
        self._emit = emit
        self._run = run
        self._scheduler = scheduler
        self._clock = clock
        self._clear_history = clear_history
        self._clear_trace = clear_trace
        self._backoff = backoff or Backoff(first_s=2.0, cap_s=300.0)
        self._store_lock = threading.Lock()  # orders keychain writes against a wipe
        self._gen = 0  # bumped when a session ends or closes: late results of work are dropped
        self._ended = 0  # bumped when a session ends: its keychain saves still queued are dropped
        self._closed = False
        self._state = State.SIGNED_OUT
        self._creds: Credentials | None = None
        self._account: SipAccountConfig | None = None  # what the engine has, if anything
        self._has_session = False
        self._registered = False
        self._busy = False
        self._wipes = 0  # wipes still running: no sign-in until they are done
        self._pending: SessionReason | None = None
        self._ip_changed = False
        self._timer: Cancellable | None = None
        self._last_register_reauth: datetime | None = None
        self._issued: tuple[datetime, float, Lease] | None = None  # last login: sent, reauth, lease
        self.lease: FirewallLeaseChanged | None = None
        self.next_reauth_at: datetime | None = None
        self.remembered_company = ""
        self.remembered_username = ""

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def wiping(self) -> bool:
        """A wipe is still running (its SIGNED_OUT with the final message follows)."""
        return self._wipes > 0

    # ---- commands (core thread) -------------------------------------------------------------

    def resume(self) -> None:
        """At start: take up the session saved in the keychain, if there is one."""
        if self._state is not State.SIGNED_OUT or self._wipes:
            return
        gen = self._gen
        self._set_state(State.SIGNING_IN, Reason.RESUMED)
        self._run(self._load, lambda out: self._resumed(out, gen))

    def sign_in(
        self, company_code: str, username: str, password: Secret, totp: str | None = None
    ) -> bool:
        """Start signing in; False (nothing done) unless signed out or waiting for a TOTP code,
        or while the last session's wipe is still running."""
        if self._has_session or self._state not in (State.SIGNED_OUT, State.AWAITING_TOTP):
            _log.warning("sign_in ignored in state %s", self._state)
            return False
        if self._wipes:
            _log.warning("sign_in ignored: the last session is still being deleted")
            return False
        self._creds = Credentials(company_code.strip(), username.strip(), password)
        self._login(totp)
        return True

    def submit_totp(self, code: str) -> bool:
        """Continue a sign-in or re-auth that asked for an authenticator code."""
        if self._state is not State.AWAITING_TOTP or self._creds is None:
            return False
        if self._has_session:
            self._refresh(Reason.TOTP_REQUIRED, totp=code)
        else:
            self._login(code)
        return True

    def sign_out(self) -> None:
        """Unregister, delete the saved session, the call history and the SIP trace, and say so
        once they are deleted (see the module docstring)."""
        self._end(Reason.USER_SIGN_OUT, _SIGNED_OUT_MESSAGE, wipe=True)

    def close(self) -> None:
        """The owner is shutting down: from now on nothing that is still running (a request,
        a timer, a wipe) changes the state or emits. Keychain saves already queued still run."""
        self._closed = True
        self._gen += 1
        self._cancel_timer()

    def on_ip_changed(self) -> None:
        """The local IP changed: re-auth at once (opens the firewall for the new IP), then let
        the engine re-bind and re-register."""
        if not self._has_session:
            return
        self._ip_changed = True
        self._refresh(Reason.IP_CHANGED)

    def on_register_failed(self, code: int) -> None:
        """REGISTER failed with ``code``; 401/403/407/408 (timeouts) trigger a re-auth."""
        if not self._has_session or code not in REAUTH_REGISTER_CODES:
            return
        now = self._clock()
        last = self._last_register_reauth
        if last is not None and (now - last).total_seconds() < REGISTER_REAUTH_MIN_INTERVAL_S:
            return
        self._last_register_reauth = now
        self._refresh(Reason.REGISTER_FAILED)

    def on_engine_event(self, event: ev.Event) -> None:
        """Feed the engine's events here (subscribe it to RegistrationChanged, CommandFailed)."""
        if self._account is None:
            return
        if isinstance(event, ev.RegistrationChanged) and event.account_id == ACCOUNT_ID:
            registered = event.state is ev.RegistrationState.REGISTERED
            was, self._registered = self._registered, registered
            if registered and self._state is State.REGISTERING:
                self._set_state(State.REGISTERED)
            elif was and not registered and self._state is State.REGISTERED:
                self._set_state(State.REGISTERING)
            if event.state in (ev.RegistrationState.FAILED, ev.RegistrationState.RETRYING):
                self.on_register_failed(event.code)
        elif (
            isinstance(event, ev.CommandFailed)
            and event.command == "add_account"
            and event.account_id in ("", ACCOUNT_ID)  # the engine does not name the account
            and not self._registered
        ):
            if self._state is State.REGISTERING:
                self._account = None
                self._end(Reason.ENGINE, event.message, wipe=False)
            elif self._state in _REAUTHING:
                # A resumed session's saved account was refused (say, TLS where this build has
                # none): the re-auth provisions again and installs what it gets, and a refusal
                # of that ends the session with the engine's message.
                self._account = None

    # ---- sign-in ----------------------------------------------------------------------------

    def _login(self, totp: str | None) -> None:
        creds, gen, sent = self._creds, self._gen, self._clock()
        assert creds is not None
        self._set_state(State.SIGNING_IN)
        self._run(
            lambda: self._cp.login(creds.company_code, creds.username, creds.password, totp),
            lambda out: self._logged_in(out, gen, sent),
        )

    def _logged_in(self, out: Outcome[LoginGrant], gen: int, sent: datetime) -> None:
        if gen != self._gen:
            return
        if out.error is not None or out.value is None:
            self._sign_in_failed(out.error)
            return
        grant, creds = out.value, self._creds
        assert creds is not None
        self._set_lease(grant, sent)
        self._set_state(State.PROVISIONING)
        self._run(
            lambda: self._prov.provision(
                grant.server.provision_url, creds.username, creds.password
            ),
            lambda out: self._provisioned(out, gen, grant),
        )

    def _provisioned(self, out: Outcome[SipProvision], gen: int, grant: LoginGrant) -> None:
        if gen != self._gen:
            return
        if out.error is not None or out.value is None:
            self._sign_in_failed(out.error)
            return
        creds, account = self._creds, out.value.sip
        assert creds is not None

        def saved(result: Outcome[None]) -> None:
            if gen != self._gen:
                return
            if result.error is not None:
                # a locked keychain: a sign-in it cannot keep (and whose calls the history
                # could not record) is refused with the keychain's own message
                reason, message, _ = _classify(result.error)
                self._end(
                    Reason.KEYCHAIN if reason is Reason.ERROR else reason, message, wipe=False
                )
                return
            self._has_session = True
            self._backoff.reset()
            self._install(account)
            self._schedule_next()

        # the session is taken up only once the keychain holds it
        self._run(self._saver(creds, grant.token, account), saved)

    def _sign_in_failed(self, err: BaseException | None) -> None:
        reason, message, wait = _classify(err or RuntimeError())
        if reason in (Reason.TOTP_REQUIRED, Reason.TOTP_INVALID):
            self._set_state(State.AWAITING_TOTP, reason, message)
            return
        self._end(reason, message, wipe=reason is Reason.ACCOUNT_REVOKED, retry_in_s=wait)

    # ---- re-auth ----------------------------------------------------------------------------

    def _refresh(self, trigger: SessionReason, totp: str | None = None) -> None:
        if self._busy:
            self._pending = trigger
            return
        creds, gen, sent = self._creds, self._gen, self._clock()
        assert creds is not None
        self._cancel_timer()
        self._busy = True
        self._set_state(State.REFRESHING, trigger)
        self._run(
            lambda: self._cp.login(creds.company_code, creds.username, creds.password, totp),
            lambda out: self._reauthed(out, gen, sent, trigger),
        )

    def _reauthed(
        self, out: Outcome[LoginGrant], gen: int, sent: datetime, trigger: SessionReason
    ) -> None:
        if gen != self._gen:
            return
        if out.error is not None or out.value is None:
            self._refresh_failed(out.error or RuntimeError(), trigger)
            return
        grant, creds = out.value, self._creds
        assert creds is not None
        self._set_lease(grant, sent)  # the firewall is open now, whatever provisioning says
        self._run(
            lambda: self._prov.provision(
                grant.server.provision_url, creds.username, creds.password
            ),
            lambda out: self._refreshed(out, gen, grant, trigger),
        )

    def _refreshed(
        self, out: Outcome[SipProvision], gen: int, grant: LoginGrant, trigger: SessionReason
    ) -> None:
        if gen != self._gen:
            return
        if out.error is not None or out.value is None:
            self._refresh_failed(out.error or RuntimeError(), trigger)
            return
        creds, account = self._creds, out.value.sip
        assert creds is not None
        self._busy = False
        self._backoff.reset()
        self._save(creds, grant.token, account)
        if account != self._account:  # first time, or the server's phone config changed
            self._install(account)
        else:
            if trigger is Reason.REGISTER_FAILED:
                self._engine_call("reregister", self._engine.reregister(ACCOUNT_ID))
            self._set_state(State.REGISTERED if self._registered else State.REGISTERING)
        self._schedule_next()
        self._after_refresh()

    def _after_refresh(self, *, run_pending: bool = True) -> None:
        if not self._has_session:
            return
        if self._ip_changed and self._account is not None:
            self._ip_changed = False
            self._engine_call("handle_ip_change", self._engine.handle_ip_change())
        if run_pending and self._pending is not None:
            pending, self._pending = self._pending, None
            # A trigger that came while the last re-auth was in flight: that re-auth may have
            # left from the old network, so do it again (and re-bind again after an IP change).
            self._ip_changed = pending is Reason.IP_CHANGED
            self._refresh(pending)

    def _refresh_failed(self, err: BaseException, trigger: SessionReason) -> None:
        reason, message, wait = _classify(err)
        if reason in _ENDS_SESSION:
            self._end(reason, message, wipe=reason in _WIPES_ALL)
            return
        self._busy = False
        if reason in (Reason.TOTP_REQUIRED, Reason.TOTP_INVALID):
            self._pending = None
            self._set_state(State.AWAITING_TOTP, reason, message)  # registration kept
        else:
            delay = self._backoff.next_delay(wait if reason is Reason.RATE_LIMITED else None)
            self._set_state(State.BACKING_OFF, reason, message, retry_in_s=delay)
            self._arm(delay, trigger)
        if self._ip_changed:  # re-bind anyway: the new network may still reach the server
            self._after_refresh(run_pending=False)

    # ---- helpers ----------------------------------------------------------------------------

    def _install(self, account: SipAccountConfig) -> None:
        if self._account is not None:
            self._engine_call("remove_account", self._engine.remove_account(ACCOUNT_ID))
        self._account, self._registered = account, False
        self._engine_call("add_account", self._engine.add_account(account, ACCOUNT_ID))
        self._set_state(State.REGISTERING)

    def _end(
        self,
        reason: SessionReason,
        message: str,
        *,
        wipe: bool,
        retry_in_s: float | None = None,
    ) -> None:
        """Back to SIGNED_OUT: drop the engine account, forget the session, maybe wipe.

        ``wipe``: everything (the keychain, the call history, the SIP trace); a session ended
        for a reason in ``_ENDS_SESSION`` loses at least its password, token and SIP account."""
        self._gen += 1
        self._ended += 1
        self._cancel_timer()
        self._busy, self._pending, self._ip_changed = False, None, False
        removed: Future[Any] | None = None
        if self._account is not None:
            removed = self._engine.remove_account(ACCOUNT_ID)
            self._engine_call("remove_account", removed)
        self._account, self._registered, self._issued = None, False, None
        ended_session = self._has_session
        self._has_session = False
        if self._creds is not None:
            self.remembered_company = self._creds.company_code
            self.remembered_username = self._creds.username
        self._creds = None
        if wipe:
            self.remembered_company = self.remembered_username = ""
        if self.lease is not None:
            self.lease = None
            self._emit(FirewallLeaseChanged(ip="", expires_at=None))
        self.next_reauth_at = None
        retry = retry_in_s or 0.0
        if not (wipe or (ended_session and reason in _ENDS_SESSION)):
            self._set_state(State.SIGNED_OUT, reason, message, retry_in_s=retry)
            return
        self._wipes += 1
        # Said now (the window shows the sign-in page); the message follows the wipe.
        early = _WIPING_MESSAGE if wipe else message
        self._set_state(State.SIGNED_OUT, reason, early, retry_in_s=retry, wiping=True)
        self._wipe(
            everything=wipe,
            removed=removed,
            done=lambda out: self._wiped(out, reason, message, retry),
        )

    def _wipe(
        self,
        *,
        everything: bool,
        removed: Future[Any] | None,
        done: Callable[[Outcome[list[NotDeleted]]], None],
    ) -> None:
        def work() -> list[NotDeleted]:
            left: list[NotDeleted] = []
            with self._store_lock:
                try:
                    if everything:
                        self._store.clear()
                    else:  # the password changed: keep what the form shows
                        for key in (KEY_PASSWORD, KEY_TOKEN, KEY_SIP):
                            self._store.delete(key)
                except Exception as err:
                    left.append(_not_deleted("your saved sign-in in the keychain", err))
            if not everything:
                return left
            if removed is not None:
                # the account's last SIP messages (unREGISTER, hang-ups) and calls are part of
                # the session: the trace and the history go after them
                with contextlib.suppress(Exception):
                    removed.result(ENGINE_REMOVAL_WAIT_S)
            for what, clear in (
                ("the call history", self._clear_history),
                ("the SIP trace", self._clear_trace),
            ):
                try:
                    clear()
                except Exception as err:
                    left.append(_not_deleted(what, err))
            return left

        self._run(work, done)

    def _wiped(
        self, out: Outcome[list[NotDeleted]], reason: SessionReason, message: str, retry: float
    ) -> None:
        if self._closed:
            return
        self._wipes -= 1
        left = list(out.value or ())
        if out.error is not None:
            left.append(_not_deleted("your saved sign-in and call history", out.error))
        for item in left:
            _log.warning("the wipe left something behind: %s", item)
        if left:
            message = _left_behind(reason, message, left)
        if self._state is State.SIGNED_OUT:
            places = tuple(f"{i.what} at {i.where}" if i.where else i.what for i in left)
            self._set_state(State.SIGNED_OUT, reason, message, retry_in_s=retry, left=places)

    def _save(self, creds: Credentials, token: Secret, account: SipAccountConfig) -> None:
        work = self._saver(creds, token, account)
        self._run(work, self._log_failure("saving the session in the keychain"))

    def _saver(
        self, creds: Credentials, token: Secret, account: SipAccountConfig
    ) -> Callable[[], None]:
        """The job that saves the session (on the pool); a no-op once the session ended."""
        ended = self._ended

        def work() -> None:
            with self._store_lock:
                if ended != self._ended:  # the session ended meanwhile: its wipe wins
                    return
                self._store.set(KEY_COMPANY, Secret(creds.company_code))
                self._store.set(KEY_USERNAME, Secret(creds.username))
                self._store.set(KEY_PASSWORD, creds.password)
                self._store.set(KEY_TOKEN, token)
                self._store.set(KEY_SIP, account_to_secret(account))

        return work

    def _load(self) -> dict[str, Secret | None]:
        keys = (KEY_COMPANY, KEY_USERNAME, KEY_PASSWORD, KEY_TOKEN, KEY_SIP)
        return {key: self._store.get(key) for key in keys}

    def _resumed(self, out: Outcome[dict[str, Secret | None]], gen: int) -> None:
        if gen != self._gen:
            return
        if out.error is not None or out.value is None:
            reason, message, _ = _classify(out.error or RuntimeError())
            self._end(Reason.KEYCHAIN if reason is Reason.ERROR else reason, message, wipe=False)
            return
        saved = out.value
        company, user, password = saved[KEY_COMPANY], saved[KEY_USERNAME], saved[KEY_PASSWORD]
        self.remembered_company = company.reveal() if company else ""
        self.remembered_username = user.reveal() if user else ""
        if not (company and user and password):
            self._set_state(State.SIGNED_OUT)
            return
        self._creds = Credentials(company.reveal(), user.reveal(), password)
        self._has_session = True
        sip = saved[KEY_SIP]
        if sip is not None:
            try:
                # Register at once: the firewall may still be open for this IP.
                self._install(account_from_secret(sip))
            except VicifastError:
                _log.warning("the saved SIP account is damaged; provisioning it again")
        self._refresh(Reason.RESUMED)

    def _set_lease(self, grant: LoginGrant, sent: datetime) -> None:
        lease = grant.firewall
        self._issued = (sent, grant.reauth_after_s, lease)
        changed = FirewallLeaseChanged(ip=lease.ip, expires_at=lease.expires_at)
        if self.lease is None or (self.lease.ip, self.lease.expires_at) != (
            changed.ip,
            changed.expires_at,
        ):
            self.lease = changed
            self._emit(changed)

    def _schedule_next(self) -> None:
        assert self._issued is not None
        sent, reauth_after_s, lease = self._issued
        due = reauth_at(sent, reauth_after_s, lease)
        delay = max(MIN_REAUTH_DELAY_S, (due - self._clock()).total_seconds())
        self._arm(delay, Reason.SCHEDULED)

    def _arm(self, delay_s: float, trigger: SessionReason) -> None:
        self._cancel_timer()
        gen = self._gen
        self.next_reauth_at = self._clock() + timedelta(seconds=delay_s)

        def fire() -> None:
            if gen == self._gen and self._has_session:
                self._timer = None
                self._refresh(trigger)

        self._timer = self._scheduler.call_later(delay_s, fire)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.next_reauth_at = None

    def _engine_call(self, name: str, future: Future[Any]) -> None:
        def check(f: Future[Any]) -> None:  # runs on the SIP thread: log only
            if not f.cancelled() and f.exception() is not None:
                _log.warning("engine %s failed: %s", name, f.exception())

        future.add_done_callback(check)

    def _log_failure(self, what: str) -> Callable[[Outcome[None]], None]:
        def done(out: Outcome[None]) -> None:
            if out.error is not None:
                _, message, _ = _classify(out.error)
                _log.warning("%s failed: %s", what, message)

        return done

    def _set_state(
        self,
        state: SessionState,
        reason: SessionReason = Reason.NONE,
        message: str = "",
        *,
        retry_in_s: float = 0.0,
        wiping: bool = False,
        left: tuple[str, ...] = (),
    ) -> None:
        self._state = state
        self._emit(
            SessionStateChanged(
                state=state,
                reason=reason,
                message=message,
                retry_in_s=retry_in_s,
                wiping=wiping,
                left_behind=left,
            )
        )


def _not_deleted(what: str, err: BaseException) -> NotDeleted:
    """``err`` from deleting ``what``, as a NotDeleted that says where and why."""
    if isinstance(err, NotDeleted):
        return err
    if isinstance(err, OSError) and not isinstance(err, TimeoutError):
        return NotDeleted(what, str(err.filename or ""), err.strerror or str(err))
    if isinstance(err, VicifastError):
        return NotDeleted(what, "", str(err))
    _log.error("deleting %s failed unexpectedly: %s", what, type(err).__name__)
    return NotDeleted(what, "", f"an unexpected error ({type(err).__name__})")


def _left_behind(reason: SessionReason, message: str, left: list[NotDeleted]) -> str:
    """The message of a wipe that left ``left`` behind: what, where, and what to do."""
    items = "; ".join(str(item) for item in left)
    it = "it" if len(left) == 1 else "them"
    if reason is Reason.USER_SIGN_OUT:
        return f"You signed out, but {items}. Delete {it} by hand, or sign in and sign out again."
    return f"{message} But {items}. Delete {it} by hand."
