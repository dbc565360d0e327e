"""A private kamailio registrar/proxy (UDP, TCP, TLS on 127.0.0.1) for one test."""

from __future__ import annotations

import ipaddress
import re
import select
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

import trustme

from softphone.emulator.registrar import jsonrpc_call
from tests.support.ports import HOST, free_ports
from tests.support.process import ManagedProcess, wait_until

TEMPLATE = Path(__file__).resolve().parents[1] / "kamailio" / "kamailio.cfg"
Transport = Literal["udp", "tcp", "tls"]

_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_USER_RE = re.compile(r"^[A-Za-z0-9._+-]+$")
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9.-]+$")
_SUN_PATH_MAX = 100  # sockaddr_un.sun_path is 108 bytes; keep a margin
_START_ATTEMPTS = 3
_BIND_ERROR = re.compile(r"bind\(|Address already in use|could not bind|init_sock", re.I)


@dataclass(frozen=True)
class Contact:
    """One usrloc binding, as reported by `ul.dump`."""

    aor: str
    address: str
    expires: int
    received: str
    user_agent: str
    socket: str


class KamailioError(RuntimeError):
    pass


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Replace {{NAME}} placeholders; every placeholder must have a value."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for {{{{{name}}}}} in kamailio template")
        return values[name]

    return _PLACEHOLDER.sub(sub, template)


def _cfg_string(value: str) -> str:
    # kamailio's cfg lexer has no escape we can rely on inside "...": refuse instead
    if any(c in value for c in '"\\') or not value.isprintable():
        raise ValueError(f"unsupported character in kamailio config value {value!r}")
    return f'"{value}"'


