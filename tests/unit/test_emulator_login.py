"""The control plane's login contract, as the emulator implements it (docs/api/openapi.json)."""

from __future__ import annotations

import pytest

from softphone.emulator import totp
from softphone.emulator.model import ADDON_INACTIVE_MESSAGE
from softphone.emulator.state import EmulatorState
from tests.support.emulator import START, Api

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # agent2's, in the demo seed


@pytest.fixture
def api() -> Api:
    return Api(EmulatorState.from_seed())


def test_login_grants_a_lease_for_the_source_ip(api: Api) -> None:
    response = api.login("agent1", "demo-pass-1", "demo", ip="127.0.0.7")
    assert response.status_code == 200
    body = response.json()
    assert body["session"]["reauth_after_s"] == 3600
    assert len(body["session"]["token"]) >= 32
    assert body["server"] == {
        "slug": "demo",
        "host": "127.0.0.1",
        "provision_url": "https://emulator.test/vicidial/demo/provision",
    }
    assert body["firewall"]["ip"] == "127.0.0.7"
    assert body["firewall"]["ttl_s"] == 86400
    assert body["firewall"]["expires_at"] == "2025-06-16T15:06:40Z"  # START + 86400 s, UTC
    assert api.state.firewall(api.clock.now) == {"127.0.0.7": START + 86400}


def test_each_login_gets_a_new_token(api: Api) -> None:
    first = api.login("agent1", "demo-pass-1").json()["session"]["token"]
    second = api.login("agent1", "demo-pass-1").json()["session"]["token"]
    assert first != second


@pytest.mark.parametrize(
    ("username", "password", "company", "status", "error"),
    [
        ("agent1", "wrong", "DEMO", 401, "invalid_credentials"),
        ("nobody", "demo-pass-1", "DEMO", 401, "invalid_credentials"),
        ("gone", "demo-pass-3", "DEMO", 403, "account_revoked"),
        ("gone", "wrong", "DEMO", 401, "invalid_credentials"),  # revocation not leaked
        ("agent1", "demo-pass-1", "NOPE", 404, "unknown_company"),
        ("agent2", "demo-pass-2", "DEMO", 401, "totp_required"),
    ],
)
def test_refusals(
    api: Api, username: str, password: str, company: str, status: int, error: str
) -> None:
    response = api.login(username, password, company)
    assert (response.status_code, response.json()) == (status, {"error": error})
    assert api.state.firewall(api.clock.now) == {}


def test_addon_inactive_has_the_message_and_does_not_check_credentials(api: Api) -> None:
    for password in ("demo-pass-9", "wrong"):
        response = api.login("agent9", password, "NOADDON")
        assert response.status_code == 403
        assert response.json() == {"error": "addon_inactive", "message": ADDON_INACTIVE_MESSAGE}


def test_company_code_is_case_insensitive(api: Api) -> None:
    assert api.login("agent1", "demo-pass-1", " Demo ").status_code == 200


def test_totp_accepts_the_current_and_adjacent_steps_only(api: Api) -> None:
    now = api.clock.now
    for offset in (-30, 0, 30):
        code = totp.code_at(TOTP_SECRET, now + offset)
        assert api.login("agent2", "demo-pass-2", totp=code).status_code == 200, offset
    for offset in (-90, 90):
        response = api.login("agent2", "demo-pass-2", totp=totp.code_at(TOTP_SECRET, now + offset))
        assert response.json() == {"error": "totp_invalid"}, offset
    # not 6 ASCII digits: outside the schema's pattern, refused before the code is checked
    assert api.login("agent2", "demo-pass-2", totp="12345x").status_code == 400


def test_a_code_expires_with_its_window(api: Api) -> None:
    code = totp.code_at(TOTP_SECRET, api.clock.now)
    api.clock.advance(120)
    assert api.login("agent2", "demo-pass-2", totp=code).json() == {"error": "totp_invalid"}


