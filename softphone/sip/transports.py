"""SIP transports: one per (protocol, CA file), shared by the accounts that use it.

Runs on the SIP thread only.
"""

from __future__ import annotations

from pathlib import Path

import pjsua2 as pj

from softphone.core.errors import ConfigError, EngineError, LimitExceeded
from softphone.core.models import Transport
from softphone.core.values import value_class
from softphone.sip.pjerror import pj_message

_IPPROTO_TCP = 6
_TCP_NODELAY = 1
_PJ_TYPES = {
    Transport.UDP: pj.PJSIP_TRANSPORT_UDP,
    Transport.TCP: pj.PJSIP_TRANSPORT_TCP,
    Transport.TLS: pj.PJSIP_TRANSPORT_TLS,
}


def _nodelay() -> pj.SockOptParams:
    # Without TCP_NODELAY every request/response round on TCP/TLS waits ~45 ms for Nagle.
    params = pj.SockOptParams()
    opt = pj.SockOpt()
    opt.level = _IPPROTO_TCP
    opt.optName = _TCP_NODELAY
    opt.setOptValInt(1)
    params.sockOpts.append(opt)
    return params


def set_tls_versions(tls: pj.TlsConfig) -> None:
    """TLS 1.2 or newer (what the OpenSSL in the wheel speaks of it; see docs/platforms.md)."""
    tls.method = pj.PJSIP_TLSV1_2_METHOD
    tls.proto = pj.PJ_SSL_SOCK_PROTO_TLS1_2 | pj.PJ_SSL_SOCK_PROTO_TLS1_3


def system_ca_file() -> str:
    """The system CA bundle OpenSSL would use, for servers with publicly issued certificates."""
    import ssl  # only for TLS accounts without a CA file of their own

    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"):
        if candidate and Path(candidate).is_file():
            return candidate
    return ""


# PJSUA_MAX_TRANSPORTS: pjsua holds 8 transports, the engine's wake transport among them
MAX_TRANSPORTS = 8


@value_class
class TransportKey:
    kind: Transport
    ca_file: str = ""
    bind: str = ""  # "" : the pool's address


class TransportPool:
    """Creates transports lazily and hands out their ids."""

    def __init__(self, endpoint: pj.Endpoint, bind_address: str) -> None:
        self._ep = endpoint
        self._bind = bind_address
        self._ids: dict[TransportKey, int] = {}

    def get(self, kind: Transport, ca_file: str = "", verify: bool = True, bind: str = "") -> int:
        """The transport for ``kind`` (and CA file), on ``bind`` ("": the pool's address)."""
        key = TransportKey(kind, ca_file if kind is Transport.TLS else "", bind)
        if key not in self._ids and len(self._ids) >= MAX_TRANSPORTS - 1:
            raise LimitExceeded(
                f"At most {MAX_TRANSPORTS - 1} SIP transports (a protocol on a local address) "
                "can be open at once."
            )
        if key not in self._ids:
            self._ids[key] = self._create(kind, ca_file, verify, bind or self._bind)
        return self._ids[key]

    def local_names(self) -> dict[str, str]:
        """``transport → host:port`` as the transports publish them (for diagnostics and demos);
        one bound to an account's own address is ``transport@address``."""
        names = {}
        for key, tid in self._ids.items():
            name = f"{key.kind.value}@{key.bind}" if key.bind else key.kind.value
            names[name] = str(self._ep.transportGetInfo(tid).localName)
        return names

    def _create(self, kind: Transport, ca_file: str, verify: bool, bind: str) -> int:
        cfg = pj.TransportConfig()
        cfg.port = 0
        if bind not in ("", "0.0.0.0", "::"):
            cfg.boundAddress = bind
        if kind is not Transport.UDP:
            cfg.sockOptParams = _nodelay()
        if kind is Transport.TLS:
            tls = cfg.tlsConfig
            tls.sockOptParams = _nodelay()
            ca = ca_file or system_ca_file()
            if verify and not ca:
                raise ConfigError(
                    "No CA certificates were found to verify the SIP server's TLS certificate."
                )
            if ca and not Path(ca).is_file():
                raise ConfigError(f"The CA certificate file '{ca}' does not exist.")
            tls.CaListFile = ca
            tls.verifyServer = verify
            set_tls_versions(tls)
            tls.msecTimeout = 10000
        try:
            return int(self._ep.transportCreate(_PJ_TYPES[kind], cfg))
        except pj.Error as err:
            where = bind if bind not in ("", "0.0.0.0", "::") else "any address"
            raise EngineError(
                f"No SIP {kind.value.upper()} socket could be opened on {where} "
                f"({pj_message(err)}). Check the local address the phone binds to."
            ) from None


def create_wake_transport(endpoint: pj.Endpoint) -> tuple[int, int]:
    """A loopback UDP transport that only receives CRLF keep-alives from our own command queue.

    pjsip treats a bare CRLF datagram as a keep-alive and drops it silently, but receiving it
    ends ``libHandleEvents`` at once: the SIP thread can sleep in long polls (low idle CPU) and
    still run a queued command within microseconds. Returns (transport id, port).
    """
    cfg = pj.TransportConfig()
    cfg.port = 0
    cfg.boundAddress = "127.0.0.1"
    tid = int(endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, cfg))
    info = endpoint.transportGetInfo(tid)
    port = int(str(info.localName).rsplit(":", 1)[1])
    return tid, port
