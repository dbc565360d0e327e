"""Posting JSON over verified HTTPS, within limits: the transport both server contracts share.

TLS is always verified (TLS 1.2 or newer, system CAs, or only the given CA file for a custom
control plane or the emulator). Every address must be https (:func:`check_url`); the one
exception, plain http to a loopback host, is for testers (see :mod:`softphone.provisioning.client`).
Redirects are not followed: a redirect could carry the password somewhere else.

Limits (a hostile or broken server must not hang or bloat the agent): each request has a total
deadline (``REQUEST_DEADLINE_S``, connection, TLS, headers and body together) on top of httpx's
per-operation timeouts; at the deadline, or when the client is closed, the request's socket is
shut down whatever phase it is in. The body is read as a stream and refused past ``MAX_BODY``
bytes (:class:`~softphone.provisioning.errors.ResponseTooLarge`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import socket
import ssl
import threading
import time
from typing import Any, Self

import httpx

from softphone import __version__
from softphone.provisioning import errors as e

_log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 15.0  # per operation: connect, TLS, each read and write
REQUEST_DEADLINE_S = 20.0  # the whole request, body included
MAX_BODY = 256 * 1024


def make_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Verifying context, TLS 1.2 minimum; ``ca_file`` replaces the system CAs when given."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, plain_http_to_loopback: bool = False) -> httpx.URL:
    """The URL if it is https; plain http only to a loopback host, and only when
    ``plain_http_to_loopback`` (the tester's ``--insecure-test-server``). Else InsecureAddress."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise e.InsecureAddress() from None
    if not parsed.host:
        raise e.InsecureAddress()
    if parsed.scheme == "https":
        return parsed
    if parsed.scheme == "http" and plain_http_to_loopback:
        if is_loopback_host(parsed.host):
            return parsed
        raise e.InsecureAddress(e.TEST_SERVER_NOT_LOCAL.format(host=parsed.host))
    if parsed.scheme == "http" and is_loopback_host(parsed.host):
        raise e.InsecureAddress(f"{e.InsecureAddress.default_message} {e.TEST_SERVER_HINT}")
    raise e.InsecureAddress()


class _Deadline:
    """Ends one request at its deadline, or at once on :meth:`fire`: shuts its socket down, so a
    read blocked in any phase (TLS handshake, headers, body) returns.

    The socket comes from httpcore's ``trace`` extension when the connection is made; we keep a
    duplicate of its descriptor, so the shutdown can never reach a descriptor the system has
    since given to something else.
    """

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._done = False
        self._timer = threading.Timer(seconds, self.fire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self._done:
                return
            self._release()
            self._sock = socket.socket(fileno=os.dup(sock.fileno()))
            if self.expired:
                self._shut()

    def left(self) -> float:
        return self.ends - time.monotonic()

    def fire(self) -> None:
        with self._lock:
            self.expired = True
            if not self._done:
                self._shut()

    def finish(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._release()

    def _shut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed by the other side
                self._sock.shutdown(socket.SHUT_RDWR)

    def _release(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class JsonPoster:
    """One ``httpx.Client`` with our TLS rules and limits, and the error mapping both contracts
    share. :meth:`close` may be called from another thread while a request is in flight: the
    request ends at once with :class:`~softphone.provisioning.errors.TransientError`."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None,
        ca_file: str | None,
        timeout: float,
        deadline: float = REQUEST_DEADLINE_S,
    ) -> None:
        self._deadline_s = deadline
        self._timeout = min(timeout, deadline)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._in_flight: set[_Deadline] = set()
        self._http = httpx.Client(
            # the context is the transport's when one is given (made once, by its owner)
            verify=make_ssl_context(ca_file) if transport is None else True,
            transport=transport,
            timeout=self._timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy or CA bundle from the environment
            # a new connection per request: the deadline's watchdog knows its socket
            # identity: the size cap counts what we hold, not what a gzip bomb would become
            headers={
                "User-Agent": f"VICIfast-Desktop/{__version__}",
                "Connection": "close",
                "Accept-Encoding": "identity",
            },
        )

    def close(self) -> None:
        """Stop any request in flight (thread-safe) and close the client."""
        self._closed.set()
        with self._lock:
            in_flight = list(self._in_flight)
        for deadline in in_flight:
            deadline.fire()
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, url: httpx.URL, body: dict[str, Any]) -> tuple[httpx.Response, Any]:
        """POST JSON; the response and its decoded JSON body (None if it is not JSON)."""
        if self._closed.is_set():
            raise e.TransientError()
        deadline = _Deadline(self._deadline_s)
        with self._lock:
            self._in_flight.add(deadline)
        try:
            return self._send(url, body, deadline)
        except httpx.TimeoutException:
            _log.info("POST %s timed out", url.host)
            raise e.TooSlow() from None
        except httpx.TransportError as err:
            if self._closed.is_set():
                raise e.TransientError() from None
            if deadline.expired:
                _log.info("POST %s passed its deadline", url.host)
                raise e.TooSlow() from None
            if _is_tls_failure(err):
                _log.warning("TLS to %s failed", url.host)
                raise e.TlsError() from None
            _log.info("POST %s failed: %s", url.host, type(err).__name__)
            raise e.TransientError() from None
        except (RuntimeError, OSError) as err:  # closed under us (close() from another thread)
            _log.info("POST %s stopped: %s", url.host, type(err).__name__)
            raise e.TransientError() from None
        finally:
            deadline.finish()
            with self._lock:
                self._in_flight.discard(deadline)

    def _send(
        self, url: httpx.URL, body: dict[str, Any], deadline: _Deadline
    ) -> tuple[httpx.Response, Any]:
        extensions = {"trace": deadline.trace}
        with self._http.stream("POST", url, json=body, extensions=extensions) as response:
            _log.info("POST %s -> %d", url.host, response.status_code)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_BODY:
                raise e.ResponseTooLarge()
            if response.headers.get("Content-Encoding", "identity").lower() != "identity":
                raise e.MalformedResponse()  # we asked for none; compressed could be a bomb
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    _log.info("POST %s: answer over %d bytes, stopped", url.host, MAX_BODY)
                    raise e.ResponseTooLarge()
                if deadline.left() <= 0 or deadline.expired:
                    raise e.TooSlow()
                chunks.append(chunk)
            if deadline.expired:
                raise e.TooSlow()
        raw = b"".join(chunks)
        try:
            data = json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            data = None
        return response, data


def _is_tls_failure(err: BaseException) -> bool:
    seen: BaseException | None = err
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
