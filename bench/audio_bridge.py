"""Metric 6: the audio bridge — added round trip, underruns and drift corrections, CPU.

One process: a bare pjsua2 endpoint with our bridge port, the PortAudio (sounddevice) backend,
and a private PulseAudio whose virtual microphone is the virtual speaker's monitor. A click (20
ms of 1 kHz) goes into the bridge once a second; it comes back through the rings, PortAudio and
PulseAudio. Both ends are taped at the bridge port on pjmedia's clock ticks, so the offset is the
round trip the bridge adds — pjsua2's own conference-bridge delay is on both tapes and cancels.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench.lab import Lab
from bench.plan import Plan, standalone
from bench.report import Section, Verdict
from bench.stats import fmt, markdown_table
from softphone.audio.ring import PcmRing
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from tests.audio.endpoint import LabEndpoint
from tests.audio.ports import PcmSink, PcmSource, RecordingBridgePort
from tests.audio.pulse import SPEAKER, PulseServer
from tests.audio.tones import first_loud, pcm, tone

RATE = 16_000
TARGET_MS = 30.0  # each ring's target fill, as AudioRings.create() ships
ROUND_TRIP_TARGET_MS = 120.0
CPU_TARGET = 5.0  # % of one core for the bridge (port + rings + PortAudio streams)
CLICK = tone(1000.0, 0.02) + bytes(int(0.98 * RATE) * 2)  # 20 ms click, once a second


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


def run(lab: Lab, plan: Plan) -> Section:
    window_s = 5.0 if plan.quick else 60.0
    pulse = PulseServer(lab.workdir / "pulse").start()
    saved = {k: os.environ.get(k) for k in pulse.client_env}
    os.environ.update(pulse.client_env)
    lab_ep: LabEndpoint | None = None
    pj_objects: dict[str, Any] = {}
    try:
        pulse.pactl("set-default-sink", SPEAKER)
        pulse.pactl("set-default-source", f"{SPEAKER}.monitor")
        backend = SoundDeviceBackend()
        backend.refresh()
        lab_ep = LabEndpoint()
        # The endpoint alone, clocked by the null device: the baseline the bridge adds to.
        cpu0, wall0 = time.process_time(), time.monotonic()
        lab_ep.poll_until(lambda: time.monotonic() - wall0 > 3.0, 5.0, "a baseline window")
        base_pct = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100
        capture, playback = PcmRing(target_ms=TARGET_MS), PcmRing(target_ms=TARGET_MS)
        # pj objects live in this dict only (and the endpoint's keep list): no local may hold
        # one past libDestroy, or its destructor aborts the process.
        pj_objects["port"] = RecordingBridgePort(capture, playback)
        pj_objects["click"] = PcmSource("click", CLICK)
        pj_objects["heard"] = PcmSink("loop-ear")
        port, click, heard = pj_objects["port"], pj_objects["click"], pj_objects["heard"]
        click.startTransmit(port)
        port.startTransmit(heard)
        stream = backend.open_duplex(capture, playback)
        try:
            lab_ep.poll_until(lambda: stream.stats().input_blocks > 50, 10, "the streams")
            before_c, before_p = capture.stats(), playback.stats()
            sent_from, heard_from = len(port.tape.snapshot()), len(heard.tape.snapshot())
            cpu0, wall0, busy0 = time.process_time(), time.monotonic(), port.busy_ns
            click.playing.set()
            lab_ep.poll_until(lambda: time.monotonic() - wall0 > window_s, window_s + 5, "window")
            wall = time.monotonic() - wall0
            cpu_pct = (time.process_time() - cpu0) / wall * 100
            port_pct = (port.busy_ns - busy0) / 1e9 / wall * 100
            after_c, after_p = capture.stats(), playback.stats()
        finally:
            stream.close()
        sent = _onsets(pcm(port.tape.snapshot()), sent_from // 2)
        back = _onsets(pcm(heard.tape.snapshot()), heard_from // 2)
        trips = [(b - s) / RATE * 1000 for s, b in zip(sent, back, strict=False) if b > s]
        del port, click, heard
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

    underruns = (after_c.underruns - before_c.underruns) + (after_p.underruns - before_p.underruns)
    corrections = (after_c.corrections - before_c.corrections) + (
        after_p.corrections - before_p.corrections
    )
    median = statistics.median(trips) if trips else float("nan")
    p95 = sorted(trips)[int(0.95 * (len(trips) - 1))] if trips else float("nan")
    bridge_pct = cpu_pct - base_pct
    rows = [
        ["added round trip (ms)", str(len(trips)), fmt(median), fmt(p95)],
        ["underruns, both rings", "", str(underruns), ""],
        ["drift corrections, both rings", "", str(corrections), ""],
        ["process CPU with the bridge (% of a core)", "", fmt(cpu_pct), ""],
        ["process CPU, endpoint alone (% of a core)", "", fmt(base_pct), ""],
        ["port callbacks alone (% of a core)", "", fmt(port_pct), ""],
    ]
    section = Section(
        title="6. The audio bridge (PortAudio backend, virtual PulseAudio devices)",
        method=(
            f"{__doc__.split(chr(10), 2)[2].strip()} The window is {window_s:.0f} s with one "
            f"click a second; the rings' target fill is {TARGET_MS:.0f} ms each. Bridge CPU = the "
            "process's CPU with the streams running minus the same endpoint's CPU without them "
            "(3 s before); it includes the bench's own click source and tape ports, Python "
            "callbacks on the same clock (2 × 50 a second). The null sink runs on the system "
            "clock, so drift here is small; the ±1000 ppm case is covered by simulation in the "
            "unit tests."
        ),
    )
    section.body.append(markdown_table(["measure", "n", "median / count", "p95"], rows))
    section.verdicts += [
        Verdict(
            f"added round trip ≤ {ROUND_TRIP_TARGET_MS:.0f} ms (median)",
            f"{fmt(median)} ms",
            median <= ROUND_TRIP_TARGET_MS,
        ),
        Verdict(f"0 underruns over {window_s:.0f} s", str(underruns), underruns == 0),
        Verdict(
            f"bridge CPU ≤ {CPU_TARGET:.0f} % of a core",
            f"{fmt(bridge_pct)} %",
            bridge_pct <= CPU_TARGET,
        ),
    ]
    return section


if __name__ == "__main__":
    standalone(__doc__ or "", run)
