"""Helpers for the emulator tests: a fake clock, a synchronous ASGI client, and a small
JSON Schema checker for the subset docs/api/openapi.json uses (no new dependency)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import select
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from softphone.emulator.app import create_app
from softphone.emulator.state import EmulatorState

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"
START = 1_750_000_000.0  # a fixed "now" for the fake clock
DEVICE = {"platform": "linux", "app_version": "0.1.0", "device_id": "test-device"}
ADMIN_TOKEN = "test-admin-token"
PUBLIC_URL = "https://emulator.test"


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return spec


@dataclass
class FakeClock:
    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Api:
    """Calls the emulator app in-process; every response is checked against the spec."""

    state: EmulatorState
    clock: FakeClock = field(default_factory=FakeClock)
    spec: dict[str, Any] = field(default_factory=load_spec)
    admin_token: str | None = ADMIN_TOKEN

    def __post_init__(self) -> None:
        self.app = create_app(
            self.state, self.clock, admin_token=self.admin_token, public_url=PUBLIC_URL
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        ip: str = "127.0.0.2",
        token: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """`raw` is sent as is, as application/json unless `headers` say otherwise."""

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
            sent = {"content-type": "application/json"} if raw is not None else {}
            sent |= {"authorization": f"Bearer {token}"} if token else {}
            sent |= headers or {}
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
                if raw is not None:
                    return await client.request(method, path, content=raw, headers=sent)
                return await client.request(method, path, json=body, headers=sent)

        response = asyncio.run(go())
        url_path = response.request.url.path
        errors = check_response(self.spec, method, url_path, response.status_code, response)
        assert not errors, f"{method} {path} -> {response.status_code}: {errors}"
        return response

    def login(self, username: str, password: str, company: str = "DEMO", **extra: Any) -> Any:
        ip = extra.pop("ip", "127.0.0.2")
        body = {"username": username, "password": password, "company_code": company}
        body |= {"device": DEVICE} | extra
        return self.request("POST", "/api/mobile/login", body, ip=ip)

    def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.request(method, path, body, token=self.admin_token)


# --- OpenAPI response checking ---------------------------------------------------------------


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            operation: dict[str, Any] = item[method.lower()]
            return operation
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def check_response(
    spec: dict[str, Any], method: str, path: str, status: int, response: httpx.Response
) -> list[str]:
    """Errors found checking `response` against the spec (empty when it conforms)."""
    responses = _operation(spec, method, path.split("?", maxsplit=1)[0])["responses"]
    declared = responses.get(str(status)) or responses.get(f"{status // 100}XX")
    if declared is None:
        return [f"status {status} is not declared"]
    content = declared.get("content", {}).get("application/json")
    if content is None:
        return []
    try:
        body = response.json()
    except ValueError:
        return ["body is not JSON"]
    return validate(body, content["schema"], spec)


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def validate(value: Any, schema: dict[str, Any], spec: dict[str, Any], at: str = "$") -> list[str]:
    """Validate the JSON Schema keywords the spec uses; unknown keywords are an error."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return validate(value, spec["components"]["schemas"][name], spec, at)
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not validate(value, s, spec, at)]
        return [] if len(matches) == 1 else [f"{at}: matches {len(matches)} of oneOf"]
    known = {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const",
        "pattern", "minLength", "minimum", "maximum", "format", "description",
    }  # fmt: skip
    unknown = set(schema) - known
    if unknown:
        return [f"{at}: the checker does not know {sorted(unknown)}"]
    errors: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, _TYPES[kind]) and not (
            kind in {"integer", "number"} and isinstance(value, bool)
        )
        if not ok:
            return [f"{at}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} != {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{at}: too short")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{at}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{at}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        errors += [f"{at}: missing {name!r}" for name in schema.get("required", [])
                   if name not in value]  # fmt: skip
        for name, item in value.items():
            if name in props:
                errors += validate(item, props[name], spec, f"{at}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{at}: unexpected property {name!r}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += validate(item, schema["items"], spec, f"{at}[{i}]")
    return errors


# --- a tiny SIP UAC: REGISTER with digest auth from a chosen loopback address -----------------


def _sip_exchange(sock: socket.socket, request: str, server: tuple[str, int]) -> str:
    sock.sendto(request.encode(), server)
    for _ in range(3):  # tolerate a lost datagram: retransmit like a UA (T1 = 500 ms)
        readable, _, _ = select.select([sock], [], [], 0.5)
        if readable:
            reply = sock.recv(65535).decode(errors="replace")
            if not reply.startswith("SIP/2.0 1"):
                return reply
        else:
            sock.sendto(request.encode(), server)
    raise AssertionError(f"no final reply from {server} to:\n{request}")


def register(
    server: tuple[str, int],
    user: str,
    password: str,
    *,
    local_ip: str,
    expires: int = 60,
    local_port: int = 0,
) -> list[str]:
    """REGISTER sip:user@host from `local_ip` (and `local_port`; 0: any), answering one digest
    challenge; the status lines received, e.g. ["SIP/2.0 401 Unauthorized", "SIP/2.0 200 OK"]."""
    host, port = server
    statuses: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((local_ip, local_port))
        local_port = sock.getsockname()[1]
        call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        auth = ""
        for cseq in (1, 2):
            branch = f"z9hG4bK{uuid.uuid4().hex}"
            request = (
                f"REGISTER sip:{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {local_ip}:{local_port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{user}@{host}>;tag={tag}\r\n"
                f"To: <sip:{user}@{host}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
                f"Contact: <sip:{user}@{local_ip}:{local_port}>\r\nExpires: {expires}\r\n"
                f"{auth}Content-Length: 0\r\n\r\n"
            )
            reply = _sip_exchange(sock, request, server)
            statuses.append(reply.split("\r\n", 1)[0])
            challenge = re.search(r"^WWW-Authenticate: Digest (.*)$", reply, re.M | re.I)
            if not reply.startswith("SIP/2.0 401") or challenge is None:
                break
            fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.group(1)))
            auth = _digest(fields, user, password, f"sip:{host}:{port}")
    return statuses


