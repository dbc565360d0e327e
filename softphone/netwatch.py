"""Notices when the local address this computer uses to reach a server changes.

The check is a UDP ``connect`` (no packet is sent): the kernel picks the route and the source
address it would use, which is the address a new network gives us. The owner calls
:meth:`NetWatch.check` every few seconds on its own thread (the agent's loop, a Qt timer);
``on_change`` runs there too.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

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
    comes back and differs from the last one seen.
    """

    def __init__(
        self,
        probe: Callable[[], str | None],
        on_change: Callable[[str, str], None],
        interval_s: float = DEFAULT_INTERVAL_S,
    ) -> None:
        self._probe = probe
        self._on_change = on_change
        self.interval_s = interval_s
        self.address: str | None = probe()

    def check(self) -> bool:
        """Probe once; True if the address changed (``on_change`` has run)."""
        now = self._probe()
        if now is None or now == self.address:
            return False
        old, self.address = self.address, now
        if old is None:  # first address seen: nothing to re-bind from
            return False
        _log.info("the local address changed")
        self._on_change(old, now)
        return True
