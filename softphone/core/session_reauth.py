"""When the sign-in session re-authenticates: :class:`ReauthSchedule`.

A login opens the firewall for a lease; the session re-authenticates before it lapses
(:func:`reauth_at`), after a transient failure (backing off), and when REGISTER fails in a way a
re-auth can mend (at most every ``REGISTER_REAUTH_MIN_INTERVAL_S``: one that comes sooner is
deferred, never dropped). The schedule keeps the lease of the last login, the one timer armed
for the next re-auth, and says when a lease changed with ``FirewallLeaseChanged``: on the core
thread, like everything the session does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from softphone.core import events as ev
from softphone.core.executor import Cancellable, Scheduler
from softphone.core.session_events import FirewallLeaseChanged
from softphone.core.session_ports import Lease, LoginGrant

# REGISTER answers after which a re-auth can help: the firewall closed (403, timeouts) or the
# SIP password was rotated (401/407 after the challenge was answered).
REAUTH_REGISTER_CODES = frozenset({401, 403, 407, 408})
REGISTER_REAUTH_MIN_INTERVAL_S = 60.0  # REGISTER failures re-auth at most this often
MIN_REAUTH_DELAY_S = 5.0  # a lease that is already due does not make us spin


def reauth_at(issued_at: datetime, reauth_after_s: float, lease: Lease) -> datetime:
    """When to re-authenticate: after ``reauth_after_s``, and at the latest at 90 % of the TTL
    (counted from the request, and from the server's ``expires_at``)."""
    ttl = timedelta(seconds=lease.ttl_s)
    return min(
        issued_at + timedelta(seconds=reauth_after_s),
        issued_at + 0.9 * ttl,
        lease.expires_at - 0.1 * ttl,
    )


class ReauthSchedule:
    """The lease of the last login and the timer of the next re-auth. Emits on the core
    thread; every method is called there."""

    def __init__(
        self,
        scheduler: Scheduler,
        clock: Callable[[], datetime],
        emit: Callable[[ev.Event], None],
    ) -> None:
        self._scheduler = scheduler
        self._clock = clock
        self._emit = emit
        self._timer: Cancellable | None = None
        self._last_register_reauth: datetime | None = None
        self._issued: tuple[datetime, float, Lease] | None = None  # last login: sent, reauth, lease
        self.lease: FirewallLeaseChanged | None = None
        self.next_reauth_at: datetime | None = None

    def set_lease(self, grant: LoginGrant, sent: datetime) -> None:
        """A login sent at ``sent`` was granted: keep its lease, and say so if it changed."""
        lease = grant.firewall
        self._issued = (sent, grant.reauth_after_s, lease)
        changed = FirewallLeaseChanged(ip=lease.ip, expires_at=lease.expires_at)
        if self.lease is None or (self.lease.ip, self.lease.expires_at) != (
            changed.ip,
            changed.expires_at,
        ):
            self.lease = changed
            self._emit(changed)

    def forget(self) -> None:
        """The session ended: no lease (said, if there was one) and nothing due."""
        self._issued = None
        if self.lease is not None:
            self.lease = None
            self._emit(FirewallLeaseChanged(ip="", expires_at=None))
        self.next_reauth_at = None

    def next_delay_s(self) -> float:
        """Seconds until the re-auth the last login's lease asks for."""
        assert self._issued is not None
        sent, reauth_after_s, lease = self._issued
        due = reauth_at(sent, reauth_after_s, lease)
        return max(MIN_REAUTH_DELAY_S, (due - self._clock()).total_seconds())

    def arm(self, delay_s: float, fire: Callable[[], None]) -> None:
        """Call ``fire`` in ``delay_s``, instead of what was armed before."""
        self.cancel()
        self.next_reauth_at = self._clock() + timedelta(seconds=delay_s)
        self._timer = self._scheduler.call_later(delay_s, fire)

    def fired(self) -> None:
        """The armed timer went off (and is not to be cancelled any more)."""
        self._timer = None

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.next_reauth_at = None

    def register_failed(self, code: int) -> float | None:
        """Whether a REGISTER that failed with ``code`` calls for a re-auth: None if not, else
        in how many seconds (0: now; later when the last one was under a minute ago, so a
        registrar that keeps refusing is not answered with a login storm, and yet the agent is
        not left unregistered)."""
        if code not in REAUTH_REGISTER_CODES:
            return None
        now = self._clock()
        last = self._last_register_reauth
        wait = 0.0
        if last is not None:
            wait = max(0.0, REGISTER_REAUTH_MIN_INTERVAL_S - (now - last).total_seconds())
        due = self.next_reauth_at
        if wait > 0 and due is not None and due <= now + timedelta(seconds=wait):
            return None  # a re-auth is due sooner anyway; it re-registers
        self._last_register_reauth = now + timedelta(seconds=wait)
        return wait
