"""Locally played call tones through the audio bridge, heard on virtual PulseAudio devices:
ringback, busy, reorder, ringtone (speaker or a separate ringer device), call waiting and DTMF
feedback; each ringtone choice (and its preview) with its own sound, silent when none; and
``LocalToneChanged`` says what plays."""

from __future__ import annotations

import array
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from softphone.audio.ring import AudioRings
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineConfig, Ringtone
from softphone.sip.cadences import (
    CHIME_NOTES,
    CHIME_STEP_MS,
    CLASSIC_PAIR,
    PREVIEW_S,
    RINGTONE_PAIRS,
    WARBLE_STEP_MS,
)
from softphone.sip.engine import SipEngine
from tests.audio.pulse import RATE, PulseServer
from tests.audio.tones import first_loud, pcm, recording, rms, tone_fraction, windows
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.integration.conftest import assert_no_pj_objects_left
from tests.support.process import ManagedProcess, wait_until
from tests.support.sipp import SCENARIO_DIR, Sipp

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

RINGBACK = (440, 480)
BUSY = (480, 620)
DTMF_5 = (770, 1336)
QUIET_RMS = 50  # what the speaker carries with nothing playing (exact silence, in practice)
LATENCY_S = 0.5  # generous: rings, PulseAudio and the recorder between a change and the file


@dataclass
class ToneRig:
    engine: SipEngine
    rings: AudioRings
    backend: SoundDeviceBackend


@pytest.fixture
def rig(pulse: PulseServer, recorder: EventRecorder, sipp: Sipp) -> Iterator[ToneRig]:
    backend = SoundDeviceBackend()
    backend.refresh()  # enumerate now that PULSE_SERVER points at the private daemon
    rings = AudioRings.create()
    engine = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"), audio=rings)
    engine.start()
    stream = backend.open_duplex(rings.capture, rings.playback)
    try:
        yield ToneRig(engine, rings, backend)
    finally:
        stream.close()
        engine.stop()
        recorder.wait(ev.EngineStopped)
        assert_no_pj_objects_left()


# ---- listening ------------------------------------------------------------------------------


class Recording:
    """A pacat recording of one sink's monitor, started and flowing before the test acts."""

    def __init__(self, pulse: PulseServer, sink: str, path: Path) -> None:
        self.path = path
        self.process = ManagedProcess(
            [
                "pacat", "--raw", "--format=s16le", f"--rate={RATE}", "--channels=1",
                "--latency-msec=20", "--record", f"--device={sink}.monitor", str(path),
            ],
            log_path=path.with_suffix(".log"),
            name=f"record-{sink}",
            env={**pulse.env, "PULSE_PROP": f"application.name=record-{sink}"},
        ).start()  # fmt: skip
        wait_until(lambda: self.seconds() > 0.2, 10, f"audio from {sink}.monitor")

    def samples(self) -> array.array[int]:
        return pcm(recording(self.path))

    def seconds(self) -> float:
        return len(recording(self.path)) / 2 / RATE

    def wait_for(self, seconds: float, what: str, *, after: int = 0) -> array.array[int]:
        """The recording from ``after`` (a sample index) once ``seconds`` of sound has been
        recorded past its onset there."""

        def enough() -> bool:
            tail = self.samples()[after:]
            onset = first_loud(tail)
            return onset is not None and len(tail) - onset > (seconds + 0.1) * RATE

        wait_until(enough, 15, what)
        return self.samples()[after:]

    def wait_quiet_after(self, start: int, seconds: float) -> array.array[int]:
        """``seconds`` recorded from ``start`` + LATENCY_S on."""
        begin = start + int(LATENCY_S * RATE)
        need = begin + int(seconds * RATE)
        wait_until(lambda: len(self.samples()) >= need, 15, f"{seconds} s more of recording")
        return self.samples()[begin:need]

    def settle(self, seconds: float = 0.3) -> int:
        """Wait until what played so far has reached the file and ``seconds`` of silence
        followed; returns the sample index after it (where a test's own sound can start)."""
        quiet = self.wait_quiet_after(len(self.samples()), seconds)
        assert rms(quiet) < QUIET_RMS, f"the speaker is not quiet: rms {rms(quiet):.0f}"
        return len(self.samples())

    def stop(self) -> None:
        self.process.stop(timeout=2.0)


