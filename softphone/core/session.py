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

Around it: the executor and scheduler (:mod:`softphone.core.executor`), what it talks to
(:mod:`.session_ports`: the HTTP clients, the engine), what it keeps in the keychain and wipes
(:mod:`.session_store`), when it re-authenticates (:mod:`.session_reauth`), and its events
(:mod:`.session_events`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from softphone.core import events as ev
from softphone.core.errors import NotDeleted, VicifastError
from softphone.core.executor import Executor, Outcome, Scheduler
from softphone.core.models import SipAccountConfig
from softphone.core.retry import Backoff
from softphone.core.secret import Secret, SecretStore
from softphone.core.session_events import (
    ACCOUNT_ID,
    FirewallLeaseChanged,
    SessionReason,
    SessionState,
    SessionStateChanged,
)
from softphone.core.session_ports import (
    Engine,
    EngineAccount,
    LoginGrant,
    ProvisionClient,
    SignInClient,
    SipProvision,
    classify_error,
)
from softphone.core.session_reauth import ReauthSchedule
from softphone.core.session_store import (
    KEY_COMPANY,
    KEY_PASSWORD,
    KEY_SIP,
    KEY_USERNAME,
    Credentials,
    SessionStore,
    account_from_secret,
    wipe_report,
)

_log = logging.getLogger(__name__)
Reason = SessionReason
State = SessionState


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
_WAKE_LEASE_MARGIN_S = 30.0  # a lease that ends sooner than this after a wake is renewed first


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
        account_id: str = ACCOUNT_ID,
    ) -> None:
        """``clear_history`` and ``clear_trace`` delete the app's call history and SIP trace in a
        wipe (on the executor's worker); each raises ``NotDeleted`` (or ``OSError``) for what
        it leaves behind. ``account_id``: the engine account this session owns (sessions that
        share an engine, the emulated agents of a load worker, each own one)."""
        self._cp = control_plane
        self._prov = provisioning
        self._account_id = account_id
        self._line = EngineAccount(engine, account_id)
        self._saved = SessionStore(store, clear_history=clear_history, clear_trace=clear_trace)
        self._emit = emit
        self._run = run
        self._reauth = ReauthSchedule(scheduler, clock, emit)
        self._clock = clock
        self._backoff = backoff or Backoff(first_s=2.0, cap_s=300.0)
        self._gen = 0  # bumped when a session ends or closes: late results of work are dropped
        self._closed = False
        self._state = State.SIGNED_OUT
        self._creds: Credentials | None = None
        self._has_session = False
        self._busy = False
        self._wipes = 0  # wipes still running: no sign-in until they are done
        self._pending: SessionReason | None = None
        self._ip_changed = False
        self._reregister_after = False  # woke with the lease lapsed: REGISTER after the re-auth
        self.remembered_company = ""
        self.remembered_username = ""

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def lease(self) -> FirewallLeaseChanged | None:
        """The firewall lease of the last login; None once the session ended."""
        return self._reauth.lease

    @property
    def next_reauth_at(self) -> datetime | None:
        return self._reauth.next_reauth_at

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
        self._run(self._saved.load, lambda out: self._resumed(out, gen))

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
        self._reauth.cancel()

    def on_ip_changed(self) -> None:
        """The local IP changed: re-auth at once (opens the firewall for the new IP), then let
        the engine re-bind and re-register."""
        if not self._has_session:
            return
        self._ip_changed = True
        self._refresh(Reason.IP_CHANGED)

    def on_wake(self) -> None:
        """The computer woke from sleep: REGISTER at once if the firewall lease is still open,
        and re-authenticate now if it lapsed or its re-auth fell due while asleep (timers do not
        count time asleep), registering once the lease is open again; else re-arm the re-auth
        by the wall clock."""
        if not self._has_session:
            return
        now = self._clock()
        ends = self._reauth.lease.expires_at if self._reauth.lease is not None else None
        open_ = ends is not None and ends > now + timedelta(seconds=_WAKE_LEASE_MARGIN_S)
        if open_ and self._line.config is not None:
            self._line.reregister()
        due = self._reauth.next_reauth_at
        if not open_ or self._state is State.BACKING_OFF or (due is not None and due <= now):
            self._reregister_after = self._reregister_after or not open_
            self._refresh(Reason.WOKE)
        elif not self._busy and self._state is not State.AWAITING_TOTP:
            self._schedule_next()

    def on_register_failed(self, code: int) -> None:
        """REGISTER failed with ``code``; 401/403/407/408 (timeouts) trigger a re-auth."""
        if not self._has_session:
            return
        delay = self._reauth.register_failed(code)
        if delay is None:
            return
        if delay > 0 and not self._busy:  # too soon after the last one: when the minute is up
            self._arm(delay, Reason.REGISTER_FAILED)
        elif delay == 0:
            self._refresh(Reason.REGISTER_FAILED)

    def on_engine_event(self, event: ev.Event) -> None:
        """Feed the engine's events here (subscribe it to RegistrationChanged, CommandFailed)."""
        if self._line.config is None:
            return
        if isinstance(event, ev.RegistrationChanged) and event.account_id == self._account_id:
            registered = event.state is ev.RegistrationState.REGISTERED
            was, self._line.registered = self._line.registered, registered
            if registered and self._state is State.REGISTERING:
                self._set_state(State.REGISTERED)
            elif was and not registered and self._state is State.REGISTERED:
                self._set_state(State.REGISTERING)
            if event.state in (ev.RegistrationState.FAILED, ev.RegistrationState.RETRYING):
                self._line.refused = event.state is ev.RegistrationState.FAILED
                self.on_register_failed(event.code)
            elif registered:
                self._line.refused = False
        elif (
            isinstance(event, ev.CommandFailed)
            and event.command == "add_account"
            and event.account_id in ("", self._account_id)  # "": a failure naming no account
            and not self._line.registered
        ):
            if self._state is State.REGISTERING:
                self._line.config = None
                self._end(Reason.ENGINE, event.message, wipe=False)
            elif self._state in _REAUTHING:
                # A resumed session's saved account was refused (say, TLS where this build has
                # none): the re-auth provisions again and installs what it gets, and a refusal
                # of that ends the session with the engine's message.
                self._line.config = None

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
        self._reauth.set_lease(grant, sent)
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
                reason, message, _ = classify_error(result.error)
                self._end(
                    Reason.KEYCHAIN if reason is Reason.ERROR else reason, message, wipe=False
                )
                return
            self._has_session = True
            self._backoff.reset()
            self._install(account)
            self._schedule_next()

        # the session is taken up only once the keychain holds it
        self._run(self._saved.saver(creds, grant.token, account), saved)

    def _sign_in_failed(self, err: BaseException | None) -> None:
        reason, message, wait = classify_error(err or RuntimeError())
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
        self._reauth.cancel()
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
        self._reauth.set_lease(grant, sent)  # the firewall is open now, whatever provisioning says
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
        reregister, self._reregister_after = self._reregister_after, False
        if account != self._line.config:  # first time, or the server's phone config changed
            self._install(account)
        else:
            if trigger is Reason.REGISTER_FAILED or self._line.refused or reregister:
                # the firewall is open again: a REGISTER refused meanwhile is worth another try
                self._line.reregister()
            self._set_state(State.REGISTERED if self._line.registered else State.REGISTERING)
        self._schedule_next()
        self._after_refresh()

    def _after_refresh(self, *, run_pending: bool = True) -> None:
        if not self._has_session:
            return
        if self._ip_changed and self._line.config is not None:
            self._ip_changed = False
            self._line.handle_ip_change()
        if run_pending and self._pending is not None:
            pending, self._pending = self._pending, None
            # A trigger that came while the last re-auth was in flight: that re-auth may have
            # left from the old network, so do it again (and re-bind again after an IP change).
            self._ip_changed = pending is Reason.IP_CHANGED
            self._refresh(pending)

    def _refresh_failed(self, err: BaseException, trigger: SessionReason) -> None:
        reason, message, wait = classify_error(err)
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
        self._line.install(account)
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
        self._saved.end()
        self._reauth.cancel()
        self._busy, self._pending, self._ip_changed = False, None, False
        self._reregister_after = False
        removed = self._line.drop()
        ended_session = self._has_session
        self._has_session = False
        if self._creds is not None:
            self.remembered_company = self._creds.company_code
            self.remembered_username = self._creds.username
        self._creds = None
        if wipe:
            self.remembered_company = self.remembered_username = ""
        self._reauth.forget()
        retry = retry_in_s or 0.0
        if not (wipe or (ended_session and reason in _ENDS_SESSION)):
            self._set_state(State.SIGNED_OUT, reason, message, retry_in_s=retry)
            return
        self._wipes += 1
        # Said now (the window shows the sign-in page); the message follows the wipe.
        early = _WIPING_MESSAGE if wipe else message
        self._set_state(State.SIGNED_OUT, reason, early, retry_in_s=retry, wiping=True)
        self._run(
            self._saved.wiper(everything=wipe, removed=removed),
            lambda out: self._wiped(out, reason, message, retry),
        )

    def _wiped(
        self, out: Outcome[list[NotDeleted]], reason: SessionReason, message: str, retry: float
    ) -> None:
        if self._closed:
            return
        self._wipes -= 1
        message, places = wipe_report(out, reason, message)
        if self._state is State.SIGNED_OUT:
            self._set_state(State.SIGNED_OUT, reason, message, retry_in_s=retry, left=places)

    def _save(self, creds: Credentials, token: Secret, account: SipAccountConfig) -> None:
        work = self._saved.saver(creds, token, account)
        self._run(work, self._log_failure("saving the session in the keychain"))

    def _resumed(self, out: Outcome[dict[str, Secret | None]], gen: int) -> None:
        if gen != self._gen:
            return
        if out.error is not None or out.value is None:
            reason, message, _ = classify_error(out.error or RuntimeError())
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

    def _schedule_next(self) -> None:
        self._arm(self._reauth.next_delay_s(), Reason.SCHEDULED)

    def _arm(self, delay_s: float, trigger: SessionReason) -> None:
        gen = self._gen

        def fire() -> None:
            if gen == self._gen and self._has_session:
                self._reauth.fired()
                self._refresh(trigger)

        self._reauth.arm(delay_s, fire)

    def _log_failure(self, what: str) -> Callable[[Outcome[None]], None]:
        def done(out: Outcome[None]) -> None:
            if out.error is not None:
                _, message, _ = classify_error(out.error)
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
