"""A real SIP registrar for the emulator: kamailio, firewalled by the emulator's leases.

When `kamailio` is installed, `Registrar` renders `kamailio.cfg` (next to this module) into a
private temp dir and runs it on UDP. REGISTER/INVITE from a source IP without a live
allow-rule get 403, unless they come from a trusted ``ip:port`` (the employer's own servers:
demo mode's echo and tone lines). The emulator pushes allow-rules and SIP accounts over
kamailio's jsonrpcs datagram socket (htables "fw" and "users"): no database server is needed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import math
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any, Self

from softphone.desktop.children import spawn
from softphone.emulator.errors import RegistrarError

log = logging.getLogger("softphone.emulator.registrar")
_READY_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_START_ATTEMPTS = 3
# kamailio parses the SIP accounts of its config (one htable assignment each, ~3 KB) into the
# private memory of every process: 4 MB is plenty for a small world, and a world of load agents
# gets 1 MB more per 256 accounts (2,000 load agents do not parse in 6 MB)
_PKG_MB = 4
_USERS_PER_PKG_MB = 256


def kamailio_path() -> str | None:
    return shutil.which("kamailio")


def _cfg_string(value: str) -> str:
    if any(c in value for c in '"\\') or not value.isprintable():
        raise RegistrarError(f"Unsupported character in a kamailio value: {value!r}.")
    return f'"{value}"'


def free_udp_port(host: str) -> int:
    """A UDP port free on ``host`` now (the kernel's pick; bound again by its user at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def jsonrpc_call(
    rpc_socket: Path, reply_dir: Path, method: str, *params: str | int, timeout: float = 3.0
) -> Any:
    """One call to kamailio's jsonrpcs module over its UNIX datagram socket; the reply comes back
    on a socket of our own in ``reply_dir``. Raises RegistrarError on no answer or an error."""
    request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}
    # no longer than kamailio's own socket's name (rpc.sock): a UNIX socket's path is short
    reply_path = reply_dir / uuid.uuid4().hex[:8]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(reply_path))
        try:
            sock.sendto(json.dumps(request).encode(), str(rpc_socket))
            readable, _, _ = select.select([sock], [], [], timeout)
            if not readable:
                raise RegistrarError(f"kamailio did not answer RPC {method} in {timeout}s.")
            reply = json.loads(sock.recv(1 << 20))
        finally:
            reply_path.unlink(missing_ok=True)
    if "error" in reply:
        raise RegistrarError(f"kamailio RPC {method} failed: {reply['error']}")
    return reply.get("result")