@pytest.fixture
def speaker(pulse: PulseServer, tmp_path: Path) -> Iterator[Recording]:
    rec = Recording(pulse, "speaker", tmp_path / "speaker.raw")
    yield rec
    rec.stop()


def pair_shares(samples: Sequence[int], pairs: Sequence[Sequence[int]], ms: int) -> list[float]:
    """Per ``ms`` window that carries sound: the share of its energy in the best of ``pairs``
    (two-frequency tones; about 1 for a clean one)."""
    shares = []
    for win in windows(array.array("h", samples), ms):
        if rms(win) < 300:
            continue  # a cadence's pause
        shares.append(max(sum(tone_fraction(win, f) for f in pair) for pair in pairs))
    return shares


def assert_pair_tone(
    samples: Sequence[int], pairs: Sequence[Sequence[int]], ms: int, what: str
) -> None:
    shares = pair_shares(samples, pairs, ms)
    assert len(shares) >= 3, f"{what}: hardly any sound ({len(shares)} windows)"
    clean = [s for s in shares if s > 0.7]
    # Rare glitches (an underrun when the clock threads are starved on a loaded machine) are a
    # quality figure, not the behaviour under test.
    assert len(clean) >= 0.75 * len(shares), f"{what}: not {pairs}: {[round(s, 2) for s in shares]}"


def assert_warble(samples: array.array[int], pairs: Sequence[Sequence[int]], what: str) -> None:
    """Two-frequency tones alternating every WARBLE_STEP_MS: windows of one step, aligned with
    the steps (the offset that fits best, tried every 5 ms), each hold one pair."""
    step = RATE * WARBLE_STEP_MS // 1000
    best: list[list[float]] = []
    for offset in range(0, step, RATE * 5 // 1000):
        steps = [samples[i : i + step] for i in range(offset, len(samples) - step + 1, step)]
        shares = [
            [sum(tone_fraction(w, f) for f in pair) for pair in pairs]
            for w in steps
            if rms(w) >= 300
        ]
        if sum(max(s) for s in shares) > sum(max(s) for s in best):
            best = shares
    n = len(best)
    assert n >= 10, f"{what}: hardly any sound ({n} steps)"
    clean = [s for s in best if max(s) > 0.7]
    # as in assert_pair_tone: a rare glitch (which also shifts the steps) is tolerated
    assert len(clean) >= 0.75 * n, f"{what}: not {pairs}: {[round(max(s), 2) for s in best]}"
    for k, pair in enumerate(pairs):
        count = sum(1 for s in clean if s.index(max(s)) == k)
        assert count >= 0.3 * n, f"{what}: {pair} in only {count} of {n} steps"


def each_present(samples: Sequence[int], freqs: Sequence[int], ms: int) -> dict[int, float]:
    """Mean share of each frequency over the loud windows (a pair needs both, not one)."""
    loud = [w for w in windows(array.array("h", samples), ms) if rms(w) >= 300]
    return {f: sum(tone_fraction(w, f) for w in loud) / max(len(loud), 1) for f in freqs}


def body(samples: array.array[int], seconds: float, skip_s: float = 0.05) -> array.array[int]:
    """``seconds`` of the recording from just past its onset."""
    onset = first_loud(samples)
    assert onset is not None, "no sound at all"
    start = onset + int(skip_s * RATE)
    return samples[start : start + int(seconds * RATE)]


def tone_events(recorder: EventRecorder) -> list[tuple[str | None, str | None]]:
    return [(e.tone, e.call_id) for e in recorder.of(ev.LocalToneChanged)]


def wait_tone(
    recorder: EventRecorder, tone: str | None, call_id: str | None = None, **kw: Any
) -> ev.LocalToneChanged:
    fields: dict[str, Any] = {"tone": tone}
    if call_id is not None:
        fields["call_id"] = call_id
    return recorder.wait(ev.LocalToneChanged, timeout=kw.pop("timeout", TIMEOUT), **fields, **kw)


# ---- outgoing calls -------------------------------------------------------------------------


@pytest.fixture
def caller(rig: ToneRig) -> str:
    return rig.engine.add_account(peer_config("1001"), "agent").result(TIMEOUT)


def test_ringback_plays_while_the_far_end_rings_and_stops_when_cancelled(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, caller: str, speaker: Recording
) -> None:
    uas = sipp.start("uas_ringing_forever")
    call = rig.engine.make_call(caller, uas.uri()).result(TIMEOUT)
    ringing = recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.RINGING)
    started = wait_tone(recorder, "ringback", call)
    assert started.at >= ringing.at

    heard = speaker.wait_for(1.0, "ringback at the speaker")
    # Its on-phase lasts 2 s: cancel inside it, so a tone that kept going would still sound.
    at_hangup = len(speaker.samples())
    rig.engine.hangup(call).result(TIMEOUT)
    tone = body(heard, 0.9)
    assert_pair_tone(tone, [RINGBACK], 100, "ringback")
    both = each_present(tone, RINGBACK, 100)
    assert min(both.values()) > 0.3, f"ringback is a pair of tones: {both}"

    ended = recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.DISCONNECTED)
    wait_tone(recorder, None)
    assert ended.sip_code == 487
    after = speaker.wait_quiet_after(at_hangup, 1.0)
    assert rms(after) < QUIET_RMS, f"ringback went on after the cancel: rms {rms(after):.0f}"
    # the user cancelled: no busy or reorder afterwards
    assert tone_events(recorder) == [("ringback", call), (None, None)]
    uas.wait(15).assert_ok()


