"""Host names and IP literals a server or a code may give: one rule for every reader.

A host is a DNS name (letters, digits and ``-`` in labels of 1-63 characters, 253 characters in
all, an optional final dot) or an IP literal (IPv4 dotted quad; IPv6 in brackets, as it appears
in a SIP or HTTP URI). No port, user, path or whitespace: those have fields of their own.
:func:`check_control_plane` is the rule for a control plane's https address (Settings and the
deployment file).
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

from softphone.core.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

MAX_HOST_CHARS: Final = 253
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)
_IPV4_SHAPE: Final = re.compile(r"[0-9.]+", re.ASCII)


def is_ip_literal(text: str) -> bool:
    """``192.0.2.1`` or ``[2001:db8::1]`` (IPv6 only in brackets, no ``%zone``: a zone names an
    interface of the machine that wrote it, and ipaddress accepts any characters in it)."""
    if text.startswith("[") and text.endswith("]") and "%" not in text:
        try:
            ipaddress.IPv6Address(text[1:-1])
        except ValueError:
            return False
        return True
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def is_dns_name(text: str) -> bool:
    """A DNS name of at most 253 characters (not counting a final dot), labels of 1-63."""
    if not text or len(text.removesuffix(".")) > MAX_HOST_CHARS:
        return False
    if _IPV4_SHAPE.fullmatch(text):
        return False  # all digits and dots: an IPv4 address or a mistake, never a name
    return _DNS_NAME.fullmatch(text) is not None


def is_host(text: str) -> bool:
    """A DNS name or an IP literal (see the module docstring)."""
    return isinstance(text, str) and (is_ip_literal(text) or is_dns_name(text))


def check_host(text: str, what: str) -> str:
    """``text`` if it is a host; else ConfigError naming ``what`` ("The SIP domain")."""
    if not is_host(text):
        shown = text if len(text) <= 64 and text.isprintable() else "(not shown)"
        raise ConfigError(
            f"{what} is not a host name or IP address: {shown!s}. "
            "It must be a name like sip.example.com or an address like 192.0.2.10."
        )
    return text


def check_control_plane(url: str) -> str:
    """A custom control plane: an https URL with a host and no user name or password in it."""
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError("The control plane must be an https:// address, e.g. https://example.com")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("The control plane address must not contain a user name or password.")
    if parts.query or parts.fragment:
        raise ConfigError("The control plane address must not contain a query (?…) or #…")
    return url.strip().rstrip("/")
