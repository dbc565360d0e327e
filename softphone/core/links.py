"""``sip:``, ``tel:`` and ``callto:`` links given to the app (a browser's click, a second start):
what to dial for each. Qt-free, so the command line can sort its arguments without loading Qt."""

from __future__ import annotations

from softphone.core.sipuri import clean_number

LINK_SCHEMES = ("sip:", "sips:", "tel:", "callto:")


def is_link(arg: str) -> bool:
    return arg.lower().startswith(LINK_SCHEMES)


def dial_target(link: str) -> str | None:
    """What to dial for a link: a SIP URI as given, a number for tel:/callto:; None if empty.

    ``callto://5551234`` and ``tel:+1-555-1234;phone-context=x`` give ``5551234`` and
    ``+15551234``; ``sip:100@pbx`` stays a URI (the engine dials URIs as they are).
    """
    link = link.strip()
    lower = link.lower()
    if lower.startswith(("sip:", "sips:")):
        body = link.split(":", 1)[1]
        return link if body.strip("/") else None
    if lower.startswith(("tel:", "callto:")):
        body = link.split(":", 1)[1].lstrip("/")
        if "@" in body:  # callto:user@host is a SIP-style address
            return f"sip:{body}"
        number = clean_number(body.split(";", 1)[0].split("?", 1)[0])
        return number or None
    return None
