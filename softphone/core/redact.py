"""Redaction of secrets from SIP traces and log lines before they are written anywhere, and
masking of who called (numbers, names) before a trace leaves the computer."""

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


# ---- who called: numbers and names, masked for a diagnostics export -------------------------

MASK = "*"
_URI_USER = re.compile(
    # the user part of a sip:/sips: URI (up to "@", a password already redacted), or a tel: number
    rf"(?P<scheme>\b(?:sips?):)(?P<user>[^@\s>:,\"<]+)(?=(?::(?:{re.escape(REDACTED)}|[^@\s;>]*))?@)"
    r"|(?P<tel>\btel:)(?P<number>\+?[\d().-]+)",
    re.IGNORECASE,
)
_QUOTED_NAME = re.compile(r'"(?P<name>(?:[^"\\\r\n]|\\.)*)"(?=\s*<(?:sips?|tel):)', re.IGNORECASE)
# an unquoted display name in a header that names a party (compact forms f, t, m too)
_HEADER_NAME = re.compile(
    r"^(?P<head>(?:From|To|Contact|P-Asserted-Identity|P-Preferred-Identity|Remote-Party-ID|"
    r"Referred-By|Refer-To|Diversion|[ftm])[ \t]*:[ \t]*)"
    r'(?P<name>[^"<\r\n,]*[^"<\s,])(?=[ \t]*<)',
    re.IGNORECASE | re.MULTILINE,
)
# a bare phone number in a log line: 7 digits or more, not part of a word, an address, a number
# or a dialog's tag (random, and what a support engineer follows a dialog by)
_BARE_NUMBER = re.compile(r"(?<![\w.*+-])(?<!tag=)\+?\d{7,}(?![\w.*])", re.IGNORECASE)


def mask_number(value: str) -> str:
    """All but the last two letters or digits hidden, the rest kept: "+15550102030" →
    "+*********30", "1001" → "**01" (length, "+" and punctuation stay: enough to tell an
    extension from a phone number, and one caller from another, in a support case)."""
    total = sum(ch.isalnum() for ch in value)
    keep = 2 if total > 2 else 0
    out, seen = [], 0
    for ch in value:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > total - keep else MASK)
        else:
            out.append(ch)
    return "".join(out)


def mask_name(value: str) -> str:
    """A display name down to its initials ("Agent One" → "A**** O**"); a name that is a
    number is masked as one."""
    if not any(ch.isalpha() for ch in value):
        return mask_number(value)
    return re.sub(r"\w+", lambda m: m.group()[0] + MASK * (len(m.group()) - 1), value)


def mask_people(text: str) -> str:
    """Hide who called whom in a SIP trace or log: the user part of every sip:/sips: URI and
    every tel: number (Request-URI, From, To, Contact, P-Asserted-Identity, Remote-Party-ID…),
    display names, and bare phone numbers (7 digits or more) elsewhere. Run after
    :func:`redact_sip`. Hosts, ports, tags, branches and status codes stay readable."""

    def uri(match: re.Match[str]) -> str:
        if match.group("tel"):
            return match.group("tel") + mask_number(match.group("number"))
        return match.group("scheme") + mask_number(match.group("user"))

    text = _URI_USER.sub(uri, text)
    text = _QUOTED_NAME.sub(lambda m: f'"{mask_name(m.group("name"))}"', text)
    text = _HEADER_NAME.sub(lambda m: m.group("head") + mask_name(m.group("name")), text)
    return _BARE_NUMBER.sub(lambda m: mask_number(m.group()), text)
