"""Errors of the QR provisioning format, generation and scanning.

Every class has a stable ``code`` (the name test vectors and the mobile app use for it) and a
message written for the person holding the code. Messages never contain a PIN or a password.

VicifastError (softphone.core.errors)
└── QrError                       base of everything below
    ├── QrFormatError             a code that is not a valid v1 VICIfast code
    │   ├── OversizeCode            longer than the format allows
    │   ├── ControlCharacters       control characters in the code or a field
    │   ├── NotAVicifastCode        another scheme (a web link, a Wi-Fi code…)
    │   ├── UnknownCodeKind         vicifast:// but neither signin nor sip
    │   ├── MalformedCode           broken query syntax, bad %-escape, repeats
    │   ├── UnsupportedVersion      v is not 1
    │   ├── MissingField            a required field is absent
    │   ├── UnexpectedField         a field v1 does not define
    │   ├── InvalidField            a field's value is out of its bounds
    │   ├── InsecureApiUrl          api is not an https:// URL
    │   ├── UnsupportedKdf          kdf is not scrypt
    │   ├── BadBase64               s or d is not unpadded base64url
    │   ├── TruncatedCiphertext     d is too short to hold nonce + tag
    │   ├── WrongPin                the PIN does not open the code
    │   ├── MalformedAccount        the decrypted account is not v1's array
    │   └── ExpiredCode             past its exp
    ├── InvalidPin                a PIN that is not 6–12 digits
    ├── CustomControlPlaneRefused a non-default api while custom ones are off
    ├── QrBatchError              a batch CSV that cannot be read at all
    ├── QrImageError              an image that cannot be read or written
    │   ├── ImageNotFound             no such file
    │   ├── NotARegularFile           a directory, FIFO, device…
    │   ├── ImageTooLarge             file or pixel count above the cap (checked before decoding)
    │   └── NotAnImage                not a format we read, or damaged
    └── QrDecoderUnavailable      the chosen decoder's library is missing
"""

from __future__ import annotations

from typing import ClassVar

from softphone.core.errors import VicifastError


class QrError(VicifastError):
    code: ClassVar[str] = "qr"


class QrFormatError(QrError):
    code: ClassVar[str] = "format"


class OversizeCode(QrFormatError):
    code: ClassVar[str] = "oversize"


class ControlCharacters(QrFormatError):
    code: ClassVar[str] = "control_characters"


class NotAVicifastCode(QrFormatError):
    code: ClassVar[str] = "wrong_scheme"


class UnknownCodeKind(QrFormatError):
    code: ClassVar[str] = "unknown_kind"


class MalformedCode(QrFormatError):
    code: ClassVar[str] = "malformed"


class UnsupportedVersion(QrFormatError):
    code: ClassVar[str] = "unsupported_version"


class MissingField(QrFormatError):
    code: ClassVar[str] = "missing_field"


class UnexpectedField(QrFormatError):
    code: ClassVar[str] = "unexpected_field"


class InvalidField(QrFormatError):
    code: ClassVar[str] = "invalid_field"


class InsecureApiUrl(QrFormatError):
    code: ClassVar[str] = "insecure_api"


class UnsupportedKdf(QrFormatError):
    code: ClassVar[str] = "unsupported_kdf"


class BadBase64(QrFormatError):
    code: ClassVar[str] = "bad_base64"


class TruncatedCiphertext(QrFormatError):
    code: ClassVar[str] = "truncated_ciphertext"


class WrongPin(QrFormatError):
    code: ClassVar[str] = "wrong_pin"


class MalformedAccount(QrFormatError):
    code: ClassVar[str] = "malformed_account"


class ExpiredCode(QrFormatError):
    code: ClassVar[str] = "expired"


class InvalidPin(QrError):
    code: ClassVar[str] = "invalid_pin"


class CustomControlPlaneRefused(QrError):
    code: ClassVar[str] = "custom_api_refused"


class QrBatchError(QrError):
    code: ClassVar[str] = "batch"


class QrImageError(QrError):
    code: ClassVar[str] = "image"


class ImageNotFound(QrImageError):
    code: ClassVar[str] = "no_such_file"


class NotARegularFile(QrImageError):
    code: ClassVar[str] = "not_a_file"


class ImageTooLarge(QrImageError):
    code: ClassVar[str] = "too_large"


class NotAnImage(QrImageError):
    code: ClassVar[str] = "not_an_image"


class QrDecoderUnavailable(QrError):
    code: ClassVar[str] = "decoder_unavailable"
