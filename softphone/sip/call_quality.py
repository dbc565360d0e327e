"""A call's :class:`~softphone.core.events.CallQuality` from pjsua2's stream statistics (SIP
thread only)."""

from __future__ import annotations

import pjsua2 as pj

from softphone.core import events as ev
from softphone.core.quality import mos

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PACKET_MS = 20.0  # pjsua's ptime: one packet's worth of audio waits to be sent


def _mean_ms(stat: Any) -> float:
    """A pj MathStat's mean in ms (its figures are µs); 0 before its first sample."""
    return round(float(stat.mean) / 1000.0, 1) if int(stat.n) > 0 else 0.0


def _loss_pct(lost: int, out_of: int) -> float:
    return round(100.0 * min(lost, out_of) / out_of, 2) if out_of > 0 else 0.0


def read_quality(call: Any, stream: int, *, final: bool = False) -> ev.CallQuality | None:
    """The quality of ``call``'s audio stream number ``stream``, or None when it has none."""
    try:
        stat = call.getStreamStat(stream)
        info = call.getStreamInfo(stream)
    except pj.Error:
        return None
    rtcp = stat.rtcp  # hold the parents: members of temporaries read freed memory
    rx, tx, jbuf = rtcp.rxStat, rtcp.txStat, stat.jbuf
    rx_packets = int(rx.pkt)
    lost = max(0, int(rx.loss))
    rx_loss = _loss_pct(lost, rx_packets + lost)  # what arrived and what never did
    rtt_ms = _mean_ms(rtcp.rttUsec)
    one_way_ms = round(rtt_ms / 2 + max(0, int(jbuf.avgDelayMsec)) + _PACKET_MS, 1)
    codec = str(info.codecName)
    return ev.CallQuality(
        call_id=call.call_id,
        codec=codec,
        rx_packets=rx_packets,
        rx_loss_pct=rx_loss,
        rx_jitter_ms=_mean_ms(rx.jitterUsec),
        tx_loss_pct=_loss_pct(max(0, int(tx.loss)), int(tx.pkt)),  # of what we sent
        rtt_ms=rtt_ms,
        one_way_ms=one_way_ms,
        mos=mos(codec=codec, loss_pct=rx_loss, one_way_ms=one_way_ms),
        final=final,
    )
