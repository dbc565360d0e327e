"""pjsua2's log output, redacted, into Python logging.

pjsua2 calls :meth:`write` from whichever pjsip thread logs (the SIP thread or the media clock
thread); Python logging is thread-safe and the secrets tuples are replaced, never mutated.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable

import pjsua2 as pj

from softphone.core.redact import redact_sip
from softphone.sip.capabilities import c_functions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_log = logging.getLogger("softphone.sip.pjsip")
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}


TRACE_LEVEL = 4  # pjsua logs each SIP message at this level (LogConfig.msgLogging)


def pj_log_level_setter() -> Callable[[int], None] | None:
    """pjlib's ``pj_log_set_level`` in the loaded pjsua2 module, or None where the module does
    not export it (then ``Capabilities.live_sip_trace`` is false).

    pjsua2 fixes the log level at ``libInit`` and wraps no call to change it, but the extension
    module exports pjlib's C functions where its platform exports a shared object's symbols by
    default (the Linux wheel: checked by tests/integration/test_engine_sip_trace.py). The level
    is one global integer that every ``PJ_LOG`` compares before it formats anything, so while it
    is below TRACE_LEVEL a SIP message costs no log line and no call into Python.
    """
    found = c_functions("pj_log_set_level")
    if found is None:
        return None
    (function,) = found
    function.argtypes = [ctypes.c_int]
    function.restype = None
    setter: Callable[[int], None] = function
    return setter


class RedactingLogWriter(pj.LogWriter):  # type: ignore[misc]
    """Passes pjsip's entries up to ``level`` (0: none) on to Python logging, redacted.

    pjsip itself drops what is above its own level before it reaches this writer; ``level`` is the
    same bound kept here as well, so a level pjsip could not lower (no ``pj_log_level_setter``)
    still keeps the trace out of the log.
    """

    def __init__(self, level: int = 0) -> None:
        super().__init__()
        self.level = level
        self.secrets: tuple[str, ...] = ()
        self.identifiers: tuple[str, ...] = ()

    def write(self, entry: Any) -> None:
        try:
            level = int(entry.level)
            if level > self.level:
                return
            text = redact_sip(str(entry.msg).rstrip(), self.secrets, self.identifiers)
            _log.log(_LEVELS.get(level, logging.DEBUG), "%s", text)
        except Exception:  # noqa: S110 - a failing log line must never reach pjsip
            pass
