"""Every parser of a server's JSON, fed arbitrary values in each field (issue 15): a valid object
with every field in its documented range, or the client's own typed error; never another
exception."""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import shutil
import tempfile
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from softphone.core.hosts import is_host
from softphone.core.models import MAX_CODECS, check_server_account
from softphone.core.secret import Secret
from softphone.provisioning import answers
from softphone.provisioning import client as c
from softphone.provisioning import errors as e
from tests.unit.test_signin_client import PASSWORD, PROVISION_URL, login_ok, sip_ok

_HOME = tempfile.mkdtemp(prefix="hypothesis-")
set_hypothesis_home_dir(_HOME)
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)

BOUNDED = settings(max_examples=200, deadline=None, database=None)
NOW = datetime(2026, 1, 1, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()  # NaN and ±inf included: Python's json reads them
    | st.text(max_size=300)
    | st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "a" * 10_000,
                       "x\r\ny", "after=1e400", "https://h.example/p", "127.0.0.1", "[::1]"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)  # fmt: skip


def _login_field(draw: st.DrawFn) -> dict[str, Any]:
    body = login_ok()
    section = draw(st.sampled_from(sorted(body)))
    key = draw(st.sampled_from(sorted(body[section])))
    body[section][key] = draw(json_values)
    return body


def _sip_field(draw: st.DrawFn) -> dict[str, Any]:
    body = sip_ok()
    key = draw(st.sampled_from(sorted(body["sip"])))
    body["sip"][key] = draw(json_values)
    return body


@given(st.composite(_login_field)())
@BOUNDED
def test_a_login_answer_is_in_range_or_malformed(body: dict[str, Any]) -> None:
    try:
        result = answers.parse_login(body, now=NOW)
    except e.SignInError:
        return
    assert 1 <= result.reauth_after_s <= answers.MAX_REAUTH_AFTER_S
    assert 1 <= result.firewall.ttl_s <= answers.MAX_TTL_S
    assert result.firewall.expires_at.tzinfo is not None
    assert result.firewall.expires_at <= NOW + answers.MAX_LEASE_AHEAD
    assert result.firewall.expires_at.year >= 2000
    assert is_host(result.server.host) or is_host(f"[{result.server.host}]")
    assert result.server.provision_url.startswith("https://")


@given(st.composite(_sip_field)())
@BOUNDED
def test_a_provisioned_account_is_in_range_or_malformed(body: dict[str, Any]) -> None:
    try:
        result = answers.parse_provisioned(body)
    except e.SignInError:
        return
    check_server_account(result.sip)  # would raise ConfigError
    assert 1 <= result.sip.port <= 65535
    assert 1 <= len(result.sip.codecs) <= MAX_CODECS
    assert 0 <= result.sip.auto_answer.delay_s <= 600


_answer: list[httpx.Response] = []  # what the one mock server says next
_transport = httpx.MockTransport(lambda _r: _answer[-1])
_CP = c.ControlPlaneClient(transport=_transport)  # made once: a TLS context costs milliseconds
_PROV = c.ProvisioningClient(transport=_transport)


@given(st.integers(min_value=200, max_value=599), json_values)
@BOUNDED
def test_any_status_and_body_gives_a_result_or_a_sign_in_error(status: int, body: Any) -> None:
    for wrapped in (body, {"error": "rate_limited", "retry_after_s": body},
                    {"error": "addon_inactive", "message": body}):  # fmt: skip
        raw = json.dumps(wrapped).encode()  # NaN and Infinity as Python writes them
        _answer.append(httpx.Response(status, content=raw))
        try:
            _CP.login("ACME", "agent1", Secret(PASSWORD))
        except e.RateLimited as err:
            assert err.retry_after_s is not None
            assert math.isfinite(err.retry_after_s)
            assert 0 <= err.retry_after_s <= e.MAX_RETRY_AFTER_S
        except e.SignInError as err:
            assert len(str(err)) <= 1000 and "\n" not in str(err)
        _answer.append(httpx.Response(status, content=raw))
        with contextlib.suppress(e.SignInError):  # any typed error will do; no other
            _PROV.provision(PROVISION_URL, "agent1", Secret(PASSWORD))
        _answer.clear()
