"""What the sign-in session keeps on this computer, and its wipe.

:class:`SessionStore` saves the session in the keychain (under the ``KEY_*`` names, never in a
settings file), loads it back at start, and wipes it when the session ends: the keychain entries,
and with a full wipe the call history and the SIP trace. Its jobs block and run on the session's
executor; :func:`wipe_report` turns what a wipe could not delete into a message for people.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from softphone.core.errors import ConfigError, NotDeleted, VicifastError
from softphone.core.executor import Outcome
from softphone.core.models import (
    AutoAnswerMode,
    AutoAnswerPolicy,
    DtmfMethod,
    SipAccountConfig,
    SrtpMode,
    Transport,
)
from softphone.core.secret import Secret, SecretStore
from softphone.core.session_events import SessionReason

_log = logging.getLogger(__name__)

# Keychain keys (never anything of this in a settings file).
KEY_COMPANY = "vicidial.company_code"
KEY_USERNAME = "vicidial.username"
KEY_PASSWORD = "vicidial.password"
KEY_TOKEN = "session.token"
KEY_SIP = "sip.account"
ENGINE_REMOVAL_WAIT_S = 10.0  # the wipe waits this long for the engine to drop the account


@dataclass(frozen=True, slots=True)
class Credentials:
    company_code: str
    username: str
    password: Secret = field(repr=False)


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


class SessionStore:
    """The session's keychain entries, and the wipe of all it leaves behind.

    :meth:`saver`, :meth:`load` and :meth:`wiper` give blocking jobs for the executor's worker;
    :meth:`end` is called on the core thread when a session ends."""

    def __init__(
        self,
        store: SecretStore,
        *,
        clear_history: Callable[[], None],
        clear_trace: Callable[[], None],
    ) -> None:
        self._store = store
        self._clear_history = clear_history
        self._clear_trace = clear_trace
        self._lock = threading.Lock()  # orders keychain writes against a wipe
        self._ended = 0  # bumped when a session ends: its keychain saves still queued are dropped

    def end(self) -> None:
        """A session ended: its saves still queued are dropped (its wipe wins)."""
        self._ended += 1

    def saver(
        self, creds: Credentials, token: Secret, account: SipAccountConfig
    ) -> Callable[[], None]:
        """The job that saves the session (on the pool); a no-op once the session ended."""
        ended = self._ended

        def work() -> None:
            with self._lock:
                if ended != self._ended:  # the session ended meanwhile: its wipe wins
                    return
                self._store.update(
                    {
                        KEY_COMPANY: Secret(creds.company_code),
                        KEY_USERNAME: Secret(creds.username),
                        KEY_PASSWORD: creds.password,
                        KEY_TOKEN: token,
                        KEY_SIP: account_to_secret(account),
                    }
                )

        return work

    def load(self) -> dict[str, Secret | None]:
        return self._store.get_many((KEY_COMPANY, KEY_USERNAME, KEY_PASSWORD, KEY_TOKEN, KEY_SIP))

    def wiper(
        self, *, everything: bool, removed: Future[Any] | None
    ) -> Callable[[], list[NotDeleted]]:
        """The job that wipes: everything (the keychain, the call history, the SIP trace), or
        the password, token and SIP account only. It returns what it could not delete;
        ``removed`` is the engine dropping the session's account."""

        def work() -> list[NotDeleted]:
            left: list[NotDeleted] = []
            with self._lock:
                try:
                    if everything:
                        self._store.clear()
                    else:  # the password changed: keep what the form shows
                        for key in (KEY_PASSWORD, KEY_TOKEN, KEY_SIP):
                            self._store.delete(key)
                except Exception as err:
                    left.append(not_deleted("your saved sign-in in the keychain", err))
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
                    left.append(not_deleted(what, err))
            return left

        return work


def wipe_report(
    out: Outcome[list[NotDeleted]], reason: SessionReason, message: str
) -> tuple[str, tuple[str, ...]]:
    """The message of a wipe that ended with ``out`` (``message`` unless something is left
    behind), and the places of what is left."""
    left = list(out.value or ())
    if out.error is not None:
        left.append(not_deleted("your saved sign-in and call history", out.error))
    for item in left:
        _log.warning("the wipe left something behind: %s", item)
    if left:
        message = left_behind(reason, message, left)
    return message, tuple(f"{i.what} at {i.where}" if i.where else i.what for i in left)


def not_deleted(what: str, err: BaseException) -> NotDeleted:
    """``err`` from deleting ``what``, as a NotDeleted that says where and why."""
    if isinstance(err, NotDeleted):
        return err
    if isinstance(err, OSError) and not isinstance(err, TimeoutError):
        return NotDeleted(what, str(err.filename or ""), err.strerror or str(err))
    if isinstance(err, VicifastError):
        return NotDeleted(what, "", str(err))
    _log.error("deleting %s failed unexpectedly: %s", what, type(err).__name__)
    return NotDeleted(what, "", f"an unexpected error ({type(err).__name__})")


def left_behind(reason: SessionReason, message: str, left: list[NotDeleted]) -> str:
    """The message of a wipe that left ``left`` behind: what, where, and what to do."""
    items = "; ".join(str(item) for item in left)
    it = "it" if len(left) == 1 else "them"
    if reason is SessionReason.USER_SIGN_OUT:
        return f"You signed out, but {items}. Delete {it} by hand, or sign in and sign out again."
    return f"{message} But {items}. Delete {it} by hand."
