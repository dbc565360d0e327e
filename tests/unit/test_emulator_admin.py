"""Provisioning endpoint and the admin API testers use to drive every flow."""

from __future__ import annotations

import pytest

from softphone.emulator.state import EmulatorState
from tests.support.emulator import START, Api


@pytest.fixture
def api() -> Api:
    return Api(EmulatorState.from_seed())


def provision(api: Api, username: str, password: str, slug: str = "demo") -> object:
    return api.request(
        "POST", f"/vicidial/{slug}/provision", {"username": username, "password": password}
    )


def test_provision_returns_the_sip_account(api: Api) -> None:
    url = api.login("agent1", "demo-pass-1").json()["server"]["provision_url"]
    response = api.request("POST", url, {"username": "agent1", "password": "demo-pass-1"})
    assert response.status_code == 200
    assert response.json() == {
        "sip": {
            "extension": "1001",
            "password": "sip-1001-demo",
            "domain": "127.0.0.1",
            "proxy": "",
            "transport": "udp",
            "port": 5060,
            "srtp": "off",
            "codecs": ["PCMU", "PCMA", "G722"],
            "reg_expires_s": 300,
            "keepalive_s": 15,
            "auto_answer": "header",
            "display_name": "Agent One",
            "dtmf": "rfc2833",
        },
        "config_version": 1,
    }


@pytest.mark.parametrize(
    ("username", "password", "slug", "status", "error"),
    [
        ("agent1", "wrong", "demo", 401, "invalid_credentials"),
        ("agent9", "demo-pass-9", "demo", 401, "invalid_credentials"),  # other company's agent
        ("gone", "demo-pass-3", "demo", 403, "account_revoked"),
        ("agent1", "demo-pass-1", "nope", 404, "unknown_server"),
    ],
)
def test_provision_refusals(
    api: Api, username: str, password: str, slug: str, status: int, error: str
) -> None:
    response = provision(api, username, password, slug)
    assert (response.status_code, response.json()) == (status, {"error": error})  # type: ignore[attr-defined]


def test_route_sip_to_a_registrar_changes_the_profile_and_version(api: Api) -> None:
    api.state.route_sip_to("127.0.0.1", 35060)
    body = provision(api, "agent1", "demo-pass-1").json()  # type: ignore[attr-defined]
    assert (body["sip"]["proxy"], body["sip"]["port"], body["config_version"]) == (
        "127.0.0.1",
        35060,
        2,
    )


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_admin_needs_the_token(api: Api, token: str | None) -> None:
    response = api.request("GET", "/admin/leases", token=token)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_admin_is_off_without_a_token() -> None:
    api = Api(EmulatorState.from_seed(), admin_token=None)
    assert api.request("GET", "/admin/state", token="anything").status_code == 404


def test_state_never_shows_passwords_or_totp_secrets(api: Api) -> None:
    text = api.admin("GET", "/admin/state").text
    assert '"agent2"' in text
    for secret in ("demo-pass", "sip-100", "JBSWY3DPEHPK3PXP"):
        assert secret not in text


def test_revoke_closes_leases_and_refuses_the_next_login_and_provision(api: Api) -> None:
    api.login("agent1", "demo-pass-1", ip="127.0.0.2")
    api.login("agent1", "demo-pass-1", ip="127.0.0.3")
    seen: list[tuple[dict[str, float], dict[str, str]]] = []
    api.state.add_firewall_listener(lambda *change: seen.append(change), api.clock.now)
    assert seen[-1][0] == {"127.0.0.2": START + 86400, "127.0.0.3": START + 86400}
    assert seen[-1][1]["1001"] == "sip-1001-demo"
    ok = api.admin("POST", "/admin/agents/revoke", {"company_code": "demo", "username": "agent1"})
    assert ok.json() == {"ok": True}
    assert seen[-1][0] == {}
    assert "1001" not in seen[-1][1]  # its SIP account is off at the registrar too
    assert api.login("agent1", "demo-pass-1").json() == {"error": "account_revoked"}
    assert provision(api, "agent1", "demo-pass-1").status_code == 403  # type: ignore[attr-defined]
    api.admin("POST", "/admin/agents/restore", {"company_code": "DEMO", "username": "agent1"})
    assert api.login("agent1", "demo-pass-1").status_code == 200