_RINGING_THEN = """
  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [$local_to]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:service@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>

  <pause milliseconds="500"/>

  <send>
    <![CDATA[

      SIP/2.0 183 Session Progress"""


def test_early_media_after_ringing_stops_the_ringback(
    rig: ToneRig,
    recorder: EventRecorder,
    sipp: Sipp,
    caller: str,
    speaker: Recording,
    tmp_path: Path,
) -> None:
    # uas_early_media with a 180 Ringing half a second before its 183 with SDP
    text = (SCENARIO_DIR / "uas_early_media.xml").read_text()
    head = "  <send>\n    <![CDATA[\n\n      SIP/2.0 183 Session Progress"
    assert head in text
    scenario = tmp_path / "uas_ringing_then_early_media.xml"
    scenario.write_text(text.replace(head, _RINGING_THEN.lstrip("\n"), 1))
    uas = sipp.start(scenario, pause_ms=1500)
    call = rig.engine.make_call(caller, uas.uri()).result(TIMEOUT)
    wait_tone(recorder, "ringback", call)
    recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.EARLY_MEDIA)
    mark = len(speaker.samples())
    speaker.wait_for(0.3, "ringback at the speaker")
    # the far end's early media (silence here: sipp sends no RTP) instead of our ringback,
    # a second before the answer (sipp pauses 1.5 s)
    during = speaker.wait_quiet_after(mark, 0.4)
    assert rms(during) < QUIET_RMS, f"ringback over the early media: rms {rms(during):.0f}"
    recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.CONFIRMED)
    events = recorder.events
    stopped = next(
        i for i, e in enumerate(events) if isinstance(e, ev.LocalToneChanged) and not e.tone
    )
    answered = next(
        i
        for i, e in enumerate(events)
        if isinstance(e, ev.CallStateChanged) and e.state is ev.CallState.CONNECTING
    )
    assert stopped < answered, "the ringback went on until the answer"
    assert tone_events(recorder) == [("ringback", call), (None, None)]
    rig.engine.hangup(call).result(TIMEOUT)
    uas.wait(15).assert_ok()


def test_early_media_without_ringing_plays_no_ringback(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, caller: str
) -> None:
    uas = sipp.start("uas_early_media", pause_ms=500)
    call = rig.engine.make_call(caller, uas.uri()).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.CONFIRMED)
    rig.engine.hangup(call).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.DISCONNECTED)
    assert tone_events(recorder) == []
    uas.wait(15).assert_ok()


