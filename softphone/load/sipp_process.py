"""One sipp child process of a load run (the dialler's or the counterpart's), and what its
statistics file says: :class:`SippProcess`.

sipp writes a ``-trace_stat`` row a second (``-fd 1``); its counters are cumulative, so the last
whole row is the run's count so far. The process is stopped by its PID.
"""

from __future__ import annotations

import csv
import io
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from softphone.core.errors import ConfigError

_STOP_S = 10.0
_TAIL_BYTES = 8192  # what is read of the statistics file to find its last row


def sipp_binary(role: str) -> str:
    """sipp's path; ConfigError naming ``role`` (who needs it) when it is not installed."""
    sipp = shutil.which("sipp")
    if sipp is None:
        raise ConfigError(f"{role} needs sipp: install it (Debian: sip-tester).")
    return sipp


class SippProcess:
    """sipp run in ``workdir`` (where its scenario finds the audio it plays), its output in
    ``log`` and its statistics in ``stats``."""

    def __init__(self, workdir: Path, stats: Path, log: Path) -> None:
        self.workdir = workdir
        self.stats = stats
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, argv: Sequence[str]) -> None:
        """Start ``argv`` (sipp and its arguments, less the statistics ones, added here)."""
        command = [*argv, "-nostdin", "-trace_stat", "-stf", str(self.stats), "-fd", "1"]
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def signal(self, sig: signal.Signals, timeout_s: float) -> bool:
        """Send ``sig`` to a running sipp; whether it has ended within ``timeout_s``."""
        process = self._process
        if process is None or process.poll() is not None:
            return True
        process.send_signal(sig)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> None:
        """End sipp (calls still up are cut): SIGTERM, then SIGKILL if it lingers."""
        if not self.signal(signal.SIGTERM, _STOP_S) and self._process is not None:
            self._process.kill()
            self._process.wait(_STOP_S)

    def last_row(self) -> dict[str, str]:
        """sipp's latest whole statistics row ({} before its first)."""
        try:
            with self.stats.open("rb") as rows:
                header = rows.readline().decode(errors="replace").rstrip("\n")
                rows.seek(max(rows.tell(), rows.seek(0, io.SEEK_END) - _TAIL_BYTES))
                lines = rows.read().decode(errors="replace").split("\n")[:-1]  # whole lines
        except OSError:
            return {}
        names = header.split(";")
        for line in reversed(lines):
            values = line.split(";")
            if len(values) >= len(names) - 1 and values != names:
                return next(csv.DictReader(io.StringIO(f"{header}\n{line}\n"), delimiter=";"))
        return {}

    def count(self, column: str, row: Mapping[str, str] | None = None) -> int:
        """A counter of ``row`` (the file read once for several counters), else of the latest
        row; 0 when there is none yet."""
        try:
            return int((self.last_row() if row is None else row).get(column) or 0)
        except ValueError:
            return 0

    def calls_up(self) -> int:
        """The calls up at once, as of sipp's latest row (written every second)."""
        return self.count("CurrentCall")
