"""QR provisioning format v1: sign-in codes and PIN-encrypted SIP account codes.

The contract shared with the mobile app is docs/qr-format.md and the vectors in tests/vectors/.
Decoding is strict and all-or-nothing: a code either yields a complete, validated value or raises
one :mod:`softphone.provisioning.qr_errors` error, in the check order the spec documents.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final
from urllib.parse import quote, unquote_to_bytes

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from softphone.core.errors import ConfigError
from softphone.core.hosts import is_host
from softphone.core.models import SipAccountConfig, SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning.qr_errors import (
    BadBase64,
    ControlCharacters,
    CustomControlPlaneRefused,
    ExpiredCode,
    InsecureApiUrl,
    InvalidField,
    InvalidPin,
    MalformedAccount,
    MalformedCode,
    MissingField,
    NotAVicifastCode,
    OversizeCode,
    TruncatedCiphertext,
    UnexpectedField,
    UnknownCodeKind,
    UnsupportedKdf,
    UnsupportedVersion,
    WrongPin,
)

SCHEME: Final = "vicifast://"
VERSION: Final = "1"
DEFAULT_API: Final = "https://vicifast.com"
MAX_CODE_CHARS: Final = 1024
MAX_PLAINTEXT_BYTES: Final = 512
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
SIP_FIELDS: Final = (
    "server",
    "port",
    "transport",
    "extension",
    "password",
    "display_name",
    "srtp",
    "exp",
)

# The plaintext writes these enums as their index: 0 = udp, 1 = tcp, 2 = tls; 0 = off, …
TRANSPORT_CODES: Final = (Transport.UDP, Transport.TCP, Transport.TLS)
SRTP_CODES: Final = (SrtpMode.OFF, SrtpMode.OPTIONAL, SrtpMode.MANDATORY)

_SIGNIN_KEYS: Final = ("v", "c", "u", "api", "exp")
_SIP_KEYS: Final = ("v", "kdf", "s", "d")
_MAX_D_CHARS: Final = -(-(NONCE_BYTES + MAX_PLAINTEXT_BYTES + TAG_BYTES) * 4 // 3)
_RAW_OK: Final = re.compile(r"[A-Za-z0-9\-._~:/%]*")
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_COMPANY: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
_EXP: Final = re.compile(r"0|[1-9][0-9]{0,11}")
_API: Final = re.compile(
    r"https://(?P<host>[A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]*\])(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?P<path>/[A-Za-z0-9\-._~/]*)?"
)
_DEFAULT_APIS: Final = frozenset({DEFAULT_API, DEFAULT_API + "/"})
_EXT_FORBIDDEN: Final = frozenset("@:;<>/?#%\"' ")
_DISPLAY_FORBIDDEN: Final = frozenset('"\\')  # pjsua writes it as "…" <sip:…>: no escapes
_MAX_EXP: Final = 10**12  # 12 digits, as the URI's exp allows
# Not "printable" (docs/qr-format.md, a fixed list, not a Unicode version's categories): controls,
# spaces other than U+0020, invisible format characters, surrogates, private use, noncharacters.
_NOT_PRINTABLE: Final = re.compile(
    "[\x00-\x1f\x7f-\xa0\xad\u061c\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f"
    "\u3000\ud800-\uf8ff\ufdd0-\ufdef\ufeff\ufff9-\ufffb\ufffe\uffff"
    "\U000e0000-\U000e007f\U000f0000-\U0010ffff]"
    "|[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff]"
)


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def is_printable(text: str) -> bool:
    """The spec's "printable": none of its fixed list of invisible or unassignable characters."""
    return _NOT_PRINTABLE.search(text) is None


def _is_unicode_text(text: str) -> bool:
    # A JSON "\ud800" escape decodes to a lone surrogate: not text, and not encodable as UTF-8.
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _check_not_expired(exp: int | None, now: int | None, what: str) -> None:
    if exp is not None and exp <= _now(now):
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(exp))
        raise ExpiredCode(f"This {what} expired on {stamp}. Ask your supervisor for a new one.")


