"""Redaction of secrets from SIP traces and log lines before they are written anywhere, and
masking of who called (numbers, names) before a trace leaves the computer."""

from __future__ import annotations

import re

# Patterns, not compiled ones: ``re`` compiles each on its first use and keeps it (its cache), so
# importing this module (on every start of the phone) compiles none; the flags are inline.
_AUTH_HEADER = (
    r"(?im)^(?P<name>(?:Proxy-)?Authorization|(?:Proxy-)?Authenticate|WWW-Authenticate|"
    r"Authentication-Info)(?P<sep>\s*:\s*)(?P<value>.*)$"
)
_DIGEST_PARAM = r'(?i)\b(response|nonce|cnonce|opaque|password)\s*=\s*("[^"]*"|[^,\s]+)'
_URI_PASSWORD = r"(?i)(sips?:[^:@\s;>]+:)[^@\s;>]+@"

REDACTED = "<redacted>"


def redact_sip(text: str, secrets: tuple[str, ...] = (), identifiers: tuple[str, ...] = ()) -> str:
    """Hide digest credentials, URI passwords and known secrets in a SIP trace.

    ``secrets`` (passwords) are hidden wherever they occur; ``identifiers`` (SIP extensions,
    auth user names) wherever they stand alone, so that extension 1001 does not also blank the
    middle of an error code such as 171001.
    """

    def _header(match: re.Match[str]) -> str:
        value = re.sub(_DIGEST_PARAM, lambda m: f"{m.group(1)}={REDACTED}", match.group("value"))
        return f"{match.group('name')}{match.group('sep')}{value}"

    text = re.sub(_AUTH_HEADER, _header, text)
    text = re.sub(_URI_PASSWORD, lambda m: f"{m.group(1)}{REDACTED}@", text)
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    for ident in identifiers:
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(ident)}(?![A-Za-z0-9])", REDACTED, text)
    return text


# ---- who called: numbers and names, masked for a diagnostics export -------------------------

MASK = "*"
_URI_USER = (
    # the user part of a sip:/sips: URI (up to "@", a password already redacted), or a tel: number
    rf"(?i)(?P<scheme>\b(?:sips?):)(?P<user>[^@\s>:,\"<]+)(?=(?::(?:{re.escape(REDACTED)}|[^@\s;>]*))?@)"
    r"|(?P<tel>\btel:)(?P<number>\+?[\d().-]+)"
)
_QUOTED_NAME = r'(?i)"(?P<name>(?:[^"\\\r\n]|\\.)*)"(?=\s*<(?:sips?|tel):)'
# an unquoted display name in a header that names a party (compact forms f, t, m too)
_HEADER_NAME = (
    r"(?im)^(?P<head>(?:From|To|Contact|P-Asserted-Identity|P-Preferred-Identity|Remote-Party-ID|"
    r"Referred-By|Refer-To|Diversion|[ftm])[ \t]*:[ \t]*)"
    r'(?P<name>[^"<\r\n,]*[^"<\s,])(?=[ \t]*<)'
)
# a bare phone number in a log line: 7 digits or more, not part of a word, an address, a number
# or a dialog's tag (random, and what a support engineer follows a dialog by)
_BARE_NUMBER = r"(?i)(?<![\w.*+-])(?<!tag=)\+?\d{7,}(?![\w.*])"


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

    text = re.sub(_URI_USER, uri, text)
    text = re.sub(_QUOTED_NAME, lambda m: f'"{mask_name(m.group("name"))}"', text)
    text = re.sub(_HEADER_NAME, lambda m: m.group("head") + mask_name(m.group("name")), text)
    return re.sub(_BARE_NUMBER, lambda m: mask_number(m.group()), text)
