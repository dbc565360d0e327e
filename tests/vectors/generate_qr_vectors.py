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
from urllib.parse import quote

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_cipher, qr_codes
from softphone.provisioning import qr_format as f

HERE = Path(__file__).resolve().parent
NOW = 1767225600  # 2026-01-01T00:00:00Z: every vector is decoded "at" this time
LATER = 1798761600  # 2027-01-01T00:00:00Z
EARLIER = 1735689600  # 2025-01-01T00:00:00Z
PIN = "48213907"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def salt(n: int) -> bytes:
    return bytes((n * 17 + i) % 256 for i in range(qr_cipher.SALT_BYTES))


def nonce(n: int) -> bytes:
    return bytes((n * 29 + 3 * i) % 256 for i in range(qr_cipher.NONCE_BYTES))


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
        "plaintext": qr_codes.account_plaintext(account).decode("utf-8"),
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


def sealed_raw(plain: bytes, n: int) -> str:
    """Like ``sealed`` but past the generator's 512-byte limit (readers must refuse it)."""
    key = qr_cipher.derive_key(PIN, salt(n))
    data = nonce(n) + AESGCM(key).encrypt(nonce(n), plain, qr_cipher.AAD_PREFIX + salt(n))
    return f"vicifast://sip?v=1&kdf=scrypt&s={b64(salt(n))}&d={b64(data)}"


def sealed_ascii(plain: list[Any], n: int) -> str:
    """JSON with \\u escapes (how a lone surrogate gets into a plaintext)."""
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return f.seal_plaintext(raw, PIN, salt=salt(n), nonce=nonce(n))


