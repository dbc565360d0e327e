"""Property tests: whatever text or bytes reach the decoder, only our own errors come out."""

from __future__ import annotations

import atexit
import base64
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_cipher, qr_codes
from softphone.provisioning import qr_format as f
from softphone.provisioning.qr_errors import QrError

# Hypothesis caches under ./.hypothesis by default; keep the checkout clean.
_HOME = tempfile.mkdtemp(prefix="hypothesis-")
set_hypothesis_home_dir(_HOME)
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)

FAST = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
NOW = 1767225600


@pytest.fixture
def cheap_kdf() -> Iterator[None]:
    # The property is about parsing, not scrypt's cost: a tiny N keeps hundreds of examples fast.
    with mock.patch.object(qr_cipher, "SCRYPT_N", 2**4):
        yield


def decode_or_our_error(text: str, pin: str | None = "482139") -> None:
    try:
        f.decode(text, pin, now=NOW)
    except QrError as err:
        assert str(err)


@FAST
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    decode_or_our_error(text)


@FAST
@given(st.binary(max_size=400))
def test_arbitrary_scanner_bytes(raw: bytes) -> None:
    with contextlib.suppress(QrError):  # not UTF-8: our error, from text_from_bytes
        decode_or_our_error(f.text_from_bytes(raw))


QUERYISH = st.text(alphabet="vcuapiexdkfs=&%0123456789ABCDEFabcdef-_.~:/+ \n", max_size=200)


@FAST
@given(st.sampled_from(["vicifast://signin?", "vicifast://sip?", "vicifast://"]), QUERYISH)
def test_noise_after_our_prefix(prefix: str, query: str) -> None:
    decode_or_our_error(prefix + query)


@FAST
@given(salt=st.binary(min_size=0, max_size=24), data=st.binary(max_size=300))
def test_byte_noise_as_a_sip_code(cheap_kdf: None, salt: bytes, data: bytes) -> None:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    decode_or_our_error(f"vicifast://sip?v=1&kdf=scrypt&s={b64(salt)}&d={b64(data)}")


ACCOUNT = f.SipAccountCode(
    server="pbx.example.com",
    port=5060,
    transport=Transport.UDP,
    extension="1001",
    password=Secret("s3cret-Pa55"),
    display_name="Jane Doe",
    srtp=SrtpMode.OFF,
    exp=NOW + 3600,
)


@FAST
@given(data=st.data())
def test_mutated_valid_codes(cheap_kdf: None, data: st.DataObject) -> None:
    uri = (
        f.encode_sip(ACCOUNT, "482139")
        if data.draw(st.booleans())
        else ("vicifast://signin?v=1&c=acme&u=jdoe&api=https://cp.example.net&exp=1798761600")
    )
    i = data.draw(st.integers(0, len(uri) - 1))
    replacement = data.draw(st.text(max_size=3))
    decode_or_our_error(uri[:i] + replacement + uri[i + 1 :])


@FAST
@given(plain=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_authenticated_plaintext(cheap_kdf: None, plain: bytes) -> None:
    # Even a plaintext that passes the tag (a buggy encoder elsewhere) yields only our errors.
    uri = f.seal_plaintext(plain, "482139", salt=bytes(16), nonce=bytes(12))
    decode_or_our_error(uri)


# ---- round trip: whatever valid fields a generator is given, a reader gets them back ----------

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
DNS_NAME = st.lists(LABEL, min_size=1, max_size=4).map(".".join).filter(lambda h: not h.isdigit())
IPV4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
IPV6 = st.ip_addresses(v=6).map(lambda a: f"[{a}]")
HOST = DNS_NAME.filter(lambda h: not h.replace(".", "").isdigit()) | IPV4 | IPV6
PRINTABLE = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Zs"])
    | st.just(" "),
    max_size=64,
).filter(qr_codes.is_printable)
EXPS = st.integers(NOW + 1, 10**12 - 1)


@FAST
@given(
    company=st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True),
    username=PRINTABLE,
    host=st.none() | HOST,
    port=st.none() | st.integers(1, 65535),
    path=st.from_regex(r"(/[A-Za-z0-9._~-]{0,20}){0,3}", fullmatch=True),
    exp=st.none() | EXPS,
)
def test_signin_round_trip(
    company: str, username: str, host: str | None, port: int | None, path: str, exp: int | None
) -> None:
    api = "" if host is None else f"https://{host}{'' if port is None else f':{port}'}{path}"
    code = f.SignInCode(company, username, api, exp)
    assert f.decode(f.encode_signin(code), now=NOW) == code


@FAST
@given(
    server=HOST,
    port=st.integers(0, 65535),
    transport=st.sampled_from(list(Transport)),
    extension=st.text(
        st.characters(
            codec="utf-8", exclude_categories=["Cc", "Cs"], exclude_characters="@:;<>/?#%\"' "
        ),
        min_size=1,
        max_size=20,
    ),
    password=st.text(
        st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40
    ),
    display_name=PRINTABLE.filter(lambda t: '"' not in t and "\\" not in t),
    srtp=st.sampled_from(list(SrtpMode)),
    exp=EXPS,
)
def test_sip_round_trip(
    cheap_kdf: None,
    server: str,
    port: int,
    transport: Transport,
    extension: str,
    password: str,
    display_name: str,
    srtp: SrtpMode,
    exp: int,
) -> None:
    if srtp is SrtpMode.MANDATORY:
        transport = Transport.TLS
    account = f.SipAccountCode(
        server, port, transport, extension, Secret(password), display_name, srtp, exp
    )
    if len(qr_codes.account_plaintext(account)) > f.MAX_PLAINTEXT_BYTES:
        return
    opened = f.decode(f.encode_sip(account, "482139"), "482139", now=NOW)
    assert isinstance(opened, f.SipAccountCode)
    assert opened.to_json() == account.to_json()
    assert opened.password.reveal() == password