def test_busy_after_486_sounds_for_a_few_seconds(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, caller: str, speaker: Recording
) -> None:
    uas = sipp.start("uas_reject_486")
    call = rig.engine.make_call(caller, uas.uri()).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.DISCONNECTED)
    assert ended.sip_code == 486
    busy = wait_tone(recorder, "busy", call)
    assert busy.at >= ended.at

    heard = body(speaker.wait_for(1.9, "busy at the speaker"), 1.9, skip_s=0.0)
    assert_pair_tone(heard, [BUSY], 50, "busy")
    assert min(each_present(heard, BUSY, 50).values()) > 0.3
    # 0.5 s on, 0.5 s off: about half of the windows carry the tone
    loud = [rms(w) >= 300 for w in windows(heard, 50)]
    assert 0.3 < sum(loud) / len(loud) < 0.7, f"not a 0.5/0.5 cadence: {loud}"

    stopped = wait_tone(recorder, None, timeout=15)
    assert 2.0 < stopped.at - busy.at < 10.0  # ~3 s; generous bounds for a loaded machine
    assert tone_events(recorder) == [("busy", call), (None, None)]
    uas.wait(15).assert_ok()


def test_reorder_after_another_failure(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, caller: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "uas_reject_404.xml"
    scenario.write_text(
        (SCENARIO_DIR / "uas_reject_486.xml")
        .read_text()
        .replace("uas_reject_486", "uas_reject_404")
        .replace("486 Busy Here", "404 Not Found")
    )
    uas = sipp.start(scenario)
    call = rig.engine.make_call(caller, uas.uri()).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.DISCONNECTED)
    assert ended.sip_code == 404
    wait_tone(recorder, "reorder", call)
    # a new call silences the reorder at once
    uas2 = sipp.start("uas_ringing_forever")
    mark = recorder.mark()
    second = rig.engine.make_call(caller, uas2.uri()).result(TIMEOUT)
    wait_tone(recorder, "ringback", second, after=mark)
    rig.engine.hangup(second).result(TIMEOUT)
    wait_tone(recorder, None, after=mark)
    assert tone_events(recorder) == [
        ("reorder", call),
        (None, None),
        ("ringback", second),
        (None, None),
    ]
    uas.wait(15).assert_ok()
    uas2.wait(15).assert_ok()


def test_dtmf_feedback_reaches_the_speaker(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, caller: str, speaker: Recording
) -> None:
    uas = sipp.start("uas_answer")
    call = rig.engine.make_call(caller, uas.uri()).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.CONFIRMED)
    recorder.wait(ev.CallMediaChanged, call_id=call, active=True)
    wait_tone(recorder, None)  # ringback (sipp sent 180) has stopped
    mark = speaker.settle()  # the call itself is silent (sipp sends no RTP)
    rig.engine.send_dtmf(call, "5").result(TIMEOUT)
    heard = speaker.wait_for(0.08, "the digit at the speaker", after=mark)
    digit = body(heard, 0.06, skip_s=0.01)
    assert_pair_tone(digit, [DTMF_5], 20, "DTMF 5")
    assert min(each_present(digit, DTMF_5, 20).values()) > 0.3
    assert 300 < rms(digit) < 8000, f"DTMF feedback at a moderate level: rms {rms(digit):.0f}"
    # a digit is ~100 ms, not a tone that goes on
    after = speaker.wait_quiet_after(len(speaker.samples()), 0.5)
    assert rms(after) < QUIET_RMS
    assert [e for e in tone_events(recorder) if e[0] not in ("ringback", None)] == []
    rig.engine.hangup(call).result(TIMEOUT)
    uas.wait(15).assert_ok()


# ---- incoming calls -------------------------------------------------------------------------


def agent(rig: ToneRig, mode: AutoAnswerMode) -> str:
    peers = add_peers(rig.engine, peer_config("agent", auto_answer=AutoAnswerPolicy(mode)))
    return peers.hostport


