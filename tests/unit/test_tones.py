"""Which local tone plays for which call states (pure decision), and how ``LocalTones`` drives
its outputs and timers (with a fake output and a fake clock; no pjsua2 library running)."""

from __future__ import annotations

from typing import Any

import pytest

from softphone.core import events as ev
from softphone.core.models import Ringtone
from softphone.sip.cadences import (
    CADENCES,
    CHIME_NOTES,
    CLASSIC_PAIR,
    PREVIEW_S,
    RINGTONES,
    Cadence,
    Tone,
    cadence_frequencies,
)
from softphone.sip.timers import Timers
from softphone.sip.tone_choice import CallView, choose, ended_tone
from softphone.sip.tones import CALL_WAITING_EVERY_S, ENDED_TONE_S, LocalTones

IN, OUT = ev.Direction.INBOUND, ev.Direction.OUTBOUND
S = ev.CallState


def ringing_in(call_id: str = "c1", *, rings: bool = True) -> CallView:
    return CallView(call_id, IN, S.INCOMING, rings=rings)


def out(
    call_id: str, state: ev.CallState, *, alerted: bool = True, media: bool = False
) -> CallView:
    return CallView(call_id, OUT, state, alerted=alerted, media=media)


# ---- choose ---------------------------------------------------------------------------------


def test_nothing_plays_without_calls() -> None:
    assert choose([]) is None


def test_a_ringing_incoming_call_rings() -> None:
    assert choose([ringing_in()]) == (Tone.RINGTONE, "c1")


def test_an_incoming_call_answered_at_once_does_not_ring() -> None:
    assert choose([ringing_in(rings=False)]) is None


def test_a_second_incoming_call_beeps_instead_of_ringing() -> None:
    up = CallView("c1", OUT, S.CONFIRMED, alerted=True, media=True)
    assert choose([up, ringing_in("c2")]) == (Tone.CALL_WAITING, "c2")
    # also while the first call is still being answered automatically
    assert choose([ringing_in("c1", rings=False), ringing_in("c2")]) == (Tone.CALL_WAITING, "c2")


def test_two_ringing_incoming_calls_ring_for_the_first() -> None:
    assert choose([ringing_in("c1"), ringing_in("c2")]) == (Tone.RINGTONE, "c1")


@pytest.mark.parametrize("state", [S.RINGING, S.EARLY_MEDIA])
def test_ringback_after_180_without_early_media(state: ev.CallState) -> None:
    assert choose([out("c1", state)]) == (Tone.RINGBACK, "c1")


@pytest.mark.parametrize(
    "view",
    [
        out("c1", S.CALLING, alerted=False),  # no 180 yet
        out("c1", S.EARLY_MEDIA, alerted=False),  # 183 first: the far end's audio, not ours
        out("c1", S.EARLY_MEDIA, media=True),  # 183 with SDP after the 180
        out("c1", S.RINGING, media=True),  # 180 with SDP
        out("c1", S.CONNECTING, media=True),
        out("c1", S.CONFIRMED, media=True),
    ],
)
def test_no_ringback(view: CallView) -> None:
    assert choose([view]) is None


def test_ringback_outranks_call_waiting_and_the_newest_outgoing_call_wins() -> None:
    calls = [out("c1", S.RINGING), ringing_in("c2"), out("c3", S.RINGING)]
    assert choose(calls) == (Tone.RINGBACK, "c3")


def test_an_ended_call_tone_plays_only_when_nothing_else_does() -> None:
    ended = (Tone.BUSY, "c0")
    assert choose([], ended) == ended
    up = CallView("c1", IN, S.CONFIRMED, media=True)
    assert choose([up], ended) == ended  # a held call does not hide a failed consultation
    assert choose([ringing_in("c2")], ended) == (Tone.RINGTONE, "c2")
    assert choose([out("c3", S.RINGING)], ended) == (Tone.RINGBACK, "c3")


# ---- ended_tone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "tone"),
    [
        (486, Tone.BUSY),
        (600, Tone.BUSY),
        (404, Tone.REORDER),
        (408, Tone.REORDER),
        (480, Tone.REORDER),
        (488, Tone.REORDER),
        (500, Tone.REORDER),
        (503, Tone.REORDER),
        (603, Tone.REORDER),
        (0, Tone.REORDER),  # no reply at all (transport failure)
        (487, None),  # cancelled
        (200, None),
    ],
)
def test_tone_after_a_failed_outgoing_call(code: int, tone: Tone | None) -> None:
    assert ended_tone(direction=OUT, connected=False, sip_code=code, by_user=False) is tone