def is_ip(host: str) -> bool:
    """True for an IP literal (as opposed to a host name)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Kamailio:
    """Render tests/kamailio/kamailio.cfg into `workdir` and run kamailio in the foreground.

    `domain` is the SIP domain of the AORs (sip:1001@<domain>), default "127.0.0.1"
    like a VICIdial server addressed by IP. No port-less `alias=127.0.0.1`: it would
    make every loopback URI "local" (sip:svc@127.0.0.1:<sipp port> could no longer be
    relayed to sipp, and loose routing breaks). Instead the script treats as local
    kamailio's own host:port (any transport) *and* the domain written without a port,
    which is what a UA configured with domain + proxy/port puts in REGISTER and
    INVITE R-URIs. A name such as "sip.test" is aliased (only kamailio answers to
    it); clients then need the proxy given explicitly as 127.0.0.1:<port>.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        users: Mapping[str, str] | None = None,
        ca: trustme.CA | None = None,
        domain: str = HOST,
        host: str = HOST,
        min_expires: int = 60,
        max_expires: int = 3600,
        default_expires: int = 3600,
        auth_calls: bool = False,
        debug: int = 1,
        template: Path = TEMPLATE,
        start_timeout: float = 10.0,
    ) -> None:
        if not _DOMAIN_RE.match(domain):
            raise ValueError(f"unsupported SIP domain {domain!r} (IPv4 or host name)")
        self.workdir = workdir
        self.host = host  # the loopback address it listens on
        self.users: dict[str, str] = dict(users or {})
        self.domain = domain
        self.realm = domain
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self.auth_calls = auth_calls
        self.debug = debug
        self.template = template
        self.start_timeout = start_timeout
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cfg_path = workdir / "kamailio.cfg"
        self.log_path = workdir / "kamailio.log"
        self._ca = ca or trustme.CA()
        self.ca_pem, self.cert_pem, self.key_pem = self._write_tls_files()
        self._sockdir = self._socket_dir()
        self.rpc_socket = self._sockdir / "rpc.sock"
        self.ctl_socket = self._sockdir / "ctl.sock"
        self.udp_port, self.tcp_port, self.tls_port = free_ports(3)
        self.process: ManagedProcess | None = None

    # configuration -----------------------------------------------------------

    def _write_tls_files(self) -> tuple[Path, Path, Path]:
        names = ["127.0.0.1", "localhost"]
        if not is_ip(self.domain) and self.domain not in names:
            names.append(self.domain)
        cert = self._ca.issue_cert(*names)
        ca_pem = self.workdir / "ca.pem"
        cert_pem = self.workdir / "server-cert.pem"
        key_pem = self.workdir / "server-key.pem"
        self._ca.cert_pem.write_to_path(str(ca_pem))
        cert_pem.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        cert.private_key_pem.write_to_path(str(key_pem))
        return ca_pem, cert_pem, key_pem

    def _socket_dir(self) -> Path:
        # unix socket paths are length-limited; fall back to a private short dir
        if len(str(self.workdir / "ctl.sock")) < _SUN_PATH_MAX:
            return self.workdir
        return Path(tempfile.mkdtemp(prefix="kam-"))

    def _render(self) -> None:
        users = "\n".join(
            f"\t$sht(users=>{user}) = {_cfg_string(pw)};" for user, pw in self.users.items()
        )
        for user in self.users:
            if not _USER_RE.match(user):
                raise ValueError(f"unsupported SIP user name {user!r}")
        aliases = "" if is_ip(self.domain) else f"alias={_cfg_string(self.domain)}"
        tls_cfg = self.workdir / "tls.cfg"
        tls_cfg.write_text(
            "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
            f"require_certificate = no\nprivate_key = {self.key_pem}\n"
            f"certificate = {self.cert_pem}\n\n"
            "[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
            "require_certificate = no\n"
        )
        values = {
            "DEFINES": "#!define WITH_CALL_AUTH" if self.auth_calls else "",
            "DEBUG": str(self.debug),
            "HOST": self.host,
            "UDP_PORT": str(self.udp_port),
            "TCP_PORT": str(self.tcp_port),
            "TLS_PORT": str(self.tls_port),
            "ALIASES": aliases,
            "TLS_CFG": str(tls_cfg),
            "RPC_SOCKET": str(self.rpc_socket),
            "CTL_SOCKET": str(self.ctl_socket),
            "MIN_EXPIRES": str(self.min_expires),
            "MAX_EXPIRES": str(self.max_expires),
            "DEFAULT_EXPIRES": str(self.default_expires),
            "REALM": self.realm,
            "DOMAIN": self.domain.lower(),
            "USERS": users,
        }
        self.cfg_path.write_text(render_template(self.template.read_text(), values))

    # lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Start kamailio; return once it answers OPTIONS over UDP and listens on TCP/TLS.

        A port grabbed by someone else between picking and binding makes kamailio
        exit; then new ports are picked (only before the first successful start,
        since restart() promises the same ports).
        """
        keep_ports = self.process is not None
        for attempt in range(_START_ATTEMPTS):
            self._render()
            # -DD: foreground (children still fork); -E: log to stderr; -Y: private run dir;
            # --atexit=no: recommended with libssl >= 1.1 to avoid crashes at exit
            argv: list[str | Path] = [
                "kamailio", "-f", self.cfg_path, "-DD", "-E", "--atexit=no",
                "-Y", self._sockdir, "-w", self.workdir, "-m", "64", "-M", "8",
            ]  # fmt: skip
            self.process = ManagedProcess(argv, log_path=self.log_path, name="kamailio")
            log_start = self.process.start().log_size()
            try:
                self._wait_ready()
            except AssertionError:
                self.process.stop()
                log = self.process.log_text()[log_start:]
                if keep_ports or attempt == _START_ATTEMPTS - 1 or not _BIND_ERROR.search(log):
                    raise
                self.udp_port, self.tcp_port, self.tls_port = free_ports(3)
                continue
            return self
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_ready(self) -> None:
        proc = self.process
        assert proc is not None
        # UDP: a real OPTIONS round trip proves the workers run the script.
        # TCP/TLS: listening is checked in /proc, a probe connection would only add
        # "connection reset" errors to the log (the TLS handshake has its own test).
        proc.wait_for(self._answers_options, self.start_timeout, "kamailio UDP OPTIONS 200")
        for port in (self.tcp_port, self.tls_port):
            proc.wait_port(port, "tcp", self.start_timeout)
        proc.wait_for(self.rpc_socket.exists, self.start_timeout, "kamailio RPC socket")

    def _answers_options(self) -> bool:
        reply = udp_request(
            self.udp_port, "OPTIONS", f"sip:{self.hostport()}", timeout=0.1, host=self.host
        )
        return reply is not None and reply.startswith("SIP/2.0 200")

    def stop(self) -> None:
        """Stop kamailio (SIGTERM to its process group, SIGKILL after 5s)."""
        if self.process is not None:
            self.process.stop()

    def restart(self) -> Self:
        """Stop and start again on the same ports; registrations are lost."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop and remove the fallback socket dir, if one was needed."""
        self.stop()
        if self._sockdir != self.workdir:
            shutil.rmtree(self._sockdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def log_tail(self, lines: int = 40) -> str:
        return self.process.log_tail(lines) if self.process else "(kamailio never started)"

    def log_text(self) -> str:
        return self.process.log_text() if self.process else ""

    # addressing --------------------------------------------------------------

    def port(self, transport: Transport = "udp") -> int:
        return {"udp": self.udp_port, "tcp": self.tcp_port, "tls": self.tls_port}[transport]

    def hostport(self, transport: Transport = "udp") -> str:
        """Listener address for `transport`, e.g. 127.0.0.1:5071."""
        return f"{self.host}:{self.port(transport)}"

    def registrar_uri(self, transport: Transport = "udp") -> str:
        """URI to send REGISTER to, e.g. sip:127.0.0.1:5071;transport=tcp."""
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"sip:{self.hostport(transport)}{suffix}"

    def proxy_uri(self, transport: Transport = "udp") -> str:
        """Outbound proxy URI (loose routing)."""
        return f"{self.registrar_uri(transport)};lr"

    def aor(self, user: str) -> str:
        """Address of record clients register, e.g. sip:1001@127.0.0.1."""
        return f"sip:{user}@{self.domain}"

    def user_uri(self, user: str, transport: Transport = "udp") -> str:
        """URI of a local user with our port; sip:<user>@<domain> (no port) works too."""
        host = self.hostport(transport) if is_ip(self.domain) else self.domain
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"sip:{user}@{host}{suffix}"

    # management --------------------------------------------------------------

    def rpc(self, method: str, *params: str | int, timeout: float = 3.0) -> Any:
        """Call a kamailio RPC over the private jsonrpcs datagram socket."""
        return jsonrpc_call(self.rpc_socket, self._sockdir, method, *params, timeout=timeout)

    def add_user(self, user: str, password: str) -> None:
        """Add or change a user, live and for later restarts."""
        if not _USER_RE.match(user):
            raise ValueError(f"unsupported SIP user name {user!r}")
        _cfg_string(password)
        self.users[user] = password
        if self.running:
            self.rpc("htable.sets", "users", user, password)

    def registered_contacts(self) -> dict[str, list[Contact]]:
        """Current usrloc bindings keyed by user ("1001": usrloc ignores the domain).

        Use contacts() to look up by user or by AOR URI.
        """
        result = self.rpc("ul.dump")
        contacts: dict[str, list[Contact]] = {}
        for domain in result.get("Domains", []):
            for entry in domain["Domain"].get("AoRs") or []:
                info = entry["Info"]
                contacts[info["AoR"]] = [
                    _contact(info["AoR"], c["Contact"]) for c in info.get("Contacts") or []
                ]
        return contacts

    def contacts(self, user: str) -> list[Contact]:
        """Bindings of `user`, given as "1001" or as an AOR like "sip:1001@127.0.0.1"."""
        return self.registered_contacts().get(user_of(user), [])

    def wait_registered(self, user: str, timeout: float = 10.0, count: int = 1) -> list[Contact]:
        """Wait until `user` (or AOR) has at least `count` bindings; return them."""
        found: list[Contact] = []

        def check() -> bool:
            found[:] = self.contacts(user)
            return len(found) >= count

        wait_until(check, timeout, f"{user} registered at kamailio", details=self.log_tail)
        return found

    def wait_unregistered(self, user: str, timeout: float = 10.0) -> None:
        """Wait until `user` (or AOR) has no bindings left."""
        wait_until(
            lambda: not self.contacts(user),
            timeout,
            f"{user} unregistered at kamailio",
            details=self.log_tail,
        )


def user_of(user_or_aor: str) -> str:
    """Return "1001" for "1001", "sip:1001@host:port;params" or "<sips:1001@host>"."""
    text = user_or_aor.strip("<>")
    if ":" in text.split("@", 1)[0]:
        text = text.split(":", 1)[1]
    return text.split("@", 1)[0]


def sip_request(
    method: str,
    uri: str,
    *,
    transport: str,
    local_port: int,
    local_host: str = HOST,
    headers: str = "",
) -> bytes:
    """A minimal out-of-dialog request (no body), for probes and small tests; ``headers``
    are added as they are (whole lines, each ending in CRLF)."""
    call_id = uuid.uuid4().hex
    via = f"SIP/2.0/{transport.upper()} {local_host}:{local_port};branch=z9hG4bK{call_id[:16]}"
    return (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: {via};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@{local_host}:{local_port}>;tag={call_id[:8]}\r\n"
        f"To: <{uri}>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 {method}\r\n{headers}Content-Length: 0\r\n\r\n"
    ).encode()


def udp_request(
    port: int,
    method: str,
    uri: str,
    timeout: float = 2.0,
    *,
    host: str = HOST,
    source: str = HOST,
    headers: str = "",
) -> str | None:
    """Send one request to `host`:`port` over UDP from `source`; the first reply, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        request = sip_request(
            method,
            uri,
            transport="udp",
            local_port=sock.getsockname()[1],
            local_host=source,
            headers=headers,
        )
        sock.sendto(request, (host, port))
        readable, _, _ = select.select([sock], [], [], timeout)
        if not readable:
            return None
        try:
            return sock.recv(65535).decode(errors="replace")
        except OSError:  # ICMP port unreachable: nobody bound there (yet)
            return None


def _contact(aor: str, raw: Mapping[str, Any]) -> Contact:
    return Contact(
        aor=aor,
        address=str(raw.get("Address", "")),
        expires=int(raw.get("Expires", 0)) if str(raw.get("Expires", "")).isdigit() else 0,
        received=_unset(raw.get("Received")),
        user_agent=str(raw.get("User-Agent", "")),
        socket=str(raw.get("Socket", "")),
    )


def _unset(value: object) -> str:
    return "" if value in (None, "[not set]") else str(value)


KamailioFactory = Callable[..., Kamailio]
"""Type of the `kamailio_factory` fixture: make(users=None, *, start=True, **kwargs)."""
