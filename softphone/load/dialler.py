"""The load run's dialler: VICIdial's side, ringing agents as VICIdial does (sipp).

VICIdial pulls an agent's phone into a session by calling its extension with
``Call-Info: answer-after=0``; the agent's phone answers by itself. :class:`Dialler` does that to
the run's agents through the registrar, at a rate, with at most ``concurrent`` calls up at once,
each held ``hold_s`` while speech plays to the agent (:mod:`softphone.load.counterpart`'s
``write_speech``). It is sipp (Debian: sip-tester) playing ``sipp/dialler.xml``, a child
process stopped by its PID. The registrar must trust its source address (the employer's own
servers are not firewalled): :attr:`source` says which, before the first call goes out.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from softphone.core.errors import ConfigError
from softphone.emulator.registrar import free_udp_port
from softphone.load.counterpart import SPEECH_FILE, write_speech
from softphone.load.sipp_process import SippProcess, sipp_binary

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
        sipp = sipp_binary("The dialler")
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
        self._targets.write_text("SEQUENTIAL\n" + "".join(f"{e};\n" for e in extensions))
        write_speech(workdir / SPEECH_FILE)  # dialler.xml plays it, from sipp's working dir
        self._sipp_run = SippProcess(
            workdir, workdir / "dialler-stats.csv", workdir / "dialler.log"
        )

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
            "-d", str(self._hold_ms), "-recv_timeout", "30000",
        ]  # fmt: skip
        self._sipp_run.start(argv)

    @property
    def running(self) -> bool:
        return self._sipp_run.running

    def finish(self, timeout_s: float) -> DiallerResult:
        """Stop placing calls and let those up end as planned (sipp's SIGUSR1), then say what
        sipp counted; what is still up after ``timeout_s`` is cut."""
        if not self._sipp_run.signal(signal.SIGUSR1, timeout_s):
            return self.stop()
        return self.result()

    def stop(self) -> DiallerResult:
        """Stop ringing (calls up are cut) and say what sipp counted."""
        self._sipp_run.stop()
        return self.result()

    def calls_up(self) -> int:
        """The calls up at once in sipp's latest statistics row (written every second)."""
        return self._sipp_run.calls_up()

    def result(self) -> DiallerResult:
        row = self._sipp_run.last_row()
        return DiallerResult(
            successful=self._sipp_run.count("SuccessfulCall(C)", row),
            failed=self._sipp_run.count("FailedCall(C)", row),
            rtd_ms=_rtd_ms(row.get("ResponseTime1(C)", "")),
        )
