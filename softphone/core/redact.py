"""Redaction of secrets from SIP traces and log lines before they are written anywhere."""

from __future__ import annotations

import re

_AUTH_HEADER = re.compile(
    r"^(?P<name>(?:Proxy-)?Authorization|(?:Proxy-)?Authenticate|WWW-Authenticate|"
    r"Authentication-Info)(?P<sep>\s*:\s*)(?P<value>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_DIGEST_PARAM = re.compile(
    r'\b(response|nonce|cnonce|opaque|password)\s*=\s*("[^"]*"|[^,\s]+)', re.IGNORECASE
)
_URI_PASSWORD = re.compile(r"(sips?:[^:@\s;>]+:)[^@\s;>]+@", re.IGNORECASE)

REDACTED = "<redacted>"


def redact_sip(text: str, secrets: tuple[str, ...] = (), identifiers: tuple[str, ...] = ()) -> str:
    """Hide digest credentials, URI passwords and known secrets in a SIP trace.

    ``secrets`` (passwords) are hidden wherever they occur; ``identifiers`` (SIP extensions,
    auth user names) wherever they stand alone, so that extension 1001 does not also blank the
    middle of an error code such as 171001.
    """

    def _header(match: re.Match[str]) -> str:
        value = _DIGEST_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", match.group("value"))
        return f"{match.group('name')}{match.group('sep')}{value}"

    text = _AUTH_HEADER.sub(_header, text)
    text = _URI_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    for ident in identifiers:
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(ident)}(?![A-Za-z0-9])", REDACTED, text)
    return text