# ---- the two kinds of code -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignInCode:
    """Fills in the sign-in form: company code, optionally user name and control plane."""

    company: str
    username: str = ""
    api: str = ""  # "" means the default control plane
    exp: int | None = None
    kind: ClassVar[str] = "signin"

    def __post_init__(self) -> None:
        if _has_control(self.company) or _has_control(self.username) or _has_control(self.api):
            raise ControlCharacters("The sign-in code contains control characters.")
        if not _COMPANY.fullmatch(self.company):
            raise InvalidField(
                "The company code in this QR code is not valid "
                "(1-64 letters, digits, '.', '_' or '-')."
            )
        if len(self.username) > 64 or not is_printable(self.username):
            raise InvalidField("The user name in this QR code is too long or not printable.")
        if self.api:
            _check_api(self.api)
        if self.exp is not None and not 0 <= self.exp < _MAX_EXP:
            raise InvalidField("The expiry time in this QR code is out of range.")

    @property
    def uses_custom_api(self) -> bool:
        # Compared as written: "https://vicifast.com//" or "https://VICIFAST.com" are custom.
        return bool(self.api) and self.api not in _DEFAULT_APIS

    def require_allowed(self, *, custom_control_planes: bool) -> None:
        """Refuse a non-default control plane unless the user enabled custom ones (Advanced)."""
        if self.uses_custom_api and not custom_control_planes:
            raise CustomControlPlaneRefused(
                f"This code points the app at another control plane ({self.api}). Enable custom "
                "control planes under Settings → Advanced if you trust it, then scan it again."
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "username": self.username,
            "api": self.api,
            "custom_api": self.uses_custom_api,
            "exp": self.exp,
        }


@dataclass(frozen=True, slots=True)
class SipAccountCode:
    """A decrypted SIP account code. ``to_config()`` turns it into what the engine takes."""

    server: str
    port: int
    transport: Transport
    extension: str
    password: Secret = field(repr=False)
    display_name: str
    srtp: SrtpMode
    exp: int
    kind: ClassVar[str] = "sip"

    def __post_init__(self) -> None:
        texts = (self.server, self.extension, self.password.reveal(), self.display_name)
        if any(_has_control(t) for t in texts):
            raise ControlCharacters("The SIP account in this code contains control characters.")
        if not is_host(self.server):  # one rule with api's host: softphone/core/hosts.py
            raise InvalidField("The SIP server in this code is not a host name or IP address.")
        if not 0 <= self.port <= 65535:
            raise InvalidField("The SIP port in this code is not between 0 and 65535.")
        if not 0 < len(self.extension) <= 64 or _EXT_FORBIDDEN & set(self.extension):
            raise InvalidField("The SIP extension in this code is empty, too long or malformed.")
        if not 0 < len(self.password.reveal()) <= 128:
            raise InvalidField("The SIP password in this code is empty or too long.")
        if len(self.display_name) > 64 or not is_printable(self.display_name):
            raise InvalidField("The display name in this code is too long or not printable.")
        if _DISPLAY_FORBIDDEN & set(self.display_name):
            raise InvalidField('The display name in this code contains " or \\.')
        if not 0 <= self.exp < _MAX_EXP:
            raise InvalidField("The expiry time in this code is out of range.")
        try:
            self.to_config()
        except ConfigError as err:
            raise InvalidField(f"The SIP account in this code is not usable: {err}") from None

    def to_config(self) -> SipAccountConfig:
        return SipAccountConfig(
            extension=self.extension,
            password=self.password,
            domain=self.server,
            transport=self.transport,
            port=self.port,
            srtp=self.srtp,
            display_name=self.display_name,
        )

    def to_json(self) -> dict[str, Any]:
        """Everything but the password (what the user confirms, what testers see)."""
        return {
            "server": self.server,
            "port": self.port,
            "transport": self.transport.value,
            "extension": self.extension,
            "display_name": self.display_name,
            "srtp": self.srtp.value,
            "exp": self.exp,
        }


