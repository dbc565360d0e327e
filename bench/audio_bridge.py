"""Metric 6: the audio bridge per backend — added round trip, underruns and corrections, CPU;
and what the voice processing (softphone.audio.processing) adds to PortAudio's.

One process: a bare pjsua2 endpoint with our bridge port, and a private PulseAudio whose virtual
microphone ("loop", a remap of the virtual speaker's monitor: Qt lists no monitor sources) hears
what the virtual speaker plays. Each backend (PortAudio through sounddevice, then Qt
Multimedia) in turn opens the system default devices for the same window. A click (20 ms of
1 kHz) goes into the bridge once a second; it comes back through the rings, the backend and
PulseAudio. Both ends are taped at the bridge port on pjmedia's clock ticks, so the offset is the
round trip the bridge adds — pjsua2's own conference-bridge delay is on both tapes and cancels.

The processing runs PortAudio's again with WebRTC's module between the rings and the streams:
with the default choice (echo cancellation and noise suppression; the loop is pure echo, so the
canceller removes the clicks and no round trip is measured) for its CPU and underruns, and in
headset mode (no echo cancellation) for the delay it adds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.lab import REPO, Lab
from bench.plan import Plan, standalone
from bench.report import Section, Verdict, loadavg
from bench.stats import fmt, markdown_table
from softphone.audio.backend import AudioBackend
from softphone.audio.processing import AudioProcessing
from softphone.audio.processing_choice import ProcessingChoice
from softphone.audio.ring import PcmRing, RingStats
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from softphone.sip.audio_port import AudioBridgePort
from tests.audio.endpoint import LabEndpoint
from tests.audio.ports import PcmSink, PcmSource, PcmTape, audio_format
from tests.audio.pulse import SPEAKER, PulseServer
from tests.audio.tones import first_loud, pcm, tone

RATE = 16_000
TARGET_MS = 30.0  # each ring's target fill, as AudioRings.create() ships
ROUND_TRIP_TARGET_MS = 120.0
CPU_TARGET = 5.0  # % of one core for the bridge (port + rings + backend streams)
PROCESSING_CPU_TARGET = 3.0  # % of one core the voice processing may add to PortAudio's bridge
PROCESSING_DELAY_TARGET_MS = 10.0  # what it may add to the round trip
CLICK = tone(1000.0, 0.02) + bytes(int(0.98 * RATE) * 2)  # 20 ms click, once a second
LOOP = "loop"  # the virtual microphone that hears the virtual speaker
CLOCK_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


# ---- the bench's own ports, timed so that their CPU can be taken out of the bridge's --------


class _TimedSource(PcmSource):
    """The click source; ``cpu_ns`` is the CPU its callbacks used (the clock thread's)."""

    cpu_ns = 0

    def onFrameRequested(self, frame: Any) -> None:
        began = time.thread_time_ns()
        super().onFrameRequested(frame)
        self.cpu_ns += time.thread_time_ns() - began


class _TimedSink(PcmSink):
    """The far ear that tapes what the bridge port sends (the microphone's side)."""

    cpu_ns = 0

    def onFrameReceived(self, frame: Any) -> None:
        began = time.thread_time_ns()
        super().onFrameReceived(frame)
        self.cpu_ns += time.thread_time_ns() - began


class _TimedBridgePort(AudioBridgePort):
    """The real bridge port, plus a tape of what the bridge hands it for the speaker; the port's
    own CPU (``bridge_ns``) and the tape's (``bench_ns``, the bench's) are timed apart."""

    def __init__(self, capture: PcmRing, playback: PcmRing) -> None:
        super().__init__(capture, playback)
        self.tape = PcmTape()
        self.bridge_ns = self.bench_ns = 0
        self.clock_tid = -1  # pjmedia's clock thread, where the callbacks run
        self.createPort("bridge-under-test", audio_format())

    def onFrameReceived(self, frame: Any) -> None:
        began = time.thread_time_ns()
        self.clock_tid = threading.get_native_id()
        super().onFrameReceived(frame)
        mid = time.thread_time_ns()
        self.tape.add(frame)
        self.bench_ns += time.thread_time_ns() - mid
        self.bridge_ns += mid - began

    def onFrameRequested(self, frame: Any) -> None:
        began = time.thread_time_ns()
        super().onFrameRequested(frame)
        self.bridge_ns += time.thread_time_ns() - began


# ---- measuring -------------------------------------------------------------------------------


def _threads_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds (utime + stime) of each of this process's threads, by thread id, with name."""
    found: dict[int, tuple[str, float]] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        found[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) * CLOCK_TICK_S)
    return found


