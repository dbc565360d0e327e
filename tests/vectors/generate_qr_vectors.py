"""Writes qr_v1_valid.json and qr_v1_invalid.json: the QR format v1 compatibility contract.

Run only to add vectors (``.venv/bin/python -m tests.vectors.generate_qr_vectors``); the files are
committed and the mobile app's tests read them too. Existing vectors must never change: the
test suite checks that encoding each valid vector with its fixed salt and nonce gives its URI.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_format as f

HERE = Path(__file__).resolve().parent
NOW = 1767225600  # 2026-01-01T00:00:00Z: every vector is decoded "at" this time
LATER = 1798761600  # 2027-01-01T00:00:00Z
EARLIER = 1735689600  # 2025-01-01T00:00:00Z
PIN = "48213907"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def salt(n: int) -> bytes:
    return bytes((n * 17 + i) % 256 for i in range(f.SALT_BYTES))


def nonce(n: int) -> bytes:
    return bytes((n * 29 + 3 * i) % 256 for i in range(f.NONCE_BYTES))


def signin(name: str, description: str, **fields: Any) -> dict[str, Any]:
    code = f.SignInCode(**fields)
    return {
        "name": name,
        "description": description,
        "kind": "signin",
        "now": NOW,
        "input": {
            "company": code.company,
            "username": code.username,
            "api": code.api,
            "exp": code.exp,
        },
        "uri": f.encode_signin(code),
        "expected": code.to_json(),
    }


def sip(name: str, description: str, n: int, pin: str, **fields: Any) -> dict[str, Any]:
    account = f.SipAccountCode(
        server=fields["server"],
        port=fields["port"],
        transport=Transport(fields["transport"]),
        extension=fields["extension"],
        password=Secret(fields["password"]),
        display_name=fields["display_name"],
        srtp=SrtpMode(fields["srtp"]),
        exp=fields["exp"],
    )
    expected = {**account.to_json(), "password": fields["password"]}
    return {
        "name": name,
        "description": description,
        "kind": "sip",
        "now": NOW,
        "pin": pin,
        "salt_b64url": b64(salt(n)),
        "nonce_b64url": b64(nonce(n)),
        "plaintext": f.account_plaintext(account).decode("utf-8"),
        "input": expected,
        "uri": f.encode_sip(account, pin, salt=salt(n), nonce=nonce(n)),
        "expected": expected,
    }


def sealed(plain: Any, n: int) -> str:
    raw = (
        plain
        if isinstance(plain, bytes)
        else json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
    )
    return f.seal_plaintext(raw, PIN, salt=salt(n), nonce=nonce(n))


def bad(
    name: str, uri: str, error: str, description: str, *, pin: str | None = None, now: int = NOW
) -> dict[str, Any]:
    vector: dict[str, Any] = {
        "name": name,
        "description": description,
        "uri": uri,
        "now": now,
        "error": error,
    }
    if pin is not None:
        vector["pin"] = pin
    return vector


def main() -> None:
    base_sip = {
        "server": "pbx.example.com",
        "port": 5060,
        "transport": "udp",
        "extension": "1001",
        "password": "s3cret-Pa55",
        "display_name": "Jane Doe",
        "srtp": "off",
        "exp": LATER,
    }
    valid = [
        signin("signin-company-only", "The shortest sign-in code.", company="acme"),
        signin(
            "signin-username", "Company and user name.", company="acme-call.01", username="jdoe"
        ),
        signin(
            "signin-username-escaped",
            "A user name that needs percent-encoding (UTF-8).",
            company="ACME_2",
            username="josé m+n&o=p",
        ),
        signin(
            "signin-custom-api",
            "A custom control plane with a port and a path.",
            company="acme",
            api="https://cp.example.net:8443/vicifast",
        ),
        signin(
            "signin-all-fields",
            "Every field, default api written out, with expiry.",
            company="acme",
            username="agent7",
            api="https://vicifast.com",
            exp=LATER,
        ),
        sip("sip-udp", "A typical VICIdial phone over UDP.", 1, PIN, **base_sip),
        sip(
            "sip-tls-srtp-unicode",
            "TLS with mandatory SRTP, a UTF-8 display name and a "
            "password with JSON-escaped characters.",
            2,
            "000000",
            **{
                **base_sip,
                "transport": "tls",
                "port": 5061,
                "srtp": "mandatory",
                "display_name": "José Núñez",
                "password": 'p"a\\ss/wörd',
                "extension": "agent_7",
            },
        ),
        sip(
            "sip-ipv4-defaults",
            "An IPv4 server, port 0 (the transport's default), TCP, "
            "optional SRTP, no display name, a 12-digit PIN.",
            3,
            "123456789012",
            **{
                **base_sip,
                "server": "203.0.113.10",
                "port": 0,
                "transport": "tcp",
                "srtp": "optional",
                "display_name": "",
            },
        ),
        sip(
            "sip-ipv6",
            "An IPv6 server literal.",
            4,
            PIN,
            **{**base_sip, "server": "[2001:db8::1]", "extension": "8001"},
        ),
    ]
    good_sip = valid[5]["uri"]
    head, d = good_sip.split("&d=")
    raw_d = base64.urlsafe_b64decode(d + "=" * (-len(d) % 4))
    flipped = d[:10] + ("A" if d[10] != "A" else "B") + d[11:]
    other_salt = good_sip.replace(b64(salt(1)), b64(salt(9)))
    sip_ok = ["pbx.example.com", 5060, 0, "1001", "s3cret-Pa55", "Jane Doe", 0, LATER]
    invalid = [
        bad(
            "wrong-scheme-https",
            "https://vicifast.com/signin?v=1&c=acme",
            "wrong_scheme",
            "A web link, not a vicifast:// code.",
        ),
        bad(
            "wrong-scheme-uppercase",
            "VICIFAST://signin?v=1&c=acme",
            "wrong_scheme",
            "The scheme must be written in lower case.",
        ),
        bad(
            "wrong-scheme-wifi",
            "WIFI:S:office;T:WPA;P:secret;;",
            "wrong_scheme",
            "Another app's QR code.",
        ),
        bad(
            "unknown-kind", "vicifast://login?v=1&c=acme", "unknown_kind", "Neither signin nor sip."
        ),
        bad(
            "unsupported-version-signin",
            "vicifast://signin?v=2&c=acme",
            "unsupported_version",
            "A future version.",
        ),
        bad(
            "unsupported-version-sip",
            good_sip.replace("v=1", "v=2"),
            "unsupported_version",
            "A future version of a SIP code.",
            pin=PIN,
        ),
        bad("missing-version", "vicifast://signin?c=acme", "missing_field", "No v."),
        bad("missing-company", "vicifast://signin?v=1&u=jdoe", "missing_field", "No c."),
        bad("missing-sip-data", head, "missing_field", "A SIP code without d.", pin=PIN),
        bad(
            "missing-sip-kdf",
            good_sip.replace("&kdf=scrypt", ""),
            "missing_field",
            "A SIP code without kdf.",
            pin=PIN,
        ),
        bad(
            "unexpected-field-signin",
            "vicifast://signin?v=1&c=acme&p=hunter2",
            "unexpected_field",
            "A field v1 does not define (here, someone tried a password).",
        ),
        bad(
            "unexpected-field-sip",
            good_sip + "&x=1",
            "unexpected_field",
            "An extra field on a SIP code.",
            pin=PIN,
        ),
        bad("malformed-no-query", "vicifast://signin", "malformed", "No '?' and no fields."),
        bad("malformed-empty-query", "vicifast://signin?", "malformed", "Nothing after '?'."),
        bad(
            "malformed-duplicate",
            "vicifast://signin?v=1&c=acme&c=evil",
            "malformed",
            "A field given twice.",
        ),
        bad("malformed-no-equals", "vicifast://signin?v=1&c", "malformed", "A bare name."),
        bad("malformed-empty-pair", "vicifast://signin?v=1&&c=acme", "malformed", "An empty pair."),
        bad(
            "malformed-bad-escape",
            "vicifast://signin?v=1&c=ac%ZZme",
            "malformed",
            "A broken percent-escape.",
        ),
        bad(
            "malformed-raw-plus",
            "vicifast://signin?v=1&c=acme&u=a+b",
            "malformed",
            "A raw '+' (must be %2B; v1 has no form encoding).",
        ),
        bad(
            "malformed-raw-space", "vicifast://signin?v=1&c=acme&u=a b", "malformed", "A raw space."
        ),
        bad(
            "malformed-raw-non-ascii",
            "vicifast://signin?v=1&c=acme&u=josé",
            "malformed",
            "Raw non-ASCII (must be percent-encoded UTF-8).",
        ),
        bad(
            "malformed-bad-utf8",
            "vicifast://signin?v=1&c=acme&u=%FF%FE",
            "malformed",
            "Percent-escapes that are not UTF-8.",
        ),
        bad(
            "control-raw-newline",
            "vicifast://signin?v=1&c=acme\n",
            "control_characters",
            "A trailing newline.",
        ),
        bad(
            "control-escaped",
            "vicifast://signin?v=1&c=acme&u=a%07b",
            "control_characters",
            "An escaped BEL in the user name.",
        ),
        bad(
            "control-in-account",
            sealed([*sip_ok[:5], "Jane\u0000Doe", *sip_ok[6:]], 5),
            "control_characters",
            "A NUL in the decrypted display name.",
            pin=PIN,
        ),
        bad(
            "oversize",
            "vicifast://signin?v=1&c=acme&u=" + "a" * 1000,
            "oversize",
            "Longer than 1024 characters.",
        ),
        bad(
            "invalid-company",
            "vicifast://signin?v=1&c=acme%21",
            "invalid_field",
            "A company code with '!'.",
        ),
        bad(
            "invalid-exp-letters",
            "vicifast://signin?v=1&c=acme&exp=soon",
            "invalid_field",
            "exp not a number.",
        ),
        bad(
            "invalid-exp-leading-zero",
            "vicifast://signin?v=1&c=acme&exp=0123",
            "invalid_field",
            "exp with a leading zero.",
        ),
        bad(
            "invalid-api-userinfo",
            "vicifast://signin?v=1&c=acme&api=https://u%40evil.example",
            "invalid_field",
            "An api URL with user info.",
        ),
        bad(
            "insecure-api-http",
            "vicifast://signin?v=1&c=acme&api=http://cp.example.net",
            "insecure_api",
            "A plain-HTTP control plane.",
        ),
        bad(
            "insecure-api-ftp",
            "vicifast://signin?v=1&c=acme&api=ftp://cp.example.net",
            "insecure_api",
            "Not HTTPS at all.",
        ),
        bad(
            "insecure-api-http-loopback",
            "vicifast://signin?v=1&c=acme&api=http://127.0.0.1:8443",
            "insecure_api",
            "Plain HTTP to this computer: no exception for loopback or test servers in a code.",
        ),
        bad(
            "insecure-api-http-localhost",
            "vicifast://signin?v=1&c=acme&api=http://localhost:8443/vicifast",
            "insecure_api",
            "Plain HTTP to localhost, likewise refused.",
        ),
        bad(
            "invalid-salt-length",
            good_sip.replace(b64(salt(1)), b64(salt(1)[:12])),
            "invalid_field",
            "A 12-byte salt.",
            pin=PIN,
        ),
        bad(
            "invalid-account-port",
            sealed([*sip_ok[:1], 70000, *sip_ok[2:]], 6),
            "invalid_field",
            "Port 70000 in the decrypted account.",
            pin=PIN,
        ),
        bad(
            "invalid-account-srtp-udp",
            sealed([*sip_ok[:6], 2, LATER], 7),
            "invalid_field",
            "Mandatory SRTP over UDP.",
            pin=PIN,
        ),
        bad(
            "invalid-account-port-type",
            sealed([*sip_ok[:1], "5060", *sip_ok[2:]], 8),
            "invalid_field",
            "The port as a string.",
            pin=PIN,
        ),
        bad(
            "invalid-account-transport",
            sealed([*sip_ok[:2], 3, *sip_ok[3:]], 15),
            "invalid_field",
            "Transport 3: v1 knows 0 (udp), 1 (tcp) and 2 (tls).",
            pin=PIN,
        ),
        bad(
            "unsupported-kdf",
            good_sip.replace("kdf=scrypt", "kdf=pbkdf2"),
            "unsupported_kdf",
            "Another key derivation.",
            pin=PIN,
        ),
        bad(
            "bad-base64-chars",
            head + "&d=" + d[:8] + "." + d[9:],
            "bad_base64",
            "A '.' in d.",
            pin=PIN,
        ),
        bad(
            "bad-base64-standard",
            head + "&d=" + d[:8] + "%2B" + d[9:],
            "bad_base64",
            "Standard base64's '+' (percent-encoded) in d.",
            pin=PIN,
        ),
        bad(
            "bad-base64-padding",
            good_sip.replace(b64(salt(1)), b64(salt(1)) + "=="),
            "bad_base64",
            "Padded salt.",
            pin=PIN,
        ),
        bad(
            "bad-base64-length",
            head + "&d=" + b64(raw_d[:30]) + "A",
            "bad_base64",
            "A length no base64 has (4n+1).",
            pin=PIN,
        ),
        bad(
            "truncated-ciphertext",
            head + "&d=" + b64(raw_d[:22]),
            "truncated_ciphertext",
            "d cut to 22 bytes (less than nonce + tag).",
            pin=PIN,
        ),
        bad("wrong-pin", good_sip, "wrong_pin", "The right code, another PIN.", pin="48213908"),
        bad(
            "wrong-pin-tampered",
            head + "&d=" + flipped,
            "wrong_pin",
            "One ciphertext character changed.",
            pin=PIN,
        ),
        bad(
            "wrong-pin-other-salt",
            other_salt,
            "wrong_pin",
            "The salt swapped: the key and the AAD no longer match.",
            pin=PIN,
        ),
        bad(
            "wrong-pin-cut-short",
            head + "&d=" + b64(raw_d[:-3]),
            "wrong_pin",
            "The tag cut short (still long enough to parse).",
            pin=PIN,
        ),
        bad("invalid-pin-short", good_sip, "invalid_pin", "A 5-digit PIN.", pin="12345"),
        bad("invalid-pin-letters", good_sip, "invalid_pin", "Letters in the PIN.", pin="12345a"),
        bad(
            "malformed-account-not-json",
            sealed(b"server=pbx", 10),
            "malformed_account",
            "The plaintext is not JSON.",
            pin=PIN,
        ),
        bad(
            "malformed-account-object",
            sealed(dict(zip(f.SIP_FIELDS, sip_ok, strict=True)), 11),
            "malformed_account",
            "A JSON object instead of v1's array.",
            pin=PIN,
        ),
        bad(
            "missing-account-field",
            sealed(sip_ok[:7], 12),
            "missing_field",
            "Seven values: exp missing.",
            pin=PIN,
        ),
        bad(
            "unexpected-account-field",
            sealed([*sip_ok, "extra"], 13),
            "unexpected_field",
            "Nine values.",
            pin=PIN,
        ),
        bad(
            "expired-signin",
            f"vicifast://signin?v=1&c=acme&exp={EARLIER}",
            "expired",
            "exp before now.",
        ),
        bad(
            "expired-signin-exactly-now",
            f"vicifast://signin?v=1&c=acme&exp={NOW}",
            "expired",
            "exp equal to now counts as expired.",
        ),
        bad(
            "expired-sip",
            sealed([*sip_ok[:7], EARLIER], 14),
            "expired",
            "A SIP account past its exp.",
            pin=PIN,
        ),
    ]
    header = {
        "format": "vicifast-qr",
        "version": 1,
        "spec": "docs/qr-format.md",
        "scrypt": {"N": f.SCRYPT_N, "r": f.SCRYPT_R, "p": f.SCRYPT_P, "dklen": f.KEY_BYTES},
        "aad_prefix": f.AAD_PREFIX.decode(),
    }
    for filename, key, vectors in (
        ("qr_v1_valid.json", "vectors", valid),
        ("qr_v1_invalid.json", "vectors", invalid),
    ):
        names = [v["name"] for v in vectors]
        assert len(names) == len(set(names)), "vector names must be unique"
        text = json.dumps({**header, key: vectors}, ensure_ascii=False, indent=2)
        (HERE / filename).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
