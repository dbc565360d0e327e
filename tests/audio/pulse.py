"""A private PulseAudio daemon with a virtual speaker and a virtual microphone.

Runs as the current user (root here) without ``--system``: its own HOME, XDG_RUNTIME_DIR and
native-protocol socket in a temp dir, anonymous auth, no autospawn. Clients reach it through
``env`` (PULSE_SERVER=unix:…). Devices:

- ``speaker``: a null sink, the default sink; ``speaker.monitor`` is what was played into it.
- ``mic``: the default source, a remap of the ``micfeed`` null sink's monitor (Qt hides monitor
  sources); whatever is played into ``micfeed`` is what the microphone hears.

Each null sink keeps a 20 ms-latency stream attached: without one a null sink runs with seconds of
latency and a new stream on it stalls for 1–2 s before any audio moves.

Tests may reshape the sinks (``load_sink``, ``unload_sink``, ``set_default_sink``). PulseAudio
(≥ 14) moves every stream that sits on the old default sink to the new one, and the streams of an
unloaded sink to the new default: the test's own helper streams (keep-alives, tone players) are
moved back to the sinks they were started for, so that the microphone feed stays the microphone
feed; only the app's streams follow the sound server.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import Any, Self

from tests.support.process import ManagedProcess, WaitTimeout, wait_until

SPEAKER = "speaker"
MIC_FEED = "micfeed"
MIC = "mic"
RATE = 16_000

_SCRIPT = """\
load-module module-native-protocol-unix socket={socket} auth-anonymous=1
load-module module-null-sink sink_name={speaker} rate=48000 channels=2 \
sink_properties=device.description=VirtualSpeaker
load-module module-null-sink sink_name={feed} rate=48000 channels=2 \
sink_properties=device.description=MicFeed
load-module module-remap-source source_name={mic} master={feed}.monitor \
source_properties=device.description=VirtualMic
set-default-sink {speaker}
set-default-source {mic}
"""


def available() -> bool:
    return all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "pacat", "parec"))


class PulseServer:
    """One private pulseaudio process and the helper streams the tests start on it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        # The socket's folder is a short one of its own: a UNIX socket's path may not be longer
        # than 107 bytes, and a test's folder can be (a parallel worker's, a nested pytest's).
        self.run_dir = Path(tempfile.mkdtemp(prefix="pulse-"))
        weakref.finalize(self, shutil.rmtree, self.run_dir, True)
        self.socket = self.run_dir / "native"
        self._keepalive: list[ManagedProcess] = []
        self._helpers: list[ManagedProcess] = []
        self._sink_keepalive: dict[str, ManagedProcess] = {}
        self._homes: dict[str, str] = {}  # helper stream (application.name) -> its sink
        self.daemon: ManagedProcess | None = None
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        home, run = self.workdir / "home", self.run_dir
        for folder in (home, run, run / "pulse"):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        client_conf = self.workdir / "client.conf"
        client_conf.write_text("autospawn = no\n")
        return {
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(run),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "PULSE_RUNTIME_PATH": str(run / "pulse"),
            "PULSE_STATE_PATH": str(home / "state"),
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_CLIENTCONFIG": str(client_conf),
        }

    @property
    def client_env(self) -> dict[str, str]:
        """What a client (our process or a tool) needs to reach this daemon and nothing else."""
        return {k: self.env[k] for k in ("PULSE_SERVER", "PULSE_CLIENTCONFIG")}

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0, *, warm_mic: bool = True) -> Self:
        """Start the daemon and the keep-alive streams; ``warm_mic`` waits out the virtual
        microphone's first-stream stall (~2 s), for tests that record from it."""
        script = self.workdir / "default.pa"
        script.write_text(
            _SCRIPT.format(socket=self.socket, speaker=SPEAKER, feed=MIC_FEED, mic=MIC)
        )
        self.daemon = ManagedProcess(
            [
                "pulseaudio",
                "-n",
                f"--file={script}",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--use-pid-file=no",
                "--disable-shm=yes",
                "--log-target=stderr",
                "--log-level=notice",
            ],
            log_path=self.workdir / "pulseaudio.log",
            name="pulseaudio",
            env=self.env,
        ).start()
        self.daemon.wait_for(self._answers, timeout, "pulseaudio to accept clients")
        # the keep-alive streams (silence) that hold both null sinks at a 20 ms latency
        self._sink_keepalive.clear()
        self._homes.clear()
        for sink in (SPEAKER, MIC_FEED):
            self._keep_sink_alive(sink)
        # The remap source delivers nothing for ~2 s after its first stream attaches; a recording
        # kept on it from here on, and a probe that waits for data, take that stall out of tests.
        self._pacat("keepalive-" + MIC, "--record", f"--device={MIC}", "/dev/null", keepalive=True)
        wait_until(
            lambda: self.sink_inputs() >= 2 and self.source_outputs() >= 1,
            timeout,
            "the keep-alive streams to attach",
        )
        if warm_mic:
            self._wait_for_mic_data(timeout)
        return self

    def _wait_for_mic_data(self, timeout: float) -> None:
        probe = subprocess.Popen(
            [
                "parec",
                "--raw",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                f"--device={MIC}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **self.env},
        )
        try:
            assert probe.stdout is not None
            ready, _, _ = select.select([probe.stdout], [], [], timeout)
            if not ready:
                raise WaitTimeout(f"the virtual microphone gave no audio in {timeout:.1f}s")
        finally:
            probe.kill()
            probe.wait(5)
            if probe.stdout is not None:
                probe.stdout.close()

    def stop_helpers(self) -> None:
        """Stop the tone players and recorders a test started (not the keep-alive streams)."""
        for proc in reversed(self._helpers):
            proc.stop(timeout=2.0)
        self._helpers.clear()

    def stop(self) -> None:
        self.stop_helpers()
        for proc in reversed(self._keepalive):
            proc.stop(timeout=2.0)
        self._keepalive.clear()
        self._sink_keepalive.clear()
        if self.daemon is not None:
            self.daemon.stop(timeout=5.0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> str:
        parts = [self.daemon.describe()] if self.daemon else []
        parts += [proc.describe() for proc in self._keepalive + self._helpers]
        return "\n\n".join(parts)

    # ---- control -------------------------------------------------------------------------------

    def pactl(self, *args: str) -> str:
        result = subprocess.run(
            ["pactl", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return result.stdout

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            self.pactl("info")
        except subprocess.CalledProcessError:
            return False
        return True

    def sinks(self) -> list[str]:
        return [line.split("\t")[1] for line in self.pactl("list", "short", "sinks").splitlines()]

    def default_sink(self) -> str:
        return self.pactl("get-default-sink").strip()

    def streams_on(self, sink: str) -> list[str]:
        """The application names of the playback streams on ``sink``."""
        index = {s["name"]: s["index"] for s in self._json("sinks")}.get(sink)
        return [
            str(i["properties"].get("application.name", ""))
            for i in self._json("sink-inputs")
            if i["sink"] == index
        ]

    def load_sink(self, name: str) -> None:
        """Load another null sink (48 kHz stereo, kept at a 20 ms latency, like ``speaker``)."""
        self.pactl(
            "load-module",
            "module-null-sink",
            f"sink_name={name}",
            "rate=48000",
            "channels=2",
            f"sink_properties=device.description={name}",
        )
        wait_until(lambda: name in self.sinks(), 10, f"the sink {name}")
        self._keep_sink_alive(name)
        # until its keep-alive is attached the sink runs at seconds of latency, and a stream
        # moved onto it then stalls for 1-2 s
        wait_until(lambda: f"keepalive-{name}" in self.streams_on(name), 10, f"{name}'s keep-alive")

    def unload_sink(self, name: str) -> None:
        """Unload a null sink (``speaker`` too): its streams move to the new default sink."""
        keepalive = self._sink_keepalive.pop(name, None)
        if keepalive is not None:  # it would be moved elsewhere and hold that sink instead
            keepalive.stop(timeout=2.0)
            self._keepalive.remove(keepalive)
        for line in self.pactl("list", "short", "modules").splitlines():
            fields = line.split("\t")
            if fields[1] == "module-null-sink" and f"sink_name={name} " in fields[2] + " ":
                self.pactl("unload-module", fields[0])
        wait_until(lambda: name not in self.sinks(), 10, f"the sink {name} to go")
        self.pin_helpers()

    def set_default_sink(self, name: str) -> None:
        self.pactl("set-default-sink", name)
        self.pin_helpers()

    def pin_helpers(self) -> None:
        """Move the test's helper streams back to their own sinks where PulseAudio moved them."""
        sinks = {s["name"]: s["index"] for s in self._json("sinks")}
        for stream in self._json("sink-inputs"):
            home = self._homes.get(str(stream["properties"].get("application.name", "")))
            if home in sinks and stream["sink"] != sinks[home]:
                self.pactl("move-sink-input", str(stream["index"]), home)

    def _json(self, what: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = json.loads(self.pactl("--format=json", "list", what))
        return items

    def sink_inputs(self) -> int:
        return len(self.pactl("list", "short", "sink-inputs").splitlines())

    def source_outputs(self) -> int:
        return len(self.pactl("list", "short", "source-outputs").splitlines())

    # ---- helper streams ------------------------------------------------------------------------

    def _keep_sink_alive(self, sink: str) -> None:
        self._sink_keepalive[sink] = self._pacat(
            "keepalive-" + sink, "--playback", f"--device={sink}", "/dev/zero", keepalive=True
        )

    def _pacat(self, name: str, *args: str, keepalive: bool = False) -> ManagedProcess:
        proc = ManagedProcess(
            [
                "pacat",
                "--raw",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                "--latency-msec=20",
                f"--client-name={name}",  # the streams' application.name (pin_helpers)
                *args,
            ],
            log_path=self.workdir / f"{name}.log",
            name=name,
            env={**self.env, "PULSE_PROP": f"application.name={name}"},
        )
        (self._keepalive if keepalive else self._helpers).append(proc)
        if "--playback" in args:
            self._homes[name] = next(a for a in args if a.startswith("--device=")).split("=", 1)[1]
        return proc.start()

    def play_into_mic(self, pcm_file: Path) -> ManagedProcess:
        """Play raw s16le 16 kHz mono from ``pcm_file`` into the virtual microphone."""
        return self._pacat(
            f"play-{pcm_file.stem}", "--playback", f"--device={MIC_FEED}", str(pcm_file)
        )

    def record_speaker(self, out_file: Path) -> ManagedProcess:
        """Record what reaches the virtual speaker (its monitor) into ``out_file``, raw."""
        return self.record_sink(SPEAKER, out_file)

    def record_sink(self, sink: str, out_file: Path) -> ManagedProcess:
        """Record what reaches ``sink`` (its monitor) into ``out_file``, raw."""
        return self._pacat(
            f"record-{out_file.stem}", "--record", f"--device={sink}.monitor", str(out_file)
        )
