"""The emulator's HTTP API (starlette): control-plane login, VICIdial provisioning, admin.

The routes and bodies follow docs/api/openapi.json; tests validate responses against it.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from softphone.emulator import body as b
from softphone.emulator.body import BodyRefused
from softphone.emulator.errors import AdminError, EmulatorError
from softphone.emulator.model import MAX_TTL_S, OUTAGE_MAX_REQUESTS, bounded_text, iso_utc
from softphone.emulator.state import EmulatorState, Grant, Refusal

Clock = Callable[[], float]
Handler = Callable[[Request], Awaitable[Response]]
log = logging.getLogger("softphone.emulator")

DEFAULT_PUBLIC_URL = "https://127.0.0.1:8443"
"""Where clients reach an app built without `public_url` (the CLI's default address)."""
_DEVICE_FIELDS = {"platform", "app_version", "device_id"}


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


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _origin(public_url: str) -> str:
    parts = urlsplit(public_url)
    extra = parts.path.strip("/") or parts.query or parts.fragment or parts.username
    if parts.scheme not in {"http", "https"} or not parts.hostname or extra:
        raise EmulatorError(f"The public URL must be http(s)://HOST[:PORT], not {public_url!r}.")
    return f"{parts.scheme}://{parts.netloc}"


def create_app(
    state: EmulatorState,
    clock: Clock = time.time,
    *,
    admin_token: str | None = None,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> Starlette:
    """The ASGI app. Without `admin_token` the admin API answers 404 (disabled).

    `public_url` (scheme://host:port) is where clients reach this app: provision_url is built
    from it, never from the request's Host header, which any client can set."""
    origin = _origin(public_url)

    def guarded(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except BodyRefused as err:
                return _error(err.status, err.error, message=str(err))
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
        body = await b.json_object(request)
        b.only(body, {"username", "password", "company_code", "totp", "device"})
        username, password = b.text(body, "username"), b.text(body, "password")
        company_code = b.text(body, "company_code")
        device = body.get("device")
        if not isinstance(device, dict):
            raise BodyRefused("'device' must be an object with platform, app_version, device_id.")
        b.only(device, _DEVICE_FIELDS, "'device'")
        for name in sorted(_DEVICE_FIELDS):
            b.text(device, name)
        code = b.totp_code(body) if "totp" in body else ""
        ip = _client_ip(request)
        result = state.login(
            username=username,
            password=password,
            company_code=company_code,
            code=code,
            ip=ip,
            now=clock(),
        )
        outcome = "ok" if isinstance(result, Grant) else result.error
        log.info("login company=%s ip=%s outcome=%s", bounded_text(company_code), ip, outcome)
        if isinstance(result, Refusal):
            return _refusal(result)
        provision_url = f"{origin}/vicidial/{quote(result.company.slug, safe='')}/provision"
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
        body = await b.json_object(request)
        b.only(body, {"username", "password"})
        slug = request.path_params["slug"]
        username, password = b.text(body, "username"), b.text(body, "password")
        ip = _client_ip(request)
        result = state.provision(slug, username, password, ip=ip, now=clock())
        if isinstance(result, Refusal):
            log.info("provision server=%s ip=%s outcome=%s", bounded_text(slug), ip, result.error)
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
            body = await b.json_object(request)
            b.only(body, {"company_code", "username"})
            company, username = b.text(body, "company_code"), b.text(body, "username")
            state.set_agent_active(company, username, active, clock())
            action = "restore" if active else "revoke"
            log.info("admin %s company=%s", action, bounded_text(company))
            return JSONResponse({"ok": True})

        return handler

    async def addon(request: Request) -> Response:
        body = await b.json_object(request)
        b.only(body, {"company_code", "active"})
        state.set_addon(b.text(body, "company_code"), b.flag(body, "active"))
        return JSONResponse({"ok": True})

    async def settings(request: Request) -> Response:
        body = await b.json_object(request)
        b.only(body, {"ttl_s", "reauth_after_s"})
        ttl = b.integer(body, "ttl_s", 1, MAX_TTL_S) if "ttl_s" in body else None
        reauth = (
            b.integer(body, "reauth_after_s", 1, MAX_TTL_S) if "reauth_after_s" in body else None
        )
        state.set_durations(clock(), ttl, reauth)
        current = state.settings
        return JSONResponse({"ttl_s": current.ttl_s, "reauth_after_s": current.reauth_after_s})

    async def leases(request: Request) -> Response:
        now = clock()
        return JSONResponse({"leases": [lease.public(now) for lease in state.leases(now)]})

    async def expire(request: Request) -> Response:
        body = await b.json_object(request)
        b.only(body, {"ip", "in_s"})
        in_s = b.integer(body, "in_s", 0, MAX_TTL_S) if "in_s" in body else 0
        count = state.expire_leases(b.text(body, "ip"), clock(), in_s)
        return JSONResponse({"expired": count})

    async def outage(request: Request) -> Response:
        body = await b.json_object(request)
        b.only(body, {"requests"})
        requests = b.integer(body, "requests", 0, OUTAGE_MAX_REQUESTS)
        state.set_outage(requests)
        return JSONResponse({"requests": requests})

    async def audit(request: Request) -> Response:
        return JSONResponse({"entries": [entry.public() for entry in state.audit(clock())]})

    routes = [
        Route("/api/mobile/login", outage_aware(login), methods=["POST"]),
        Route("/vicidial/{slug}/provision", outage_aware(provision), methods=["POST"]),
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
