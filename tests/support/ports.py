"""Pick free loopback ports at run time (never hard-coded).

The tests run in parallel workers (pytest-xdist). A port picked free here is closed again before
the process that uses it binds it, so two workers picking from the same pool could both be given
it. Each worker therefore picks from a range of its own, below the kernel's ephemeral range (which
the processes under test draw from when they bind port 0).
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import struct
from pathlib import Path
from typing import Literal

HOST = "127.0.0.1"
PortKind = Literal["udp", "tcp"]

_SOCK_TYPES: dict[str, int] = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}

# Ports for tests: 10000 up to Linux's default ephemeral range (32768), split between workers.
_POOL_START, _POOL_END = 10000, 32768


def worker_range(worker: str | None, workers: str | None) -> range:
    """The ports worker ``gwN`` of ``workers`` picks from (all of the pool outside xdist)."""
    if not worker or not workers:
        return range(_POOL_START, _POOL_END)
    index, count = int(worker.removeprefix("gw")), int(workers)
    span = (_POOL_END - _POOL_START) // count
    start = _POOL_START + index * span
    return range(start, start + span)


_RANGE = worker_range(
    os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("PYTEST_XDIST_WORKER_COUNT")
)


def _bind(kind: PortKind, port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, _SOCK_TYPES[kind])
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def free_port(kind: PortKind = "udp") -> int:
    """Return a port of this worker's range that is currently free on 127.0.0.1 for `kind`."""
    first = random.randrange(len(_RANGE))
    for i in range(len(_RANGE)):
        port = _RANGE[(first + i) % len(_RANGE)]
        try:
            _bind(kind, port).close()
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free {kind} port in {_RANGE} on {HOST}")


def _claim_both(port: int, held: list[socket.socket]) -> bool:
    """Bind `port` for TCP and UDP, appending the sockets to `held`; False if taken."""
    socks: list[socket.socket] = []
    try:
        for kind in ("tcp", "udp"):
            socks.append(_bind(kind, port))
    except OSError:
        for sock in socks:
            sock.close()
        return False
    held.extend(socks)
    return True


def free_ports(n: int, *, consecutive: bool = False, attempts: int = 200) -> list[int]:
    """Return `n` distinct ports free for both UDP and TCP on 127.0.0.1.

    With `consecutive=True` the ports form one block (p, p+1, ...), which baresip
    (TLS on SIP port + 1) and sipp (RTP on -mp and -mp + 2) need.
    """
    held: list[socket.socket] = []  # keep ports bound until done so none repeats
    ports: list[int] = []
    try:
        for _ in range(attempts):
            if len(ports) == n:
                return ports
            base = free_port("tcp")
            if not consecutive:
                if _claim_both(base, held):
                    ports.append(base)
                continue
            block: list[socket.socket] = []
            if base + n < 65536 and all(_claim_both(base + i, block) for i in range(n)):
                held.extend(block)
                return list(range(base, base + n))
            for sock in block:
                sock.close()
        if len(ports) == n:
            return ports
        raise RuntimeError(f"could not find {n} free ports on {HOST}")
    finally:
        for sock in held:
            sock.close()


def port_bound(port: int, kind: PortKind = "udp") -> bool:
    """True if some process has `port` bound (UDP) or listening (TCP) on IPv4.

    Reads /proc/net so that checking never disturbs the owner (a probe datagram or
    connection would be seen by a sipp scenario as an unexpected message).
    """
    table = Path(f"/proc/net/{kind}")
    with contextlib.suppress(OSError):
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            _addr, _, hex_port = fields[1].partition(":")
            # TCP state 0A is LISTEN; UDP sockets have no meaningful state here.
            if int(hex_port, 16) == port and (kind == "udp" or fields[3] == "0A"):
                return True
    return False


def listening_sockets(pid: int) -> set[tuple[PortKind, str, int]]:
    """Every (kind, IPv4 address, port) where process `pid` takes datagrams from anyone (UDP)
    or listens (TCP).

    Read from /proc (the process's socket inodes matched against /proc/net), so a test finds
    what the process really opened, not what its code says it opens.
    """
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    found: set[tuple[PortKind, str, int]] = set()
    kinds: tuple[PortKind, ...] = ("udp", "tcp")
    for kind in kinds:
        for line in Path(f"/proc/{pid}/net/{kind}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] not in inodes:
                continue
            # TCP: listening only (0A); UDP: not connected (a connected socket takes datagrams
            # from its one peer only, e.g. pjlib's route probe or the engine's wake-up sender).
            if fields[3] != "0A" if kind == "tcp" else fields[2] != "00000000:0000":
                continue
            hex_ip, _, hex_port = fields[1].partition(":")
            ip = socket.inet_ntoa(struct.pack("<I", int(hex_ip, 16)))
            found.add((kind, ip, int(hex_port, 16)))
    return found
