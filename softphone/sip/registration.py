"""The registration policy of every account: retries, backoff, failures people can act on.

Runs and emits on the SIP thread.
"""

from __future__ import annotations

from collections.abc import Callable

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.auto_answer import parse_headers
from softphone.core.models import Transport
from softphone.core.retry import AUTH_CODES, parse_retry_after
from softphone.sip.call import SipAccount
from softphone.sip.pjerror import pj_message
from softphone.sip.timers import Timers

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PJSIP_EBUSY = 171001  # PJSIP_EBUSY: "Object is busy"
_PJSIP_REFRESH_MARGIN_S = 5  # pjsip refreshes this long before expiry, if it can


class Registrations:
    """Registers accounts and re-registers them by our policy (pjsua's own retry is off).

    Emits ``RegistrationChanged`` on the SIP thread.
    """

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        timers: Timers,
        accounts: dict[str, SipAccount],
        tls_failure: Callable[[bool], str],
        on_registered: Callable[[SipAccount], None] = lambda acc: None,
    ) -> None:
        """``on_registered`` runs after each successful REGISTER (the trust gate looks the
        server up again)."""
        self._emit = emit
        self._on_registered = on_registered
        self.timers = timers
        self._accounts = accounts
        self._tls_failure = tls_failure

    def _report(self, acc: SipAccount, state: ev.RegistrationState, **details: Any) -> None:
        self._emit(
            ev.RegistrationChanged(
                account_id=acc.account_id,
                state=state,
                transport=acc.config.transport.value,
                **details,
            )
        )

    def _take_tls_failure(self) -> str:
        return self._tls_failure(True)

    def _peek_tls_failure(self) -> str:
        return self._tls_failure(False)

    def reregister(self, acc: SipAccount) -> None:
        acc.want_registered = True
        if acc.retry_timer:
            acc.retry_timer.cancel()
        self._register_now(acc)

    def _register_later(self, acc: SipAccount, delay_s: float) -> None:
        if acc.retry_timer:
            acc.retry_timer.cancel()
        # The closure holds the id, not the Account: a pjsua2 object caught in a reference
        # cycle would be collected later, on whatever thread runs the GC, maybe after libDestroy.
        account_id = acc.account_id
        acc.retry_timer = self.timers.call_later(delay_s, lambda: self._register_by_id(account_id))

    def _register_by_id(self, account_id: str) -> None:
        acc = self._accounts.get(account_id)
        if acc is not None:
            self._register_now(acc)

    def _register_now(self, acc: SipAccount) -> None:
        acc.retry_timer = None
        if not acc.want_registered:
            return
        self._report(acc, ev.RegistrationState.REGISTERING)
        try:
            acc.setRegistration(True)
        except pj.Error as err:
            if int(getattr(err, "status", 0)) == _PJSIP_EBUSY:
                return  # a REGISTER is already under way; its outcome arrives in on_reg_state
            self._schedule_retry(acc, 0, pj_message(err), None)

    def _fail_registration(self, acc: SipAccount, code: int, reason: str) -> None:
        if acc.retry_timer:
            acc.retry_timer.cancel()
            acc.retry_timer = None
        self._report(acc, ev.RegistrationState.FAILED, code=code, reason=reason)

    def on_reg_state(self, acc: SipAccount, prm: Any) -> None:
        code, reason, expires = int(prm.code), str(prm.reason), int(prm.expiration)
        if 200 <= code < 300:
            acc.registered = expires > 0
            state = (
                ev.RegistrationState.REGISTERED
                if expires > 0
                else ev.RegistrationState.UNREGISTERED
            )
            if expires > 0:
                acc.backoff.reset()
                if prm.rdata is not None:
                    # Whoever answered is the server now: it is trusted, the one before is not.
                    acc.trust.registered_from(str(prm.rdata.srcAddress))
                self._on_registered(acc)
            if 0 < expires <= _PJSIP_REFRESH_MARGIN_S and acc.want_registered:
                # pjsip schedules no refresh at all when the server grants this little time.
                self._register_later(acc, expires / 2)
            self._report(acc, state, code=code, reason=reason, expires_s=expires)
            return
        acc.registered = False
        if not acc.want_registered:
            self._report(acc, ev.RegistrationState.UNREGISTERED, code=code, reason=reason)
            return
        why = self._take_tls_failure() if acc.config.transport is Transport.TLS else ""
        if why:
            self._fail_registration(
                acc,
                code,
                f"The SIP server's TLS certificate was not accepted ({why}). "
                "The connection was refused to protect your credentials.",
            )
            return
        if code in AUTH_CODES:
            # Retrying wrong credentials gets the agent's IP banned by fail2ban on many servers;
            # the session layer re-authenticates (firewall, provisioning) and calls reregister.
            self._fail_registration(acc, code, reason)
            return
        retry_after = None
        rdata = prm.rdata
        if rdata is not None:
            retry_after = parse_retry_after(
                parse_headers(str(rdata.wholeMsg)).get("retry-after", "")
            )
        self._schedule_retry(acc, code, reason, retry_after)

    def on_connection_lost(self) -> None:
        # pjsua re-registers after a lost TCP/TLS connection only through its own retry timer,
        # which we turned off; without this the account would stay silently unreachable until
        # the next refresh. Re-register every connection-oriented account that wants to be.
        for acc in self._accounts.values():
            if self._peek_tls_failure():
                return  # on_reg_state reports the refused certificate; no blind retry
            if acc.config.transport is not Transport.UDP and acc.want_registered:
                acc.registered = False
                if acc.retry_timer is None:
                    self._schedule_retry(acc, 503, "Connection to the SIP server lost", None)

    def _schedule_retry(
        self, acc: SipAccount, code: int, reason: str, retry_after: float | None
    ) -> None:
        delay = acc.backoff.next_delay(retry_after)
        self._register_later(acc, delay)
        self._report(
            acc, ev.RegistrationState.RETRYING, code=code, reason=reason, retry_in_s=round(delay, 3)
        )
