"""RFC 6238 (appendix B) vectors for the emulator's TOTP (SHA-1, 6 of the 8 digits)."""

from __future__ import annotations

import base64

import pytest

from softphone.emulator import totp

SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_rfc6238_vectors(unix_time: int, code: str) -> None:
    assert totp.code_at(SECRET, unix_time) == code
    assert totp.verify(SECRET, code, unix_time)


def test_secret_spelling_is_lenient_like_authenticator_apps() -> None:
    assert totp.code_at(SECRET.lower()[:8] + " " + SECRET[8:].rstrip("="), 59) == "287082"


def test_garbage_is_not_a_code() -> None:
    assert not totp.verify(SECRET, "", 59)
    assert not totp.verify(SECRET, "28708", 59)
    assert not totp.verify(SECRET, "2870823", 59)
