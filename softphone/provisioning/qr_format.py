"""QR provisioning format v1: the ``vicifast://`` text of sign-in and SIP account codes.

The contract shared with the mobile app is docs/qr-format.md and the vectors in tests/vectors/.
This module writes codes (``encode_signin``, ``encode_sip``) and reads them (``parse``,
``decode``). It is the format's front door: the values it takes and gives (``SignInCode``,
``SipAccountCode``, ``SealedSipCode``, from :mod:`~softphone.provisioning.qr_codes`) and the PIN
rules (from :mod:`~softphone.provisioning.qr_cipher`) are importable from here too (``__all__``).
Decoding is strict and all-or-nothing: a code either yields a complete, validated value or
raises one :mod:`softphone.provisioning.qr_errors` error, in the check order the spec documents.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from typing import Final
from urllib.parse import quote, unquote_to_bytes

from softphone.provisioning.qr_cipher import (
    NONCE_BYTES,
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
    SALT_BYTES,
    TAG_BYTES,
    generate_pin,
    seal,
)
from softphone.provisioning.qr_codes import (
    SealedSipCode,
    SignInCode,
    SipAccountCode,
    account_plaintext,
    check_api,
    check_not_expired,
    has_control,
)
from softphone.provisioning.qr_errors import (
    BadBase64,
    ControlCharacters,
    InvalidField,
    InvalidPin,
    MalformedCode,
    MissingField,
    NotAVicifastCode,
    OversizeCode,
    TruncatedCiphertext,
    UnexpectedField,
    UnknownCodeKind,
    UnsupportedKdf,
    UnsupportedVersion,
)

__all__ = [
    "MAX_CODE_CHARS",
    "MAX_PLAINTEXT_BYTES",
    "PIN_MAX_DIGITS",
    "PIN_MIN_DIGITS",
    "SCHEME",
    "VERSION",
    "SealedSipCode",
    "SignInCode",
    "SipAccountCode",
    "decode",
    "encode_signin",
    "encode_sip",
    "generate_pin",
    "parse",
    "seal_plaintext",
    "text_from_bytes",
]

SCHEME: Final = "vicifast://"
VERSION: Final = "1"
MAX_CODE_CHARS: Final = 1024
MAX_PLAINTEXT_BYTES: Final = 512

_SIGNIN_KEYS: Final = ("v", "c", "u", "api", "exp")
_SIP_KEYS: Final = ("v", "kdf", "s", "d")
_MAX_D_CHARS: Final = -(-(NONCE_BYTES + MAX_PLAINTEXT_BYTES + TAG_BYTES) * 4 // 3)
_RAW_OK: Final = re.compile(r"[A-Za-z0-9\-._~:/%]*")
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_EXP: Final = re.compile(r"0|[1-9][0-9]{0,11}")


# ---- encoding ----------------------------------------------------------------------------------


def _q(value: str) -> str:
    return quote(value, safe="-._~:/")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def encode_signin(code: SignInCode) -> str:
    parts = [f"v={VERSION}", f"c={_q(code.company)}"]
    if code.username:
        parts.append(f"u={_q(code.username)}")
    if code.api:
        parts.append(f"api={_q(code.api)}")
    if code.exp is not None:
        parts.append(f"exp={code.exp}")
    return _checked_size(f"{SCHEME}signin?" + "&".join(parts))


def encode_sip(
    account: SipAccountCode, pin: str, *, salt: bytes | None = None, nonce: bytes | None = None
) -> str:
    """Encrypt ``account`` under ``pin``. ``salt``/``nonce`` are for test vectors only."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    nonce = secrets.token_bytes(NONCE_BYTES) if nonce is None else nonce
    return seal_plaintext(account_plaintext(account), pin, salt=salt, nonce=nonce)


def seal_plaintext(plain: bytes, pin: str, *, salt: bytes, nonce: bytes) -> str:
    """The SIP code for any plaintext (test vectors seal malformed accounts with it)."""
    if len(salt) != SALT_BYTES or len(nonce) != NONCE_BYTES:
        raise InvalidField(f"The salt must be {SALT_BYTES} bytes and the nonce {NONCE_BYTES}.")
    if len(plain) > MAX_PLAINTEXT_BYTES:
        raise OversizeCode("This SIP account is too large for a QR code (shorten the names).")
    d = _b64(seal(plain, pin, salt=salt, nonce=nonce))
    return _checked_size(f"{SCHEME}sip?v={VERSION}&kdf=scrypt&s={_b64(salt)}&d={d}")


def _checked_size(text: str) -> str:
    if len(text) > MAX_CODE_CHARS:
        raise OversizeCode("This code is too long for a QR code (shorten its fields).")
    return text


# ---- decoding ----------------------------------------------------------------------------------


