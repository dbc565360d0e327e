"""pjsua2's log output, redacted, into Python logging.

pjsua2 calls :meth:`write` from whichever pjsip thread logs (the SIP thread or the media clock
thread); Python logging is thread-safe and the secrets tuples are replaced, never mutated.
"""

from __future__ import annotations

import logging
from typing import Any

import pjsua2 as pj

from softphone.core.redact import redact_sip

_log = logging.getLogger("softphone.sip.pjsip")
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}


TRACE_LEVEL = 4  # pjsua logs each SIP message at this level (LogConfig.msgLogging)


class RedactingLogWriter(pj.LogWriter):  # type: ignore[misc]
    """Passes on entries up to ``level`` (0: none), redacted.

    pjsua2 fixes its own log level and message logging at ``libInit`` and has no call to change
    them later, so the stack asks pjsip for everything up to TRACE_LEVEL and this writer's
    ``level`` (a plain attribute, read by any pjsip thread) decides what is kept: the SIP trace
    can then start and stop while the engine runs. A dropped entry costs the director call only.
    """

    def __init__(self, level: int = 0) -> None:
        super().__init__()
        self.level = level
        self.secrets: tuple[str, ...] = ()
        self.identifiers: tuple[str, ...] = ()
        self.dropped = 0  # entries below the trace's level, for the cost figure

    def write(self, entry: Any) -> None:
        try:
            level = int(entry.level)
            if level > self.level:
                self.dropped += 1
                return
            text = redact_sip(str(entry.msg).rstrip(), self.secrets, self.identifiers)
            _log.log(_LEVELS.get(level, logging.DEBUG), "%s", text)
        except Exception:  # noqa: S110 - a failing log line must never reach pjsip
            pass
