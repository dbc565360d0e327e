"""Notices when the local address this computer uses to reach a server changes.

The check is a UDP ``connect`` (no packet is sent): the kernel picks the route and the source
address it would use, which is the address a new network gives us. The owner calls
:meth:`NetWatch.check` every few seconds on its own thread (the agent's loop), or
:meth:`NetWatch.check_in` with an executor where the owner must not block (the GUI thread: with a
dead resolver ``getaddrinfo`` takes seconds); ``on_change`` runs on the owner's thread.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from softphone.core.executor import Executor, Outcome

_log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 3.0


def local_address_towards(host: str, port: int = 443) -> str | None:
    """The source address the kernel would use to reach ``host`` (None: no route, no DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError:
        return None
    for family, kind, proto, _, address in infos:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.connect(address)  # UDP: chooses the route, sends nothing
                return str(sock.getsockname()[0])
        except OSError:
            continue
    return None


class NetWatch:
    """Calls ``on_change(old, new)`` when ``probe()`` gives a different address than before.

    A probe that gives None (offline) is not a change; the change is reported when an address
    comes back and differs from the last one seen. With ``probe_now=False`` the constructor
    does not probe (it would block); the first address observed becomes the baseline.
    """

    def __init__(
        self,
        probe: Callable[[], str | None],
        on_change: Callable[[str, str], None],
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        probe_now: bool = True,
    ) -> None:
        self._probe = probe
        self._on_change = on_change
        self.interval_s = interval_s
        self._in_flight = False
        self.address: str | None = probe() if probe_now else None

    @property
    def probing(self) -> bool:
        """A probe started by :meth:`check_in` has not reported yet."""
        return self._in_flight

    def check(self) -> bool:
        """Probe once, blocking; True if the address changed (``on_change`` has run)."""
        return self.observe(self._probe())

    def check_in(self, run: Executor) -> bool:
        """Probe on ``run``'s worker; the result is observed on the owner's thread (``run``
        calls ``done`` there). At most one probe in flight: False if one still is."""
        if self._in_flight:
            return False
        self._in_flight = True

        def done(outcome: Outcome[str | None]) -> None:
            self._in_flight = False
            if outcome.error is None:
                self.observe(outcome.value)

        run(self._probe, done)
        return True

    def observe(self, now: str | None) -> bool:
        """Take a probe's result; True if the address changed (``on_change`` has run)."""
        if now is None or now == self.address:
            return False
        old, self.address = self.address, now
        if old is None:  # first address seen: nothing to re-bind from
            return False
        _log.info("the local address changed")
        self._on_change(old, now)
        return True