def test_no_tone_after_a_cancel_an_answered_call_or_an_incoming_call() -> None:
    assert ended_tone(direction=OUT, connected=False, sip_code=408, by_user=True) is None
    assert ended_tone(direction=OUT, connected=True, sip_code=486, by_user=False) is None
    assert ended_tone(direction=IN, connected=False, sip_code=486, by_user=False) is None


# ---- cadences -------------------------------------------------------------------------------


def cycle_ms(cadence: Cadence) -> tuple[int, int]:
    return sum(s.on_ms for s in cadence.segments), sum(s.off_ms for s in cadence.segments)


def test_cadences_follow_the_north_american_plan() -> None:
    assert cadence_frequencies(Tone.RINGBACK) == [440, 480]
    assert cycle_ms(CADENCES[Tone.RINGBACK]) == (2000, 4000) and CADENCES[Tone.RINGBACK].loop
    assert cadence_frequencies(Tone.BUSY) == [480, 620]
    assert {(s.on_ms, s.off_ms) for s in CADENCES[Tone.BUSY].segments} == {(500, 500)}
    assert cadence_frequencies(Tone.REORDER) == [480, 620]
    assert {(s.on_ms, s.off_ms) for s in CADENCES[Tone.REORDER].segments} == {(250, 250)}
    for tone in (Tone.BUSY, Tone.REORDER):
        assert not CADENCES[tone].loop and sum(cycle_ms(CADENCES[tone])) == ENDED_TONE_S * 1000
    assert cadence_frequencies(Tone.CALL_WAITING) == [440]
    assert cycle_ms(CADENCES[Tone.CALL_WAITING]) == (300, 0)


def test_the_ringtone_warbles_for_a_second_then_pauses_two() -> None:
    ring = CADENCES[Tone.RINGTONE]
    assert ring.loop and cycle_ms(ring) == (1000, 2000)
    pairs = [(s.freq1, s.freq2) for s in ring.segments]
    assert len(set(pairs)) == 2 and pairs[0] != pairs[1]
    # distinct from the call-progress and DTMF frequencies, so neither is mistaken for it
    dtmf = {697, 770, 852, 941, 1209, 1336, 1477, 1633}
    assert not set(cadence_frequencies(Tone.RINGTONE)) & (dtmf | {440, 480, 620})
    assert len(ring.segments) <= 32  # PJMEDIA_TONEGEN_MAX_DIGITS


def test_each_ringtone_has_its_own_sound_and_none_is_silent() -> None:
    warble, classic, chime = (RINGTONES[r] for r in Ringtone if r is not Ringtone.NONE)
    assert warble is CADENCES[Tone.RINGTONE] and RINGTONES[Ringtone.NONE] is None
    assert classic is not None and chime is not None
    # the classic: a double ring, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off
    assert [(s.freq1, s.freq2) for s in classic.segments] == [CLASSIC_PAIR] * 2
    assert [(s.on_ms, s.off_ms) for s in classic.segments] == [(400, 200), (400, 2000)]
    # the chime: three falling single notes, each fading
    notes = [s.freq1 for s in chime.segments]
    assert sorted(set(notes), reverse=True) == list(CHIME_NOTES) and not any(
        s.freq2 for s in chime.segments
    )
    first = [s.volume for s in chime.segments if s.freq1 == CHIME_NOTES[0]]
    assert first == sorted(first, reverse=True) and first[0] > 2 * first[-1]
    dtmf = {697, 770, 852, 941, 1209, 1336, 1477, 1633}
    for cadence in (classic, chime):
        assert cadence.loop and len(cadence.segments) <= 32
        freqs = {f for s in cadence.segments for f in (s.freq1, s.freq2) if f}
        assert not freqs & (dtmf | {440, 480, 620})
        assert sum(cycle_ms(cadence)) == 3000  # the warble's period: rings as often


# ---- LocalTones with fake outputs -----------------------------------------------------------


class FakeOutput:
    def __init__(self, log: list[tuple[Any, ...]]) -> None:
        self.log = log
        self.sink: Any = None

    def route(self, sink: Any) -> None:
        self.sink = sink
        self.log.append(("route", sink))

    def disconnect(self) -> None:
        self.sink = None

    def play(self, cadence: Cadence) -> None:
        named = [*CADENCES.items(), *RINGTONES.items()]
        self.log.append(("play", next(t for t, c in named if c is cadence)))

    def play_digits(self, digits: str) -> None:
        self.log.append(("digits", digits, self.sink))

    def stop(self) -> None:
        self.log.append(("stop",))

    def close(self) -> None:
        self.log.append(("close",))