def _onsets(samples: Any, start: int) -> list[int]:
    """Sample index of every click after ``start`` (a click is at least 0.5 s after the last)."""
    found: list[int] = []
    pos = start
    while True:
        onset = first_loud(samples[pos:])
        if onset is None:
            return found
        found.append(pos + onset)
        pos += onset + RATE // 2


def _ring_delta(after: RingStats, before: RingStats) -> tuple[int, int]:
    return after.underruns - before.underruns, after.corrections - before.corrections


@dataclass(frozen=True, slots=True)
class BackendRun:
    name: str
    trips_ms: list[float]
    underruns: int
    corrections: int
    device_glitches: int  # the backend's own overflow + underflow counters
    process_pct: float
    bench_ports_pct: float  # the bench's click source, far ear and speaker tape
    port_pct: float  # the bridge port's callbacks (thread CPU)
    threads_pct: dict[str, float]  # threads other than the clock's and the main one, by name
    latency_ms: tuple[float, float]
    processing: ProcessingChoice | None = None
    processing_errors: int = 0
    processing_pct: float = 0.0  # the processor's own calls, by their threads' CPU clocks

    @property
    def median(self) -> float:
        return statistics.median(self.trips_ms) if self.trips_ms else float("nan")

    @property
    def p95(self) -> float:
        trips = sorted(self.trips_ms)
        return trips[int(0.95 * (len(trips) - 1))] if trips else float("nan")

    def bridge_pct(self, base_pct: float) -> float:
        """The process minus the endpoint alone minus the bench's own ports."""
        return self.process_pct - base_pct - self.bench_ports_pct


