"""QR format v1 beyond the vectors: round trips, distinct errors, what never leaks."""

from __future__ import annotations

import json

import pytest

from softphone.core.errors import VicifastError
from softphone.core.models import SipAccountConfig, SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_cipher
from softphone.provisioning import qr_errors as e
from softphone.provisioning import qr_format as f

NOW = 1767225600
LATER = NOW + 86400
PIN = "482139"


def account(**changes: object) -> f.SipAccountCode:
    fields: dict[str, object] = {
        "server": "pbx.example.com",
        "port": 5060,
        "transport": Transport.UDP,
        "extension": "1001",
        "password": Secret("s3cret-Pa55"),
        "display_name": "Jane Doe",
        "srtp": SrtpMode.OFF,
        "exp": LATER,
    }
    fields.update(changes)
    return f.SipAccountCode(**fields)  # type: ignore[arg-type]


def test_every_error_is_a_vicifast_error_with_its_own_code() -> None:
    classes = [c for c in vars(e).values() if isinstance(c, type) and issubclass(c, e.QrError)]
    assert all(issubclass(c, VicifastError) for c in classes)
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), "two error classes share a code"


def test_sip_round_trip_gives_a_config_with_a_secret_password() -> None:
    uri = f.encode_sip(account(), PIN)
    decoded = f.decode(uri, PIN, now=NOW)
    assert isinstance(decoded, f.SipAccountCode)
    config = decoded.to_config()
    assert isinstance(config, SipAccountConfig)
    assert config.domain == "pbx.example.com"
    assert config.port == 5060
    assert config.extension == "1001"
    assert config.password == Secret("s3cret-Pa55")
    assert "s3cret" not in repr(decoded) + repr(config) + json.dumps(decoded.to_json())


def test_each_encoding_uses_fresh_salt_and_nonce() -> None:
    first, second = f.encode_sip(account(), PIN), f.encode_sip(account(), PIN)
    assert first != second
    assert first.split("&s=")[1][:22] != second.split("&s=")[1][:22]


def test_the_pin_is_never_in_the_code_or_an_error() -> None:
    uri = f.encode_sip(account(), "987654")
    assert "987654" not in uri and "s3cret" not in uri
    with pytest.raises(e.WrongPin) as caught:
        f.decode(uri, "987655", now=NOW)
    assert "987655" not in str(caught.value)


def test_a_sip_code_needs_a_pin() -> None:
    with pytest.raises(e.InvalidPin, match="PIN"):
        f.decode(f.encode_sip(account(), PIN), None, now=NOW)


def test_parse_validates_structure_without_the_pin() -> None:
    sealed = f.parse(f.encode_sip(account(), PIN))
    assert isinstance(sealed, f.SealedSipCode)
    assert len(sealed.salt) == qr_cipher.SALT_BYTES


def test_expiry_can_be_skipped_for_structure_only() -> None:
    uri = f"vicifast://signin?v=1&c=acme&exp={NOW - 1}"
    assert isinstance(f.parse(uri, now=NOW, check_expiry=False), f.SignInCode)
    with pytest.raises(e.ExpiredCode, match="expired on 2025-12-31"):
        f.parse(uri, now=NOW)


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12 345", "١٢٣٤٥٦", ""])
def test_bad_pins_are_refused_when_encoding(pin: str) -> None:
    with pytest.raises(e.InvalidPin):
        f.encode_sip(account(), pin)


def test_generated_pins_are_digits_of_the_asked_length() -> None:
    pins = {f.generate_pin() for _ in range(50)}
    assert all(len(p) == 8 and p.isdigit() for p in pins)
    assert len(pins) > 45
    assert len(f.generate_pin(6)) == 6
    with pytest.raises(e.InvalidPin):
        f.generate_pin(5)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"server": "pbx example"}, e.InvalidField),
        ({"server": "pbx\r\nevil"}, e.ControlCharacters),
        ({"port": 70000}, e.InvalidField),
        ({"extension": "10@01"}, e.InvalidField),
        ({"extension": ""}, e.InvalidField),
        ({"password": Secret("")}, e.InvalidField),
        ({"display_name": "x" * 65}, e.InvalidField),
        ({"srtp": SrtpMode.MANDATORY}, e.InvalidField),
        ({"exp": -1}, e.InvalidField),
        ({"exp": 10**12}, e.InvalidField),
    ],
)
def test_bad_accounts_are_refused_before_encoding(
    changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        account(**changes)


def test_an_oversize_account_is_refused() -> None:
    long = account(display_name="é" * 64, password=Secret("p" * 128), extension="e" * 64)
    big = f.SipAccountCode(
        server=("a" * 60 + ".") * 4 + "com",
        port=1,
        transport=Transport.UDP,
        extension=long.extension,
        password=long.password,
        display_name=long.display_name,
        srtp=SrtpMode.OFF,
        exp=LATER,
    )
    with pytest.raises(e.OversizeCode):
        f.encode_sip(big, PIN)


def test_signin_code_api_policy() -> None:
    default = f.SignInCode("acme", api="https://vicifast.com/")
    custom = f.SignInCode("acme", api="https://cp.example.net")
    assert not default.uses_custom_api
    default.require_allowed(custom_control_planes=False)
    custom.require_allowed(custom_control_planes=True)
    with pytest.raises(e.CustomControlPlaneRefused, match=r"cp\.example\.net"):
        custom.require_allowed(custom_control_planes=False)


def test_aad_binds_the_salt() -> None:
    uri = f.encode_sip(account(), PIN)
    sealed = f.parse(uri)
    assert isinstance(sealed, f.SealedSipCode)
    # Same key (derived with the real salt) but the AAD of another salt: the tag fails.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = qr_cipher.derive_key(PIN, sealed.salt)
    nonce, body = sealed.data[:12], sealed.data[12:]
    AESGCM(key).decrypt(nonce, body, qr_cipher.AAD_PREFIX + sealed.salt)
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        AESGCM(key).decrypt(nonce, body, qr_cipher.AAD_PREFIX + bytes(16))


def test_scanner_bytes_that_are_not_utf8_are_not_our_code() -> None:
    with pytest.raises(e.NotAVicifastCode):
        f.text_from_bytes(b"\xff\xfe")
    assert f.text_from_bytes(b"vicifast://signin?v=1&c=a") == "vicifast://signin?v=1&c=a"


def test_a_typical_sip_code_stays_short() -> None:
    # The QR version follows the length: the compact plaintext keeps a typical code in a
    # version-10 symbol at level M (213 bytes); a JSON object with names would need version 13.
    uri = f.encode_sip(account(server="pbx.example-callcentre.com"), PIN)
    assert len(uri) <= 210, len(uri)
