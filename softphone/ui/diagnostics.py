"""The SIP trace file and "Export diagnostics…": a zip a user can send to support.

The trace is pjsua2's log (already redacted by ``sip.logwriter``) written to ``sip-trace.log``
in the platformdirs log directory while the user has SIP trace on. The export holds version
information, what this platform's SIP library can do (the engine's ``Capabilities``), the
settings (which never hold a secret), how this run's recent calls sounded (``calls``:
``core.quality_log``'s figures, which hold no number, name or address) and the logs found in
that directory, every line scrubbed again on the way into the zip: digest credentials and URI
passwords (``redact_sip``), ``password=…``/``token: …``-style values, bearer tokens, and any
value the app knows to be secret. Callers' numbers and names are masked too (``mask_people``:
the user part of SIP URIs, display names, bare numbers) unless the person ticks "Include phone
numbers". Nothing else is collected and nothing is sent anywhere. The zip is created 0600 where
the person chose.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import logging.handlers
import os
import platform
import re
import sys
import threading
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from softphone import __version__
from softphone.core.errors import NotDeleted
from softphone.core.quality_log import CallQualityEntry
from softphone.core.redact import REDACTED, mask_people, redact_sip
from softphone.storage.private_files import open_private, private_dir, private_file
from softphone.storage.settings import APP_DIR_NAME, AppSettings

TRACE_LOGGER: Final = "softphone.sip.pjsip"
TRACE_FILE: Final = "sip-trace.log"
_MAX_LOG_BYTES: Final = 2_000_000
_LOG_SUFFIXES: Final = (".log", ".log.1", ".log.2")

_SENSITIVE = r"(?:password|passwd|pwd|secret|token|api[_-]?key|pin|session|authorization)"
# key=value, key: value, "key": "value" (quoted or bare values)
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?\b[\w-]*{_SENSITIVE}[\w-]*["']?\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s,;&{}\[\]]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def default_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


def scrub(text: str, secrets: Sequence[str] = (), *, numbers: bool = True) -> str:
    """Remove credentials from a log before it leaves the machine (see the module doc); unless
    ``numbers``, mask callers' numbers and names too (``mask_people``)."""
    text = redact_sip(text, tuple(s for s in secrets if s))
    if not numbers:
        text = mask_people(text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)

    def value(match: re.Match[str]) -> str:
        quoted = match.group("value")[:1] in "\"'"
        mark = match.group("value")[0] if quoted else ""
        return f"{match.group('key')}{mark}{REDACTED}{mark}"

    return _KEY_VALUE.sub(value, text)


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        return True


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating log file created 0600 (``private_files``), however often it is reopened."""

    def _open(self) -> io.TextIOWrapper:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: PTH123

    def erase(self) -> list[tuple[Path, str]]:
        """Close the file and delete it and its rotated copy, under the handler's lock so no
        line is written meanwhile (the next one starts a new file). Returns what is left."""
        base = Path(self.baseFilename)
        self.acquire()
        try:
            if self.stream is not None:
                stream, self.stream = self.stream, None
                stream.close()
            return _delete(base, base.with_name(f"{base.name}.1"))
        finally:
            self.release()


class TraceLog:
    """Writes the SIP trace logger to ``sip-trace.log`` (rotated at 2 MB, one old file kept)
    while attached; the app attaches it when the user turns SIP trace on. The files are 0600 in a
    0700 folder, and :meth:`erase` deletes them when a session ends (a sign-out's wipe).

    ``attach``/``detach`` run on the GUI thread, ``erase`` on the session's worker thread."""

    def __init__(self, log_dir: Path | None = None) -> None:
        self.log_dir = log_dir or default_log_dir()
        self._handler: _PrivateRotatingFile | None = None
        self._lock = threading.Lock()
        if self.log_dir.is_dir():  # a trace an older version left wider, the trace off or on
            self._tighten()

    @property
    def path(self) -> Path:
        return self.log_dir / TRACE_FILE

    @property
    def attached(self) -> bool:
        return self._handler is not None

    def attach(self) -> None:
        with self._lock:
            if self._handler is not None:
                return
            self._tighten()
            handler = _PrivateRotatingFile(
                self.path, maxBytes=_MAX_LOG_BYTES, backupCount=1, encoding="utf-8"
            )
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            handler.addFilter(_ScrubFilter())
            logger = logging.getLogger(TRACE_LOGGER)
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            self._handler = handler

    def detach(self) -> None:
        with self._lock:
            handler, self._handler = self._handler, None
        if handler is not None:
            logging.getLogger(TRACE_LOGGER).removeHandler(handler)
            handler.close()

    def erase(self) -> None:
        """Delete the trace and its rotated copy (a session's wipe). While the trace is on it
        goes on in a new file. Raises ``NotDeleted`` naming the file that is left."""
        with self._lock:
            handler = self._handler
            left = handler.erase() if handler is not None else _delete(*self._files())
        if left:
            path, why = left[0]
            raise NotDeleted("the SIP trace", str(path), why)

    def _files(self) -> tuple[Path, Path]:
        return self.path, self.log_dir / f"{TRACE_FILE}.1"

    def _tighten(self) -> None:
        private_dir(self.log_dir, owned_from=APP_DIR_NAME)
        for path in self._files():
            private_file(path)


def _delete(*paths: Path) -> list[tuple[Path, str]]:
    """Delete ``paths``; what could not be deleted, with why."""
    left = []
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as err:
            left.append((path, err.strerror or str(err)))
    return left


class Diagnostics:
    """Builds the diagnostics zip; ``secrets`` gives values to scrub that the app knows (e.g.
    the signed-in account's passwords), read at export time and never stored here; ``calls``
    gives the recent calls' quality (``call-quality.json``; left out without it)."""

    def __init__(
        self,
        log_dir: Path | None = None,
        secrets: Callable[[], Sequence[str]] | None = None,
        calls: Callable[[], Sequence[CallQualityEntry]] | None = None,
    ) -> None:
        self.log_dir = log_dir or default_log_dir()
        self._secrets = secrets or tuple
        self._calls = calls

    def log_files(self) -> list[Path]:
        if not self.log_dir.is_dir():
            return []
        return sorted(
            p for p in self.log_dir.iterdir() if p.is_file() and p.name.endswith(_LOG_SUFFIXES)
        )

    def export(
        self,
        dest: Path,
        settings: AppSettings,
        info: Mapping[str, str] | None = None,
        capabilities: Mapping[str, object] | None = None,
        *,
        include_numbers: bool = False,
    ) -> Path:
        """Write the zip to ``dest`` (created 0600: it is the person's until they send it);
        blocking (run it off the GUI thread). Phone numbers and names in the logs are masked
        unless ``include_numbers``."""
        secrets = tuple(self._secrets())
        with (
            os.fdopen(open_private(dest), "wb") as out,
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        ):
            zf.writestr("version.txt", version_text(info or {}))
            if capabilities is not None:
                found = json.dumps(dict(capabilities), indent=2, sort_keys=True)
                zf.writestr("capabilities.json", scrub(found, secrets))
            settings_json = json.dumps(settings.to_json(), indent=2, sort_keys=True)
            zf.writestr("settings.json", scrub(settings_json, secrets))
            if self._calls is not None:
                zf.writestr("call-quality.json", scrub(call_quality_json(self._calls()), secrets))
            for path in self.log_files():
                try:
                    raw = path.read_bytes()[-_MAX_LOG_BYTES * 2 :]
                except OSError:
                    continue
                text = raw.decode("utf-8", errors="replace")
                zf.writestr(f"logs/{path.name}", scrub(text, secrets, numbers=include_numbers))
        return dest


def call_quality_json(calls: Sequence[CallQualityEntry]) -> str:
    """The recent calls' quality, newest first: figures, direction and time, never who."""
    return json.dumps({"calls": [c.to_dict() for c in reversed(calls)]}, indent=2)


def version_text(info: Mapping[str, str]) -> str:
    lines = {
        "app": f"VICIfast Desktop {__version__}",
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    try:
        import PySide6
        from PySide6.QtCore import qVersion

        lines["qt"] = f"PySide6 {PySide6.__version__}, Qt {qVersion()}"
    except ImportError:  # pragma: no cover - the GUI always has it
        pass
    lines.update(info)
    return "".join(f"{key}: {value}\n" for key, value in lines.items())
