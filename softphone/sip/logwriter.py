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


class RedactingLogWriter(pj.LogWriter):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()
        self.identifiers: tuple[str, ...] = ()

    def write(self, entry: Any) -> None:
        try:
            text = redact_sip(str(entry.msg).rstrip(), self.secrets, self.identifiers)
            _log.log(_LEVELS.get(int(entry.level), logging.DEBUG), "%s", text)
        except Exception:  # noqa: S110 - a failing log line must never reach pjsip
            pass
