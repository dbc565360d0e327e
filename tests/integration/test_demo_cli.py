"""`vicifast-phone demo` as a person runs it, one process each: `--direct` (no kamailio even
though it is installed), `--audio system` (the system's default microphone and speaker, here a
private PulseAudio whose null sink is the default device) and `--loopback` (no server at all).
Each must exit 0 having printed its steps, one JSON object per line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.demo.lines import TONE_HZ
from softphone.emulator.registrar import kamailio_path
from tests.audio.pulse import PulseServer
from tests.audio.tones import pcm, tone, tone_fraction, windows
from tests.integration.test_demo import ALL_STEPS
from tests.support.process import ManagedProcess

pytestmark = pytest.mark.integration

DEMO_S = 60.0
MIC_HZ = 700.0  # what the person "says" into the microphone; the echo line sends it back
STEPS = ALL_STEPS

Demo = Callable[..., ManagedProcess]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """demo(*args) -> `vicifast-phone demo …` started; each stopped by its PID at teardown.

    Its stdout and stderr go to separate files (stdout must be JSON only)."""
    started: list[ManagedProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ManagedProcess:
        n = len(started)
        out = tmp_path / f"demo{n}.out"
        # sh redirects stdout to a file of its own; exec keeps the demo's PID the one stopped
        argv = ["sh", "-c", 'exec "$@" > "$0"', str(out), sys.executable, "-m", "softphone.cli"]
        proc = ManagedProcess([*argv, "demo", *args], log_path=tmp_path / f"demo{n}.log", env=env)
        started.append(proc)
        return proc.start()

    yield start
    for proc in reversed(started):
        proc.stop()


def stdout_of(proc: ManagedProcess) -> str:
    return Path(proc.argv[3]).read_text()


def steps_of(proc: ManagedProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout_of(proc).splitlines()]  # every line is JSON


def names(steps: list[dict[str, Any]]) -> list[str]:
    return [s["step"] for s in steps if s["step"] != "firewall"]


def test_demo_direct_calls_the_lines_without_kamailio_and_exits_0(demo: Demo) -> None:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")  # else nothing to skip
    proc = demo("--direct", "--json")
    assert proc.wait_exit(DEMO_S) == 0, proc.describe() + stdout_of(proc)
    steps = steps_of(proc)
    assert names(steps) == STEPS
    by = {s["step"]: s for s in steps}
    assert by["environment"]["registrar"] == ""  # kamailio installed, and not started
    assert len(by["environment"]["pids"]) == 1  # the demo lines only
    assert "no kamailio: direct mode" in by["environment"]["text"]
    assert by["registered"]["registered"] is False
    assert (by["echo_heard"]["heard_hz"], by["tone_heard"]["heard_hz"]) == (550.0, TONE_HZ)
    assert by["ring_answered"]["answered_by"] == "header"
    assert any(s["step"] == "firewall" and s["ip"] == "127.0.0.1" for s in steps)


def test_demo_audio_system_plays_the_calls_on_the_default_speaker_and_exits_0(
    demo: Demo, pulse: PulseServer, tmp_path: Path
) -> None:
    """The default speaker (a null sink) receives the tone line's tone and the echo of what
    the default microphone hears; the steps are listening times instead of measurements."""
    speaker = tmp_path / "speaker.raw"
    mic = tmp_path / "mic.raw"
    mic.write_bytes(tone(MIC_HZ, 40.0))
    pulse.record_speaker(speaker)
    pulse.play_into_mic(mic)
    proc = demo("--audio", "system", "--json", env=pulse.client_env)
    assert proc.wait_exit(DEMO_S) == 0, proc.describe() + stdout_of(proc)
    heard = [name.replace("_heard", "_listen") for name in STEPS]
    assert names(steps_of(proc)) == heard
    pulse.stop_helpers()  # the recording is complete once its recorder has gone
    samples = pcm(speaker.read_bytes())
    blocks = windows(samples, 50)
    tone_s = sum(tone_fraction(w, TONE_HZ) > 0.8 for w in blocks) * 0.05
    echo_s = sum(tone_fraction(w, MIC_HZ) > 0.8 for w in blocks) * 0.05
    # the tone call and the ring each give ~3 s of the tone line (more than 3 s: both were
    # heard), the echo call ~5 s of echo; some margin for glitches on a loaded machine
    assert tone_s >= 4.0, f"{tone_s:.2f} s of {TONE_HZ} Hz on the speaker"
    assert echo_s >= 3.0, f"{echo_s:.2f} s of the microphone's echo on the speaker"


def test_demo_loopback_walks_one_call_and_exits_0(demo: Demo) -> None:
    proc = demo("--loopback", "--json")
    assert proc.wait_exit(DEMO_S) == 0, proc.describe() + stdout_of(proc)
    events = [json.loads(line) for line in stdout_of(proc).splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "EngineStarted" and kinds[-1] == "EngineStopped"
    assert events[-1]["clean"] is True
    answered = [e for e in events if e["event"] == "CallStateChanged" and e["state"] == "confirmed"]
    assert {e["answered_by"] for e in answered} == {None, "header"}  # dialer's side, agent's
    assert "".join(e["digit"] for e in events if e["event"] == "DtmfReceived") == "1234#"
    holds = [e["hold"] for e in events if e["event"] == "CallMediaChanged"]
    assert "local" in holds and "remote" in holds
    ended = [e for e in events if e["event"] == "CallStateChanged" and e["state"] == "disconnected"]
    assert len(ended) == 2  # both ends of the one call
