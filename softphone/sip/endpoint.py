"""The pjsua2 Endpoint of the SIP stack and how it is configured: one thread (``threadCnt=0``,
``mainThreadOnly``: every callback runs on the SIP thread inside ``libHandleEvents``), the call
limit, the user agent, the redacting log writer, no VAD; ``libCreate``'s early stdout kept quiet.

``SipStack.start`` uses these on the SIP thread; the stack holds the Endpoint for its whole life
(a collected Endpoint invalidates its accounts) until ``libDestroy``.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pjsua2 as pj

from softphone.core.models import EngineConfig
from softphone.sip.calls import MAX_CALLS
from softphone.sip.logwriter import TRACE_LEVEL, RedactingLogWriter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_log = logging.getLogger(__name__)


@contextmanager
def quiet_stdout() -> Iterator[None]:
    # libCreate prints a few lines to fd 1 before any log config applies; the headless agent's
    # --json output is parsed line by line, so those lines must not reach it.
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _flush_c_stdio() -> None:
    # pjlib printf()s into the C library's stdout buffer, which is flushed only when full or at
    # exit unless Python runs unbuffered: flush it while fd 1 is still /dev/null.
    try:
        libc = ctypes.cdll.ucrtbase if sys.platform == "win32" else ctypes.CDLL(None)
        libc.fflush(None)
    except (OSError, AttributeError):
        pass


class SipEndpoint(pj.Endpoint):  # type: ignore[misc]
    """Remembers why TLS connections failed, reports lost TCP/TLS connections, and lets the
    calls refuse an incoming INVITE before pjsua opens its media sockets."""

    def __init__(
        self, on_connection_lost: Callable[[], None], on_select_account: Callable[[Any], None]
    ) -> None:
        super().__init__()
        self.tls_failure = ""
        self._on_connection_lost = on_connection_lost
        self._on_select_account = on_select_account

    def onSelectAccount(self, prm: Any) -> None:
        try:
            self._on_select_account(prm)
        except Exception:  # the account pjsua chose stands
            _log.exception("onSelectAccount failed")

    def onTransportState(self, prm: Any) -> None:
        try:
            info = prm.tlsInfo
            if not info.isEmpty() and info.verifyStatus != 0:
                msgs = "; ".join(str(m) for m in info.verifyMsgs) or "verification failed"
                self.tls_failure = msgs
            if prm.state == pj.PJSIP_TP_STATE_DISCONNECTED:
                self._on_connection_lost()
        except Exception:
            _log.exception("onTransportState failed")


def endpoint_config(config: EngineConfig, level: int, writer: RedactingLogWriter) -> pj.EpConfig:
    """The ``EpConfig`` for ``libInit``; ``level`` is pjlib's log level for ``config.sip_trace``."""
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = MAX_CALLS
    cfg.uaConfig.userAgent = config.user_agent
    cfg.logConfig.writer = writer
    cfg.logConfig.level = level  # pjlib's level: what is formatted at all (set_sip_trace)
    # pjsua passes to the writer what is within consoleLevel, and logs SIP messages only
    # with msgLogging set at libInit: both ready for a trace switched on later.
    cfg.logConfig.consoleLevel = max(config.log_level, TRACE_LEVEL)
    cfg.logConfig.msgLogging = 1
    cfg.logConfig.decor = 0
    cfg.medConfig.noVad = True
    return cfg
