"""A SIP registrar on a UDP socket of the test's own process (127.0.0.1, a free port): it keeps
every datagram it receives, answers REGISTERs (200 OK, or a digest challenge with credentials),
or stays silent. For the agent's start-up and command-line tests, where kamailio would be more
than the test needs."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time

from tests.support.ports import HOST


def header(message: str, name: str) -> str:
    """The value of the first header ``name`` in a SIP message ("" when absent)."""
    found = re.search(rf"^{re.escape(name)}\s*:\s*(.*?)\r?$", message, re.I | re.M)
    return found.group(1) if found else ""


class UdpRegistrar:
    """A registrar on a UDP socket of this process that keeps every datagram it receives with
    its arrival time. With ``credentials`` (user, password) it challenges each REGISTER and
    answers 200 only to a digest response made with them (else 403); with ``answer=False`` it
    never answers at all."""

    REALM = "agent.test"
    NONCE = "0123456789abcdef"

    def __init__(self, *, credentials: tuple[str, str] | None = None, answer: bool = True) -> None:
        self.credentials = credentials
        self.answer = answer
        self.received: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((HOST, 0))
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="udp-registrar", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self._sock.close()

    def datagrams(self) -> list[tuple[float, bytes]]:
        with self._lock:
            return list(self.received)

    def registers(self) -> list[str]:
        return [d.decode() for _, d in self.datagrams() if d.startswith(b"REGISTER ")]

    def keepalives(self) -> list[float]:
        """Arrival times of the bare CRLF datagrams (pjsip's NAT keep-alive)."""
        return [at for at, d in self.datagrams() if d.strip(b"\r\n") == b""]

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                data, peer = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.received.append((time.time(), data))
            if self.answer and data.startswith(b"REGISTER "):
                self._sock.sendto(self._reply(data.decode()).encode(), peer)

    def _reply(self, request: str) -> str:
        if self.credentials is None:
            return self._response(request, "200 OK", ok=True)
        auth = header(request, "Authorization")
        if not auth:
            challenge = f'WWW-Authenticate: Digest realm="{self.REALM}", nonce="{self.NONCE}"'
            return self._response(request, "401 Unauthorized", extra=challenge)
        ok = self._digest_ok(auth, "REGISTER")
        return self._response(request, "200 OK" if ok else "403 Forbidden", ok=ok)

    def _digest_ok(self, auth: str, method: str) -> bool:
        assert self.credentials is not None
        user, password = self.credentials
        params = dict(re.findall(r'(\w+)="?([^",]*)"?', auth))
        ha1 = _md5(f"{user}:{self.REALM}:{password}")
        ha2 = _md5(f"{method}:{params.get('uri', '')}")
        expected = _md5(f"{ha1}:{self.NONCE}:{ha2}")
        return params.get("username") == user and params.get("response") == expected

    @staticmethod
    def _response(request: str, status: str, *, ok: bool = False, extra: str = "") -> str:
        lines = [f"SIP/2.0 {status}"]
        lines += [f"Via: {v}" for v in re.findall(r"^Via\s*:\s*(.*?)\r?$", request, re.I | re.M)]
        lines += [f"From: {header(request, 'From')}", f"To: {header(request, 'To')};tag=reg1"]
        lines += [f"Call-ID: {header(request, 'Call-ID')}", f"CSeq: {header(request, 'CSeq')}"]
        if ok:
            expires = header(request, "Expires") or "300"
            lines += [f"Contact: {header(request, 'Contact')};expires={expires}"]
        if extra:
            lines.append(extra)
        return "\r\n".join([*lines, "Content-Length: 0", "", ""])


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