def test_admin_refuses_unknown_agents_and_companies(api: Api) -> None:
    for body in ({"company_code": "DEMO", "username": "x"}, {"company_code": "X", "username": "a"}):
        response = api.admin("POST", "/admin/agents/revoke", body)
        assert response.status_code == 400
        assert response.json()["error"] == "admin_refused"


def test_lapse_and_restore_the_addon(api: Api) -> None:
    api.admin("POST", "/admin/addon", {"company_code": "DEMO", "active": False})
    assert api.login("agent1", "demo-pass-1").json()["error"] == "addon_inactive"
    api.admin("POST", "/admin/addon", {"company_code": "DEMO", "active": True})
    assert api.login("agent1", "demo-pass-1").status_code == 200


def test_change_ttl_and_reauth(api: Api) -> None:
    response = api.admin("POST", "/admin/settings", {"ttl_s": 120, "reauth_after_s": 60})
    assert response.json() == {"ttl_s": 120, "reauth_after_s": 60}
    body = api.login("agent1", "demo-pass-1").json()
    assert body["session"]["reauth_after_s"] == 60
    assert body["firewall"]["ttl_s"] == 120
    assert api.state.firewall(api.clock.now) == {"127.0.0.2": START + 120}
    # a TTL below the current re-auth interval pulls the interval down with it
    assert api.admin("POST", "/admin/settings", {"ttl_s": 30}).json()["reauth_after_s"] == 30
    refused = api.admin("POST", "/admin/settings", {"ttl_s": 30, "reauth_after_s": 31})
    assert refused.status_code == 400
    assert "reauth_after_s" in refused.json()["message"]
    assert api.admin("POST", "/admin/settings", {"ttl_s": 0}).status_code == 400


def test_expire_a_lease_now_or_soon(api: Api) -> None:
    api.login("agent1", "demo-pass-1", ip="127.0.0.2")
    api.login("agent1", "demo-pass-1", ip="127.0.0.3")
    soon = api.admin("POST", "/admin/leases/expire", {"ip": "127.0.0.3", "in_s": 30})
    assert soon.json() == {"expired": 1}
    now = api.admin("POST", "/admin/leases/expire", {"ip": "127.0.0.2"})
    assert now.json() == {"expired": 1}
    assert api.state.firewall(api.clock.now) == {"127.0.0.3": START + 30}
    leases = api.admin("GET", "/admin/leases").json()["leases"]
    assert [(lease["ip"], lease["live"]) for lease in leases] == [
        ("127.0.0.2", False),
        ("127.0.0.3", True),
    ]
    api.clock.advance(30)
    assert api.state.firewall(api.clock.now) == {}
    assert api.admin("POST", "/admin/leases/expire", {"ip": "127.0.0.3"}).json() == {"expired": 0}
    assert api.admin("POST", "/admin/leases/expire", {"ip": "x", "in_s": -1}).status_code == 400


def test_a_simulated_outage_answers_503_then_ends(api: Api) -> None:
    assert api.admin("POST", "/admin/outage", {"requests": 2}).json() == {"requests": 2}
    first = api.login("agent1", "demo-pass-1")
    assert (first.status_code, first.json()["error"]) == (503, "unavailable")
    assert provision(api, "agent1", "demo-pass-1").status_code == 503  # type: ignore[attr-defined]
    assert api.login("agent1", "demo-pass-1").status_code == 200  # the outage is over
    assert api.admin("POST", "/admin/outage", {"requests": -1}).status_code == 400
    api.admin("POST", "/admin/outage", {"requests": 5})
    api.admin("POST", "/admin/outage", {"requests": 0})
    assert api.login("agent1", "demo-pass-1").status_code == 200
