"""Issue 15's audit of the emulator, one regression test per finding: nothing a client sends
makes it answer 500 (then or later), hold a large body, leak, or stray from docs/api/openapi.json.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from softphone.emulator import state as state_module
from softphone.emulator import totp
from softphone.emulator.app import create_app
from softphone.emulator.body import MAX_BODY_BYTES
from softphone.emulator.errors import EmulatorError
from softphone.emulator.model import MAX_TTL_S, bounded_text
from softphone.emulator.state import EmulatorState
from tests.support.emulator import DEVICE, PUBLIC_URL, Api, load_spec

LOGIN = {"username": "agent1", "password": "demo-pass-1", "company_code": "DEMO", "device": DEVICE}
CREDENTIALS = {"username": "agent1", "password": "demo-pass-1"}
PROVISION = "/vicidial/demo/provision"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # agent2's, in the demo seed


@pytest.fixture
def api() -> Api:
    return Api(EmulatorState.from_seed())


def post(api: Api, path: str, raw: bytes, **options: Any) -> Any:
    token = api.admin_token if path.startswith("/admin/") else None
    return api.request("POST", path, raw=raw, token=token, **options)


def assert_error(response: Any, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["message"], body


def assert_admin_reads_work(api: Api) -> None:
    for path in ("/admin/leases", "/admin/audit", "/admin/state"):
        assert api.admin("GET", path).status_code == 200, path


# --- 9: no 500, then or later ---------------------------------------------------------------

POSTS = [
    "/api/mobile/login",
    PROVISION,
    "/admin/agents/revoke",
    "/admin/addon",
    "/admin/settings",
    "/admin/leases/expire",
    "/admin/outage",
]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize(
    "raw",
    [b"[" * 1000, b"{" * 5000, b'{"a": NaN}', b'{"a": Infinity}', b"\xff\xfe{}", b'"\\ud800"'],
)
def test_hostile_json_is_400(api: Api, path: str, raw: bytes) -> None:
    assert_error(post(api, path, raw), 400, "bad_request")


def test_a_lone_surrogate_anywhere_is_400_and_never_reaches_the_audit(api: Api) -> None:
    for field in ("password", "username", "company_code"):
        raw = json.dumps({**LOGIN, field: "\ud800"}).encode()  # ensure_ascii: "\\ud800"
        assert_error(post(api, "/api/mobile/login", raw), 400, "bad_request")
    raw = json.dumps({**LOGIN, "device": {**DEVICE, "\udfff": "x"}}).encode()
    assert_error(post(api, "/api/mobile/login", raw), 400, "bad_request")
    assert api.admin("GET", "/admin/audit").json() == {"entries": []}
    raw = json.dumps({**CREDENTIALS, "password": "a\udc80"}).encode()
    assert_error(post(api, PROVISION, raw), 400, "bad_request")


def test_the_audit_shows_whatever_the_state_was_given(api: Api) -> None:
    # defence in depth: even a caller of the state that skipped the app's checks cannot
    # store something the audit cannot show
    api.state.login(
        username="\ud800\x1b[2J" + "u" * 10_000,
        password="x",
        company_code="DEMO\n",
        code="",
        ip="127.0.0.9",
        now=api.clock.now,
    )
    entry = api.admin("GET", "/admin/audit").json()["entries"][0]
    assert entry["username"].startswith("??[2Ju") and len(entry["username"]) == 64
    assert entry["company"] == "DEMO?"


@pytest.mark.parametrize(
    "code", ["١٢٣٤٥٦", "１２３４５６", "12345", "1234567", " 123456", "12345x"]
)
def test_a_totp_code_is_six_ascii_digits(api: Api, code: str) -> None:
    response = api.login("agent2", "demo-pass-2", totp=code)
    assert_error(response, 400, "bad_request")
    assert "6 digits" in response.json()["message"]
    assert not totp.verify(TOTP_SECRET, code, api.clock.now)


def test_totp_verify_never_raises_on_other_digits() -> None:
    for code in ("١٢٣٤٥٦", "１２３４５６", "𝟏𝟐𝟑𝟒𝟓𝟔"):
        assert totp.verify(TOTP_SECRET, code, 0) is False


@pytest.mark.parametrize(
    "in_s", ["1" + "0" * 400, "1000000000000", "1e400", "-1", str(MAX_TTL_S + 1), "1.5", "true"]
)
def test_expire_in_s_out_of_range_is_400_and_leases_stay_readable(api: Api, in_s: str) -> None:
    api.login("agent1", "demo-pass-1")
    raw = f'{{"ip": "127.0.0.2", "in_s": {in_s}}}'.encode()
    assert_error(post(api, "/admin/leases/expire", raw), 400, "bad_request")
    assert api.state.firewall(api.clock.now)  # the lease was left alone
    assert_admin_reads_work(api)


def test_the_longest_expire_still_shows_in_the_lease_list(api: Api) -> None:
    api.login("agent1", "demo-pass-1")
    body = {"ip": "127.0.0.2", "in_s": MAX_TTL_S}
    assert api.admin("POST", "/admin/leases/expire", body).json() == {"expired": 1}
    assert_admin_reads_work(api)


def test_a_huge_integer_literal_is_400(api: Api) -> None:
    raw = b'{"requests": ' + b"9" * 5000 + b"}"  # beyond int's digit limit: ValueError
    assert_error(post(api, "/admin/outage", raw), 400, "bad_request")


# --- 10: bounded bodies, bounded audit ------------------------------------------------------


@pytest.mark.parametrize("path", POSTS)
def test_a_body_over_64_kib_is_413(api: Api, path: str) -> None:
    raw = json.dumps({**LOGIN, "username": "u" * MAX_BODY_BYTES}).encode()
    assert_error(post(api, path, raw), 413, "payload_too_large")
    assert api.admin("GET", "/admin/audit").json() == {"entries": []}


def test_a_large_body_is_refused_while_streaming() -> None:
    """No Content-Length: the app stops reading one chunk past the limit."""
    app = create_app(EmulatorState.from_seed(), public_url=PUBLIC_URL)
    chunk, pulled, sent = b"x" * 16384, 0, []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < 640}  # 10 MiB

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/api/mobile/login", "raw_path": b"",
        "query_string": b"", "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.2", 40000), "server": ("emulator.test", 443), "scheme": "https",
        "http_version": "1.1", "root_path": "",
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert pulled <= MAX_BODY_BYTES // len(chunk) + 1


def test_rate_limited_requests_keep_nothing_large(api: Api) -> None:
    for _ in range(10):
        api.login("agent1", "wrong")
    big = json.dumps({**LOGIN, "username": "u" * 60_000, "password": "p" * 1000}).encode()
    for _ in range(20):
        response = post(api, "/api/mobile/login", big)
        assert response.status_code == 429
    entries = api.admin("GET", "/admin/audit").json()["entries"]
    assert len(entries) == 30
    assert max(len(json.dumps(entry)) for entry in entries) < 250
    assert "ppp" not in json.dumps(entries)


def test_the_audit_keeps_at_most_its_cap(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "AUDIT_MAX_ENTRIES", 5)
    for i in range(8):
        api.login(f"user{i}", "x", ip=f"127.0.1.{i}")
    entries = api.admin("GET", "/admin/audit").json()["entries"]
    assert [entry["username"] for entry in entries] == [f"user{i}" for i in range(3, 8)]


def test_bounded_text() -> None:
    assert bounded_text("agent1") == "agent1"
    assert bounded_text("a\tb\x00c\u2028") == "a?b?c?"
    assert bounded_text("x" * 64) == "x" * 64
    assert bounded_text("x" * 65) == "x" * 63 + "…"


# --- 11: provisioning shares the login's rate limit -----------------------------------------


def test_an_ip_blocked_on_login_cannot_guess_on_provisioning(api: Api) -> None:
    for _ in range(10):
        api.login("agent1", "wrong", ip="127.0.0.5")
    body = {"username": "agent1", "password": "demo-pass-1"}
    response = api.request("POST", PROVISION, body, ip="127.0.0.5")
    assert response.status_code == 429
    assert response.json() == {"error": "rate_limited", "retry_after_s": 3600}
    assert response.headers["Retry-After"] == "3600"
    assert "sip" not in response.text
    assert api.request("POST", PROVISION, body, ip="127.0.0.6").status_code == 200
    api.clock.advance(3600)
    assert api.request("POST", PROVISION, body, ip="127.0.0.5").status_code == 200


def test_failed_provisioning_counts_towards_the_login_limit(api: Api) -> None:
    wrong = {"username": "agent1", "password": "guess"}
    statuses = [api.request("POST", PROVISION, wrong).status_code for _ in range(12)]
    assert statuses == [401] * 10 + [429] * 2
    assert api.login("agent1", "demo-pass-1").status_code == 429
    assert api.login("agent1", "demo-pass-1", ip="127.0.0.3").status_code == 200


# --- 12: provision_url comes from configuration ---------------------------------------------


def test_provision_url_ignores_the_host_header(api: Api) -> None:
    raw = json.dumps(LOGIN).encode()
    for host in ("evil.example", "evil.example:443", "127.0.0.1:1"):
        response = post(api, "/api/mobile/login", raw, headers={"host": host})
        url = response.json()["server"]["provision_url"]
        assert url == f"{PUBLIC_URL}/vicidial/demo/provision", host


@pytest.mark.parametrize(
    "url", ["ftp://h", "https://", "https://h/path", "h:8443", "https://h?x=1/../path"]
)
def test_the_public_url_must_be_an_origin(url: str) -> None:
    with pytest.raises(EmulatorError, match="public URL"):
        create_app(EmulatorState.from_seed(), public_url=url)


# --- 13: content type, unknown properties, integers -----------------------------------------


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_only_application_json_is_taken(api: Api, path: str, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {"content-type": ""}
    raw = json.dumps(LOGIN).encode()
    assert_error(post(api, path, raw, headers=headers), 415, "unsupported_media_type")


def test_json_with_a_charset_parameter_is_json(api: Api) -> None:
    headers = {"content-type": "Application/JSON; charset=utf-8"}
    response = post(api, "/api/mobile/login", json.dumps(LOGIN).encode(), headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/mobile/login", {**LOGIN, "remember": True}),
        ("/api/mobile/login", {**LOGIN, "device": {**DEVICE, "os": "x"}}),
        (PROVISION, {**CREDENTIALS, "extension": "1001"}),
        ("/admin/agents/revoke", {"company_code": "DEMO", "username": "agent1", "why": "x"}),
        ("/admin/addon", {"company_code": "DEMO", "active": False, "x": 1}),
        ("/admin/settings", {"ttl_secs": 60}),
        ("/admin/leases/expire", {"ip": "127.0.0.2", "in_secs": 30}),
        ("/admin/outage", {"requests": 1, "for_s": 30}),
    ],
)
def test_unknown_properties_are_400(api: Api, path: str, body: dict[str, Any]) -> None:
    response = post(api, path, json.dumps(body).encode())
    assert_error(response, 400, "bad_request")
    assert "Unknown properties" in response.json()["message"]
    assert api.admin("GET", "/admin/state").json()["companies"][0]["addon_active"] is True


def test_integer_valued_numbers_are_integers(api: Api) -> None:
    assert api.admin("POST", "/admin/outage", {"requests": 2.0}).json() == {"requests": 2}
    settings = api.admin("POST", "/admin/settings", {"ttl_s": 120.0, "reauth_after_s": 6e1})
    assert settings.json() == {"ttl_s": 120, "reauth_after_s": 60}
    for value in (2.5, True, "2", None, [2]):
        assert_error(api.admin("POST", "/admin/outage", {"requests": value}), 400, "bad_request")


def test_the_document_says_what_the_code_does() -> None:
    spec = load_spec()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "post":
                assert {"413", "415"} <= set(operation["responses"]), path
                body = operation["requestBody"]["content"]
                assert list(body) == ["application/json"], path
    assert "429" in spec["paths"]["/vicidial/{slug}/provision"]["post"]["responses"]
    expire = spec["paths"]["/admin/leases/expire"]["post"]["requestBody"]["content"]
    assert expire["application/json"]["schema"]["properties"]["in_s"]["maximum"] == MAX_TTL_S
    schemas = spec["components"]["schemas"]
    assert schemas["LoginRequest"]["properties"]["totp"]["pattern"] == "^[0-9]{6}$"
    for name in ("Durations", "DurationsChange"):
        assert schemas[name]["properties"]["ttl_s"]["maximum"] == MAX_TTL_S

    # every request object refuses unknown properties, as the code does
    def objects(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("$ref"):
                return objects(schemas[node["$ref"].rsplit("/", 1)[1]])
            found = [node] if node.get("type") == "object" else []
            return found + [o for value in node.values() for o in objects(value)]
        return []

    bodies = [op["requestBody"] for item in spec["paths"].values() for op in item.values()
              if "requestBody" in op]  # fmt: skip
    for schema in (o for body in bodies for o in objects(body)):
        assert schema.get("additionalProperties") is False, schema
