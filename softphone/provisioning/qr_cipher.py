"""The PIN and the cipher of SIP account codes (QR format v1): scrypt, then AES-256-GCM.

A SIP account code's plaintext is sealed under a key that scrypt derives from the PIN the
supervisor hands out and a random salt; the additional data binds the KDF's parameters and the
salt, so neither can be swapped (docs/qr-format.md).
"""

from __future__ import annotations

import secrets
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from softphone.provisioning.qr_errors import InvalidPin, WrongPin

SCRYPT_N: Final = 2**15
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
PIN_MIN_DIGITS: Final = 6
PIN_MAX_DIGITS: Final = 12
AAD_PREFIX: Final = b"vicifast/sip/v1/scrypt/N=32768,r=8,p=1/"


def check_pin(pin: str) -> None:
    if not (PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS and pin.isascii() and pin.isdigit()):
        raise InvalidPin(
            f"The PIN must be {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits (0-9), nothing else."
        )


def generate_pin(digits: int = 8) -> str:
    if not PIN_MIN_DIGITS <= digits <= PIN_MAX_DIGITS:
        raise InvalidPin(f"A PIN has {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits.")
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def derive_key(pin: str, salt: bytes) -> bytes:
    check_pin(pin)
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(pin.encode("ascii"))


def seal(plain: bytes, pin: str, *, salt: bytes, nonce: bytes) -> bytes:
    """``plain`` encrypted under ``pin``: nonce ‖ ciphertext ‖ tag."""
    return nonce + AESGCM(derive_key(pin, salt)).encrypt(nonce, plain, AAD_PREFIX + salt)


def unseal(data: bytes, pin: str, salt: bytes) -> bytes:
    """The plaintext of ``data`` (nonce ‖ ciphertext ‖ tag); WrongPin if it does not open."""
    key = derive_key(pin, salt)
    nonce, sealed = data[:NONCE_BYTES], data[NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, sealed, AAD_PREFIX + salt)
    except InvalidTag:
        raise WrongPin(
            "The PIN does not open this code (or the code is damaged). Check the PIN your "
            "supervisor gave you and try again."
        ) from None
