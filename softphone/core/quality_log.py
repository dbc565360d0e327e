"""How this run's recent calls sounded, for the diagnostics zip a user sends to support.

``CallQualityLog`` keeps, for each of the newest answered calls, its last
:class:`~softphone.core.events.CallQuality` (the final one, as its audio stream ended) with when
it ended, which way it went and how long it lasted: never who was called or who called (no
number, name or SIP URI is kept). It is in memory only and is emptied when the session ends
(signed out, revoked), so nothing of a session outlives it.
"""

from __future__ import annotations

import datetime
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from softphone.core import events as ev
from softphone.core.quality import verdict
from softphone.core.session_events import SessionState, SessionStateChanged

RECENT_CALLS: Final = 20
_LIVE_CALLS: Final = 64  # calls followed at once; more means some never ended (a dead engine)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallQualityEntry:
    """One ended call's quality: its last ``CallQuality``'s figures, when it ended (epoch
    seconds), its direction and how long it was connected."""

    ended_at: float
    direction: ev.Direction
    duration_s: float
    codec: str
    mos: float
    rx_jitter_ms: float
    rx_loss_pct: float
    tx_loss_pct: float
    rtt_ms: float
    one_way_ms: float
    rx_packets: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, the time in local time with its offset (as a person reads a ticket)."""
        ended = datetime.datetime.fromtimestamp(self.ended_at).astimezone()
        return {
            "ended": ended.isoformat(timespec="seconds"),
            "direction": self.direction.value,
            "duration_s": round(self.duration_s, 1),
            "codec": self.codec,
            "mos": self.mos,
            "verdict": verdict(self.mos),
            "jitter_ms": self.rx_jitter_ms,
            "loss_pct": self.rx_loss_pct,
            "far_end_loss_pct": self.tx_loss_pct,
            "rtt_ms": self.rtt_ms,
            "one_way_ms": self.one_way_ms,
            "packets_received": self.rx_packets,
        }


class CallQualityLog:
    """The newest ``limit`` answered calls' quality, oldest first.

    Its handlers run on the thread that publishes engine events (the GUI thread in the app);
    :meth:`entries` may be called from any thread (the diagnostics export runs on its own)."""

    def __init__(self, limit: int = RECENT_CALLS) -> None:
        self._lock = threading.Lock()
        self._ended: deque[CallQualityEntry] = deque(maxlen=limit)
        self._latest: dict[str, ev.CallQuality] = {}  # each live call's last report

    def attach(self, subscribe: Callable[..., Callable[[], None]]) -> Callable[[], None]:
        """Subscribe to an ``EventBus.subscribe``; returns a function that unsubscribes."""
        undo = [
            subscribe(ev.CallQuality, self.on_quality),
            subscribe(ev.CallStateChanged, self.on_state),
            subscribe(SessionStateChanged, self.on_session),
        ]

        def detach() -> None:
            for unsubscribe in undo:
                unsubscribe()

        return detach

    def on_quality(self, event: ev.CallQuality) -> None:
        self._latest.pop(event.call_id, None)
        if len(self._latest) >= _LIVE_CALLS:
            del self._latest[next(iter(self._latest))]
        self._latest[event.call_id] = event

    def on_state(self, event: ev.CallStateChanged) -> None:
        if event.state is not ev.CallState.DISCONNECTED:
            return
        # the engine sends the stream's final report just before the call's end
        quality = self._latest.pop(event.call_id, None)
        if quality is None or not event.connected:
            return
        entry = CallQualityEntry(
            ended_at=event.at,
            direction=event.direction,
            duration_s=event.duration_s,
            codec=quality.codec,
            mos=quality.mos,
            rx_jitter_ms=quality.rx_jitter_ms,
            rx_loss_pct=quality.rx_loss_pct,
            tx_loss_pct=quality.tx_loss_pct,
            rtt_ms=quality.rtt_ms,
            one_way_ms=quality.one_way_ms,
            rx_packets=quality.rx_packets,
        )
        with self._lock:
            self._ended.append(entry)

    def on_session(self, event: SessionStateChanged) -> None:
        if event.state is SessionState.SIGNED_OUT:
            self._latest.clear()
            with self._lock:
                self._ended.clear()

    def entries(self) -> tuple[CallQualityEntry, ...]:
        """The calls kept, oldest first (any thread)."""
        with self._lock:
            return tuple(self._ended)
