"""What this build of pjsua2 can do on this platform, found at each engine start (SIP thread).

The wheels differ (docs/platforms.md): the Linux extension module exports pjlib's and pjsip's C
functions and bundles OpenSSL 1.0.2; the Windows one exports only ``PyInit__pjsua2`` and links
no TLS library; the macOS one bundles OpenSSL 3. Rather than trust a table, the engine asks the
library it loaded, between ``libInit`` and the first account:

- TLS: a TLS listener is created on 127.0.0.1 (any port) and closed again. The engine's own TLS
  transports are made per CA file when an account needs one, so this one cannot be kept for
  them. pjsua answers ``PJSIP_EUNSUPTRANSPORT`` when pjsip was built without TLS; any other
  failure (no loopback, say) proves nothing, so TLS stays assumed and the account's own
  transport reports what is wrong.
- The C functions the ctypes-based features call are looked up through :func:`c_functions`,
  the one lookup those features use themselves (``logwriter.pj_log_level_setter``,
  ``unhandled.UnhandledRequests``): what is reported is what they get.

The whole probe costs one transport create and close and a few symbol lookups (well under a
millisecond here; ``Capabilities.probe_ms`` says how long it took).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import re
import time

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.models import SipAccountConfig, Transport
from softphone.sip.errors import TlsUnavailable
from softphone.sip.pjerror import pj_detail
from softphone.sip.transports import set_tls_versions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_log = logging.getLogger(__name__)

# pjsua's answer for a transport type pjsip was built without (pjsua_transport_create), and
# pjlib's "not supported" (an SSL socket without a backend).
PJSIP_EUNSUPTRANSPORT = 171060
PJ_ENOTSUP = 70012
_NOT_BUILT = frozenset({PJSIP_EUNSUPTRANSPORT, PJ_ENOTSUP})
_OPENSSL = re.compile(r"OpenSSL (\d+)\.(\d+)\.(\d+)")


# ---- the extension module's C functions --------------------------------------------------------


@functools.cache
def _extension() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(pj._pjsua2.__file__)
    except (OSError, AttributeError):
        return None


def c_functions(*names: str) -> tuple[Any, ...] | None:
    """The C functions ``names`` as the loaded pjsua2 extension module reaches them (its own
    exports and its libraries'), each a fresh ctypes function to give its own signature; None
    where any is missing (the Windows wheel exports nothing but ``PyInit__pjsua2``)."""
    lib = _extension()
    if lib is None:
        return None
    try:
        return tuple(lib[name] for name in names)
    except AttributeError:
        return None


def openssl_version() -> str:
    """The version text of the OpenSSL the SIP library uses, or "" where it cannot be read."""
    for name in ("OpenSSL_version", "SSLeay_version"):  # OpenSSL 1.1 and newer; 1.0
        found = c_functions(name)
        if found is None:
            continue
        (function,) = found
        function.argtypes = (ctypes.c_int,)
        function.restype = ctypes.c_char_p
        text = function(0)  # OPENSSL_VERSION, SSLEAY_VERSION: "OpenSSL 1.0.2k-fips  26 Jan 2017"
        return " ".join(text.decode("ascii", "replace").split()) if text else ""
    return ""


def tls_max_version(openssl: str) -> str:
    """The newest TLS an OpenSSL release speaks: 1.3 from 1.1.1 on; "" when not OpenSSL."""
    match = _OPENSSL.match(openssl)
    if match is None:
        return ""
    version = tuple(int(part) for part in match.groups())
    if version >= (1, 1, 1):
        return "1.3"
    return "1.2" if version >= (1, 0, 1) else "1.0"


# ---- the platform ------------------------------------------------------------------------------


def platform_name() -> str:
    """'Linux x86_64', 'Windows AMD64', 'macOS arm64'."""
    if hasattr(os, "uname"):
        # What platform.system() and machine() read on POSIX, without importing platform (a
        # start-up cost: this runs at every engine start, before the first REGISTER).
        uname = os.uname()
        system, machine = uname.sysname, uname.machine
    else:
        import platform

        system, machine = platform.system(), platform.machine()
    system = {"Darwin": "macOS"}.get(system, system)
    return f"{system} {machine}".strip()


def system_of(platform_text: str) -> str:
    """The operating system's name in a :func:`platform_name` text."""
    return platform_text.split(" ", 1)[0] or "this platform"


# ---- TLS ---------------------------------------------------------------------------------------


def create_tls_probe(ep: Any) -> int:
    """A TLS listener on loopback with the engine's TLS versions; its transport id."""
    cfg = pj.TransportConfig()
    cfg.port = 0
    cfg.boundAddress = "127.0.0.1"
    set_tls_versions(cfg.tlsConfig)
    cfg.tlsConfig.verifyServer = False  # nothing connects to it: it is closed at once
    return int(ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, cfg))


def probe_tls(ep: Any) -> tuple[bool, str]:
    """Whether a TLS transport can be created, and pjsip's reason when not."""
    try:
        tid = create_tls_probe(ep)
    except pj.Error as err:
        detail = pj_detail(err)
        if int(getattr(err, "status", 0)) in _NOT_BUILT:
            return False, detail
        _log.warning("could not check for SIP over TLS: %s", detail)
        return True, f"not checked: {detail}"
    ep.transportClose(tid)
    return True, ""


# ---- all of it ---------------------------------------------------------------------------------


def probe(ep: Any, *, live_sip_trace: bool, unhandled_501: bool, began: float) -> ev.Capabilities:
    """The capabilities of the library ``ep`` runs on (SIP thread, after ``libInit``).

    ``live_sip_trace`` and ``unhandled_501`` are what the engine's own lookups found;
    ``began`` is the ``time.perf_counter()`` when the engine started looking.
    """
    tls, why_not = probe_tls(ep)
    openssl = openssl_version() if tls else ""
    if tls and not why_not:
        newest = tls_max_version(openssl)
        detail = f"{openssl}: TLS {newest} at most" if newest else openssl or "available"
    else:
        newest, detail = "", why_not
    return ev.Capabilities(
        platform=platform_name(),
        pjsua2_version=str(getattr(pj, "__version__", "")),
        pjsip_version=str(ep.libVersion().full),
        tls=tls,
        tls_detail=detail,
        live_sip_trace=live_sip_trace,
        unhandled_501=unhandled_501,
        openssl=openssl,
        tls_max_version=newest,
        probe_ms=round((time.perf_counter() - began) * 1000, 3),
    )


def check_account(capabilities: ev.Capabilities | None, config: SipAccountConfig) -> None:
    """Raise ``TlsUnavailable`` for an account provisioned with TLS where there is no TLS
    (before anything is created or sent); None: not probed (yet), nothing is refused."""
    if capabilities is not None and config.transport is Transport.TLS and not capabilities.tls:
        raise TlsUnavailable.on(system_of(capabilities.platform))