def text_from_bytes(raw: bytes) -> str:
    """A scanner's raw bytes as text (UTF-8); anything else is not one of our codes."""
    if len(raw) > MAX_CODE_CHARS * 4:
        raise OversizeCode("This code is far longer than any VICIfast code.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotAVicifastCode("This QR code holds binary data, not a VICIfast code.") from None


def parse(
    text: str, *, now: int | None = None, check_expiry: bool = True
) -> SignInCode | SealedSipCode:
    """Validate a code's structure (and a sign-in code's expiry); SIP codes stay sealed."""
    if len(text) > MAX_CODE_CHARS:
        raise OversizeCode(
            f"This code is {len(text)} characters long; VICIfast codes have at most "
            f"{MAX_CODE_CHARS}."
        )
    if has_control(text):
        raise ControlCharacters("This code contains control characters: it is not a VICIfast code.")
    if not text.startswith(SCHEME):
        raise NotAVicifastCode("This is not a VICIfast code (it does not start with vicifast://).")
    kind, sep, query = text[len(SCHEME) :].partition("?")
    if kind not in ("signin", "sip"):
        shown = kind[:24].encode("ascii", "replace").decode()
        raise UnknownCodeKind(
            f"This VICIfast code is of a kind this app does not know ('{shown}'). "
            "Update the app, or ask for a sign-in or SIP account code."
        )
    fields = _query_fields(query if sep else "")
    version = fields.get("v")
    if version is None:
        raise MissingField("This code has no format version (v).")
    if version != VERSION:
        shown = version[:8].encode("ascii", "replace").decode()
        raise UnsupportedVersion(
            f"This code uses format version '{shown}'; this app reads version {VERSION}. "
            "Update the app or ask for a new code."
        )
    allowed = _SIGNIN_KEYS if kind == "signin" else _SIP_KEYS
    extra = sorted(set(fields) - set(allowed))
    if extra:
        raise UnexpectedField(f"This code has a field v1 does not define: '{extra[0][:16]}'.")
    if kind == "signin":
        return _signin_from(fields, now, check_expiry)
    return _sealed_from(fields)


def decode(
    text: str, pin: str | None = None, *, now: int | None = None
) -> SignInCode | SipAccountCode:
    """Parse and, for a SIP account code, decrypt with ``pin``; expiry checked either way."""
    code = parse(text, now=now)
    if isinstance(code, SealedSipCode):
        if pin is None:
            raise InvalidPin("This is a SIP account code: enter the PIN your supervisor gave you.")
        return code.open(pin, now=now)
    return code


def _query_fields(query: str) -> dict[str, str]:
    if not query:
        raise MalformedCode("This code has no fields after 'vicifast://…?'.")
    if not _RAW_OK.fullmatch(query.replace("&", "").replace("=", "")):
        raise MalformedCode(
            "This code contains characters that must be percent-encoded (or that a QR scanner "
            "misread)."
        )
    fields: dict[str, str] = {}
    for pair in query.split("&"):
        key, eq, raw = pair.partition("=")
        if not eq or not key:
            raise MalformedCode("This code's fields are not written as name=value pairs.")
        if "=" in raw:
            if key in ("s", "d"):  # base64 padding: a common slip of other encoders
                raise BadBase64(
                    f"The field '{key}' of this code is padded; v1 base64url has no '='."
                )
            raise MalformedCode(f"The field '{key[:16]}' has an unencoded '='.")
        if key in fields:
            raise MalformedCode(f"The field '{key[:16]}' appears twice in this code.")
        fields[key] = _unquote(raw, key)
    return fields


def _unquote(raw: str, key: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
        raise MalformedCode(f"The field '{key[:16]}' has a broken %-escape.")
    try:
        value = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedCode(f"The field '{key[:16]}' is not valid UTF-8 text.") from None
    if has_control(value):
        raise ControlCharacters(f"The field '{key[:16]}' contains control characters.")
    return value


def _signin_from(fields: dict[str, str], now: int | None, check_expiry: bool) -> SignInCode:
    if "c" not in fields:
        raise MissingField("This sign-in code has no company code (c).")
    exp: int | None = None
    if "exp" in fields:
        if not _EXP.fullmatch(fields["exp"]):
            raise InvalidField("The expiry (exp) of this code is not a Unix time in seconds.")
        exp = int(fields["exp"])
    code = SignInCode(
        company=fields["c"], username=fields.get("u", ""), api=fields.get("api", ""), exp=exp
    )
    if fields.get("api") == "":
        check_api("")  # present but empty is not "absent": it is not an https:// URL
    if check_expiry:
        check_not_expired(exp, now, "sign-in code")
    return code


def _sealed_from(fields: dict[str, str]) -> SealedSipCode:
    for key in _SIP_KEYS:
        if key not in fields:
            raise MissingField(f"This SIP account code has no '{key}' field.")
    if fields["kdf"] != "scrypt":
        shown = fields["kdf"][:16].encode("ascii", "replace").decode()
        raise UnsupportedKdf(f"This code uses key derivation '{shown}'; v1 uses scrypt only.")
    salt = _unb64(fields["s"], "s")
    if len(salt) != SALT_BYTES:
        raise InvalidField(f"The salt (s) of this code is {len(salt)} bytes; v1 uses 16.")
    if len(fields["d"]) > _MAX_D_CHARS:
        raise OversizeCode("The encrypted account (d) in this code is longer than v1 allows.")
    data = _unb64(fields["d"], "d")
    if len(data) < NONCE_BYTES + TAG_BYTES + 2:
        raise TruncatedCiphertext(
            "The encrypted account (d) in this code is cut short; scan the code again or ask "
            "for a new one."
        )
    return SealedSipCode(salt=salt, data=data)


def _unb64(text: str, key: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise BadBase64(f"The field '{key}' of this code is not unpadded base64url.")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise BadBase64(f"The field '{key}' of this code is not unpadded base64url.") from None
    if _b64(raw) != text:  # non-zero trailing bits: a second spelling of the same bytes
        raise BadBase64(f"The field '{key}' of this code is not canonical base64url.")
    return raw
