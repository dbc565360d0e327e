"""RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s steps, 6 digits)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct

STEP_S = 30
DIGITS = 6


def decode_secret(secret: str) -> bytes:
    """Decode a base32 secret as authenticator apps show it (spaces and padding optional)."""
    text = secret.replace(" ", "").upper()
    text += "=" * (-len(text) % 8)
    try:
        key = base64.b32decode(text)
    except (binascii.Error, ValueError):
        raise ValueError("not a base32 TOTP secret") from None
    if not key:
        raise ValueError("empty TOTP secret")
    return key


def code_at(secret: str, unix_time: float, *, step_s: int = STEP_S, digits: int = DIGITS) -> str:
    """The code valid during the time step that contains `unix_time`."""
    counter = int(unix_time // step_s)
    digest = hmac.new(decode_secret(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def verify(secret: str, code: str, unix_time: float, *, window: int = 1) -> bool:
    """True if `code` matches the current step or one of `window` steps either side."""
    candidate = code.strip()
    # isdigit() alone takes Arabic-Indic and full-width digits, which compare_digest refuses
    if len(candidate) != DIGITS or not (candidate.isascii() and candidate.isdigit()):
        return False
    return any(
        hmac.compare_digest(code_at(secret, unix_time + k * STEP_S), candidate)
        for k in range(-window, window + 1)
    )
