"""Privacy: call audio is never written to disk. A headless agent with real (virtual) sound
devices takes a call with a tone on its microphone, under strace; no file is opened for writing
anywhere but device and kernel files (and the sound server's client cookie)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from softphone.core import events as ev
from softphone.sip.engine import SipEngine
from tests.audio.pulse import PulseServer
from tests.audio.tones import tone
from tests.enginekit.accounts import TIMEOUT
from tests.enginekit.agent_process import AgentProcess
from tests.enginekit.recorder import EventRecorder
from tests.enginekit.registrar import kamailio_account
from tests.support.kamailio import Kamailio
from tests.support.process import wait_until

pytestmark = pytest.mark.integration

# openat's first argument is AT_FDCWD or a directory's fd number
_OPEN = re.compile(
    r'^\d+\s+(?:open|openat|openat2|creat)\((?:[^,"]+, )?"([^"]+)", ([^,)]+).*= (\d+)'
)
_MOVE = re.compile(r"^\d+\s+(rename|renameat2?|link|linkat)\(.*= 0$")
_WRITES = ("O_WRONLY", "O_RDWR", "O_CREAT")
_TRACED = "trace=open,openat,openat2,creat,rename,renameat,renameat2,link,linkat"
_DEVICE_FILES = ("/dev/", "/proc/", "/sys/")


def written_files(trace: str, home: Path) -> list[str]:
    """Files opened for writing (or moved) that are neither device/kernel files nor the sound
    server's client cookie in the agent's own home."""
    found = []
    for line in trace.splitlines():
        opened = _OPEN.match(line)
        if opened and any(flag in opened.group(2) for flag in _WRITES):
            path = opened.group(1)
            cookie = path.startswith(str(home)) and Path(path).name == "cookie"
            if not path.startswith(_DEVICE_FILES) and not cookie:
                found.append(line)
        elif _MOVE.match(line):
            found.append(line)
    return found


def test_no_call_audio_reaches_the_disk(
    engine: SipEngine,
    recorder: EventRecorder,
    kam: Kamailio,
    pulse: PulseServer,
    tmp_path: Path,
) -> None:
    strace = shutil.which("strace")
    assert strace, "strace is missing: scripts/test installs it"
    home = tmp_path / "home"
    home.mkdir()
    trace = tmp_path / "agent.strace"
    agent = AgentProcess(
        tmp_path,
        kam,
        "1002",
        "--answer",
        "auto",
        "--audio",
        "system",
        wrapper=(strace, "-f", "-qq", "-o", str(trace), "-e", _TRACED),
        env={"HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1", **pulse.client_env},
    ).start()
    try:
        wait_until(
            lambda: '"state":"registered"' in agent.process.log_text(),
            15,
            "the agent to register",
            details=lambda: agent.process.log_tail(20),
        )
        mic = tmp_path / "mic.raw"
        mic.write_bytes(tone(440.0, 20.0))
        pulse.play_into_mic(mic)
        engine.add_account(kamailio_account(kam, "1001"), "caller").result(TIMEOUT)
        recorder.wait(
            ev.RegistrationChanged, account_id="caller", state=ev.RegistrationState.REGISTERED
        )
        call = engine.make_call("caller", "1002").result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.CONFIRMED)
        # The agent reports its bridge's counters after 5 s of a call: audio really flowed.
        wait_until(
            lambda: '"event":"AudioStats"' in agent.process.log_text(),
            15,
            "the agent's audio stats",
            details=lambda: agent.process.log_tail(20),
        )
        engine.hangup(call).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.DISCONNECTED)
    finally:
        agent.stop()
    stats = [line for line in agent.process.log_text().splitlines() if '"AudioStats"' in line]
    assert '"speaker_fill_ms":0.0' not in stats[0]
    text = trace.read_text()
    assert "openat(" in text  # the trace really recorded the agent's file opens
    assert written_files(text, home) == []


def test_the_trace_check_catches_a_recording(tmp_path: Path) -> None:
    home = tmp_path / "home"
    trace = "\n".join(
        [
            '101 openat(AT_FDCWD, "/dev/snd/pcmC0D0p", O_RDWR|O_NONBLOCK|O_CLOEXEC) = 7',
            f'101 openat(AT_FDCWD, "{home}/.config/pulse/cookie", O_RDWR|O_CREAT, 0600) = 8',
            '101 openat(AT_FDCWD, "/usr/lib/python3.11/json/__init__.py", O_RDONLY|O_CLOEXEC) = 9',
            '102 openat(AT_FDCWD, "/tmp/call-1234.wav", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 10',
            '102 openat(AT_FDCWD, "/tmp/missing", O_WRONLY|O_CREAT, 0666) = -1 EACCES (Denied)',
            '103 rename("/tmp/a.part", "/tmp/a.wav") = 0',
            '104 openat(5, "chunk.raw", O_WRONLY|O_CREAT, 0644) = 11',
        ]
    )
    found = written_files(trace, home)
    assert len(found) == 3
    assert "call-1234.wav" in found[0] and "rename" in found[1] and "chunk.raw" in found[2]
