"""Which local tone should sound now: plain values in, a tone and its call out (pure, no pjsua2;
``LocalTones`` asks after every change of a call).

Only one signal tone sounds at a time, by priority: ringtone (nothing else going on), ringback,
call waiting, then busy/reorder after an outgoing call failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from softphone.core import events as ev
from softphone.sip.cadences import Tone

BUSY_CODES = frozenset({486, 600})
CANCELLED_CODE = 487  # Request Terminated: the call was cancelled (by us, or for us)


@dataclass(frozen=True, slots=True)
class CallView:
    """What the tones need to know about one call."""

    call_id: str
    direction: ev.Direction
    state: ev.CallState
    rings: bool = False  # incoming: it alerts the user (not answered automatically at once)
    alerted: bool = False  # outgoing: the far end sent 180 Ringing
    media: bool = False  # audio flows (early media, or the answered call)


def ended_tone(
    *, direction: ev.Direction, connected: bool, sip_code: int, by_user: bool
) -> Tone | None:
    """The tone after a call ended: busy or reorder when an outgoing call failed before answer,
    nothing when the user cancelled it or it had been answered."""
    if direction is not ev.Direction.OUTBOUND or connected or by_user:
        return None
    if sip_code == CANCELLED_CODE or 200 <= sip_code < 300:
        return None
    return Tone.BUSY if sip_code in BUSY_CODES else Tone.REORDER


def choose(
    calls: Iterable[CallView], ended: tuple[Tone, str] | None = None
) -> tuple[Tone, str] | None:
    """The signal tone to sound now and the call it is for, or None.

    ``ended``: a busy/reorder still within its time after a failed call. Priority: ringtone
    (a ringing incoming call while no other call is going on), ringback (the newest outgoing
    call alerting without early media), call waiting (a ringing incoming call while another
    call is going on), then ``ended``.
    """
    views = list(calls)
    ringing = [
        c
        for c in views
        if c.direction is ev.Direction.INBOUND and c.state is ev.CallState.INCOMING and c.rings
    ]
    others = [c for c in views if c not in ringing and c.state is not ev.CallState.DISCONNECTED]
    if ringing and not others:
        return Tone.RINGTONE, ringing[0].call_id
    alerting = [
        c
        for c in views
        if c.direction is ev.Direction.OUTBOUND
        and c.state in (ev.CallState.RINGING, ev.CallState.EARLY_MEDIA)
        and c.alerted
        and not c.media
    ]
    if alerting:
        return Tone.RINGBACK, alerting[-1].call_id
    if ringing:
        return Tone.CALL_WAITING, ringing[0].call_id
    return ended
