"""Run the emulator over HTTPS (or plain HTTP on loopback only) with uvicorn.

`EmulatorServer.start()` serves from a background thread (the CLI, demo mode, tests) and, when
given a `Registrar`, starts kamailio and keeps its firewall in step with the leases.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn

from softphone.emulator.app import Clock, create_app
from softphone.emulator.errors import EmulatorError, RegistrarError, UnsafeBinding
from softphone.emulator.registrar import Registrar
from softphone.emulator.state import EmulatorState
from softphone.emulator.tls import issue

log = logging.getLogger("softphone.emulator")
_START_TIMEOUT_S = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls12_or_newer(
    config: uvicorn.Config, default: Callable[[], ssl.SSLContext]
) -> ssl.SSLContext:
    context = default()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class EmulatorServer:
    """The emulator's HTTP(S) service bound to `host`:`port` (0 = a free port)."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ca_out: Path | None = None,
        insecure_http: bool = False,
        admin_token: str | None = None,
        clock: Clock = time.time,
        registrar: Registrar | None = None,
        public_url: str | None = None,
    ) -> None:
        """`public_url` (scheme://host:port, default `url`) is where clients reach this
        server; the provision_url of every login answer is built from it."""
        if insecure_http and not is_loopback(host):
            raise UnsafeBinding(
                f"Plain HTTP is only allowed on a loopback address, not on {host}. "
                "Drop --insecure-http to serve HTTPS with a local CA."
            )
        self.state = state
        self.registrar = registrar
        self._clock = clock
        self.host = host
        self.insecure_http = insecure_http
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self._private_dir = Path(tempfile.mkdtemp(prefix="vicifast-emulator-"))
        self.ca_file: Path | None = None
        config: dict[str, Any] = {}
        if not insecure_http:
            hosts = [host, "localhost", "127.0.0.1"]
            tls = issue(hosts, ca_out or self._private_dir / "ca.pem", self._private_dir / "tls")
            self.ca_file = tls.ca_file
            config = {
                "ssl_certfile": str(tls.cert_file),
                "ssl_keyfile": str(tls.key_file),
                "ssl_context_factory": _tls12_or_newer,
            }
        self._socket = self._bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        app = create_app(
            state, clock, admin_token=self.admin_token, public_url=public_url or self.url
        )
        # proxy_headers=False: the whitelisted IP is the peer's address, never a header's claim
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, host=host, port=self.port, http="h11", ws="none", lifespan="off",
                proxy_headers=False, log_config=None, access_log=False, server_header=False,
                **config,
            )
        )  # fmt: skip
        self._thread: threading.Thread | None = None

    @staticmethod
    def _bind(host: str, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            sock.close()
            raise EmulatorError(f"Cannot listen on {host}:{port}: {err.strerror}.") from None
        return sock

    @property
    def url(self) -> str:
        scheme = "http" if self.insecure_http else "https"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def info(self) -> dict[str, object]:
        """What a tester or the admin CLI needs to reach this emulator."""
        sip = None
        if self.registrar is not None:
            sip = {"host": self.registrar.host, "port": self.registrar.port, "transport": "udp"}
        return {
            "url": self.url,
            "ca_file": str(self.ca_file) if self.ca_file else None,
            "admin_token": self.admin_token,
            "sip": sip,
        }

    def _start_registrar(self) -> None:
        registrar = self.registrar
        if registrar is None:
            return
        registrar.start()
        self.state.route_sip_to(registrar.host, registrar.port)

        def sync(rules: dict[str, float], users: dict[str, str]) -> None:
            try:
                registrar.sync(rules, users)
            except RegistrarError as err:  # the HTTP side keeps working; say why SIP may not
                log.warning("registrar out of sync: %s", err)

        self.state.add_firewall_listener(sync, self._clock())

    def write_info(self, path: Path, extra: dict[str, object] | None = None) -> None:
        """Write info() (and ``extra`` keys) as JSON, readable by the owner only (it holds the
        admin token).

        Written whole under a temporary name and renamed: a script that waits for the file to
        appear (as the tests and ``admin --info`` users do) never reads it half written."""
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self.info() | (extra or {}), out, indent=2)
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def start(self) -> Self:
        """Serve from a background thread; return once accepting connections."""
        self._start_registrar()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="emulator-http"
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise EmulatorError(f"The emulator did not start on {self.url}.")
            time.sleep(0.01)  # uvicorn offers no start event to wait on
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_START_TIMEOUT_S)
            self._thread = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self.registrar is not None:
            self.registrar.stop()
        self._socket.close()
        shutil.rmtree(self._private_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
