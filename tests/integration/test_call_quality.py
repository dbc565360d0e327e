"""Each call's quality from its RTP and RTCP counters (CallQuality): reported while the call is
up and once more as it ends, with what really crossed the wire: a clean call over loopback
loses nothing and rates at the E-model's ceiling; a far end that skips packets is seen losing
them, and the score falls."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from collections.abc import Iterator

import pytest

from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineConfig
from softphone.core.quality import mos, verdict
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.support.sipp import Sipp

pytestmark = pytest.mark.integration


@pytest.fixture
def quick_engine(recorder: EventRecorder) -> Iterator[SipEngine]:
    engine = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1", quality_interval_s=0.5))
    engine.start()
    yield engine
    engine.stop()
    recorder.wait(ev.EngineStopped, timeout=10)


def test_a_clean_call_reports_its_quality_while_up_and_once_more_as_it_ends(
    quick_engine: SipEngine, recorder: EventRecorder
) -> None:
    peers = add_peers(
        quick_engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    out = quick_engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
    mark = recorder.mark()
    # two reports of the dialer's call while it is up, a packet every 20 ms arriving meanwhile
    first = recorder.wait(ev.CallQuality, call_id=out, after=mark, final=False)
    second = recorder.wait(
        ev.CallQuality, call_id=out, after=recorder.events.index(first) + 1, final=False
    )
    assert second.rx_packets > first.rx_packets > 0
    assert (second.codec, second.rx_loss_pct, second.tx_loss_pct) == ("PCMU", 0.0, 0.0)
    assert 0 <= second.rx_jitter_ms < 20 and second.one_way_ms >= 20
    assert second.mos >= 4.3  # G.711, no loss, a few ms: the narrowband ceiling, 4.41

    quick_engine.hangup(out).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.DISCONNECTED)
    last = recorder.wait(ev.CallQuality, call_id=out, final=True)
    assert last.rx_packets >= second.rx_packets and last.mos >= 4.3


class FarMedia:
    """The far end's RTP, played by the test: PCMU every 20 ms from a socket of its own, every
    ``drop_every``-th packet skipped (its sequence number used, nothing sent: loss) and the
    send times alternately ``swing_ms`` early and late (jitter)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]

    def agent_address(self) -> tuple[str, int]:
        """Where the agent's RTP comes from (symmetric RTP: where it listens)."""
        readable, _, _ = select.select([self.sock], [], [], TIMEOUT)
        assert readable, "no RTP from the agent"
        _, address = self.sock.recvfrom(2048)
        return address

    def play(self, to: tuple[str, int], packets: int, drop_every: int, swing_ms: float) -> int:
        """Send ``packets`` packets' worth; how many were really sent."""
        sent, start = 0, time.monotonic()
        for seq in range(packets):
            due = start + seq * 0.020 + (swing_ms if seq % 2 else -swing_ms) / 1000
            while (left := due - time.monotonic()) > 0:
                select.select([self.sock], [], [], left)  # the agent's RTP may wake it early
                with contextlib.suppress(BlockingIOError):
                    self.sock.recv(2048, socket.MSG_DONTWAIT)
            if seq % drop_every == drop_every - 1:
                continue
            header = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x5EED)
            self.sock.sendto(header + bytes([0xFF]) * 160, to)
            sent += 1
        return sent

    def close(self) -> None:
        self.sock.close()


def test_a_far_end_that_loses_and_jitters_is_measured_so_and_the_score_falls(
    quick_engine: SipEngine, recorder: EventRecorder, sipp: Sipp
) -> None:
    peers = add_peers(
        quick_engine, peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.HEADER))
    )
    far = FarMedia()
    try:
        uac = sipp.start(
            "uac_far_media", peers.hostport, service="agent", pause_ms=60_000, timeout=90,
            keys={"rtp_port": far.port},
        )  # fmt: skip
        incoming = recorder.wait(ev.IncomingCall, account_id="agent")
        call = incoming.call_id
        recorder.wait(ev.CallStateChanged, call_id=call, state=ev.CallState.CONFIRMED)
        sent = far.play(far.agent_address(), packets=250, drop_every=10, swing_ms=5.0)
        assert sent == 225  # 10 % lost on the way
        mark = recorder.mark()
        seen = recorder.wait(ev.CallQuality, call_id=call, after=mark)
    finally:
        far.close()
    quick_engine.hangup(call).result(TIMEOUT)
    uac.stop()
    # loss: 10 % injected, measured within 20 % of it
    assert 8.0 <= seen.rx_loss_pct <= 12.0, seen
    # jitter: send times alternately 5 ms early and late, 10 ms apart from where they should
    # be: RFC 3550's estimate settles at 10 ms (its mean over the call a little under)
    assert 8.0 <= seen.rx_jitter_ms <= 12.0, seen
    clean = mos(codec="PCMU", loss_pct=0, one_way_ms=seen.one_way_ms)
    assert seen.mos < clean - 0.5 and verdict(seen.mos) == "poor", seen