RINGTONE = [list(pair) for pair in RINGTONE_PAIRS]


def test_ringtone_plays_for_a_call_that_waits_for_the_user(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, speaker: Recording
) -> None:
    hostport = agent(rig, AutoAnswerMode.OFF)
    uac = sipp.start("uac_plain_invite", hostport, service="agent", timeout=20)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_in_s is None
    wait_tone(recorder, "ringtone", incoming.call_id)

    heard = body(speaker.wait_for(0.9, "the ringtone at the speaker"), 0.8)
    assert_warble(heard, RINGTONE, "ringtone")
    rig.engine.reject(incoming.call_id).result(TIMEOUT)
    wait_tone(recorder, None)
    assert tone_events(recorder) == [("ringtone", incoming.call_id), (None, None)]
    uac.wait(15).assert_ok()


def test_no_ringtone_for_a_call_answered_by_its_header(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, speaker: Recording
) -> None:
    hostport = agent(rig, AutoAnswerMode.HEADER)
    start = len(speaker.samples())
    uac = sipp.start("uac_autoanswer", hostport, service="agent", pause_ms=1500, timeout=20)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_in_s == 0
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.CONFIRMED)
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.DISCONNECTED)
    uac.wait(15).assert_ok()
    heard = speaker.samples()[start:]
    assert rms(heard) < QUIET_RMS, f"something played for a pushed call: rms {rms(heard):.0f}"
    assert tone_events(recorder) == []


def test_call_waiting_beeps_instead_of_ringing(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, speaker: Recording
) -> None:
    hostport = agent(rig, AutoAnswerMode.OFF)
    uas = sipp.start("uas_answer")
    first = rig.engine.make_call("agent", uas.uri()).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=first, state=ev.CallState.CONFIRMED)
    wait_tone(recorder, None)  # the first call's ringback
    mark = speaker.settle()
    uac = sipp.start("uac_plain_invite", hostport, service="agent", timeout=20)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.waiting
    wait_tone(recorder, "call_waiting", incoming.call_id)
    heard = speaker.wait_for(0.2, "the call-waiting beep", after=mark)
    beep = body(heard, 0.2)
    shares = [tone_fraction(w, 440) for w in windows(beep, 50)]
    assert min(shares) > 0.7, f"not a 440 Hz beep: {shares}"
    # a short beep (300 ms), not a ringtone
    after = speaker.wait_quiet_after(len(speaker.samples()), 1.0)
    assert rms(after) < QUIET_RMS
    rig.engine.reject(incoming.call_id).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.DISCONNECTED)
    rig.engine.hangup(first).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=first, state=ev.CallState.DISCONNECTED)
    assert tone_events(recorder)[-2:] == [("call_waiting", incoming.call_id), (None, None)]
    uac.wait(15).assert_ok()
    uas.wait(15).assert_ok()


# ---- the ringtone choice ---------------------------------------------------------------------


def assert_classic(samples: array.array[int], what: str) -> None:
    """Two rings of 0.4 s, 0.2 s apart, of CLASSIC_PAIR: 50 ms windows from the onset."""
    ring = body(samples, 1.0, skip_s=0.0)
    assert_pair_tone(ring, [CLASSIC_PAIR], 50, what)
    assert min(each_present(ring, CLASSIC_PAIR, 50).values()) > 0.3, f"{what}: not both tones"
    loud = [rms(w) >= 300 for w in windows(ring, 50)]
    # 0-400 ms on, 400-600 off, 600-1000 on; the edges' windows are left out
    first, gap, second = loud[1:7], loud[9:11], loud[13:19]
    assert all(first) and not any(gap) and all(second), f"{what}: not a double ring: {loud}"


