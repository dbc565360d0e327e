"""What the dialpad keeps of typed or pasted text, and how a call's caller ID and time read.

Qt-free on purpose: the rules are easy to test on their own and the widgets only call them.
"""

from __future__ import annotations

import re

_URI_SCHEMES = ("sip:", "sips:")
_NUMBER_SCHEMES = ("tel:", "callto:")
_URI_DROP = re.compile(r"[\s<>\"]")
_NUMBER_KEEP = re.compile(r"[0-9*#+]")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.!~\-]")


def is_sip_address(text: str) -> bool:
    """A SIP URI or ``user@host``: dialled as written, not cleaned down to digits."""
    lower = text.strip().lower()
    return lower.startswith(_URI_SCHEMES) or "@" in lower


def clean_dial_text(text: str) -> str:
    """Keep what can be dialled of typed or pasted text.

    - a ``sip:``/``sips:`` URI or ``user@host`` is kept, without spaces, quotes and ``<>``;
    - text without a digit (an extension name being typed, or ``sip`` on its way to ``sip:``)
      keeps the characters a SIP user part allows, and a leading ``+`` (a number on its way);
    - anything else is a number: a ``tel:``/``callto:`` prefix and ``;parameters`` go, and only
      digits, ``*``, ``#`` and a leading ``+`` stay (spaces, dashes, dots, brackets removed).
    """
    stripped = text.strip()
    if is_sip_address(stripped):
        return _URI_DROP.sub("", stripped)
    lower = stripped.lower()
    for scheme in _NUMBER_SCHEMES:
        if lower.startswith(scheme):
            stripped = stripped[len(scheme) :].split(";", 1)[0]
            break
    else:
        if not any(c.isdigit() for c in stripped):
            lead = "+" if stripped.startswith("+") else ""
            name = "".join(_PLAIN_NAME.findall(stripped))
            return lead + name + (":" if stripped.endswith(":") else "")
    kept = "".join(_NUMBER_KEEP.findall(stripped))
    plus = kept.startswith("+")
    return ("+" if plus else "") + kept.replace("+", "")


def dialable(text: str) -> str:
    """What ``text`` dials (see ``clean_dial_text``), or "" when nothing: a lone ``+`` is a
    number not typed yet."""
    cleaned = clean_dial_text(text)
    return "" if cleaned == "+" else cleaned


def format_duration(seconds: float) -> str:
    """``00:07``, ``12:34``, ``1:02:03``."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def caller_id(display: str, number: str) -> str:
    """The caller ID people see: ``Alice Smith (5550102030)``, or whichever part there is.

    Empty when the caller sent neither (the widgets then say "Unknown caller").
    """
    display, number = display.strip(), number.strip()
    if display and number and display != number:
        return f"{display} ({number})"
    return display or number
