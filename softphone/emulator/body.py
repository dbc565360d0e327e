"""Request bodies, read defensively: JSON objects only, bounded in size, checked field by field
against the rules docs/api/openapi.json states (types, ranges, no unknown properties).

Whatever a client sends ends either in the documented Python types or in a `BodyRefused`
(400/413/415 with the API's error shape): nothing a request carries may make a later request
fail, so no lone surrogates, no NaN/Infinity, no numbers out of their documented range.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

MAX_BODY_BYTES = 64 * 1024
_TOTP = re.compile(r"[0-9]{6}")  # ASCII digits only: str.isdigit() also takes "١٢٣٤٥٦"


class BodyRefused(Exception):
    """The body cannot be taken: answered `status` with `{"error": error, "message": ...}`."""

    def __init__(self, message: str, *, status: int = 400, error: str = "bad_request") -> None:
        super().__init__(message)
        self.status = status
        self.error = error


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; refused unless it is `application/json`, at most
    MAX_BODY_BYTES (read as a stream: a larger body is never held whole) and valid UTF-8 JSON."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise BodyRefused(
            "Send the body as JSON with the header Content-Type: application/json.",
            status=415,
            error="unsupported_media_type",
        )
    raw = await _bounded_body(request)
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise BodyRefused("The body must be JSON (UTF-8).") from None
    if not isinstance(body, dict):
        raise BodyRefused("The body must be a JSON object.")
    _refuse_lone_surrogates(body)
    return body


async def _bounded_body(request: Request) -> bytes:
    too_large = BodyRefused(
        f"The body is larger than {MAX_BODY_BYTES} bytes.", status=413, error="payload_too_large"
    )
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise too_large
    return bytes(received)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _refuse_lone_surrogates(body: dict[str, Any]) -> None:
    # "\ud800" parses into a str that cannot be encoded: refuse it here, before it is stored
    # and breaks every later response that shows it (the audit log).
    stack: list[Any] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise BodyRefused("Strings must be valid Unicode (no lone surrogates).") from None


def only(body: dict[str, Any], allowed: set[str], where: str = "the body") -> None:
    """Refuse properties the schema does not name (its `additionalProperties: false`)."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise BodyRefused(f"Unknown properties in {where}: {names}.")


def text(body: dict[str, Any], name: str) -> str:
    """A required non-empty string."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BodyRefused(f"{name!r} must be a non-empty string.")
    return value


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise BodyRefused(f"{name!r} must be true or false.")
    return value


def integer(body: dict[str, Any], name: str, minimum: int, maximum: int) -> int:
    """A required integer within [minimum, maximum]. As in JSON Schema, 30.0 is the integer 30;
    30.5, true, 1e400 and "30" are not integers."""
    value = body.get(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise BodyRefused(f"{name!r} must be an integer from {minimum} to {maximum}.")
    return value


def totp_code(body: dict[str, Any], name: str = "totp") -> str:
    """A 6-digit code (ASCII digits), as the schema's pattern says."""
    value = body.get(name)
    if not isinstance(value, str) or not _TOTP.fullmatch(value):
        raise BodyRefused(f"{name!r} must be 6 digits (0-9).")
    return value