def _measure(
    name: str,
    backend: AudioBackend,
    lab_ep: LabEndpoint,
    ports: dict[str, Any],
    window_s: float,
    choice: ProcessingChoice | None = None,
) -> BackendRun:
    port, click, heard = ports["port"], ports["click"], ports["heard"]
    click.playing.clear()
    processing = AudioProcessing(choice) if choice is not None else None
    sides = (
        processing.wrap(port.capture, port.playback)
        if processing is not None
        else (port.capture, port.playback)
    )
    stream = backend.open_duplex(*sides)
    try:
        # past the loop source's start-up stall, and both rings primed
        lab_ep.poll_until(
            lambda: stream.stats().input_blocks > 100 and stream.stats().output_blocks > 100,
            15,
            f"the {name} streams",
        )
        if processing is not None:  # the hint the app's controller gives from these figures
            stats = stream.stats()
            processing.set_delay_ms(stats.input_queue_ms + stats.output_queue_ms)
        before_c, before_p, before_s = port.capture.stats(), port.playback.stats(), stream.stats()
        sent_from, heard_from = len(port.tape.snapshot()), len(heard.tape.snapshot())
        bench0 = click.cpu_ns + heard.cpu_ns + port.bench_ns
        port0, threads0 = port.bridge_ns, _threads_cpu()
        busy0 = processing.stats().busy_s if processing is not None else 0.0
        cpu0, wall0 = time.process_time(), time.monotonic()
        click.playing.set()
        lab_ep.poll_until(lambda: time.monotonic() - wall0 > window_s, window_s + 5, "window")
        wall = time.monotonic() - wall0
        process_pct = (time.process_time() - cpu0) / wall * 100
        threads1 = _threads_cpu()
        bench_pct = (click.cpu_ns + heard.cpu_ns + port.bench_ns - bench0) / 1e9 / wall * 100
        port_pct = (port.bridge_ns - port0) / 1e9 / wall * 100
        busy = (processing.stats().busy_s - busy0) if processing is not None else 0.0
        after_c, after_p, after_s = port.capture.stats(), port.playback.stats(), stream.stats()
        click.playing.clear()
    finally:
        stream.close()
    sent = _onsets(pcm(port.tape.snapshot()), sent_from // 2)
    back = _onsets(pcm(heard.tape.snapshot()), heard_from // 2)
    trips = [(b - s) / RATE * 1000 for s, b in zip(sent, back, strict=False) if b > s]
    under_c, corr_c = _ring_delta(after_c, before_c)
    under_p, corr_p = _ring_delta(after_p, before_p)
    glitches = (after_s.input_overflows - before_s.input_overflows) + (
        after_s.output_underflows - before_s.output_underflows
    )
    main, clock = os.getpid(), port.clock_tid
    by_name: dict[str, float] = {}
    for tid, (thread, seconds) in threads1.items():
        if tid in (main, clock):
            continue
        used = seconds - threads0.get(tid, (thread, 0.0))[1]
        by_name[thread] = by_name.get(thread, 0.0) + used / wall * 100
    return BackendRun(
        name=name,
        trips_ms=trips,
        underruns=under_c + under_p,
        corrections=corr_c + corr_p,
        device_glitches=glitches,
        process_pct=process_pct,
        bench_ports_pct=bench_pct,
        port_pct=port_pct,
        threads_pct={k: v for k, v in sorted(by_name.items()) if v >= 0.05},
        latency_ms=(after_s.input_latency_ms, after_s.output_latency_ms),
        processing=choice,
        processing_errors=processing.stats().errors if processing is not None else 0,
        processing_pct=busy / wall * 100,
    )


def _qt_backend() -> AudioBackend:
    from softphone.ui.qt_audio.backend import QtAudioBackend  # loads Qt only for its turn

    return QtAudioBackend()


BACKENDS: list[tuple[str, Callable[[], AudioBackend], ProcessingChoice | None]] = [
    ("sounddevice", SoundDeviceBackend, None),
    ("sounddevice + echo and noise", SoundDeviceBackend, ProcessingChoice()),
    ("sounddevice + noise (headset)", SoundDeviceBackend, ProcessingChoice(headset=True)),
    ("qt", _qt_backend, None),
]


def _tree_state() -> str:
    """Whether the audio code measured (imported from the working tree) differs from HEAD."""
    paths = ["softphone/audio", "softphone/sip/audio_port.py", "softphone/ui"]
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split("\n")
    files = sorted(line[3:] for line in changed if line.strip())
    if not files:
        return f"the audio code as committed in {head}"
    return f"the working tree at {head}, with uncommitted changes in {', '.join(files)}"


def run(lab: Lab, plan: Plan) -> Section:
    window_s = 5.0 if plan.quick else 60.0
    code = _tree_state()
    load_before = loadavg()
    pulse = PulseServer(lab.workdir / "pulse").start()
    saved = {k: os.environ.get(k) for k in pulse.client_env}
    os.environ.update(pulse.client_env)
    lab_ep: LabEndpoint | None = None
    pj_objects: dict[str, Any] = {}
    runs: list[BackendRun] = []
    try:
        pulse.pactl(
            "load-module",
            "module-remap-source",
            f"source_name={LOOP}",
            f"master={SPEAKER}.monitor",
            "source_properties=device.description=Loopback",
        )
        pulse.pactl("set-default-sink", SPEAKER)
        pulse.pactl("set-default-source", LOOP)
        lab_ep = LabEndpoint()
        # The endpoint alone, clocked by the null device: the baseline the bridge adds to.
        cpu0, wall0 = time.process_time(), time.monotonic()
        lab_ep.poll_until(lambda: time.monotonic() - wall0 > 3.0, 5.0, "a baseline window")
        base_pct = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100
        capture, playback = PcmRing(target_ms=TARGET_MS), PcmRing(target_ms=TARGET_MS)
        # pj objects live in this dict only (and the endpoint's keep list): no local may hold
        # one past libDestroy, or its destructor aborts the process.
        pj_objects["port"] = _TimedBridgePort(capture, playback)
        pj_objects["click"] = _TimedSource("click", CLICK)
        pj_objects["heard"] = _TimedSink("loop-ear")
        pj_objects["click"].startTransmit(pj_objects["port"])
        pj_objects["port"].startTransmit(pj_objects["heard"])
        for name, make, choice in BACKENDS:
            backend = make()
            try:
                runs.append(_measure(name, backend, lab_ep, pj_objects, window_s, choice))
            finally:
                shutdown = getattr(backend, "shutdown", None)
                if shutdown is not None:
                    shutdown()
    finally:
        if lab_ep is not None:
            lab_ep.stop_audio_clock()
            pj_objects.clear()
            lab_ep.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        pulse.stop()
    load = f"load average (1/5/15 min) {load_before} before, {loadavg()} after"
    return _section(runs, base_pct, window_s, f"{code}; {load}")


def _section(runs: list[BackendRun], base_pct: float, window_s: float, code: str) -> Section:
    names = [r.name for r in runs]
    thread_names = sorted({t for r in runs for t in r.threads_pct})
    rows = [
        ["added round trip, median (ms)", *[fmt(r.median) for r in runs]],
        ["added round trip, p95 (ms)", *[fmt(r.p95) for r in runs]],
        [
            "added round trip, min / max (ms)",
            *[
                f"{fmt(min(r.trips_ms, default=float('nan')))} / "
                f"{fmt(max(r.trips_ms, default=float('nan')))}"
                for r in runs
            ],
        ],
        ["clicks measured", *[str(len(r.trips_ms)) for r in runs]],
        ["underruns, both rings", *[str(r.underruns) for r in runs]],
        ["drift corrections, both rings", *[str(r.corrections) for r in runs]],
        [
            "device overflows + underflows (backend's counters)",
            *[str(r.device_glitches) for r in runs],
        ],
        [
            "stream latency in / out, as the backend reports it (ms)",
            *[f"{fmt(r.latency_ms[0], 1)} / {fmt(r.latency_ms[1], 1)}" for r in runs],
        ],
        ["**bridge CPU** (% of a core)", *[f"**{fmt(r.bridge_pct(base_pct))}**" for r in runs]],
        ["process CPU with the bridge running", *[fmt(r.process_pct) for r in runs]],
        ["− endpoint alone (before any port existed)", *[fmt(base_pct) for _ in runs]],
        [
            "− the bench's own ports (click source, far ear, speaker tape)",
            *[fmt(r.bench_ports_pct) for r in runs],
        ],
        ["of the bridge: the port's callbacks (clock thread)", *[fmt(r.port_pct) for r in runs]],
        [
            "of the bridge: the voice processing's calls (their threads' CPU clocks)",
            *[fmt(r.processing_pct) if r.processing is not None else "—" for r in runs],
        ],
    ]
    rows += [
        [f"of the bridge: thread “{t}”", *[fmt(r.threads_pct.get(t, 0.0)) for r in runs]]
        for t in thread_names
    ]  # fmt: skip
    section = Section(
        title=(
            "6. The audio bridge per backend (PortAudio and Qt Multimedia, virtual PulseAudio), "
            "and with voice processing"
        ),
        method=(
            f"{__doc__.split(chr(10), 2)[2].strip()} The window is {window_s:.0f} s per backend "
            f"with one click a second; the rings' target fill is {TARGET_MS:.0f} ms each; each "
            "backend runs with its shipped settings (sounddevice: 10 ms blocks, latency 'low'; "
            "Qt: 10 ms timer, 100 ms input and 20 ms output buffers). **Bridge CPU** = the "
            "process's CPU over the window, minus the same endpoint's CPU before any port "
            "existed (3 s, null device only), minus the CPU of the bench's own Python ports "
            "(the click source, the far ear and the speaker-side tape, each timed with "
            "`time.thread_time_ns` inside its callbacks). What remains is the bridge port's "
            "callbacks, the rings, the backend's threads (PortAudio's or the Qt audio thread, "
            "and libpulse's), the conference bridge's mixing for the extra ports and the GIL "
            "traffic between them. The per-thread rows come from /proc/self/task (10 ms ticks); "
            "threads under 0.05 % are left out. The null sink runs on the system clock, so "
            f"drift here is small. Measured: {code}."
        ),
    )
    section.body.append(markdown_table(["measure", *names], rows))
    plain = next(r for r in runs if r.name == "sounddevice")
    for r in runs:
        bridge = r.bridge_pct(base_pct)
        if r.processing is not None:
            added = bridge - plain.bridge_pct(base_pct)
            section.verdicts += [
                Verdict(
                    f"{r.name}: CPU ≤ {PROCESSING_CPU_TARGET:.0f} % of a core more than without",
                    f"{'+' if added >= 0 else ''}{fmt(added)} %",
                    added <= PROCESSING_CPU_TARGET,
                ),
                Verdict(
                    f"{r.name}: 0 underruns over {window_s:.0f} s, 0 failed frames",
                    f"{r.underruns}, {r.processing_errors}",
                    r.underruns == 0 and r.processing_errors == 0,
                ),
            ]
            if not r.processing.cancels_echo:  # with the canceller on, the clicks are gone
                delay = r.median - plain.median
                section.verdicts.append(
                    Verdict(
                        f"{r.name}: adds ≤ {PROCESSING_DELAY_TARGET_MS:.0f} ms to the round trip",
                        f"{fmt(delay)} ms",
                        delay <= PROCESSING_DELAY_TARGET_MS,
                    )
                )
            continue
        section.verdicts += [
            Verdict(
                f"{r.name}: added round trip ≤ {ROUND_TRIP_TARGET_MS:.0f} ms (median)",
                f"{fmt(r.median)} ms",
                r.median <= ROUND_TRIP_TARGET_MS,
            ),
            Verdict(
                f"{r.name}: 0 underruns over {window_s:.0f} s", str(r.underruns), r.underruns == 0
            ),
            Verdict(
                f"{r.name}: bridge CPU ≤ {CPU_TARGET:.0f} % of a core",
                f"{fmt(bridge)} %",
                bridge <= CPU_TARGET,
            ),
        ]
    return section


if __name__ == "__main__":
    standalone(__doc__ or "", run)
