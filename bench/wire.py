"""A SIP wire tap on the loopback interface: every UDP datagram to or from kamailio, timestamped
by the kernel.

The same clock and the same vantage point for all three peers: the agent, raw pjsua2 and
baresip are timed by the packets they put on the wire, not by what each chooses to report.
Timestamps come from SO_TIMESTAMPNS (CLOCK_REALTIME, taken when the kernel hands the datagram
to the packet socket), so this reader's own latency (Python, the GIL) does not enter the
numbers. Needs CAP_NET_RAW (the benchmark runs as root).
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_ETH_P_IP = 0x0800
_SO_TIMESTAMPNS = 35  # Linux; not exported by the socket module
_PACKET_OUTGOING = 4  # the copy of a loopback packet seen on its way out: skip, keep the inbound
_IPPROTO_UDP = 17
_HEADER = re.compile(r"^([A-Za-z-]+)\s*:\s*(.*)$")
_COMPACT = {"i": "call-id", "f": "from", "t": "to"}
_USER = re.compile(r"sips?:([^@;>]+)@")


@dataclass(frozen=True, slots=True)
class SipPacket:
    at: float  # kernel receive time on lo, CLOCK_REALTIME seconds
    src: int  # UDP source port
    dst: int  # UDP destination port
    first_line: str
    call_id: str
    cseq_method: str
    from_user: str
    to_user: str
    expires_zero: bool  # REGISTER with Expires: 0 (an unregistration)

    @property
    def method(self) -> str:
        return "" if self.is_response else self.first_line.split(" ", 1)[0]

    @property
    def is_response(self) -> bool:
        return self.first_line.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.first_line.split()[1]) if self.is_response else 0


def parse_sip(payload: bytes, at: float, src: int, dst: int) -> SipPacket | None:
    head = payload.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    lines = head.split("\r\n")
    if not lines or not (lines[0].startswith("SIP/2.0 ") or lines[0].endswith(" SIP/2.0")):
        return None  # CRLF keep-alives and anything else that is not a SIP message
    headers: dict[str, str] = {}
    for line in lines[1:]:
        match = _HEADER.match(line)
        if match:
            name = match.group(1).lower()
            headers.setdefault(_COMPACT.get(name, name), match.group(2).strip())
    cseq = headers.get("cseq", "").split()
    from_user = _USER.search(headers.get("from", ""))
    to_user = _USER.search(headers.get("to", ""))
    contact = headers.get("contact", "")
    expires_zero = headers.get("expires", "") == "0" or "expires=0" in contact.replace(" ", "")
    return SipPacket(
        at=at,
        src=src,
        dst=dst,
        first_line=lines[0].strip(),
        call_id=headers.get("call-id", ""),
        cseq_method=cseq[1].upper() if len(cseq) > 1 else "",
        from_user=from_user.group(1) if from_user else "",
        to_user=to_user.group(1) if to_user else "",
        expires_zero=expires_zero,
    )


class WireTap:
    """Records the SIP datagrams that pass through ``port`` (kamailio's UDP port) on lo."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._packets: list[SipPacket] = []
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(_ETH_P_IP))
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self._sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)  # bounds how long close() waits for the reader
        self._running = True
        self._thread = threading.Thread(target=self._read, name="wiretap", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._running = False
        self._thread.join(2.0)
        self._sock.close()

    def __enter__(self) -> WireTap:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read(self) -> None:
        while self._running:
            try:
                data, ancillary, _flags, addr = self._sock.recvmsg(65535, 64)
            except TimeoutError:
                continue
            except OSError:
                return
            if addr[2] == _PACKET_OUTGOING or len(data) < 28 or data[9] != _IPPROTO_UDP:
                continue
            ihl = (data[0] & 0x0F) * 4
            src, dst = struct.unpack_from("!HH", data, ihl)
            if self.port not in (src, dst):
                continue  # RTP, other benchmarks' or tests' kamailios
            at = time.time()
            for level, kind, blob in ancillary:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", blob[:16])
                    at = sec + nsec / 1e9
            packet = parse_sip(data[ihl + 8 :], at, src, dst)
            if packet is not None:
                with self._cond:
                    self._packets.append(packet)
                    self._cond.notify_all()

    # ---- queries ---------------------------------------------------------------------------

    @property
    def packets(self) -> list[SipPacket]:
        with self._cond:
            return list(self._packets)

    def mark(self) -> int:
        with self._cond:
            return len(self._packets)

    def wait(
        self, predicate: Callable[[SipPacket], bool], timeout: float, *, after: int = 0
    ) -> SipPacket:
        """The first packet (index >= ``after``) that matches; raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for packet in self._packets[after:]:
                    if predicate(packet):
                        return packet
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the awaited SIP packet did not show up on the wire")
                self._cond.wait(remaining)

    def wait_registered(self, user: str, timeout: float, *, after: int = 0) -> Registration:
        """Waits for a 200 to a REGISTER (not an unregistration) of ``user``."""
        self.wait(lambda p: _is_register_ok(p, user), timeout, after=after)
        found = registrations(self.packets[after:], user)
        if not found:
            raise TimeoutError(f"no complete REGISTER exchange of {user} on the wire")
        return found[0]


def _is_register_ok(p: SipPacket, user: str) -> bool:
    return p.is_response and p.cseq_method == "REGISTER" and p.status == 200 and p.to_user == user


@dataclass(frozen=True, slots=True)
class Registration:
    first_request_at: float  # the first REGISTER of the exchange (before the 401)
    ok_at: float  # the 200 OK delivered to the client
    challenge_at: float | None = None  # the 401 delivered to the client
    retry_at: float | None = None  # the client's REGISTER with credentials

    @property
    def ms(self) -> float:
        return (self.ok_at - self.first_request_at) * 1000

    @property
    def client_turn_ms(self) -> float | None:
        """401 in → REGISTER with credentials out: the client's own share of the handshake."""
        if self.challenge_at is None or self.retry_at is None:
            return None
        return (self.retry_at - self.challenge_at) * 1000


@dataclass(frozen=True, slots=True)
class Exchange:
    call_id: str
    request_at: float
    ok_at: float
    ack_at: float | None = None  # outgoing calls: the caller's ACK to that 200

    @property
    def ms(self) -> float:
        return (self.ok_at - self.request_at) * 1000

    @property
    def ack_ms(self) -> float | None:
        return None if self.ack_at is None else (self.ack_at - self.request_at) * 1000


def registrations(packets: list[SipPacket], user: str) -> list[Registration]:
    """First REGISTER (no credentials yet) → 200 OK, per Call-ID, for ``user``; unregistrations
    are left out."""
    first: dict[str, float] = {}
    challenged: dict[str, float] = {}
    retried: dict[str, float] = {}
    done: list[Registration] = []
    for p in packets:
        if p.method == "REGISTER" and p.from_user == user and not p.expires_zero:
            if p.call_id in first and p.call_id in challenged:
                retried.setdefault(p.call_id, p.at)
            first.setdefault(p.call_id, p.at)
        elif p.is_response and p.status in (401, 407) and p.call_id in first:
            challenged.setdefault(p.call_id, p.at)
        elif _is_register_ok(p, user) and p.call_id in first:
            cid = p.call_id
            challenge, retry = challenged.pop(cid, None), retried.pop(cid, None)
            done.append(Registration(first.pop(cid), p.at, challenge, retry))
    return done


def outgoing_invites(packets: list[SipPacket], user: str, proxy_port: int) -> list[Exchange]:
    """Calls ``user`` placed: its INVITE to the proxy → the 200 OK the proxy relays back, and
    the ACK the caller then sends."""
    sent: dict[str, tuple[float, int]] = {}
    answered: dict[str, tuple[float, float, int]] = {}
    done: list[Exchange] = []
    for p in packets:
        if p.method == "INVITE" and p.dst == proxy_port and p.from_user == user:
            if p.call_id not in answered:
                sent.setdefault(p.call_id, (p.at, p.src))
        elif (
            p.is_response
            and p.status == 200
            and p.cseq_method == "INVITE"
            and p.src == proxy_port
            and p.call_id in sent
            and p.dst == sent[p.call_id][1]
        ):
            request_at, port = sent.pop(p.call_id)
            answered[p.call_id] = (request_at, p.at, port)
        elif p.method == "ACK" and p.call_id in answered and p.src == answered[p.call_id][2]:
            request_at, ok_at, _ = answered.pop(p.call_id)
            done.append(Exchange(p.call_id, request_at, ok_at, p.at))
    # answered but never ACKed (should not happen): still a valid INVITE→200 sample
    done += [Exchange(cid, req, ok) for cid, (req, ok, _) in answered.items()]
    return sorted(done, key=lambda e: e.request_at)


def incoming_answers(packets: list[SipPacket], user: str, proxy_port: int) -> list[Exchange]:
    """Calls to ``user``: the INVITE the proxy delivers to it → the 200 OK it sends back."""
    delivered: dict[str, tuple[float, int]] = {}
    done: list[Exchange] = []
    for p in packets:
        if p.method == "INVITE" and p.src == proxy_port and p.to_user == user:
            delivered.setdefault(p.call_id, (p.at, p.dst))
        elif (
            p.is_response
            and p.status == 200
            and p.cseq_method == "INVITE"
            and p.dst == proxy_port
            and p.call_id in delivered
            and p.src == delivered[p.call_id][1]
        ):
            done.append(Exchange(p.call_id, delivered.pop(p.call_id)[0], p.at))
    return done


def round_trips(packets: list[SipPacket], caller_port: int) -> list[Exchange]:
    """INVITEs sent from ``caller_port`` (sipp's) → the 200 OK that comes back to it."""
    sent: dict[str, float] = {}
    done: list[Exchange] = []
    for p in packets:
        if p.method == "INVITE" and p.src == caller_port:
            sent.setdefault(p.call_id, p.at)
        elif (
            p.is_response
            and p.status == 200
            and p.cseq_method == "INVITE"
            and p.dst == caller_port
            and p.call_id in sent
        ):
            done.append(Exchange(p.call_id, sent.pop(p.call_id), p.at))
    return done


def describe(packets: list[SipPacket], since: float | None = None) -> str:
    """A readable ladder, for debugging a run."""
    base = since if since is not None else (packets[0].at if packets else 0.0)
    with contextlib.suppress(Exception):
        return "\n".join(
            f"{(p.at - base) * 1000:9.3f} ms  {p.src:>5} -> {p.dst:<5} {p.first_line}"
            for p in packets
        )
    return ""
