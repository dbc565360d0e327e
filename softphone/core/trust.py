"""Who may make an account act: its own SIP server, and direct callers only by the user's opt-in.

A desk phone's "accept SIP from the trusted server only", done for a softphone whose server can
move: an account trusts the first hop it talks to (the outbound proxy, else the domain) at every
address that host resolves to, on the port it is reached at, and the exact address that answered
its last successful REGISTER (so a server that moved is followed at the next refresh, and the
old address is dropped). Anything else is a *direct* request: refused, or, when the user accepts
direct calls, allowed to ring but never answered automatically.

Pure logic: no pjsua2, no DNS (the resolved addresses are handed in), no clock.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable

from softphone.core.models import SipAccountConfig, Transport
from softphone.core.values import value_class

_DEFAULT_PORTS = {Transport.UDP: 5060, Transport.TCP: 5060, Transport.TLS: 5061}


class Origin(enum.Enum):
    """Where an out-of-dialog request comes from, as far as one account is concerned."""

    SERVER = "server"  # the account's own registrar/proxy: may ring and be auto-answered
    DIRECT = "direct"  # elsewhere, and the user accepts direct calls: rings, never auto-answered
    REFUSED = "refused"  # elsewhere: answered 403, nothing shown


@value_class
class Peer:
    """A transport address: a normalised IP and a port (0 only in a trust rule: any port)."""

    ip: str
    port: int

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


def ip_literal(host: str) -> str | None:
    """``host`` normalised if it is an IPv4/IPv6 literal (brackets allowed), else None."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def parse_peer(text: str) -> Peer | None:
    """``"1.2.3.4:5060"`` or ``"[::1]:5060"`` (pjsip's ``srcAddress``) as a Peer, else None."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    ip = ip_literal(host)
    return None if ip is None else Peer(ip, int(port))


def hop_host(config: SipAccountConfig) -> str:
    """The host the account sends its requests to: the outbound proxy, else the domain."""
    host = config.proxy or config.domain
    return host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]


def hop_port(config: SipAccountConfig) -> int:
    """The port the server is trusted on; 0 (any) for an unregistered account with no port
    given, whose peers (a LAN PBX, tests) may call from any port."""
    if config.port:
        return config.port
    return _DEFAULT_PORTS[config.transport] if config.register else 0


class ServerTrust:
    """The trust rule of one account (SIP thread only, or any single thread)."""

    def __init__(self, config: SipAccountConfig, accept_direct: bool | None = None) -> None:
        self.host = hop_host(config)
        self._port = hop_port(config)
        literal = ip_literal(self.host)
        self._resolved: frozenset[Peer] = (
            frozenset({Peer(literal, self._port)}) if literal is not None else frozenset()
        )
        self._answered: Peer | None = None
        # Off for an account that registers (its calls come through its server); on for one
        # that does not, whose calls can only be direct.
        self.accept_direct = (not config.register) if accept_direct is None else accept_direct

    @property
    def needs_resolving(self) -> bool:
        """Whether the host is a name whose addresses must be looked up (and looked up again
        when registration is refreshed or the network changes)."""
        return ip_literal(self.host) is None

    def set_resolved(self, ips: Iterable[str]) -> None:
        """The addresses the server's host resolves to now (they replace the previous ones)."""
        found = {ip for ip in (ip_literal(i) for i in ips) if ip is not None}
        self._resolved = frozenset(Peer(ip, self._port) for ip in found)

    def registered_from(self, source: str) -> None:
        """The address that answered a successful REGISTER: the server as it is now."""
        peer = parse_peer(source)
        if peer is not None:
            self._answered = peer

    def trusted(self) -> tuple[Peer, ...]:
        """Every address trusted now (port 0: any port), for diagnostics and the docs' tests."""
        peers = set(self._resolved)
        if self._answered is not None:
            peers.add(self._answered)
        return tuple(sorted(peers, key=str))

    def is_server(self, source: str) -> bool:
        peer = parse_peer(source)
        if peer is None:
            return False
        if peer == self._answered:
            return True
        return any(t.ip == peer.ip and t.port in (0, peer.port) for t in self._resolved)

    def origin(self, source: str) -> Origin:
        if self.is_server(source):
            return Origin.SERVER
        return Origin.DIRECT if self.accept_direct else Origin.REFUSED