class Sinks:
    def __init__(self) -> None:
        self.ringer_open = False

    def speaker(self) -> str:
        return "speaker"

    def ringer(self) -> str | None:
        return "ringer" if self.ringer_open else None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(self, ringtone: Ringtone = Ringtone.WARBLE) -> None:
        self.clock = Clock()
        self.timers = Timers(self.clock)
        self.events: list[ev.Event] = []
        self.log: list[tuple[Any, ...]] = []
        self.outputs: list[FakeOutput] = []
        self.sinks = Sinks()
        self.tones = LocalTones(
            self.sinks, self.timers, self.events.append, self.make, ringtone=ringtone
        )

    def make(self) -> FakeOutput:
        output = FakeOutput(self.log)
        self.outputs.append(output)
        return output

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds
        self.timers.run_due()

    def changes(self) -> list[tuple[str | None, str | None]]:
        return [(e.tone, e.call_id) for e in self.events if isinstance(e, ev.LocalToneChanged)]

    def plays(self) -> list[Any]:
        return [entry[1] for entry in self.log if entry[0] == "play"]

    def state(self, call_id: str, direction: ev.Direction, state: ev.CallState, **kw: Any) -> None:
        kw.setdefault("sip_code", 0)
        kw.setdefault("connected", False)
        self.tones.call_state(call_id, direction, state, **kw)


def test_an_outgoing_call_rings_back_then_the_answer_stops_it() -> None:
    rig = Rig()
    rig.state("c1", OUT, S.CALLING)
    assert rig.changes() == [] and rig.outputs == []  # nothing created before it is needed
    rig.state("c1", OUT, S.RINGING, sip_code=180)
    rig.tones.media("c1", True)
    rig.state("c1", OUT, S.CONFIRMED, sip_code=200, connected=True)
    rig.state("c1", OUT, S.DISCONNECTED, sip_code=200, connected=True)
    assert rig.changes() == [("ringback", "c1"), (None, None)]
    assert rig.plays() == [Tone.RINGBACK]


def test_busy_sounds_for_its_time_then_stops() -> None:
    rig = Rig()
    rig.state("c1", OUT, S.CALLING)
    rig.state("c1", OUT, S.DISCONNECTED, sip_code=486)
    assert rig.changes() == [("busy", "c1")]
    rig.advance(ENDED_TONE_S - 0.1)
    assert rig.changes() == [("busy", "c1")]
    rig.advance(0.2)
    assert rig.changes() == [("busy", "c1"), (None, None)]


def test_a_users_cancel_gives_no_reorder_even_when_the_far_end_times_out() -> None:
    rig = Rig()
    rig.state("c1", OUT, S.CALLING)
    rig.tones.hung_up("c1")
    rig.state("c1", OUT, S.DISCONNECTED, sip_code=408)
    assert rig.changes() == []


def test_redialling_silences_the_reorder_at_once() -> None:
    rig = Rig()
    rig.state("c1", OUT, S.DISCONNECTED, sip_code=404)
    rig.state("c2", OUT, S.CALLING)
    assert rig.changes() == [("reorder", "c1"), (None, None)]
    rig.advance(ENDED_TONE_S + 1)
    rig.state("c2", OUT, S.RINGING, sip_code=180)
    assert rig.changes()[-1] == ("ringback", "c2")


def test_the_ringtone_goes_to_the_ringer_device_when_one_is_open() -> None:
    rig = Rig()
    rig.tones.incoming("c1")
    assert rig.log[:2] == [("route", "speaker"), ("play", Tone.RINGTONE)]
    rig.state("c1", IN, S.DISCONNECTED, sip_code=487)
    rig.sinks.ringer_open = True
    rig.tones.incoming("c2")
    assert ("route", "ringer") in rig.log
    assert rig.changes() == [("ringtone", "c1"), (None, None), ("ringtone", "c2")]


def test_an_incoming_call_answered_at_once_plays_nothing() -> None:
    rig = Rig()
    rig.state("c1", IN, S.INCOMING)
    rig.state("c1", IN, S.CONNECTING, sip_code=200)
    rig.state("c1", IN, S.CONFIRMED, sip_code=200, connected=True)
    assert rig.changes() == [] and rig.outputs == []


def test_call_waiting_beeps_again_every_ten_seconds_while_it_waits() -> None:
    rig = Rig()
    rig.state("c1", IN, S.CONFIRMED, sip_code=200, connected=True)
    rig.tones.incoming("c2")
    assert rig.changes() == [("call_waiting", "c2")]
    rig.advance(CALL_WAITING_EVERY_S + 0.01)
    rig.advance(CALL_WAITING_EVERY_S + 0.01)
    assert rig.plays() == [Tone.CALL_WAITING] * 3
    rig.state("c2", IN, S.DISCONNECTED, sip_code=487)
    rig.advance(CALL_WAITING_EVERY_S * 3)
    assert rig.plays() == [Tone.CALL_WAITING] * 3
    assert rig.changes() == [("call_waiting", "c2"), (None, None)]


