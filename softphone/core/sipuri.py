"""Reading and writing the SIP identities people see: numbers, display names, dial targets."""

from __future__ import annotations

import re

from softphone.core.errors import ConfigError
from softphone.core.values import value_class

_NAME_ADDR = re.compile(r'^\s*(?:"(?P<q>(?:[^"\\]|\\.)*)"|(?P<t>[^<"]*?))\s*<(?P<uri>[^>]*)>')
_DIAL_SEPARATORS = re.compile(r"[\s().\-/]")
_DIALABLE = re.compile(r"^\+?[0-9*#]+$")
_USER_PART = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$")


@value_class
class RemoteParty:
    uri: str
    number: str
    display: str


def parse_remote(header: str) -> RemoteParty:
    """Split a From/To value (``"Name" <sip:123@host>;tag=x``) into URI, number and name."""
    match = _NAME_ADDR.match(header)
    if match:
        display = (match.group("q") or match.group("t") or "").strip()
        display = re.sub(r"\\(.)", r"\1", display)
        uri = match.group("uri").strip()
    else:
        display = ""
        uri = header.split(";", 1)[0].strip()
    number = ""
    body = uri.split(":", 1)[1] if ":" in uri else uri
    if "@" in body:
        number = body.split("@", 1)[0].split(";", 1)[0]
    elif uri.lower().startswith("tel:"):
        number = body.split(";", 1)[0]
    return RemoteParty(uri=uri, number=number, display=display)


def clean_number(text: str) -> str:
    """What a dialpad keeps of typed or pasted text: digits, ``*``, ``#`` and a leading ``+``."""
    stripped = _DIAL_SEPARATORS.sub("", text.strip())
    if stripped.lower().startswith(("tel:", "sip:", "sips:", "callto:")):
        stripped = stripped.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    return stripped


def dial_uri(target: str, domain: str, transport_param: str = "") -> str:
    """Turn what the user dialled (a number, ``user@host`` or a full SIP URI) into a SIP URI."""
    target = target.strip()
    if not target:
        raise ConfigError("Nothing to dial: enter a number or a SIP address.")
    lower = target.lower()
    if lower.startswith(("sip:", "sips:")):
        uri = target
    elif "@" in target:
        uri = f"sip:{target}"
    else:
        number = clean_number(target)
        if not _DIALABLE.match(number):
            if not _USER_PART.match(target):
                raise ConfigError(f"'{target}' is not a number or SIP address that can be dialled.")
            number = target
        uri = f"sip:{number}@{domain}"
    if any(c in uri for c in '<>"\r\n \t'):
        raise ConfigError("That SIP address contains characters that are not allowed.")
    if transport_param and ";transport=" not in uri.lower():
        uri = f"{uri};transport={transport_param}"
    return uri