@dataclass(frozen=True, slots=True)
class SealedSipCode:
    """A structurally valid SIP account code, still encrypted: ``open(pin)`` decrypts it."""

    salt: bytes
    data: bytes  # nonce ‖ ciphertext ‖ tag
    kind: ClassVar[str] = "sip"

    def open(self, pin: str, *, now: int | None = None) -> SipAccountCode:
        key = derive_key(pin, self.salt)
        nonce, sealed = self.data[:NONCE_BYTES], self.data[NONCE_BYTES:]
        try:
            plain = AESGCM(key).decrypt(nonce, sealed, AAD_PREFIX + self.salt)
        except InvalidTag:
            raise WrongPin(
                "The PIN does not open this code (or the code is damaged). Check the PIN your "
                "supervisor gave you and try again."
            ) from None
        account = _account_from_plaintext(plain)
        _check_not_expired(account.exp, now, "SIP account code")
        return account


# ---- PIN and key -------------------------------------------------------------------------------


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


def account_plaintext(account: SipAccountCode) -> bytes:
    """The compact v1 plaintext: a JSON array in SIP_FIELDS order, enums as small integers."""
    values = [
        account.server,
        account.port,
        TRANSPORT_CODES.index(account.transport),
        account.extension,
        account.password.reveal(),
        account.display_name,
        SRTP_CODES.index(account.srtp),
        account.exp,
    ]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
    sealed = AESGCM(derive_key(pin, salt)).encrypt(nonce, plain, AAD_PREFIX + salt)
    d = _b64(nonce + sealed)
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
    if _has_control(text):
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
    if _has_control(value):
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
        _check_api("")  # present but empty is not "absent": it is not an https:// URL
    if check_expiry:
        _check_not_expired(exp, now, "sign-in code")
    return code


def _check_api(api: str) -> None:
    # No exception for this computer or for testers: a code is never a way to plain http.
    if not api.startswith("https://"):  # lower case only: "HTTPS://" is not our spelling
        raise InsecureApiUrl(
            "This code points at a control plane that is not an https:// address, so it was "
            "refused: VICIfast Phone only talks to servers over verified HTTPS. Ask whoever "
            "gave you the code for a new one."
        )
    match = _API.fullmatch(api)
    if (
        len(api) > 200
        or match is None
        or not is_host(match["host"])
        or int(match["port"] or 443) > 65535
    ):
        raise InvalidField("The control-plane address (api) in this code is malformed.")


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


def _account_from_plaintext(plain: bytes) -> SipAccountCode:
    try:
        values = json.loads(plain.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedAccount("The decrypted account is not v1's JSON: update the app.") from None
    if not isinstance(values, list):
        raise MalformedAccount("The decrypted account is not v1's JSON array: update the app.")
    if not all(_is_unicode_text(v) for v in values if isinstance(v, str)):
        raise MalformedAccount("The decrypted account holds text that is not Unicode.")
    if len(values) < len(SIP_FIELDS):
        raise MissingField(f"The SIP account in this code has no '{SIP_FIELDS[len(values)]}'.")
    if len(values) > len(SIP_FIELDS):
        raise UnexpectedField("The SIP account in this code has more fields than v1 defines.")
    server, port, transport, extension, password, display_name, srtp, exp = values
    kinds = (str, int, int, str, str, str, int, int)
    for name, value, kind in zip(SIP_FIELDS, values, kinds, strict=True):
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidField(f"The field '{name}' of the SIP account has the wrong type.")
    if not (0 <= transport < len(TRANSPORT_CODES) and 0 <= srtp < len(SRTP_CODES)):
        raise InvalidField("The SIP account's transport or SRTP mode is not one v1 knows.")
    return SipAccountCode(
        server=server,
        port=port,
        transport=TRANSPORT_CODES[transport],
        extension=extension,
        password=Secret(password),
        display_name=display_name,
        srtp=SRTP_CODES[srtp],
        exp=exp,
    )


def _no_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity: Python's extension, not JSON (RFC 8259).
    raise ValueError(f"{name} is not JSON")
