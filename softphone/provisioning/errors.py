"""Errors of sign-in, re-authentication and SIP provisioning.

VicifastError (softphone.core.errors)
└── SignInError              sign-in, re-auth or provisioning failed; ``str()`` says what to do
    ├── InvalidCredentials   401 invalid_credentials (login) or 401 (employer's server)
    ├── TotpRequired         401 totp_required: ask the person for their authenticator code
    ├── TotpInvalid          401 totp_invalid
    ├── UnknownCompany       404 unknown_company
    ├── AddonInactive        403 addon_inactive: the Agent Mobile App add-on is off
    ├── RateLimited          429 rate_limited: ``retry_after_s`` says when to try again
    ├── AccountRevoked       403 account_revoked: delete the stored session
    ├── TransientError       5xx, timeouts, connection errors: retry with backoff
    │   └── TooSlow          the answer did not arrive in full within the request's deadline
    ├── TlsError             certificate not trusted or TLS older than 1.2: never retried
    ├── InsecureAddress      not https (plain http only to this computer, and only with
    │                        --insecure-test-server): refused before any connection
    └── MalformedResponse    the server answered outside the contract
        └── ResponseTooLarge the answer was longer than the client reads (MAX_BODY)

Every class carries ``reason`` (a :class:`~softphone.core.session_events.SessionReason`, which
the Qt-free session state machine reads without importing this package) and ``retryable``.
No message, ``repr`` or attribute holds a password, token or TOTP code.
"""

from __future__ import annotations

import math
from typing import ClassVar

from softphone.core.errors import VicifastError
from softphone.core.session_events import SessionReason

MAX_RETRY_AFTER_S = 86400.0  # a server asking for a longer wait is waited for this long
MAX_MESSAGE_CHARS = 500  # a server's own message (addon_inactive) is cut to this

ADDON_INACTIVE_MESSAGE = (
    "The mobile app is not enabled for your organization. "
    "Ask your administrator to add the Agent Mobile App add-on from the dashboard."
)


class SignInError(VicifastError):
    """Base of the sign-in errors; the message is written for the person signing in."""

    reason: ClassVar[SessionReason] = SessionReason.ERROR
    retryable: ClassVar[bool] = False
    default_message: ClassVar[str] = "Signing in failed. Try again in a few minutes."
    retry_after_s: float | None = None

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.default_message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InvalidCredentials(SignInError):
    reason = SessionReason.INVALID_CREDENTIALS
    default_message = (
        "The username or password is not correct. Check them (they are your VICIdial "
        "username and password) and try again."
    )


class TotpRequired(SignInError):
    reason = SessionReason.TOTP_REQUIRED
    default_message = "Enter the 6-digit code from your authenticator app to finish signing in."


class TotpInvalid(SignInError):
    reason = SessionReason.TOTP_INVALID
    default_message = (
        "That authenticator code is not correct or has expired. Enter the current code "
        "from your authenticator app."
    )


class UnknownCompany(SignInError):
    reason = SessionReason.UNKNOWN_COMPANY
    default_message = (
        "There is no company with that code. Check the company code your administrator gave you."
    )


class AddonInactive(SignInError):
    reason = SessionReason.ADDON_INACTIVE
    default_message = ADDON_INACTIVE_MESSAGE


class RateLimited(SignInError):
    """Too many failed sign-ins from this network; ``retry_after_s`` is the server's wait."""

    reason = SessionReason.RATE_LIMITED
    retryable = True

    def __init__(self, retry_after_s: float) -> None:
        # a server's number: not a number or out of range becomes a bounded guess
        wait = float(retry_after_s)
        if not math.isfinite(wait):
            wait = MAX_RETRY_AFTER_S
        self.retry_after_s = min(MAX_RETRY_AFTER_S, max(0.0, wait))
        super().__init__(
            "Too many failed sign-in attempts from this network. "
            f"Try again in {describe_wait(self.retry_after_s)}."
        )


class AccountRevoked(SignInError):
    reason = SessionReason.ACCOUNT_REVOKED
    default_message = (
        "Your account has been disabled, so you were signed out and your saved sign-in was "
        "deleted. Ask your administrator to restore your access."
    )


class TransientError(SignInError):
    reason = SessionReason.TRANSIENT
    retryable = True
    default_message = (
        "The server cannot be reached right now. Check your internet connection; the app "
        "will keep trying."
    )


class TooSlow(TransientError):
    default_message = (
        "The server answered too slowly, so the app stopped waiting. Try again later; if it "
        "keeps happening, tell your administrator."
    )


class TlsError(SignInError):
    reason = SessionReason.TLS
    default_message = (
        "The connection to the server is not secure: its certificate is not trusted, or it "
        "does not offer TLS 1.2 or newer. Check this computer's date and time and your network "
        "(a hotel or office login page or a proxy can cause this). If your company runs its "
        "own control plane, ask your administrator for its CA file."
    )


class InsecureAddress(SignInError):
    reason = SessionReason.INSECURE_ADDRESS
    default_message = (
        "VICIfast Desktop only talks to the control plane over HTTPS, so it did not connect. "
        "Check that the address starts with https:// (your administrator can give you the "
        "right one)."
    )


# InsecureAddress's other messages: a loopback http address without the test option, one
# outside this computer with it, and an address a server gave.
TEST_SERVER_HINT = (
    "Plain http:// to a test server on this computer is allowed only when a tester starts the "
    "agent with --insecure-test-server."
)
TEST_SERVER_NOT_LOCAL = (
    "--insecure-test-server allows plain http:// only to a test server on this computer "
    "(localhost, 127.x.x.x or [::1]), not to {host}, so the app did not connect. Use the "
    "server's https:// address."
)
INSECURE_PROVISION_URL = (
    "The control plane gave an address for your employer's server that is not https://, so "
    "your password was not sent there: VICIfast Desktop sends it only over HTTPS. Tell your "
    "administrator."
)


class MalformedResponse(SignInError):
    reason = SessionReason.MALFORMED_RESPONSE
    default_message = (
        "The server's answer could not be understood. Check the server address under "
        "Advanced, or try again later; if it keeps happening, tell your administrator."
    )


class ResponseTooLarge(MalformedResponse):
    default_message = (
        "The server sent far more data than a sign-in answer holds, so the app stopped reading "
        "it. Try again later; if it keeps happening, tell your administrator."
    )


def describe_wait(seconds: float) -> str:
    """'45 seconds', '1 minute', '12 minutes', '2 hours' — rounded up, for people."""
    if not math.isfinite(seconds):
        seconds = MAX_RETRY_AFTER_S
    s = max(1, math.ceil(min(seconds, MAX_RETRY_AFTER_S)))
    if s < 60:
        return f"{s} second{'s' if s != 1 else ''}"
    minutes = math.ceil(s / 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"