def invite(server: tuple[str, int], user: str, *, local_ip: str) -> str:
    """One INVITE to sip:user@host from ``local_ip`` (no SDP, no auth); the final status line.
    An error answer is ACKed, as a UA would."""
    host, port = server
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((local_ip, 0))
        local_port = sock.getsockname()[1]
        call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        branch = f"z9hG4bK{uuid.uuid4().hex}"
        head = (
            f"Via: SIP/2.0/UDP {local_ip}:{local_port};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@{local_ip}>;tag={tag}\r\n"
            f"To: <sip:{user}@{host}>\r\nCall-ID: {call_id}\r\n"
        )
        reply = _sip_exchange(
            sock,
            f"INVITE sip:{user}@{host}:{port} SIP/2.0\r\n{head}CSeq: 1 INVITE\r\n"
            f"Contact: <sip:probe@{local_ip}:{local_port}>\r\nContent-Length: 0\r\n\r\n",
            server,
        )
        to = re.search(r"^To: (.*)$", reply, re.M | re.I)
        head = head.replace(f"To: <sip:{user}@{host}>", f"To: {to.group(1).strip()}" if to else "")
        sock.sendto(
            f"ACK sip:{user}@{host}:{port} SIP/2.0\r\n{head}CSeq: 1 ACK\r\n"
            "Content-Length: 0\r\n\r\n".encode(),
            server,
        )
        return reply.split("\r\n", 1)[0]


def _digest(challenge: dict[str, str], user: str, password: str, uri: str) -> str:
    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    realm, nonce = challenge["realm"], challenge["nonce"]
    ha1, ha2 = md5(f"{user}:{realm}:{password}"), md5(f"REGISTER:{uri}")
    parts = f'username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5'
    if "auth" in challenge.get("qop", "").split(","):
        cnonce, nc = uuid.uuid4().hex[:16], "00000001"
        response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        parts += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    else:
        response = md5(f"{ha1}:{nonce}:{ha2}")
    return f'Authorization: Digest {parts}, response="{response}"\r\n'
