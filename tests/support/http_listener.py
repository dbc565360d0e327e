"""A plain-HTTP server on a loopback address that records every TCP connection it accepts: the
local attacker of issue 14, waiting for the app to send it a password."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

Answer = Callable[[str, str], Any]
"""(request path, the listener's own base URL) → the JSON body of a 200 answer."""


class RecordingHttpListener:
    """Answers every POST with ``answer``; ``seen()`` says which connections were opened."""

    def __init__(self, host: str, answer: Answer) -> None:
        self.connections: list[tuple[str, int]] = []
        self.bodies: list[bytes] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                listener.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                payload = json.dumps(answer(self.path, listener.url)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        class Recording(HTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                listener.connections.append(client_address)
                return True

        self._httpd = Recording((host, 0), Handler)
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def seen(self) -> list[tuple[str, int]]:
        """Every connection so far, including any still in the backlog (stops serving)."""
        self._httpd.shutdown()
        sock: socket.socket = self._httpd.socket
        sock.setblocking(False)
        while True:
            try:
                conn, address = sock.accept()
            except (TimeoutError, BlockingIOError):
                break
            conn.close()
            self.connections.append(address)
        return self.connections

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
