"""Events and vocabulary of the sign-in session (see softphone.core.session).

The session emits these on the thread that runs the core (the GUI thread, or the headless
agent's loop), through the same event bus as the engine's events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from softphone.core.events import Event

ACCOUNT_ID = "session"  # the engine account the session owns


class SessionState(enum.StrEnum):
    """Where the session is. ``REFRESHING`` and ``BACKING_OFF`` keep the registration."""

    SIGNED_OUT = "signed_out"
    SIGNING_IN = "signing_in"  # login request in flight, no session yet
    AWAITING_TOTP = "awaiting_totp"  # the server asked for an authenticator code
    PROVISIONING = "provisioning"  # fetching the SIP account from the employer's server
    REGISTERING = "registering"  # the engine has the account, REGISTER not confirmed yet
    REGISTERED = "registered"
    REFRESHING = "refreshing"  # re-authenticating (and re-provisioning) with a live session
    BACKING_OFF = "backing_off"  # a re-auth failed transiently; retrying later


class SessionReason(enum.StrEnum):
    """Why the session is in its state (mostly: why it failed or ended)."""

    NONE = ""
    USER_SIGN_OUT = "user_sign_out"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOTP_REQUIRED = "totp_required"
    TOTP_INVALID = "totp_invalid"
    UNKNOWN_COMPANY = "unknown_company"
    ADDON_INACTIVE = "addon_inactive"
    RATE_LIMITED = "rate_limited"
    ACCOUNT_REVOKED = "account_revoked"
    TRANSIENT = "transient"
    TLS = "tls"
    INSECURE_ADDRESS = "insecure_address"
    MALFORMED_RESPONSE = "malformed_response"
    KEYCHAIN = "keychain"
    ENGINE = "engine"
    ERROR = "error"
    # triggers of a re-auth
    SCHEDULED = "scheduled"
    IP_CHANGED = "ip_changed"
    REGISTER_FAILED = "register_failed"
    RESUMED = "resumed"
    WOKE = "woke"  # the computer woke from sleep


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStateChanged(Event):
    """``message`` is for people (empty when there is nothing to say); ``retry_in_s`` is set
    when the session (BACKING_OFF) or the person (RATE_LIMITED) should wait before trying.
    ``wiping``: SIGNED_OUT, but the session's keychain items, history and trace are still being
    deleted; another SIGNED_OUT with the final message follows, and ``left_behind`` names what
    that wipe could not delete, and where ("the call history at /…/calls.db")."""

    state: SessionState
    reason: SessionReason = SessionReason.NONE
    message: str = ""
    retry_in_s: float = 0.0
    wiping: bool = False
    left_behind: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FirewallLeaseChanged(Event):
    """The allow-rule the control plane opened for this computer's public IP.

    ``ip`` is empty and ``expires_at`` None when there is no lease any more (signed out).
    ``expires_at`` is timezone-aware UTC.
    """

    ip: str
    expires_at: datetime | None

    def describe(self, tz: Any = None, now: datetime | None = None) -> str:
        """'firewall open for 203.0.113.7 until 14:02' in local time (or ``tz``); a lease that
        ends on another day than ``now`` (default: the current time) names it: 'until
        tomorrow 14:02', 'until 30 Nov 14:02'."""
        if not self.ip or self.expires_at is None:
            return "firewall closed"
        local = self.expires_at.astimezone(tz)
        today = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo).date()
        days = (local.date() - today).days
        day = "" if days == 0 else "tomorrow " if days == 1 else f"{local:%d %b} "
        return f"firewall open for {self.ip} until {day}{local:%H:%M}"

    def to_dict(self) -> dict[str, Any]:
        data = Event.to_dict(self)
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return data