def test_dtmf_feedback_plays_into_the_speaker_on_its_own_output() -> None:
    rig = Rig()
    rig.state("c1", OUT, S.RINGING, sip_code=180)
    rig.tones.dtmf("5#")
    assert ("digits", "5#", "speaker") in rig.log
    assert len(rig.outputs) == 2  # the ringback's output is left alone
    assert rig.changes() == [("ringback", "c1")]


def test_close_stops_everything_and_the_hooks_go_quiet() -> None:
    rig = Rig()
    rig.tones.incoming("c1")
    rig.tones.dtmf("1")
    rig.tones.close()
    assert rig.changes() == [("ringtone", "c1"), (None, None)]
    assert rig.log.count(("close",)) == 2
    rig.tones.incoming("c2")
    rig.tones.dtmf("2")
    rig.advance(60)
    assert rig.changes() == [("ringtone", "c1"), (None, None)]


def test_a_failing_output_never_breaks_the_call_hooks(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()

    def broken() -> FakeOutput:
        raise RuntimeError("no bridge")

    tones = LocalTones(rig.sinks, rig.timers, rig.events.append, broken)
    tones.incoming("c1")  # logged, not raised
    tones.dtmf("1")
    tones.call_state("c1", IN, S.DISCONNECTED, sip_code=487, connected=False)
    assert rig.events == []  # nothing played, so nothing is reported as playing
    assert "could not start" in caplog.text and "dtmf failed" in caplog.text


# ---- the ringtone choice and its preview ----------------------------------------------------


def test_the_chosen_ringtone_rings_and_none_rings_silently() -> None:
    rig = Rig(Ringtone.CLASSIC)
    rig.tones.incoming("c1")
    assert rig.plays() == [Ringtone.CLASSIC]
    rig.state("c1", IN, S.DISCONNECTED, sip_code=487)
    rig.tones.set_ringtone(Ringtone.NONE)
    rig.tones.incoming("c2")
    assert rig.plays() == [Ringtone.CLASSIC]
    assert rig.changes() == [("ringtone", "c1"), (None, None)]
    # call waiting is not the ringtone: it still beeps
    rig.state("c2", IN, S.DISCONNECTED, sip_code=487)
    rig.state("c3", OUT, S.CONFIRMED, sip_code=200, connected=True)
    rig.tones.incoming("c4")
    assert rig.changes()[-1] == ("call_waiting", "c4")


def test_a_new_choice_applies_to_the_call_ringing_now() -> None:
    rig = Rig()
    rig.tones.incoming("c1")
    rig.tones.set_ringtone(Ringtone.CHIME)
    assert rig.plays() == [Tone.RINGTONE, Ringtone.CHIME]
    rig.tones.set_ringtone(Ringtone.NONE)
    assert rig.changes()[-1] == (None, None) and rig.log[-1] == ("stop",)
    rig.tones.set_ringtone(Ringtone.WARBLE)
    assert rig.plays()[-1] == Tone.RINGTONE and rig.changes()[-1] == ("ringtone", "c1")


def previewing(rig: Rig) -> bool:
    return rig.tones.previewing  # a call: mypy keeps no narrowing across it


def test_a_preview_plays_where_calls_ring_for_a_few_seconds() -> None:
    rig = Rig()
    assert rig.tones.preview(Ringtone.CHIME) == PREVIEW_S
    assert rig.log[:2] == [("route", "speaker"), ("play", Ringtone.CHIME)]
    assert previewing(rig) and rig.changes() == []  # a sample, not a call's tone
    rig.advance(PREVIEW_S - 0.1)
    assert previewing(rig)
    rig.advance(0.2)
    assert not previewing(rig) and rig.log[-1] == ("stop",)
    rig.sinks.ringer_open = True
    assert rig.tones.preview(Ringtone.CLASSIC) == PREVIEW_S
    assert rig.log[-2:] == [("route", "ringer"), ("play", Ringtone.CLASSIC)]
    rig.tones.stop_preview()
    assert not previewing(rig) and rig.log[-1] == ("stop",)
    assert rig.tones.preview(Ringtone.NONE) == 0.0 and not previewing(rig)


def test_a_real_call_stops_the_preview_and_no_preview_plays_over_it() -> None:
    rig = Rig()
    rig.tones.preview(Ringtone.CHIME)
    preview = rig.outputs[0]
    rig.tones.incoming("c1")
    assert not previewing(rig) and preview.sink is None
    assert rig.tones.preview(Ringtone.CHIME) == 0.0
    assert rig.plays() == [Ringtone.CHIME, Tone.RINGTONE]
    rig.tones.close()
    assert rig.log.count(("close",)) == 2  # the preview's generator and the signal's