def test_wrong_password_with_totp_is_invalid_credentials(api: Api) -> None:
    code = totp.code_at(TOTP_SECRET, api.clock.now)
    response = api.login("agent2", "wrong", totp=code)
    assert response.json() == {"error": "invalid_credentials"}


def test_ten_failures_per_hour_per_ip_are_rate_limited(api: Api) -> None:
    for _ in range(10):
        api.clock.advance(60)
        assert api.login("agent1", "wrong").status_code == 401
    limited = api.login("agent1", "demo-pass-1")  # even the right password
    assert limited.status_code == 429
    # the oldest failure (60 s after START) ages out of the hour at START + 3660
    expected = round(START + 60 + 3600 - api.clock.now)
    assert limited.json() == {"error": "rate_limited", "retry_after_s": expected}
    assert limited.headers["retry-after"] == str(expected)
    # other IPs are not affected
    assert api.login("agent1", "demo-pass-1", ip="127.0.0.3").status_code == 200
    # once the first failure is more than an hour old, one attempt is allowed again
    api.clock.advance(expected)
    assert api.login("agent1", "demo-pass-1").status_code == 200


def test_rate_limited_and_totp_required_do_not_count_as_failures(api: Api) -> None:
    for _ in range(9):
        api.login("agent1", "wrong")
    for _ in range(5):
        assert api.login("agent2", "demo-pass-2").json()["error"] == "totp_required"
    assert api.login("agent1", "wrong").status_code == 401  # the 10th failure
    for _ in range(3):
        assert api.login("agent1", "demo-pass-1").status_code == 429
    api.clock.advance(3601)
    assert api.login("agent1", "demo-pass-1").status_code == 200


def test_leases_expire_after_the_ttl(api: Api) -> None:
    api.login("agent1", "demo-pass-1", ip="127.0.0.2")
    api.clock.advance(86399)
    assert api.state.allowed("127.0.0.2", api.clock.now)
    api.clock.advance(1)
    assert not api.state.allowed("127.0.0.2", api.clock.now)


def test_an_ip_change_is_a_new_lease(api: Api) -> None:
    api.login("agent1", "demo-pass-1", ip="127.0.0.2")
    api.clock.advance(10)
    api.login("agent1", "demo-pass-1", ip="127.0.0.3")
    assert set(api.state.firewall(api.clock.now)) == {"127.0.0.2", "127.0.0.3"}


def test_every_attempt_is_audited_without_passwords_and_purged_after_7_days(api: Api) -> None:
    api.login("agent1", "wrong-secret-pw", ip="127.0.0.4")
    api.clock.advance(86400)
    api.login("agent1", "demo-pass-1", ip="127.0.0.5")
    entries = api.admin("GET", "/admin/audit").json()["entries"]
    assert [(e["ip"], e["username"], e["company"], e["outcome"]) for e in entries] == [
        ("127.0.0.4", "agent1", "DEMO", "invalid_credentials"),
        ("127.0.0.5", "agent1", "DEMO", "ok"),
    ]
    assert entries[0]["time"] == "2025-06-15T15:06:40Z"
    assert "wrong-secret-pw" not in str(entries) and "demo-pass-1" not in str(entries)
    api.clock.advance(6 * 86400)  # the first entry is now exactly 7 days old
    entries = api.admin("GET", "/admin/audit").json()["entries"]
    assert [e["ip"] for e in entries] == ["127.0.0.5"]
    api.clock.advance(86400)
    assert api.admin("GET", "/admin/audit").json()["entries"] == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "JSON"),
        (b"[1, 2]", "object"),
        (b'{"username": "a", "password": "b", "company_code": "DEMO"}', "device"),
        (b'{"password": "b", "company_code": "DEMO", "device": {}}', "username"),
    ],
)
def test_malformed_requests_are_400(api: Api, raw: bytes, message: str) -> None:
    response = api.request("POST", "/api/mobile/login", raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert message in response.json()["message"]
