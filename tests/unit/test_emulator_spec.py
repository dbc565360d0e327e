"""docs/api/openapi.json is a well-formed OpenAPI 3.1 document that matches the emulator's
routes; the checker that every emulator test runs on responses really rejects deviations."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route

from softphone.emulator.app import create_app
from softphone.emulator.model import ADDON_INACTIVE_MESSAGE
from softphone.emulator.state import EmulatorState
from tests.support.emulator import load_spec, validate


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def test_spec_is_openapi_3_1_and_every_ref_resolves(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    schemas = spec["components"]["schemas"]
    missing = [r for r in refs if r.removeprefix("#/components/schemas/") not in schemas]
    assert refs and not missing


def test_routes_and_documented_paths_are_the_same(spec: dict[str, Any]) -> None:
    app = create_app(EmulatorState.from_seed(), admin_token="t")
    routes = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes == documented


GOOD_LOGIN = {
    "session": {"token": "t" * 43, "reauth_after_s": 3600},
    "server": {"slug": "demo", "host": "h", "provision_url": "https://h/p"},
    "firewall": {"ip": "127.0.0.2", "expires_at": "2025-06-16T15:06:40Z", "ttl_s": 86400},
}


def _schema(spec: dict[str, Any], status: str) -> dict[str, Any]:
    op = spec["paths"]["/api/mobile/login"]["post"]
    schema: dict[str, Any] = op["responses"][status]["content"]["application/json"]["schema"]
    return schema


def test_the_checker_accepts_the_contract_and_rejects_deviations(spec: dict[str, Any]) -> None:
    ok = _schema(spec, "200")
    assert validate(GOOD_LOGIN, ok, spec) == []
    bad_time = {**GOOD_LOGIN, "firewall": {**GOOD_LOGIN["firewall"], "expires_at": "1750086400"}}
    assert validate(bad_time, ok, spec)
    assert validate({**GOOD_LOGIN, "extra": 1}, ok, spec)
    assert validate({k: v for k, v in GOOD_LOGIN.items() if k != "session"}, ok, spec)
    forbidden = _schema(spec, "403")
    assert validate({"error": "account_revoked"}, forbidden, spec) == []
    assert (
        validate({"error": "addon_inactive", "message": ADDON_INACTIVE_MESSAGE}, forbidden, spec)
        == []
    )
    assert validate({"error": "addon_inactive", "message": "other"}, forbidden, spec)
    assert validate({"error": "addon_inactive"}, forbidden, spec)
    limited = _schema(spec, "429")
    assert validate({"error": "rate_limited", "retry_after_s": 5}, limited, spec) == []
    assert validate({"error": "rate_limited"}, limited, spec)
    assert validate({"error": "rate_limited", "retry_after_s": True}, limited, spec)