def decided_valid(base_sip: dict[str, Any]) -> list[dict[str, Any]]:
    """Valid vectors for the decisions of issue 15 (docs/qr-format.md, "Decisions")."""
    long_server = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters
    extension = "e" * 64
    display = "Jane " * 12 + "Doe!"  # 64 characters
    fixed = json.dumps(
        [long_server, 65535, 2, extension, "", display, 2, LATER],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    password = "p" * (f.MAX_PLAINTEXT_BYTES - len(fixed))  # what is left of the 512 bytes
    assert 0 < len(password) <= 128
    return [
        signin(
            "signin-api-default-double-slash-is-custom",
            "api is compared as written: https://vicifast.com// is a custom control plane.",
            company="acme",
            api="https://vicifast.com//",
        ),
        signin(
            "signin-api-ipv4-host",
            "An IPv4 control plane: api and the SIP server share one host rule.",
            company="acme",
            api="https://203.0.113.10:8443/cp",
        ),
        signin(
            "signin-exp-one-second-left",
            "exp = now + 1 is still valid; readers add no clock-skew tolerance either way.",
            company="acme",
            exp=NOW + 1,
        ),
        signin(
            "signin-username-64-code-points",
            "64 characters counted as Unicode code points (128 UTF-16 units, 256 bytes).",
            company="acme",
            username="\U0001f600" * 64,
        ),
        signin(
            "signin-username-unassigned-code-point",
            "An unassigned code point (U+0378) is printable: readers do not depend on a "
            "Unicode version.",
            company="acme",
            username="a\u0378b",
        ),
        signin(
            "signin-api-trailing-dot",
            "A DNS name may end with one dot (not counted in its 253 characters).",
            company="acme",
            api="https://cp.example.net./",
        ),
        sip(
            "sip-server-trailing-dot",
            "The same host rule for the SIP server: one final dot allowed.",
            30,
            PIN,
            **{**base_sip, "server": "pbx.example.com."},
        ),
        sip(
            "sip-password-line-separators",
            "U+2028 and U+2029 in the password are written raw in the canonical plaintext.",
            16,
            PIN,
            **{**base_sip, "password": "line\u2028para\u2029end"},
        ),
        sip(
            "sip-plaintext-512-bytes",
            "A 512-byte plaintext, the largest v1 allows: a 253-character server, 64-character "
            "extension and display name, the password filling the rest.",
            17,
            PIN,
            **{
                **base_sip,
                "server": long_server,
                "port": 65535,
                "transport": "tls",
                "extension": extension,
                "password": password,
                "display_name": display,
                "srtp": "mandatory",
            },
        ),
    ]


def audit_invalid(sip_ok: list[Any]) -> list[dict[str, Any]]:
    """Codes the issue 15 audit found accepted, or refused with another error than the spec's."""
    api = "vicifast://signin?v=1&c=acme&api="

    def server(host: str, n: int) -> str:
        return sealed([host, *sip_ok[1:]], n)

    return [
        bad(
            "malformed-account-lone-surrogate",
            sealed_ascii([*sip_ok[:5], "Jane\ud800", *sip_ok[6:]], 18),
            "malformed_account",
            "A lone surrogate (\\ud800) in the plaintext is not Unicode text.",
            pin=PIN,
        ),
        bad(
            "invalid-account-display-backslash",
            sealed([*sip_ok[:5], "Jane\\", *sip_ok[6:]], 19),
            "invalid_field",
            "A display name with a backslash (here, at its end).",
            pin=PIN,
        ),
        bad(
            "invalid-account-display-quote",
            sealed([*sip_ok[:5], 'J "D"', *sip_ok[6:]], 20),
            "invalid_field",
            "A display name with a double quote.",
            pin=PIN,
        ),
        bad("invalid-api-dots-only", api + "https://..", "invalid_field", "A host of two dots."),
        bad("invalid-api-port-zero", api + "https://a:0", "invalid_field", "Port 0."),
        bad(
            "invalid-api-port-leading-zero",
            api + "https://a:0443",
            "invalid_field",
            "A port with a leading zero.",
        ),
        bad("invalid-api-port-empty", api + "https://a:/", "invalid_field", "An empty port."),
        bad(
            "invalid-account-server-ipv4-range",
            server("999.999.999.999", 21),
            "invalid_field",
            "Not an IPv4 address (and an all-numeric last label makes no DNS name).",
            pin=PIN,
        ),
        bad(
            "invalid-account-server-ipv6-colons",
            server("[::::::]", 22),
            "invalid_field",
            "Not an IPv6 address.",
            pin=PIN,
        ),
        bad(
            "insecure-api-javascript",
            api + "javascript:alert%281%29",
            "insecure_api",
            "A javascript: control plane.",
        ),
        bad("insecure-api-file", api + "file:///etc/passwd", "insecure_api", "A file: URL."),
        bad(
            "invalid-api-ipv6-letters",
            api + "https://%5Babc%5D",
            "invalid_field",
            "[abc] is not an IPv6 address.",
        ),
        bad(
            "invalid-api-ipv6-short",
            api + "https://%5B1.2.3%5D",
            "invalid_field",
            "[1.2.3] is not an IPv6 address.",
        ),
        bad(
            "invalid-api-ipv6-ipv4",
            api + "https://%5B203.0.113.10%5D",
            "invalid_field",
            "An IPv4 address in brackets is not an IPv6 address.",
        ),
        bad(
            "invalid-account-server-ipv6-letters",
            server("[abc]", 23),
            "invalid_field",
            "[abc] as the SIP server.",
            pin=PIN,
        ),
        bad(
            "invalid-account-server-ipv6-short",
            server("[1.2.3]", 24),
            "invalid_field",
            "[1.2.3] as the SIP server.",
            pin=PIN,
        ),
        bad(
            "invalid-account-server-ipv6-ipv4",
            server("[203.0.113.10]", 25),
            "invalid_field",
            "A bracketed IPv4 address as the SIP server.",
            pin=PIN,
        ),
        bad(
            "invalid-api-empty-label",
            api + "https://a..b/",
            "invalid_field",
            "An empty label in the host.",
        ),
        bad(
            "invalid-api-leading-dot",
            api + "https://.cp.example/",
            "invalid_field",
            "A host starting with a dot.",
        ),
        bad(
            "insecure-api-empty",
            api,
            "insecure_api",
            "api= present but empty is not 'absent': it is not an https:// URL.",
        ),
        bad(
            "expired-signin-exp-zero",
            "vicifast://signin?v=1&c=acme&exp=0",
            "expired",
            "exp=0 is a valid time (the epoch), long past.",
        ),
        bad(
            "insecure-api-uppercase-scheme",
            api + "HTTPS://cp.example.net",
            "insecure_api",
            "The api scheme must be written https:// in lower case.",
        ),
        bad(
            "malformed-account-nan",
            sealed(b'["pbx.example.com",NaN,0,"1001","x","",0,1]', 26),
            "malformed_account",
            "NaN is not JSON.",
            pin=PIN,
        ),
        bad(
            "malformed-account-infinity",
            sealed(b'["pbx.example.com",5060,0,"1001","x","",0,Infinity]', 27),
            "malformed_account",
            "Infinity is not JSON.",
            pin=PIN,
        ),
        bad(
            "malformed-account-minus-infinity",
            sealed(b'["pbx.example.com",5060,0,"1001","x","",0,-Infinity]', 28),
            "malformed_account",
            "-Infinity is not JSON.",
            pin=PIN,
        ),
    ]


def decided_invalid(sip_ok: list[Any]) -> list[dict[str, Any]]:
    """One vector per decision docs/qr-format.md records ("Decisions")."""
    api = "vicifast://signin?v=1&c=acme&api="
    nul_name = [*sip_ok[:5], "Jane\u0000Doe", *sip_ok[6:]]

    def server(host: str, n: int) -> str:
        return sealed([host, *sip_ok[1:]], n)

    def user(name: str) -> str:
        return "vicifast://signin?v=1&c=acme&u=" + quote(name, safe="")

    return [
        bad(
            "invalid-username-65-code-points",
            user("\U0001f600" * 65),
            "invalid_field",
            "65 code points (a reader counting UTF-16 units refuses 33 already).",
        ),
        bad(
            "invalid-username-nbsp",
            user("Jane\u00a0Doe"),
            "invalid_field",
            "A no-break space: spaces other than U+0020 are not printable.",
        ),
        bad(
            "invalid-username-zero-width-space",
            user("Jane\u200bDoe"),
            "invalid_field",
            "An invisible format character (U+200B).",
        ),
        bad(
            "invalid-username-bidi-override",
            user("Jane\u202eeoD"),
            "invalid_field",
            "A bidirectional override (U+202E).",
        ),
        bad(
            "invalid-account-display-private-use",
            sealed([*sip_ok[:5], "\ue000", *sip_ok[6:]], 29),
            "invalid_field",
            "A private-use character in the display name.",
            pin=PIN,
        ),
        bad(
            "invalid-api-label-64",
            api + "https://" + "a" * 64 + ".example",
            "invalid_field",
            "A 64-character label.",
        ),
        bad(
            "invalid-account-server-254-chars",
            server(".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62]), 31),
            "invalid_field",
            "A 254-character name.",
            pin=PIN,
        ),
        bad(
            "invalid-api-hyphen-start",
            api + "https://-cp.example.net",
            "invalid_field",
            "A label starting with a hyphen.",
        ),
        bad(
            "invalid-api-hyphen-end",
            api + "https://cp-.example.net",
            "invalid_field",
            "A label ending with a hyphen.",
        ),
        bad(
            "invalid-api-underscore",
            api + "https://cp_1.example.net",
            "invalid_field",
            "An underscore: host names are letters, digits and hyphens.",
        ),
        bad(
            "invalid-api-two-trailing-dots",
            api + "https://cp.example.net..",
            "invalid_field",
            "Only one final dot.",
        ),
        bad(
            "invalid-account-server-ipv4-leading-zero",
            server("010.0.0.1", 32),
            "invalid_field",
            "An IPv4 part with a leading zero (octal to some parsers).",
            pin=PIN,
        ),
        bad(
            "invalid-account-server-numeric-last-label",
            server("1.2.3", 33),
            "invalid_field",
            "Three numbers: neither an IPv4 address nor a DNS name.",
            pin=PIN,
        ),
        bad(
            "invalid-account-server-ipv6-zone",
            server("[fe80::1%eth0]", 34),
            "invalid_field",
            "An IPv6 zone index.",
            pin=PIN,
        ),
        bad(
            "invalid-exp-13-digits",
            "vicifast://signin?v=1&c=acme&exp=1000000000000",
            "invalid_field",
            "exp has at most 12 digits.",
        ),
        bad(
            "invalid-account-exp-negative",
            sealed([*sip_ok[:7], -1], 35),
            "invalid_field",
            "A negative exp.",
            pin=PIN,
        ),
        bad(
            "invalid-account-exp-13-digits",
            sealed([*sip_ok[:7], 10**12], 36),
            "invalid_field",
            "exp of 10^12 or more.",
            pin=PIN,
        ),
        bad(
            "expired-sip-exp-zero",
            sealed([*sip_ok[:7], 0], 37),
            "expired",
            "exp = 0 in a SIP account: valid, and expired.",
            pin=PIN,
        ),
        bad(
            "wrong-scheme-mixed-case",
            "Vicifast://signin?v=1&c=acme",
            "wrong_scheme",
            "The scheme is lower case only.",
        ),
        bad(
            "unknown-kind-uppercase",
            "vicifast://SIGNIN?v=1&c=acme",
            "unknown_kind",
            "The kind is lower case only.",
        ),
        bad(
            "unexpected-field-uppercase-name",
            "vicifast://signin?v=1&c=acme&C=x",
            "unexpected_field",
            "Names are case-sensitive: C is not c.",
        ),
        bad(
            "missing-version-escaped-name",
            "vicifast://signin?%76=1&c=acme",
            "missing_field",
            "Names are never percent-decoded: %76 is not v.",
        ),
        bad(
            "unexpected-field-broken-escape-name",
            "vicifast://signin?v=1&c=acme&%ZZ=1",
            "unexpected_field",
            "A % in a name is not an escape: just an unknown name.",
        ),
        bad(
            "order-control-before-later-empty-pair",
            "vicifast://signin?v=1&u=a%07b&&c=acme",
            "control_characters",
            "Pairs are checked left to right, each completely before the next.",
        ),
        bad(
            "order-empty-pair-before-later-control",
            "vicifast://signin?v=1&&u=a%07b",
            "malformed",
            "Pairs are checked left to right.",
        ),
        bad(
            "order-raw-characters-before-pairs",
            "vicifast://signin?v=1&u=a%07b&c=a b",
            "malformed",
            "The query's character set is checked before any pair.",
        ),
        bad(
            "order-padding-before-duplicate",
            "vicifast://sip?v=1&s=AAAA==&s=AAAA",
            "bad_base64",
            "A padded s (pair 2) is reported before the repeated s (pair 3).",
        ),
        bad(
            "order-account-control-before-bounds",
            sealed([*nul_name[:1], 70000, *nul_name[2:]], 38),
            "control_characters",
            "Control characters are checked before value bounds.",
            pin=PIN,
        ),
        bad(
            "order-account-type-before-control",
            sealed([*nul_name[:1], "5060", *nul_name[2:]], 39),
            "invalid_field",
            "JSON types are checked before control characters.",
            pin=PIN,
        ),
        bad(
            "order-account-enum-before-control",
            sealed([*nul_name[:2], 3, *nul_name[3:]], 40),
            "invalid_field",
            "Enum numbers are checked before control characters.",
            pin=PIN,
        ),
        bad(
            "order-account-surrogate-before-count",
            sealed_ascii(["\ud800", *sip_ok[1:7]], 41),
            "malformed_account",
            "Text that is not Unicode is found before the count.",
            pin=PIN,
        ),
        bad(
            "oversize-plaintext-513-bytes",
            sealed_raw(json.dumps(sip_ok).encode().ljust(f.MAX_PLAINTEXT_BYTES + 1), 42),
            "oversize",
            "A valid account padded with spaces to 513 bytes (d of 722 characters): "
            "generators refuse to write it, readers refuse it before decrypting.",
            pin=PIN,
        ),
    ]


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
    valid += decided_valid(base_sip)
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
            sealed(dict(zip(qr_codes.SIP_FIELDS, sip_ok, strict=True)), 11),
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
    invalid += audit_invalid(sip_ok) + decided_invalid(sip_ok)
    header = {
        "format": "vicifast-qr",
        "version": 1,
        "spec": "docs/qr-format.md",
        "scrypt": {
            "N": qr_cipher.SCRYPT_N,
            "r": qr_cipher.SCRYPT_R,
            "p": qr_cipher.SCRYPT_P,
            "dklen": qr_cipher.KEY_BYTES,
        },
        "aad_prefix": qr_cipher.AAD_PREFIX.decode(),
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
