"""A hostile control plane never hangs, bloats or corrupts the agent (issue 15).

Each test talks to a real HTTPS server on 127.0.0.1 (``tests/support/hostile_server.py``) and
asserts that the client gives up within a generous bound, with its own typed error and a message
for people, and that nothing reached the keychain.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from softphone.core.executor import run_inline
from softphone.core.secret import MemorySecretStore, Secret
from softphone.core.session import Session
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.provisioning import answers
from softphone.provisioning import client as c
from softphone.provisioning import errors as e
from softphone.signin.config import SignInConfig
from softphone.signin.service import SignInService
from tests.support.hostile_server import HostileServer
from tests.support.hostile_signin import _NoEngine, _NoTimers
from tests.unit.test_signin_client import PASSWORD, login_ok, sip_ok

ROOT = Path(__file__).resolve().parents[2]
GENEROUS_S = 60.0  # for a 20 s deadline: never a tighter wall-clock bound than this


def login(server: HostileServer, **kw: Any) -> answers.LoginResult:
    with c.ControlPlaneClient(server.url, ca_file=server.ca_file, **kw) as client:
        return client.login("ACME", "agent1", Secret(PASSWORD))


def timed(work: Callable[[], object]) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        work()
    except Exception as err:
        return err, time.monotonic() - started
    return None, time.monotonic() - started


# ---- 1: slow servers ----------------------------------------------------------------------


def test_a_server_dripping_its_headers_is_given_up_at_the_deadline(tmp_path: Path) -> None:
    """One byte a second keeps each read far under the 15 s read timeout: only the request's
    total deadline (20 s by default; 4 s here, to keep the suite short) ends it."""
    with HostileServer("drip_head", tmp_path, interval_s=1.0) as server:
        err, took = timed(lambda: login(server, deadline=4.0))
    assert isinstance(err, e.TooSlow), err
    assert isinstance(err, e.TransientError)  # retried with backoff, the session kept
    assert "too slowly" in str(err)
    assert 3.0 <= took < GENEROUS_S


def test_a_server_dripping_its_body_is_given_up_at_the_deadline(tmp_path: Path) -> None:
    with HostileServer("drip_body", tmp_path, interval_s=0.5) as server:
        err, took = timed(lambda: login(server, deadline=3.0))
    assert isinstance(err, e.TooSlow), err
    assert took < GENEROUS_S


def test_close_returns_at_once_while_a_request_drips(tmp_path: Path) -> None:
    events: list[object] = []
    with HostileServer("drip_head", tmp_path, interval_s=1.0) as server:
        service = SignInService(
            SignInConfig(
                control_plane=server.url, ca_file=server.ca_file, bind_address="127.0.0.1"
            ),
            engine=cast(Any, _NoEngine()),
            store=MemorySecretStore(),
            device_id="dev-1",
            emit=events.append,
            post=lambda fn: fn(),  # the "loop" runs results at once: dropped after close
            scheduler=_NoTimers(),
        )
        service.session.sign_in("ACME", "agent1", Secret(PASSWORD))
        deadline = time.monotonic() + 10
        while server.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.requests == 1
        seen = len(events)
        started = time.monotonic()
        service.close()
        assert time.monotonic() - started < 5.0
        pool = service._pool
        for thread in list(pool._threads):
            thread.join(GENEROUS_S)  # the request stops at once: its socket was shut down
            assert not thread.is_alive()
    assert len(events) == seen  # the stopped request's result changed nothing
    assert service.session.state is SessionState.SIGNING_IN


# ---- 2: big servers ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["endless", "huge"])
def test_a_body_past_the_cap_is_refused_without_reading_it(tmp_path: Path, mode: str) -> None:
    with HostileServer(mode, tmp_path) as server:
        err, took = timed(lambda: login(server))
    assert isinstance(err, e.ResponseTooLarge), err
    assert "far more data" in str(err)
    assert took < GENEROUS_S


def _limit_memory() -> None:  # runs in the child before exec
    cap = 1024 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def test_an_endless_body_in_a_process_with_capped_memory_ends_with_the_clear_error(
    tmp_path: Path,
) -> None:
    with HostileServer("endless", tmp_path) as server:
        child = subprocess.run(
            [sys.executable, "-m", "tests.support.hostile_signin", server.url, server.ca_file],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=GENEROUS_S * 2,
            preexec_fn=_limit_memory,
        )
    assert child.returncode == 0, child.stderr
    assert "MemoryError" not in child.stderr + child.stdout
    assert "Traceback" not in child.stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["state"] == SessionState.SIGNED_OUT.value
    assert result["message"] == e.ResponseTooLarge.default_message
    assert result["stored"] == []
    assert result["took_s"] < GENEROUS_S


# ---- 3 and 4: odd values --------------------------------------------------------------------


def sign_in_against(login_server: HostileServer, tmp_path: Path, sip: Any) -> tuple[
    Session, MemorySecretStore, list[SessionStateChanged]
]:  # fmt: skip
    """A sign-in whose login answers from ``login_server`` and whose provisioning answers
    ``sip`` from a second hostile server."""
    store = MemorySecretStore()
    states: list[SessionStateChanged] = []
    with HostileServer("json", tmp_path / "p", body=sip) as prov_server:
        grant = login_ok(server__provision_url=f"{prov_server.url}/provision")
        login_server.body = login_server.body or grant
        cp = c.ControlPlaneClient(login_server.url, ca_file=login_server.ca_file)
        prov = c.ProvisioningClient(ca_file=prov_server.ca_file)
        session = Session(
            control_plane=cp,
            provisioning=prov,
            engine=_NoEngine(),
            store=store,
            emit=lambda ev: states.append(ev) if isinstance(ev, SessionStateChanged) else None,
            run=run_inline,
            scheduler=_NoTimers(),
        )
        session.sign_in("ACME", "agent1", Secret(PASSWORD))
        cp.close()
        prov.close()
    return session, store, states


@pytest.mark.parametrize(
    "sip",
    [
        sip_ok(display_name="Agent\r\nVia: SIP/2.0/UDP evil"),
        sip_ok(proxy="edge.example.net\r\nX-Evil: 1"),
        sip_ok(domain="a" * 10_000),
        sip_ok(domain=("a" * 64) + ".example.net"),
        sip_ok(domain="acme.example.net:5060"),
        sip_ok(display_name="Agent One\\"),
        sip_ok(display_name='Agent "One'),
        sip_ok(extension="1" * 65),
        sip_ok(codecs=["PCMU"] * 17),
        sip_ok(codecs=["PC MU"]),
        sip_ok(auto_answer="after=1e400"),
    ],
)
def test_an_account_with_a_bad_field_is_refused_before_anything_is_stored(
    tmp_path: Path, sip: Any
) -> None:
    (tmp_path / "p").mkdir()
    with HostileServer("json", tmp_path) as login_server:
        session, store, states = sign_in_against(login_server, tmp_path, sip)
    assert session.state is SessionState.SIGNED_OUT
    assert states[-1].reason is SessionReason.MALFORMED_RESPONSE
    assert "Tell your administrator" in states[-1].message or "administrator" in states[-1].message
    assert store.get("sip.account") is None and store.get("vicidial.password") is None


def test_a_lease_in_the_year_9999_is_clamped_not_a_crash(tmp_path: Path) -> None:
    body = login_ok(firewall__expires_at="9999-12-31T23:59:59-14:00", firewall__ttl_s=10**30)
    body["session"]["reauth_after_s"] = 10**30
    with HostileServer("json", tmp_path, body=body) as server:
        result = login(server)
    now = datetime.now(UTC)
    assert now < result.firewall.expires_at <= now + answers.MAX_LEASE_AHEAD
    assert result.firewall.ttl_s == answers.MAX_TTL_S
    assert result.reauth_after_s == answers.MAX_REAUTH_AFTER_S


@pytest.mark.parametrize(
    ("raw", "hours"),
    [
        ('{"error": "rate_limited", "retry_after_s": 1e308}', "24 hours"),
        ('{"error": "rate_limited", "retry_after_s": Infinity}', "60 minutes"),
        ('{"error": "rate_limited", "retry_after_s": NaN}', "60 minutes"),
        ('{"error": "rate_limited", "retry_after_s": ' + "9" * 400 + "}", "24 hours"),
    ],
)
def test_an_absurd_wait_is_capped_at_a_day(tmp_path: Path, raw: str, hours: str) -> None:
    with HostileServer("json", tmp_path, status=429, body=raw) as server:
        err, _ = timed(lambda: login(server))
    assert isinstance(err, e.RateLimited), err
    assert err.retry_after_s is not None and 0 <= err.retry_after_s <= e.MAX_RETRY_AFTER_S
    assert f"Try again in {hours}." in str(err)


def test_a_huge_addon_message_is_one_short_line(tmp_path: Path) -> None:
    body = {"error": "addon_inactive", "message": "Ask\r\nyour admin " + "x" * 100_000}
    with HostileServer("json", tmp_path, status=403, body=body) as server:
        err, _ = timed(lambda: login(server))
    assert isinstance(err, e.AddonInactive)
    assert len(str(err)) <= e.MAX_MESSAGE_CHARS and "\n" not in str(err)


# ---- redirects -------------------------------------------------------------------------------


def test_a_redirect_is_refused_and_not_followed(tmp_path: Path) -> None:
    with HostileServer("redirect", tmp_path) as server:
        server.location = f"{server.url}/elsewhere"
        err, _ = timed(lambda: login(server))
        assert server.requests == 1  # the password went nowhere else
    assert isinstance(err, e.MalformedResponse)
