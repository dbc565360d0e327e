"""A hostile control plane for tests (issue 15): a real HTTPS server on 127.0.0.1, written on
plain sockets so it can misbehave in ways an HTTP framework will not.

Modes (``HostileServer(mode, ...)``; ``interval_s`` paces the drips):

- ``drip_head``: the status line and headers, one byte every ``interval_s``, forever;
- ``drip_body``: proper headers with a ``Content-Length``, then the body one byte at a time;
- ``endless``: a chunked body that never ends (64 KiB chunks of spaces);
- ``huge``: a ``Content-Length`` of 10 GiB, and data as fast as the client reads;
- ``json``: one JSON answer, ``status`` and ``body`` as given (odd values: CR/LF in fields, a
  10 kB domain, year 9999, 1e308, ``NaN`` — write ``body`` as raw text for what ``json`` cannot);
- ``redirect``: ``307`` to ``location`` (the client must not follow it).

``requests`` counts the requests read (a followed redirect would add one). Used as a context
manager; ``url`` is its https base and ``ca_file`` the CA a client must be given.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import trustme

MODES = ("drip_head", "drip_body", "endless", "huge", "json", "redirect")


class HostileServer:
    def __init__(
        self,
        mode: str,
        tmp_path: Path,
        *,
        interval_s: float = 5.0,
        status: int = 200,
        body: Any = None,
        location: str = "",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode, self.interval_s = mode, interval_s
        self.status, self.body, self.location = status, body, location
        self.requests = 0
        self._stop = threading.Event()
        ca = trustme.CA()
        self.ca_file = str(tmp_path / "hostile-ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self._ctx)
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.url = f"https://127.0.0.1:{self._sock.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=max(2.0, self.interval_s + 1))
        self._sock.close()

    # ---- serving ---------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            with self._ctx.wrap_socket(raw, server_side=True) as conn:
                self._read_request(conn)
                self.requests += 1
                getattr(self, f"_{self.mode}")(conn)
        except (OSError, ValueError):
            pass  # the client hung up: what it should do
        finally:
            raw.close()

    def _read_request(self, conn: ssl.SSLSocket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                raise OSError("closed before the request")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = conn.recv(4096)
            if not chunk:
                break
            body += chunk

    def _wait(self) -> bool:
        """Pause one interval; False when the server is closing."""
        return not self._stop.wait(self.interval_s)

    def _drip(self, conn: ssl.SSLSocket, data: bytes) -> None:
        for i in range(len(data)):
            conn.sendall(data[i : i + 1])
            if not self._wait():
                return

    def _drip_head(self, conn: ssl.SSLSocket) -> None:
        head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000
        self._drip(conn, head)

    def _drip_body(self, conn: ssl.SSLSocket) -> None:
        body = b" " * 100_000 + b"{}"
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        self._drip(conn, body)

    def _endless(self, conn: ssl.SSLSocket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        while not self._stop.is_set():
            conn.sendall(chunk)

    def _huge(self, conn: ssl.SSLSocket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {10 * 2**30}\r\n\r\n".encode()
        )
        block = b" " * 0x10000
        while not self._stop.is_set():
            conn.sendall(block)

    def _json(self, conn: ssl.SSLSocket) -> None:
        body = self.body if isinstance(self.body, str) else json.dumps(self.body)
        payload = body.encode()
        conn.sendall(
            f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )

    def _redirect(self, conn: ssl.SSLSocket) -> None:
        conn.sendall(
            f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {self.location}\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
