"""What the call history holds: how a call ended (``Outcome``), a finished call as written
(``CallRecord``), a stored one (``CallEntry``) and whom "call back" dials (``CallBackTarget``).

A row holds who, when, how long, how it ended and how it sounded; never any call audio.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from softphone.core import events as ev

ENDED_BY_SLEEP = "ended: the computer went to sleep"
"""What ``sip_reason`` holds for a call this app ended because the computer went to sleep (a
stored key; Recents says it in the person's language)."""


class Outcome(enum.StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"  # incoming, never answered, not declined by the agent
    REJECTED = "rejected"  # incoming, declined by the agent (486, 480 or 603 sent)
    FAILED = "failed"  # outgoing not answered, or incoming that could not be set up; see sip_code


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One finished call, as written. Times are Unix seconds (wall clock)."""

    direction: ev.Direction
    remote_number: str
    remote_name: str
    account_id: str
    started_at: float
    answered_at: float | None
    ended_at: float
    duration_s: float
    outcome: Outcome
    sip_code: int = 0
    sip_reason: str = ""
    auto_answered: bool = False
    mos: float | None = None  # how it sounded as it ended (E-model MOS); None: no reading


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEntry(CallRecord):
    """A stored call. ``id`` is the start time in microseconds (made unique), so id order is
    start order and the newest call has the largest id."""

    id: int


@dataclass(frozen=True, slots=True)
class CallBackTarget:
    number: str
    account_id: str
    name: str
