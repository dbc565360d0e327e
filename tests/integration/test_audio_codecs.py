"""SRTP and G.722 calls carry the microphone to the speaker through the audio bridge.

Same single path as the drift test (the dialer's leg muted), on a simulated card at the system
clock's rate: card microphone → bridge → one call leg → RTP/SRTP → the other leg → bridge → card
speaker. A 6 kHz tone only survives a wideband codec: G.722 carries up to 7 kHz, the 8 kHz
codecs (PCMU, PCMA, GSM…) cut everything above 4 kHz.
"""

from __future__ import annotations

import pytest

from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, SrtpMode
from softphone.sip.engine import SipEngine
from tests.audio.drifting import RATE, DriftingDevice
from tests.audio.tones import pcm, rms, tone_fraction, windows
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.support.process import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

HEARD_S = 3.0
CHECKED_S = 1.5


def call_with_tone(
    engine: SipEngine,
    card_rings: AudioRings,
    recorder: EventRecorder,
    tone_hz: float,
    **account: object,
) -> tuple[ev.CallMediaChanged, bytes]:
    """A call between two accounts with these settings; (the dialer's media, the card's speaker)."""
    peers = add_peers(
        engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS), **account),
        peer_config("dialer", **account),
    )
    device = DriftingDevice(card_rings, ppm=0.0, tone_hz=tone_hz).start()
    try:
        out = engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
        media = recorder.wait(ev.CallMediaChanged, call_id=out, active=True)
        engine.set_mute(out, True).result(TIMEOUT)
        heard_from = len(device.speaker())
        wait_until(
            lambda: len(device.speaker()) - heard_from >= HEARD_S * RATE * 2, 20, "the call audio"
        )
        engine.hangup(out).result(TIMEOUT)
        return media, device.speaker()
    finally:
        device.stop()


def assert_clean_tone(data: bytes, tone_hz: float) -> None:
    tail = pcm(data)[-int(CHECKED_S * RATE) :]
    level = rms(tail)
    assert level > 2000, f"the {tone_hz:.0f} Hz tone did not reach the speaker (rms {level:.0f})"
    fractions = [tone_fraction(w, tone_hz) for w in windows(tail, 50)]
    dirty = [i * 50 for i, f in enumerate(fractions) if f < 0.7]
    assert not dirty, f"not a clean {tone_hz:.0f} Hz tone at {dirty[:10]} ms"


def test_a_g722_call_carries_wideband_audio(
    card_engine: SipEngine, card_rings: AudioRings, recorder: EventRecorder
) -> None:
    media, speaker = call_with_tone(card_engine, card_rings, recorder, 6000.0, codecs=("G722",))
    assert media.codec.upper().startswith("G722"), media
    assert_clean_tone(speaker, 6000.0)


def test_a_narrowband_call_cuts_the_wideband_tone(
    card_engine: SipEngine, card_rings: AudioRings, recorder: EventRecorder
) -> None:
    # The control for the test above: through PCMU the same 6 kHz tone does not arrive.
    media, speaker = call_with_tone(card_engine, card_rings, recorder, 6000.0, codecs=("PCMU",))
    assert media.codec.upper().startswith("PCMU"), media
    tail = pcm(speaker)[-int(CHECKED_S * RATE) :]
    assert rms(tail) < 500, f"a 6 kHz tone crossed an 8 kHz codec (rms {rms(tail):.0f})"


@pytest.mark.parametrize("codec", ["G722", "PCMU"])
def test_an_srtp_call_carries_the_tone(
    card_engine: SipEngine, card_rings: AudioRings, recorder: EventRecorder, codec: str
) -> None:
    media, speaker = call_with_tone(
        card_engine, card_rings, recorder, 1000.0, codecs=(codec,), srtp=SrtpMode.OPTIONAL
    )
    assert media.srtp, f"the call is not encrypted: {media}"
    assert media.codec.upper().startswith(codec), media
    assert_clean_tone(speaker, 1000.0)