def assert_chime(samples: array.array[int], what: str) -> None:
    """Three falling notes of 4 x CHIME_STEP_MS each, fading within the note."""
    note_n = RATE * 4 * CHIME_STEP_MS // 1000
    ring = body(samples, 3 * note_n / RATE, skip_s=0.0)
    for k, note in enumerate(CHIME_NOTES):
        part = ring[k * note_n + RATE // 50 : (k + 1) * note_n - RATE // 50]
        shares = [tone_fraction(w, note) for w in windows(part, 20)]
        assert sum(s > 0.7 for s in shares) >= 0.75 * len(shares), f"{what}: note {k} {shares}"
        head, tail = part[: len(part) // 4], part[-len(part) // 4 :]
        assert rms(tail) < 0.6 * rms(head), f"{what}: note {k} does not fade"


def assert_ringtone(choice: Ringtone, samples: array.array[int], what: str) -> None:
    if choice is Ringtone.WARBLE:
        assert_warble(body(samples, 0.8), RINGTONE, what)
    elif choice is Ringtone.CLASSIC:
        assert_classic(samples, what)
    else:
        assert_chime(samples, what)


BUILT_IN = [Ringtone.WARBLE, Ringtone.CLASSIC, Ringtone.CHIME]


@pytest.mark.parametrize("choice", BUILT_IN, ids=[r.value for r in BUILT_IN])
def test_each_ringtone_preview_has_its_own_sound_and_stops_when_asked(
    rig: ToneRig, speaker: Recording, choice: Ringtone
) -> None:
    mark = speaker.settle()
    assert rig.engine.preview_ringtone(choice).result(TIMEOUT) == PREVIEW_S
    heard = speaker.wait_for(1.0, f"the {choice} preview at the speaker", after=mark)
    assert_ringtone(choice, heard, f"{choice} preview")
    for other in BUILT_IN:  # and it is none of the others
        if other is not choice:
            with pytest.raises(AssertionError):
                assert_ringtone(other, heard, f"{choice} taken for {other}")
    rig.engine.stop_ringtone_preview().result(TIMEOUT)
    after = speaker.wait_quiet_after(len(speaker.samples()), 1.0)
    assert rms(after) < QUIET_RMS, f"the preview went on after Stop: rms {rms(after):.0f}"


def test_a_ringtone_chosen_live_rings_the_next_call(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, speaker: Recording
) -> None:
    hostport = agent(rig, AutoAnswerMode.OFF)
    rig.engine.set_ringtone(Ringtone.CLASSIC).result(TIMEOUT)
    assert rig.engine.snapshot().result(TIMEOUT).ringtone is Ringtone.CLASSIC
    mark = speaker.settle()
    uac = sipp.start("uac_plain_invite", hostport, service="agent", timeout=20)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    wait_tone(recorder, "ringtone", incoming.call_id)
    heard = speaker.wait_for(1.1, "the classic ringtone at the speaker", after=mark)
    assert_classic(heard, "classic ringtone")
    rig.engine.reject(incoming.call_id).result(TIMEOUT)
    wait_tone(recorder, None)
    uac.wait(15).assert_ok()


def test_no_ringtone_rings_silently(
    rig: ToneRig, recorder: EventRecorder, sipp: Sipp, speaker: Recording
) -> None:
    hostport = agent(rig, AutoAnswerMode.OFF)
    rig.engine.set_ringtone(Ringtone.NONE).result(TIMEOUT)
    mark = speaker.settle()
    uac = sipp.start("uac_plain_invite", hostport, service="agent", timeout=20)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    assert incoming.auto_answer_in_s is None  # it waits for the user, and rings: silently
    # a whole ringtone period (3 s) from the INVITE on, past the latency
    heard = speaker.wait_quiet_after(mark, 3.5)
    assert rms(heard) < QUIET_RMS, f"a silent ringtone sounded: rms {rms(heard):.0f}"
    assert first_loud(heard, threshold=QUIET_RMS) is None
    # and a preview of silence plays nothing
    assert rig.engine.preview_ringtone(Ringtone.NONE).result(TIMEOUT) == 0.0
    rig.engine.reject(incoming.call_id).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.DISCONNECTED)
    assert tone_events(recorder) == []
    uac.wait(15).assert_ok()


# ---- a separate ringer device ---------------------------------------------------------------


RINGER_SINK = "ringer"


@dataclass
class RingerOutput:
    recording: Recording


@pytest.fixture
def ringer(rig: ToneRig, pulse: PulseServer, tmp_path: Path) -> Iterator[RingerOutput]:
    """What the app's ringer device would be: an output-only stream draining ``rings.ringer``
    into a PulseAudio null sink of its own."""
    import sounddevice

    ring = rig.rings.ringer
    with contextlib.ExitStack() as cleanup:
        module = pulse.pactl(
            "load-module",
            "module-null-sink",
            f"sink_name={RINGER_SINK}",
            "rate=48000",
            "channels=2",
        ).strip()
        cleanup.callback(pulse.pactl, "unload-module", module)
        # as in tests/audio/pulse.py: a null sink without a low-latency stream stalls new ones
        keepalive = ["pacat", "--raw", f"--rate={RATE}", "--channels=1", "--latency-msec=20"]
        keepalive += ["--playback", f"--device={RINGER_SINK}", "/dev/zero"]
        feeder = ManagedProcess(
            keepalive,
            log_path=tmp_path / "keepalive-ringer.log",
            name="keepalive-ringer",
            env=pulse.env,
        ).start()
        cleanup.callback(feeder.stop, timeout=2.0)
        recording = Recording(pulse, RINGER_SINK, tmp_path / "ringer.raw")
        cleanup.callback(recording.stop)

        def fill(data: Any, frames: int, time: Any, status: Any) -> None:
            ring.read_into(data)

        # PortAudio reaches PulseAudio through ALSA's "pulse" device, which plays to PULSE_SINK
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PULSE_SINK", RINGER_SINK)
            stream = sounddevice.RawOutputStream(
                samplerate=RATE, channels=1, dtype="int16", blocksize=160, callback=fill
            )
        cleanup.callback(stream.close)
        cleanup.callback(stream.abort)
        cleanup.callback(ring.stop)
        ring.start()
        stream.start()
        yield RingerOutput(recording)


def test_the_ringtone_goes_to_the_ringer_device_when_one_is_open(
    rig: ToneRig,
    recorder: EventRecorder,
    sipp: Sipp,
    speaker: Recording,
    ringer: RingerOutput,
) -> None:
    hostport = agent(rig, AutoAnswerMode.OFF)
    start = len(speaker.samples())
    uac = sipp.start("uac_plain_invite", hostport, service="agent", timeout=20)
    incoming = recorder.wait(ev.IncomingCall, account_id="agent")
    wait_tone(recorder, "ringtone", incoming.call_id)
    heard = body(ringer.recording.wait_for(0.9, "the ringtone at the ringer device"), 0.8)
    assert_warble(heard, RINGTONE, "ringtone on the ringer device")
    at_speaker = speaker.samples()[start:]
    assert rms(at_speaker) < QUIET_RMS, f"the ringtone reached the speaker: {rms(at_speaker):.0f}"
    rig.engine.reject(incoming.call_id).result(TIMEOUT)
    wait_tone(recorder, None)
    uac.wait(15).assert_ok()


# ---- without tones --------------------------------------------------------------------------


@pytest.mark.parametrize("with_rings", [False, True], ids=["headless", "turned-off"])
def test_no_tones_without_sound_devices_or_when_turned_off(
    recorder: EventRecorder, sipp: Sipp, with_rings: bool
) -> None:
    engine = SipEngine(
        recorder,
        EngineConfig(bind_address="127.0.0.1", local_tones=not with_rings),
        audio=AudioRings.create() if with_rings else None,
    )
    engine.start()
    try:
        acc = engine.add_account(peer_config("1001"), "agent").result(TIMEOUT)
        uas = sipp.start("uas_answer")  # rings (180), then answers
        call = engine.make_call(acc, uas.uri()).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.RINGING)
        recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.CONFIRMED)
        engine.send_dtmf(call, "5").result(TIMEOUT)
        engine.hangup(call).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.DISCONNECTED)
        uas.wait(15).assert_ok()
    finally:
        engine.stop()
    recorder.wait(ev.EngineStopped)
    assert_no_pj_objects_left()
    assert tone_events(recorder) == []
