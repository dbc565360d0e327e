"""The SIP side of the trust boundary (``softphone.core.trust``): keeping each account's trusted
addresses current, and counting what was refused.

The rule is decided in core; this module looks up the server's host off the SIP thread (a dead
resolver must not stall calls) and hands the addresses back to it through ``post``, and reports
refused requests at most once a second (``UntrustedRequestsRefused``). Runs on the SIP thread,
apart from the resolver threads, which only call ``post``.
"""

from __future__ import annotations

# The socket module's C core: ``socket`` itself costs the agent's start noticeably more to
# import (its enums, selectors), for nothing used here.
import _socket
import logging
import threading
from collections.abc import Callable

from softphone.core import events as ev
from softphone.sip.admission import REPORT_AFTER_S, SourceTally
from softphone.sip.call import SipAccount
from softphone.sip.timers import Timers

_log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to now (empty when it does not)."""
    try:
        infos = _socket.getaddrinfo(host, None, proto=_socket.IPPROTO_UDP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


class TrustGate:
    """Classifies incoming requests per account and reports the refused ones.

    Emits ``UntrustedRequestsRefused`` on the SIP thread.
    """

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        timers: Timers,
        accounts: dict[str, SipAccount],
        post: Post | None,
        resolver: Callable[[str], list[str]] = resolve,
    ) -> None:
        self._emit = emit
        self._accounts = accounts
        self._post = post
        self._resolver = resolver
        self._refused = SourceTally(timers, self._report)

    def refuse(self, source: str, what: str) -> None:
        """Count a refused request (``what``: "INVITE", "SUBSCRIBE", …) for the next report."""
        if self._refused.add(source):
            _log.warning(
                "refused a %s from %s: not this phone's SIP server (403 Forbidden, nothing "
                "shown); direct calls can be allowed in the settings",
                what,
                source or "an unknown address",
            )

    def _report(self, count: int, sources: tuple[str, ...]) -> None:
        _log.warning(
            "refused %d SIP request(s) in the last %.0f s from %s (not this phone's SIP server)",
            count,
            REPORT_AFTER_S,
            ", ".join(sources) or "an unknown address",
        )
        self._emit(ev.UntrustedRequestsRefused(count=count, sources=sources))

    def refresh(self, acc: SipAccount) -> None:
        """Look the account's server up again (when it is a name): at start, after each
        successful REGISTER and after a network change. The answer replaces the old one."""
        if not acc.trust.needs_resolving:
            return
        host, account_id, trust = acc.trust.host, acc.account_id, acc.trust
        if self._post is None:
            trust.set_resolved(self._resolver(host))
            return
        post = self._post

        def lookup() -> None:
            ips = self._resolver(host)

            def apply() -> None:
                current = self._accounts.get(account_id)
                if current is not None and current.trust is trust:
                    trust.set_resolved(ips)

            post(apply)

        threading.Thread(target=lookup, name="sip-trust-resolve", daemon=True).start()

    def refresh_all(self) -> None:
        for acc in self._accounts.values():
            self.refresh(acc)

    def close(self) -> None:
        self._refused.flush()
