"""The two kinds of QR code (format v1) as values, and the rules their fields must meet.

``SignInCode`` fills in the sign-in form; ``SipAccountCode`` is a decrypted SIP account, written
inside its code as a compact positional plaintext (:func:`account_plaintext`, and back);
``SealedSipCode`` is one still encrypted. A value that exists is valid: each checks its fields
when made and raises one :mod:`softphone.provisioning.qr_errors` error otherwise. The text of a
code is :mod:`softphone.provisioning.qr_format`'s part.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from softphone.core.errors import ConfigError
from softphone.core.hosts import is_host
from softphone.core.models import SipAccountConfig, SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning.qr_cipher import unseal
from softphone.provisioning.qr_errors import (
    ControlCharacters,
    CustomControlPlaneRefused,
    ExpiredCode,
    InsecureApiUrl,
    InvalidField,
    MalformedAccount,
    MissingField,
    UnexpectedField,
)

DEFAULT_API: Final = "https://vicifast.com"
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

_COMPANY: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
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


def has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def is_printable(text: str) -> bool:
    """The spec's "printable": none of its fixed list of invisible or unassignable characters."""
    return _NOT_PRINTABLE.search(text) is None


def _is_unicode_text(text: str) -> bool:
    # A JSON "\ud800" escape decodes to a lone surrogate: not text, and not encodable as UTF-8.
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def check_not_expired(exp: int | None, now: int | None, what: str) -> None:
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
        if has_control(self.company) or has_control(self.username) or has_control(self.api):
            raise ControlCharacters("The sign-in code contains control characters.")
        if not _COMPANY.fullmatch(self.company):
            raise InvalidField(
                "The company code in this QR code is not valid "
                "(1-64 letters, digits, '.', '_' or '-')."
            )
        if len(self.username) > 64 or not is_printable(self.username):
            raise InvalidField("The user name in this QR code is too long or not printable.")
        if self.api:
            check_api(self.api)
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
        if any(has_control(t) for t in texts):
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
        plain = unseal(self.data, pin, self.salt)
        account = _account_from_plaintext(plain)
        check_not_expired(account.exp, now, "SIP account code")
        return account


# ---- the rule of a control-plane address ----------------------------------------------------


def check_api(api: str) -> None:
    # No exception for this computer or for testers: a code is never a way to plain http.
    if not api.startswith("https://"):  # lower case only: "HTTPS://" is not our spelling
        raise InsecureApiUrl(
            "This code points at a control plane that is not an https:// address, so it was "
            "refused: VICIfast Desktop only talks to servers over verified HTTPS. Ask whoever "
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


# ---- the compact plaintext of a SIP account ----------------------------------------------


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
