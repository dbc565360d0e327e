"""Deciding whether and when an incoming call is answered without the agent clicking."""

from __future__ import annotations

import re
from collections.abc import Mapping

from softphone.core.events import AnswerReason
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy
from softphone.core.values import value_class

_ANSWER_AFTER = re.compile(r";\s*answer-after\s*=\s*(\d{1,4})", re.IGNORECASE)
# Alert-Info hints that PBXs (VICIdial via Asterisk among them) send to ask for auto-answer.
_ALERT_HINTS = ("autoanswer", "auto-answer", "auto answer", "ring answer", "intercom")
_MAX_HEADER_DELAY_S = 60
_WANTED = frozenset({"call-info", "alert-info", "answer-mode", "priv-answer-mode"})


@value_class
class AnswerDecision:
    delay_s: float
    reason: AnswerReason


def requested_delay(headers: Mapping[str, str]) -> float | None:
    """The auto-answer delay an INVITE asks for, in seconds, or None if it asks for none.

    Understands ``Call-Info: <...>;answer-after=N``, ``Alert-Info`` auto-answer hints, and
    RFC 5373 ``Answer-Mode: Auto`` / ``Priv-Answer-Mode: Auto``. Header names are matched
    case-insensitively; ``headers`` maps a name to its (possibly comma-joined) value.
    """
    lowered = {name.lower(): value for name, value in headers.items() if name.lower() in _WANTED}
    call_info = lowered.get("call-info", "")
    match = _ANSWER_AFTER.search(call_info)
    if match:
        return float(min(int(match.group(1)), _MAX_HEADER_DELAY_S))
    alert = lowered.get("alert-info", "").lower()
    if any(hint in alert for hint in _ALERT_HINTS):
        return 0.0
    for name in ("answer-mode", "priv-answer-mode"):
        if lowered.get(name, "").strip().lower().startswith("auto"):
            return 0.0
    return None


def decide(
    policy: AutoAnswerPolicy, headers: Mapping[str, str], *, busy: bool
) -> AnswerDecision | None:
    """Apply the account's policy to an incoming INVITE.

    The server's delay counts only in ``HEADER`` mode: ``ALWAYS`` answers at once and ``AFTER``
    after its own delay, whatever the INVITE asks, because that is what the agent chose.
    A call that arrives while another is up (call waiting) is never answered automatically unless
    the server asked for it in the INVITE: answering would put the current caller on hold.
    """
    asked = requested_delay(headers)
    if policy.mode is AutoAnswerMode.OFF:
        return None
    if policy.mode is AutoAnswerMode.HEADER:
        return None if asked is None else AnswerDecision(asked, AnswerReason.HEADER)
    if busy and asked is None:
        return None
    delay = 0.0 if policy.mode is AutoAnswerMode.ALWAYS else policy.delay_s
    if busy:  # answered only because the server asked
        return AnswerDecision(delay, AnswerReason.HEADER)
    reason = (
        AnswerReason.ALWAYS if policy.mode is AutoAnswerMode.ALWAYS else AnswerReason.AFTER_DELAY
    )
    return AnswerDecision(delay, reason)


def parse_headers(message: str) -> dict[str, str]:
    """Header fields of a raw SIP message (name → comma-joined values), folding continuations."""
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    lines = head.replace("\r\n", "\n").split("\n")[1:]
    fields: dict[str, str] = {}
    last = ""
    for line in lines:
        if line[:1] in (" ", "\t") and last:
            fields[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = _COMPACT.get(name.strip().lower(), name.strip().lower())
        fields[key] = f"{fields[key]}, {value.strip()}" if key in fields else value.strip()
        last = key
    return fields


_COMPACT = {
    "f": "from",
    "t": "to",
    "m": "contact",
    "i": "call-id",
    "v": "via",
    "l": "content-length",
}