class Registrar:
    """kamailio on `host`:`port` (UDP; 0 = a free port) with the given SIP accounts."""

    def __init__(
        self,
        users: dict[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        debug: int = 2,
        max_expires_s: int = 3600,
    ) -> None:
        binary = kamailio_path()
        if binary is None:
            raise RegistrarError("kamailio is not installed; start the emulator without SIP.")
        self._binary = binary
        self.host = host
        self.port = port
        self.debug = debug
        if not 2 <= max_expires_s <= 3600:
            raise RegistrarError("A registration may last between 2 and 3600 seconds.")
        self.max_expires_s = max_expires_s  # the longest registration granted (load scenarios)
        self._users = dict(users)
        self._rules: dict[str, int] = {}
        self._trusted: set[str] = set()
        self._routes: dict[str, str] = {}  # number -> "ip:port" its INVITEs are relayed to
        # short path: unix socket names are limited to ~100 bytes
        self.workdir = Path(tempfile.mkdtemp(prefix="vfkam-"))
        self.rpc_socket = self.workdir / "rpc.sock"
        self.log_path = self.workdir / "kamailio.log"
        self._process: subprocess.Popen[bytes] | None = None

    # lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        """Start kamailio and return once it answers OPTIONS and its RPC socket exists."""
        fixed_port = self.port != 0
        for attempt in range(_START_ATTEMPTS):
            if not fixed_port:
                self.port = free_udp_port(self.host)
            self._render()
            self._spawn()
            try:
                self._wait_ready()
            except RegistrarError:
                self._kill()
                if fixed_port or attempt == _START_ATTEMPTS - 1:
                    raise
                continue  # the port was taken meanwhile: try another
            log.info("registrar: kamailio pid %s on udp %s:%s", self.pid, self.host, self.port)
            return self
        raise AssertionError("unreachable")  # pragma: no cover

    def _render(self) -> None:
        users = "\n".join(
            f"\t$sht(users=>{_cfg_string(ext)[1:-1]}) = {_cfg_string(pw)};"
            for ext, pw in self._users.items()
        )
        rules = "\n".join(
            f"\t$sht(fw=>{_cfg_string(ip)[1:-1]}) = {expires};"
            for ip, expires in self._rules.items()
        )
        trusted = "\n".join(
            f"\t$sht(trusted=>{_cfg_string(source)[1:-1]}) = 1;" for source in sorted(self._trusted)
        )
        routes = "\n".join(
            f"\t$sht(routes=>{_cfg_string(number)[1:-1]}) = {_cfg_string(target)};"
            for number, target in sorted(self._routes.items())
        )
        template = resources.files("softphone.emulator").joinpath("kamailio.cfg")
        text = template.read_text(encoding="utf-8")
        values = {
            "DEBUG": str(self.debug),
            "HOST": self.host,
            "PORT": str(self.port),
            "RPC_SOCKET": str(self.rpc_socket),
            "REALM": self.host,
            "USERS": users,
            "RULES": rules,
            "TRUSTED": trusted,
            "ROUTES": routes,
            "MIN_EXPIRES": str(min(30, self.max_expires_s)),
            "MAX_EXPIRES": str(self.max_expires_s),
            "DEFAULT_EXPIRES": str(min(300, self.max_expires_s)),
        }
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        (self.workdir / "kamailio.cfg").write_text(text, encoding="utf-8")

    def _spawn(self) -> None:
        self.rpc_socket.unlink(missing_ok=True)
        argv = [
            self._binary, "-f", str(self.workdir / "kamailio.cfg"), "-DD", "-E",
            "--atexit=no", "-Y", str(self.workdir), "-w", str(self.workdir), "-m", "32",
            "-M", str(_PKG_MB + math.ceil(len(self._users) / _USERS_PER_PKG_MB)),
        ]  # fmt: skip
        with self.log_path.open("ab") as out:
            # SIGTERM when this process dies: kamailio then stops its own workers
            self._process = spawn(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RegistrarError(f"kamailio exited at start-up:\n{self.log_tail()}")
            if self.rpc_socket.exists() and self._answers_options():
                return
        raise RegistrarError(f"kamailio did not become ready:\n{self.log_tail()}")

    def _answers_options(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((self.host, 0))
            local = sock.getsockname()[1]
            branch = uuid.uuid4().hex
            request = (
                f"OPTIONS sip:{self.host}:{self.port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {self.host}:{local};branch=z9hG4bK{branch[:16]};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:probe@{self.host}>;tag={branch[16:24]}\r\n"
                f"To: <sip:{self.host}:{self.port}>\r\nCall-ID: {branch}\r\n"
                "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            )
            sock.sendto(request.encode(), (self.host, self.port))
            readable, _, _ = select.select([sock], [], [], 0.2)
            if not readable:
                return False
            try:
                return sock.recv(65535).startswith(b"SIP/2.0 200")
            except OSError:  # ICMP port unreachable: not bound yet
                return False

    def restart(self) -> None:
        """Stop kamailio and start it again on the same port, as a server restart does: it
        forgets every registration (its location table is in memory) and keeps its accounts,
        allow-rules and trusted sources."""
        self._kill()
        self.start()

    def lose(self, ip: str, seconds: int) -> None:
        """For ``seconds`` from now, drop every request and reply from ``ip`` unread, as if
        that computer's network were gone."""
        try:
            address = str(ipaddress.ip_address(ip))
        except ValueError:
            raise RegistrarError(f"{ip!r} is not an IP address.") from None
        if not 0 < seconds <= 3600:
            raise RegistrarError("A network loss lasts between 1 and 3600 seconds.")
        self._rpc_quiet("htable.seti", "lost", address, int(time.time()) + seconds)

    def stop(self) -> None:
        """Stop kamailio (its whole process group) and remove its files."""
        self._kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            self._signal(process.pid, signal.SIGTERM)
            try:
                process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._signal(process.pid, signal.SIGKILL)
                process.wait(_STOP_TIMEOUT_S)
        self._signal(process.pid, signal.SIGKILL)  # workers that outlived the main process

    @staticmethod
    def _signal(pgid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no kamailio log)"

    # the emulator's view -> kamailio -----------------------------------------------------

    def sync(self, rules: dict[str, float], users: dict[str, str]) -> None:
        """Make kamailio's allow-rules and SIP accounts match the emulator's (a listener)."""
        wanted = {ip: math.floor(expires) for ip, expires in rules.items()}
        for ip in set(self._rules) - set(wanted):
            self._rpc_quiet("htable.delete", "fw", ip)
        for ip, expires in wanted.items():
            if self._rules.get(ip) != expires:
                self._rpc_quiet("htable.seti", "fw", ip, expires)
        for ext in set(self._users) - set(users):
            self._rpc_quiet("htable.delete", "users", ext)
        for ext, password in users.items():
            if self._users.get(ext) != password:
                self._rpc_quiet("htable.sets", "users", ext, password)
        self._rules, self._users = wanted, dict(users)

    def trust(self, host: str, port: int) -> None:
        """Exempt requests from ``host``:``port`` from the firewall (a server of the employer's,
        such as demo mode's lines), now and after a restart."""
        source = f"{host}:{port}"
        _cfg_string(source)
        self._trusted.add(source)
        self._rpc_quiet("htable.seti", "trusted", source, 1)

    def route(self, number: str, host: str, port: int) -> None:
        """Relay INVITEs for ``number`` to ``host``:``port`` (a server of the employer's, such
        as a load run's answering side), now and after a restart. The firewall still applies
        to who may call it."""
        if not number.isdigit():
            raise RegistrarError(f"A routed number is digits only, not {number!r}.")
        target = f"{host}:{port}"
        _cfg_string(target)
        self._routes[number] = target
        self._rpc_quiet("htable.sets", "routes", number, target)

    def _rpc_quiet(self, method: str, *params: str | int) -> None:
        if self.running:
            self.rpc(method, *params)

    def rpc(self, method: str, *params: str | int, timeout: float = 3.0) -> Any:
        """Call a kamailio RPC over the private jsonrpcs datagram socket."""
        return jsonrpc_call(self.rpc_socket, self.workdir, method, *params, timeout=timeout)
