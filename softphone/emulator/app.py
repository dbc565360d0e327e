"""The emulator's HTTP API (starlette): control-plane login, VICIdial provisioning, admin.

The routes and bodies follow docs/api/openapi.json; tests validate responses against it.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from softphone.emulator.errors import AdminError
from softphone.emulator.model import iso_utc
from softphone.emulator.state import EmulatorState, Grant, Refusal

Clock = Callable[[], float]
Handler = Callable[[Request], Awaitable[Response]]
log = logging.getLogger("softphone.emulator")


class BadRequest(Exception):
    pass


def _error(status: int, error: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": error, **extra}, status_code=status)


def _refusal(refusal: Refusal) -> JSONResponse:
    extra: dict[str, Any] = {}
    if refusal.message:
        extra["message"] = refusal.message
    if refusal.retry_after_s:
        extra["retry_after_s"] = refusal.retry_after_s
    response = _error(refusal.status, refusal.error, **extra)
    if refusal.retry_after_s:
        response.headers["Retry-After"] = str(refusal.retry_after_s)
    return response


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise BadRequest("The body must be JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body


def _field(body: dict[str, Any], name: str, kind: type = str, *, required: bool = True) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if kind is int and isinstance(value, bool):
        value = None
    if not isinstance(value, kind) or (kind is str and not value):
        raise BadRequest(
            f"{name!r} must be a {'non-empty string' if kind is str else kind.__name__}."
        )
    return value


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_app(
    state: EmulatorState, clock: Clock = time.time, *, admin_token: str | None = None
) -> Starlette:
    """The ASGI app. Without `admin_token` the admin API answers 404 (disabled)."""

    def guarded(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except BadRequest as err:
                return _error(400, "bad_request", message=str(err))
            except AdminError as err:
                return _error(400, "admin_refused", message=str(err))

        return endpoint

    def admin(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            if admin_token is None:
                return _error(404, "not_found")
            given = request.headers.get("authorization", "")
            expected = f"Bearer {admin_token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return _error(
                    401, "unauthorized", message="Send the admin token as a Bearer token."
                )
            return await handler(request)

        return guarded(endpoint)

    def outage_aware(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            if state.take_outage():
                return _error(503, "unavailable", message="Simulated outage (emulator admin).")
            return await handler(request)

        return guarded(endpoint)

    async def login(request: Request) -> Response:
        body = await _json_object(request)
        device = body.get("device")
        if not isinstance(device, dict):
            raise BadRequest("'device' must be an object with platform, app_version, device_id.")
        code = _field(body, "totp", required=False) or ""
        ip = _client_ip(request)
        result = state.login(
            username=_field(body, "username"),
            password=_field(body, "password"),
            company_code=_field(body, "company_code"),
            code=code,
            ip=ip,
            now=clock(),
        )
        outcome = "ok" if isinstance(result, Grant) else result.error
        log.info("login company=%s ip=%s outcome=%s", body["company_code"], ip, outcome)
        if isinstance(result, Refusal):
            return _refusal(result)
        provision_url = str(request.url_for("provision", slug=result.company.slug))
        return JSONResponse(
            {
                "session": {"token": result.token, "reauth_after_s": result.reauth_after_s},
                "server": {
                    "slug": result.company.slug,
                    "host": result.company.host,
                    "provision_url": provision_url,
                },
                "firewall": {
                    "ip": result.lease.ip,
                    "expires_at": iso_utc(result.lease.expires_at),
                    "ttl_s": result.ttl_s,
                },
            }
        )

    async def provision(request: Request) -> Response:
        body = await _json_object(request)
        slug = request.path_params["slug"]
        result = state.provision(slug, _field(body, "username"), _field(body, "password"))
        if isinstance(result, Refusal):
            log.info("provision server=%s outcome=%s", slug, result.error)
            return _refusal(result)
        agent, version = result
        company = state.company_by_slug(slug)
        assert company is not None
        sip = company.sip
        return JSONResponse(
            {
                "sip": {
                    "extension": agent.extension,
                    "password": agent.sip_password,
                    "domain": sip.domain,
                    "proxy": sip.proxy,
                    "transport": sip.transport,
                    "port": sip.port,
                    "srtp": sip.srtp,
                    "codecs": list(sip.codecs),
                    "reg_expires_s": sip.reg_expires_s,
                    "keepalive_s": sip.keepalive_s,
                    "auto_answer": sip.auto_answer,
                    "display_name": agent.display_name,
                    "dtmf": sip.dtmf,
                },
                "config_version": version,
            }
        )

    async def admin_state(request: Request) -> Response:
        return JSONResponse(
            {
                "settings": {
                    "ttl_s": state.settings.ttl_s,
                    "reauth_after_s": state.settings.reauth_after_s,
                },
                "companies": [c.public() for c in state.companies],
            }
        )

    def agent_active(active: bool) -> Handler:
        async def handler(request: Request) -> Response:
            body = await _json_object(request)
            company, username = _field(body, "company_code"), _field(body, "username")
            state.set_agent_active(company, username, active, clock())
            log.info("admin %s company=%s", "restore" if active else "revoke", company)
            return JSONResponse({"ok": True})

        return handler

    async def addon(request: Request) -> Response:
        body = await _json_object(request)
        state.set_addon(_field(body, "company_code"), _field(body, "active", bool))
        return JSONResponse({"ok": True})

    async def settings(request: Request) -> Response:
        body = await _json_object(request)
        ttl = _field(body, "ttl_s", int, required=False)
        reauth = _field(body, "reauth_after_s", int, required=False)
        state.set_durations(clock(), ttl, reauth)
        current = state.settings
        return JSONResponse({"ttl_s": current.ttl_s, "reauth_after_s": current.reauth_after_s})

    async def leases(request: Request) -> Response:
        now = clock()
        return JSONResponse({"leases": [lease.public(now) for lease in state.leases(now)]})

    async def expire(request: Request) -> Response:
        body = await _json_object(request)
        in_s = _field(body, "in_s", int, required=False) or 0
        count = state.expire_leases(_field(body, "ip"), clock(), in_s)
        return JSONResponse({"expired": count})

    async def outage(request: Request) -> Response:
        body = await _json_object(request)
        requests = _field(body, "requests", int)
        state.set_outage(requests)
        return JSONResponse({"requests": requests})

    async def audit(request: Request) -> Response:
        return JSONResponse({"entries": [entry.public() for entry in state.audit(clock())]})

    routes = [
        Route("/api/mobile/login", outage_aware(login), methods=["POST"]),
        Route(
            "/vicidial/{slug}/provision",
            outage_aware(provision),
            methods=["POST"],
            name="provision",
        ),
        Route("/admin/state", admin(admin_state), methods=["GET"]),
        Route("/admin/agents/revoke", admin(agent_active(False)), methods=["POST"]),
        Route("/admin/agents/restore", admin(agent_active(True)), methods=["POST"]),
        Route("/admin/addon", admin(addon), methods=["POST"]),
        Route("/admin/settings", admin(settings), methods=["POST"]),
        Route("/admin/leases", admin(leases), methods=["GET"]),
        Route("/admin/leases/expire", admin(expire), methods=["POST"]),
        Route("/admin/audit", admin(audit), methods=["GET"]),
        Route("/admin/outage", admin(outage), methods=["POST"]),
    ]
    return Starlette(routes=routes)
