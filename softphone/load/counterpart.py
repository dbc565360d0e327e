"""The far end of the agents' own calls in a load run, and the speech the run's calls carry.

An agent's own call (Locust's ``--vf-call-every``) needs someone to answer it; demo mode's echo
line is one process of 4 calls, so a load run has :class:`Counterpart` answer instead: sipp
(Debian: sip-tester) playing ``sipp/answer.xml``, any number of calls at once, each answered
(100, 180, 200) and carrying speech until the agent hangs up. The registrar routes
:data:`COUNTERPART_NUMBER` to it (:meth:`~softphone.emulator.registrar.Registrar.route`). It is
a child process stopped by its PID.

:func:`write_speech` writes the audio both the counterpart and the dialler play: a few seconds of
a voice-like signal in 8 kHz µ-law, so the agents' phones receive sound, not silence.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from softphone.emulator.registrar import free_udp_port
from softphone.load.sipp_process import SippProcess, sipp_binary

# not an extension of the seed (1001 …), of the load agents (2001 …) or of the demo lines (600)
COUNTERPART_NUMBER = "700"
SPEECH_FILE = "speech.ulaw"  # in sipp's working directory: the scenarios name it so
_SPEECH_S = 4
_RATE = 8000
_STOP_S = 10.0
_DEFAULT_WAIT = 'timeout="3600000"'  # answer.xml's wait for the agent's BYE


def _ulaw(sample: int) -> int:
    """G.711 µ-law of a 16-bit linear sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = min(7, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def write_speech(path: Path) -> Path:
    """Write :data:`SPEECH_FILE`'s audio (:func:`_speech`) to ``path``."""
    path.write_bytes(_speech())
    return path


@functools.cache
def _speech() -> bytes:
    """A voiced sound with a gliding pitch (harmonics of 110-220 Hz), in syllables of about a
    quarter second with short pauses, and a little breath noise. Raw µ-law, 8 kHz, as sipp's
    ``rtp_stream`` plays it. Made once a process: the dialler and the counterpart both play it."""
    noise = random.Random(19)
    out = bytearray()
    phase = 0.0
    for n in range(_SPEECH_S * _RATE):
        t = n / _RATE
        pitch = 165 + 55 * math.sin(2 * math.pi * 0.7 * t)
        phase += 2 * math.pi * pitch / _RATE
        voice = sum(math.sin(k * phase) / k for k in range(1, 6))
        syllable = max(0.0, math.sin(2 * math.pi * 2.2 * t)) ** 0.6
        value = 6000 * syllable * voice + noise.uniform(-300, 300)
        out.append(_ulaw(round(value)))
    return bytes(out)


@dataclass(frozen=True, slots=True)
class CounterpartResult:
    """sipp's own count of the calls it took."""

    answered: int  # calls that ran the whole scenario: answered, held, hung up cleanly
    failed: int


class Counterpart:
    """Answers the calls the registrar routes to it, on ``host`` (a free UDP port)."""

    def __init__(
        self,
        workdir: Path,
        *,
        number: str = COUNTERPART_NUMBER,
        host: str = "127.0.0.1",
        hang_up_after_s: float | None = None,
    ) -> None:
        self._sipp = sipp_binary("The load run's answering side")
        self.number = number
        self._host = host
        self._workdir = workdir
        self.port = free_udp_port(host)
        self._sipp_run = SippProcess(
            workdir, workdir / "counterpart-stats.csv", workdir / "counterpart.log"
        )
        self._scenario = workdir / "counterpart.xml"
        scenario = (resources.files("softphone.load") / "sipp" / "answer.xml").read_text()
        if hang_up_after_s is not None:  # hangs up a call the agent keeps longer, itself
            assert scenario.count(_DEFAULT_WAIT) == 1, "answer.xml's wait for the BYE moved"
            wait = f'timeout="{max(1, round(hang_up_after_s * 1000))}"'
            scenario = scenario.replace(_DEFAULT_WAIT, wait)
        self._scenario.write_text(scenario, encoding="ISO-8859-1")
        write_speech(workdir / SPEECH_FILE)  # answer.xml plays it, from sipp's working dir

    @property
    def source(self) -> str:
        """``ip:port`` its SIP comes from (for the registrar to trust and route to)."""
        return f"{self._host}:{self.port}"

    def start(self) -> None:
        media_port = free_udp_port(self._host)
        argv = [
            self._sipp, "-sf", str(self._scenario), "-i", self._host, "-p", str(self.port),
            "-mi", self._host, "-mp", str(media_port),
        ]  # fmt: skip
        self._sipp_run.start(argv)

    @property
    def running(self) -> bool:
        return self._sipp_run.running

    @property
    def pid(self) -> int | None:
        return self._sipp_run.pid

    def calls_up(self) -> int:
        """The calls up at once, as of sipp's latest statistics row."""
        return self._sipp_run.calls_up()

    def stop(self) -> CounterpartResult:
        """Stop answering (calls still up are cut) and say what sipp counted."""
        self._sipp_run.stop()
        return self.result()

    def result(self) -> CounterpartResult:
        row = self._sipp_run.last_row()
        return CounterpartResult(
            answered=self._sipp_run.count("SuccessfulCall(C)", row),
            failed=self._sipp_run.count("FailedCall(C)", row),
        )
