"""The load run's dialler: VICIdial's side, ringing agents as VICIdial does (sipp).

VICIdial pulls an agent's phone into a session by calling its extension with
``Call-Info: answer-after=0``; the agent's phone answers by itself. :class:`Dialler` does that to
the run's agents through the registrar, at a rate, with at most ``concurrent`` calls up at once,
each held ``hold_s`` while the agent's audio is echoed back. It is sipp (Debian: sip-tester)
playing ``sipp/dialler.xml``, a child process stopped by its PID. The registrar must trust its
source address (the employer's own servers are not firewalled): :attr:`source` says which, before
the first call goes out.
"""

from __future__ import annotations

import csv
import io
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from softphone.core.errors import ConfigError
from softphone.emulator.registrar import free_udp_port

_STOP_S = 10.0


@dataclass(frozen=True, slots=True)
class DiallerResult:
    """sipp's own count of the calls it made."""

    successful: int
    failed: int
    rtd_ms: float  # the mean time from INVITE to the agent's 200 OK, as sipp measured it


def _rtd_ms(value: str) -> float:
    """sipp's ``ResponseTime1(C)``: ``HH:MM:SS:mmm000``."""
    try:
        hours, minutes, seconds, micro = value.split(":")
        return (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 1000 + int(micro) / 1000
    except ValueError:
        return 0.0


class Dialler:
    """Rings ``extensions`` in turn through ``registrar`` (``host:port``)."""

    def __init__(
        self,
        registrar: str,
        extensions: Sequence[str],
        workdir: Path,
        *,
        concurrent: int,
        rate_per_s: float,
        hold_s: float,
        host: str = "127.0.0.1",
    ) -> None:
        sipp = shutil.which("sipp")
        if sipp is None:
            raise ConfigError("The dialler needs sipp: install it (Debian: sip-tester).")
        if not extensions or concurrent < 1 or rate_per_s <= 0 or hold_s <= 0:
            raise ConfigError("The dialler needs extensions, a rate, a call limit and a hold time.")
        self._sipp = sipp
        self._registrar = registrar
        self._workdir = workdir
        self._concurrent = concurrent
        self._rate = rate_per_s
        self._hold_ms = round(hold_s * 1000)
        self._host = host
        self.port = free_udp_port(host)
        self._targets = workdir / "dialler-targets.csv"
        self._stats = workdir / "dialler-stats.csv"
        self._log = workdir / "dialler.log"
        self._targets.write_text("SEQUENTIAL\n" + "".join(f"{e};\n" for e in extensions))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def source(self) -> str:
        """``ip:port`` the calls come from (for the registrar to trust)."""
        return f"{self._host}:{self.port}"

    def start(self) -> None:
        scenario = resources.files("softphone.load") / "sipp" / "dialler.xml"
        media_port = free_udp_port(self._host)
        argv = [
            self._sipp, self._registrar, "-sf", str(scenario), "-inf", str(self._targets),
            "-i", self._host, "-p", str(self.port), "-mi", self._host, "-mp", str(media_port),
            "-r", f"{self._rate:g}", "-rp", "1000", "-l", str(self._concurrent),
            "-d", str(self._hold_ms), "-rtp_echo", "-nostdin", "-recv_timeout", "30000",
            "-trace_stat", "-stf", str(self._stats), "-fd", "1",
        ]  # fmt: skip
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def finish(self, timeout_s: float) -> DiallerResult:
        """Stop placing calls and let those up end as planned (sipp's SIGUSR1), then say what
        sipp counted; what is still up after ``timeout_s`` is cut."""
        if not self._signal(signal.SIGUSR1, timeout_s):
            return self.stop()
        return self.result()

    def stop(self) -> DiallerResult:
        """Stop ringing (calls up are cut) and say what sipp counted."""
        if not self._signal(signal.SIGTERM, _STOP_S) and self._process is not None:
            self._process.kill()
            self._process.wait(_STOP_S)
        return self.result()

    def _signal(self, sig: signal.Signals, timeout_s: float) -> bool:
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

    def result(self) -> DiallerResult:
        try:
            rows = list(csv.DictReader(io.StringIO(self._stats.read_text()), delimiter=";"))
        except OSError:
            rows = []
        last = rows[-1] if rows else {}

        def count(column: str) -> int:
            try:
                return int(last.get(column) or 0)
            except ValueError:
                return 0

        return DiallerResult(
            successful=count("SuccessfulCall(C)"),
            failed=count("FailedCall(C)"),
            rtd_ms=_rtd_ms(last.get("ResponseTime1(C)", "")),
        )
