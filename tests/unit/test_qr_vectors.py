"""The QR format v1 compatibility contract: tests/vectors/ run both ways.

Valid vectors: decoding the URI gives the expected fields, and encoding the inputs (with the
vector's fixed salt and nonce for SIP codes) gives the URI byte for byte. Invalid vectors: each
raises exactly the error whose ``code`` the vector names.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_cipher, qr_codes
from softphone.provisioning import qr_format as f
from softphone.provisioning.qr_errors import QrError

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
VALID = json.loads((VECTORS / "qr_v1_valid.json").read_text(encoding="utf-8"))
INVALID = json.loads((VECTORS / "qr_v1_invalid.json").read_text(encoding="utf-8"))


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def by_name(vectors: list[dict[str, Any]]) -> Any:
    return pytest.mark.parametrize("vector", vectors, ids=[v["name"] for v in vectors])


def test_header_matches_the_implementation() -> None:
    for data in (VALID, INVALID):
        assert data["version"] == 1
        assert data["scrypt"] == {
            "N": qr_cipher.SCRYPT_N,
            "r": qr_cipher.SCRYPT_R,
            "p": qr_cipher.SCRYPT_P,
            "dklen": 32,
        }
        assert data["aad_prefix"].encode() == qr_cipher.AAD_PREFIX


@by_name(VALID["vectors"])
def test_valid_vector_decodes_to_expected(vector: dict[str, Any]) -> None:
    decoded = f.decode(vector["uri"], vector.get("pin"), now=vector["now"])
    assert decoded.kind == vector["kind"]
    got = decoded.to_json()
    if isinstance(decoded, f.SipAccountCode):
        got["password"] = decoded.password.reveal()
        assert qr_codes.account_plaintext(decoded).decode() == vector["plaintext"]
        config = decoded.to_config()
        assert config.domain == vector["expected"]["server"]
        assert isinstance(config.password, Secret)
        assert config.password.reveal() == vector["expected"]["password"]
    assert got == vector["expected"]


@by_name(VALID["vectors"])
def test_valid_vector_encodes_to_its_uri(vector: dict[str, Any]) -> None:
    given = vector["input"]
    if vector["kind"] == "signin":
        uri = f.encode_signin(f.SignInCode(**given))
    else:
        account = f.SipAccountCode(
            server=given["server"],
            port=given["port"],
            transport=Transport(given["transport"]),
            extension=given["extension"],
            password=Secret(given["password"]),
            display_name=given["display_name"],
            srtp=SrtpMode(given["srtp"]),
            exp=given["exp"],
        )
        uri = f.encode_sip(
            account,
            vector["pin"],
            salt=unb64(vector["salt_b64url"]),
            nonce=unb64(vector["nonce_b64url"]),
        )
    assert uri == vector["uri"]


@by_name(INVALID["vectors"])
def test_invalid_vector_gives_its_error(vector: dict[str, Any]) -> None:
    with pytest.raises(QrError) as caught:
        f.decode(vector["uri"], vector.get("pin"), now=vector["now"])
    assert caught.value.code == vector["error"], str(caught.value)
    assert str(caught.value)  # a message for people, never empty


def test_every_format_error_has_a_vector() -> None:
    covered = {v["error"] for v in INVALID["vectors"]}
    format_errors = {
        "oversize", "control_characters", "wrong_scheme", "unknown_kind", "malformed",
        "unsupported_version", "missing_field", "unexpected_field", "invalid_field",
        "insecure_api", "unsupported_kdf", "bad_base64", "truncated_ciphertext", "wrong_pin",
        "malformed_account", "expired", "invalid_pin",
    }  # fmt: skip
    assert format_errors <= covered
