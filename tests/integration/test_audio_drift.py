"""A 20 s call through the audio bridge with a sound card whose clock is ±2000 ppm off: 40 ms of
drift, more than each ring's 30 ms fill, as much as 40 s with a card ±1000 ppm off, an extreme
one (the ring compensates up to 3125 ppm).

The engine's two accounts call each other; the dialer's leg is muted, so exactly one path runs:
the simulated card's microphone (a 1 kHz tone) → capture ring → bridge port → the agent's leg →
RTP → the dialer's leg → bridge port → playback ring → the card's speaker. pjmedia's clock runs on
the system clock, the card ``ppm`` off it, so without compensation both rings would drift by
32 samples a second (~1 s per 500 s) and underrun or overflow within these 20 s.
"""

from __future__ import annotations

import pytest

from softphone.audio.ring import AudioRings, RingStats
from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy
from softphone.sip.engine import SipEngine
from tests.audio.drifting import RATE, DriftingDevice
from tests.audio.tones import pcm, rms, tone_fraction, windows
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

TONE_HZ = 1000.0
CALL_S = 20.0
SETTLE_S = 3.0  # the rings prime, align their average fill once, and the call's audio starts
CHECKED_TAIL_S = 10.0


def seconds_heard(device: DriftingDevice) -> float:
    return len(device.speaker()) / 2 / RATE


def glitches(before: RingStats, after: RingStats) -> dict[str, int]:
    return {
        "underruns": after.underruns - before.underruns,
        "overruns": after.overruns - before.overruns,
        "resyncs": after.resyncs - before.resyncs,
    }


@pytest.mark.parametrize("ppm", [2000.0, -2000.0], ids=["card-fast", "card-slow"])
def test_twenty_seconds_with_a_drifting_card_have_no_underruns_after_settling(
    card_engine: SipEngine, card_rings: AudioRings, recorder: EventRecorder, ppm: float
) -> None:
    peers = add_peers(
        card_engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    device = DriftingDevice(card_rings, ppm=ppm, tone_hz=TONE_HZ).start()
    try:
        out = card_engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
        recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
        card_engine.set_mute(out, True).result(TIMEOUT)  # one path only: no echo of the tone

        wait_until(lambda: seconds_heard(device) >= SETTLE_S, 20, "the call to settle")
        mic0, speaker0 = card_rings.capture.stats(), card_rings.playback.stats()
        heard0 = seconds_heard(device)
        wait_until(lambda: seconds_heard(device) >= CALL_S, CALL_S + 30, f"a {CALL_S:.0f} s call")
        mic1, speaker1 = card_rings.capture.stats(), card_rings.playback.stats()
        heard = seconds_heard(device) - heard0
        audio = pcm(device.speaker())
    finally:
        device.stop()

    # No glitch after settling, in either direction.
    assert glitches(mic0, mic1) == {"underruns": 0, "overruns": 0, "resyncs": 0}, mic1
    assert glitches(speaker0, speaker1) == {"underruns": 0, "overruns": 0, "resyncs": 0}, speaker1

    # The compensation did the work: the drift is ppm × samples moved, one sample a correction.
    drift = abs(ppm) / 1e6 * heard * RATE
    for name, before, after in (("mic", mic0, mic1), ("speaker", speaker0, speaker1)):
        corrections = after.corrections - before.corrections
        assert 0.6 * drift < corrections < 1.6 * drift + 20, (
            f"{name}: {corrections} corrections for {drift:.0f} samples of drift"
        )
        fast_side = after.squeezes - before.squeezes > after.stretches - before.stretches
        # card fast: the mic ring fills (squeeze), the speaker ring drains (stretch); slow: reverse
        assert fast_side == ((ppm > 0) == (name == "mic")), (name, after)
        assert abs(after.smoothed_fill_ms - after.target_ms) < 6, (name, after)

    # And the tone came through whole: the last seconds are clean 1 kHz with no gap.
    tail = audio[-int(CHECKED_TAIL_S * RATE) :]
    level = rms(tail)
    assert level > 2000, f"the tone did not reach the speaker (rms {level:.0f})"
    dirty = [i * 50 for i, w in enumerate(windows(tail, 50)) if tone_fraction(w, TONE_HZ) < 0.7]
    assert not dirty, f"not a clean {TONE_HZ:.0f} Hz tone at {dirty[:10]} ms of the last 10 s"
    quiet = [i * 10 for i, w in enumerate(windows(tail, 10)) if rms(w) < 0.3 * level]
    assert not quiet, f"gaps at {quiet[:10]} ms of the last 10 s"
