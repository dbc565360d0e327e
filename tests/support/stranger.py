"""A stranger on the network: raw SIP over UDP from another loopback address, for tests that
attack the app where sipp (the integration tests' peer) is not at hand."""

from __future__ import annotations

import select
import socket
import time
import uuid
from types import TracebackType

AUTO_ANSWER = "Call-Info: <sip:10.0.0.1>;answer-after=0"


class Stranger:
    """One UDP socket on ``host`` sending INVITEs to ``target`` ("ip:port") and reading the
    answers; ``ack`` and ``cancel`` finish what it started."""

    def __init__(self, host: str, target: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host, self.port = host, int(self.sock.getsockname()[1])
        ip, _, port = target.rpartition(":")
        self.target = (ip, int(port))
        self._call_id = ""
        self._branch = ""
        self._to_tag = ""

    def __enter__(self) -> Stranger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.sock.close()

    def _request(self, method: str, extra: str = "", body: str = "", to_tag: str = "") -> bytes:
        ip, port = self.target
        uri = f"sip:1001@{ip}:{port}"
        tag = f";tag={to_tag}" if to_tag else ""
        return (
            f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {self.host}:{self.port};branch={self._branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:stranger@{self.host}:{self.port}>;tag=stranger\r\n"
            f"To: <{uri}>{tag}\r\n"
            f"Call-ID: {self._call_id}\r\n"
            f"CSeq: 1 {method}\r\n"
            f"Contact: <sip:stranger@{self.host}:{self.port}>\r\n"
            f"{extra}"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        ).encode()

    def invite(self, *headers: str) -> None:
        self._call_id = uuid.uuid4().hex
        self._branch = f"z9hG4bK{uuid.uuid4().hex[:16]}"
        sdp = (
            f"v=0\r\no=- 1 1 IN IP4 {self.host}\r\ns=-\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        )
        extra = "".join(f"{h}\r\n" for h in headers) + "Content-Type: application/sdp\r\n"
        self.sock.sendto(self._request("INVITE", extra, sdp), self.target)

    def final(self, timeout: float = 5.0) -> int:
        """The status code of the first final answer (>= 200) to the INVITE (0: none came)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            code = self.next_status(left)
            if code >= 200 or code == 0:
                return code
        return 0

    def next_status(self, timeout: float = 5.0) -> int:
        """The status code of the next answer (0 when none comes in time)."""
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if not readable:
            return 0
        reply = self.sock.recv(65535).decode(errors="replace")
        for line in reply.split("\r\n"):
            if line.lower().startswith(("to:", "t:")) and ";tag=" in line:
                self._to_tag = line.split(";tag=", 1)[1].split(";", 1)[0].strip()
        return int(reply.split(" ", 2)[1])

    def ack(self) -> None:
        """ACK a final answer other than 2xx (same branch, the answer's To tag)."""
        self.sock.sendto(self._request("ACK", to_tag=self._to_tag), self.target)
