"""The test kamailio: listeners, digest REGISTER, TLS, restart, routing rules."""

from __future__ import annotations

import os
import socket
import ssl
import time
from pathlib import Path
from typing import Literal

import pytest
import trustme

from tests.support.baresip import BaresipFactory
from tests.support.kamailio import Kamailio, KamailioFactory, sip_request, udp_request
from tests.support.ports import HOST
from tests.support.process import group_gone, wait_until
from tests.support.sipp import Sipp, SippResult

pytestmark = pytest.mark.integration


def register(
    sipp: Sipp,
    kam: Kamailio,
    user: str,
    password: str,
    *,
    transport: Literal["udp", "tcp"] = "udp",
    expires: int = 300,
) -> SippResult:
    return sipp.run(
        "uac_register_auth",
        kam.hostport(transport),
        transport=transport,
        service=user,
        auth=(user, password),
        keys={"expires": expires},
        timeout=10,
    )


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses (hex, as in /proc/net) bound to `port`, any protocol."""
    found = set()
    for table in ("udp", "tcp"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            addr, _, hex_port = line.split()[1].partition(":")
            if int(hex_port, 16) == port:
                found.add(addr)
    return found


def test_starts_quickly_on_free_loopback_ports(kamailio_factory: KamailioFactory) -> None:
    started = time.monotonic()
    kam = kamailio_factory()
    assert time.monotonic() - started < 2.0, "kamailio must start well under 2 s"
    ports = {kam.udp_port, kam.tcp_port, kam.tls_port}
    assert len(ports) == 3
    for port in ports:
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
    reply = udp_request(kam.udp_port, "OPTIONS", f"sip:{kam.hostport()}")
    assert reply is not None
    assert reply.startswith("SIP/2.0 200"), reply


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_register_with_digest_auth(
    kamailio: Kamailio, sipp: Sipp, transport: Literal["udp", "tcp"]
) -> None:
    result = register(sipp, kamailio, "1001", "secret1001", transport=transport)
    result.assert_ok()
    assert result.received_codes() == [401, 200]
    (contact,) = kamailio.wait_registered("1001")
    assert kamailio.contacts(kamailio.aor("1001")) == [contact]
    assert contact.address.lower().endswith(f";transport={transport}")
    assert contact.user_agent == "sipp-register"
    assert contact.socket == f"{transport}:{kamailio.hostport(transport)}"


def test_wrong_password_is_refused(kamailio: Kamailio, sipp: Sipp) -> None:
    result = register(sipp, kamailio, "1002", "not-the-password")
    assert not result.ok
    assert result.received_codes() == [401, 403]
    assert "1002" not in kamailio.registered_contacts()


def test_unknown_user_is_refused(kamailio: Kamailio, sipp: Sipp) -> None:
    result = register(sipp, kamailio, "4242", "whatever")
    assert result.received_codes() == [401, 403]
    assert kamailio.registered_contacts() == {}


def test_users_can_be_given_and_added(kamailio_factory: KamailioFactory, sipp: Sipp) -> None:
    nobody = kamailio_factory(users={})
    assert register(sipp, nobody, "1001", "secret1001").received_codes() == [401, 403]
    kam = kamailio_factory(users={"2001": "pw2001"})
    register(sipp, kam, "2001", "pw2001").assert_ok()
    assert register(sipp, kam, "1001", "secret1001").received_codes() == [401, 403]
    kam.add_user("2002", "pw2002")
    register(sipp, kam, "2002", "pw2002").assert_ok()
    assert set(kam.registered_contacts()) == {"2001", "2002"}


def test_min_expires_gives_423_and_max_expires_caps(
    kamailio_factory: KamailioFactory, sipp: Sipp
) -> None:
    kam = kamailio_factory(min_expires=120, max_expires=200)
    too_short = register(sipp, kam, "1001", "secret1001", expires=60)
    assert too_short.received_codes() == [401, 423]
    assert "Min-Expires: 120" in too_short.messages
    register(sipp, kam, "1001", "secret1001", expires=3600).assert_ok()
    (contact,) = kam.wait_registered("1001")
    assert 190 <= contact.expires <= 200


def test_port_less_domain_uri_is_handled_locally(kamailio: Kamailio) -> None:
    # REGISTER sip:127.0.0.1 (no port) is for us: challenged, not relayed to :5060
    reply = udp_request(kamailio.udp_port, "REGISTER", f"sip:{kamailio.domain}")
    assert reply is not None
    assert reply.startswith("SIP/2.0 401"), reply
    assert f'realm="{kamailio.domain}"' in reply
    # a local user that is not registered
    reply = udp_request(kamailio.udp_port, "OPTIONS", f"sip:1003@{kamailio.domain}")
    assert reply is not None
    assert reply.startswith("SIP/2.0 404"), reply


def test_tls_listener_presents_a_certificate_of_the_test_ca(
    kamailio: Kamailio, test_ca: trustme.CA
) -> None:
    ctx = ssl.create_default_context(cafile=str(kamailio.ca_pem))
    with (
        socket.create_connection((HOST, kamailio.tls_port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        cert = tls.getpeercert()
        assert cert is not None
        names = {str(entry[1]) for entry in cert["subjectAltName"]}
        assert {"127.0.0.1", "localhost"} <= names
        # SIP over the TLS connection works too
        port = tls.getsockname()[1]
        tls.sendall(sip_request("OPTIONS", f"sip:{kamailio.hostport('tls')};transport=tls",
                                transport="tls", local_port=port))  # fmt: skip
        assert tls.recv(65535).startswith(b"SIP/2.0 200")
    assert kamailio.ca_pem.read_bytes() == test_ca.cert_pem.bytes()

    untrusting = ssl.create_default_context()  # system CAs only
    with (
        socket.create_connection((HOST, kamailio.tls_port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        untrusting.wrap_socket(raw, server_hostname="127.0.0.1")


def test_restart_keeps_ports_and_forgets_registrations(kamailio: Kamailio, sipp: Sipp) -> None:
    register(sipp, kamailio, "1001", "secret1001").assert_ok()
    kamailio.wait_registered("1001")
    before = (kamailio.udp_port, kamailio.tcp_port, kamailio.tls_port, kamailio.pid)
    kamailio.restart()
    after = (kamailio.udp_port, kamailio.tcp_port, kamailio.tls_port, kamailio.pid)
    assert after[:3] == before[:3]
    assert after[3] != before[3]
    assert kamailio.registered_contacts() == {}
    register(sipp, kamailio, "1001", "secret1001").assert_ok()
    kamailio.wait_registered("1001")


def test_stop_leaves_no_kamailio_process(kamailio: Kamailio) -> None:
    pgid = kamailio.pid
    assert pgid is not None
    os.killpg(pgid, 0)  # the group exists while running
    kamailio.stop()
    # killed workers whose parent is gone stay zombies in the group until init reaps them,
    # which here can take over a second (a CI run failed on an immediate check)
    wait_until(lambda: group_gone(pgid), 15, "kamailio's process group to be gone")
    assert udp_request(kamailio.udp_port, "OPTIONS", f"sip:{kamailio.hostport()}", 0.2) is None


def test_call_to_unregistered_local_user_gets_404(kamailio: Kamailio, sipp: Sipp) -> None:
    result = sipp.run("uac_plain_invite", kamailio.hostport(), service="1003", timeout=10)
    assert not result.ok
    assert result.received_codes() == [404]


def test_foreign_uri_is_relayed_with_record_route(kamailio: Kamailio, sipp: Sipp) -> None:
    uas = sipp.start("uas_answer")
    caller = sipp.run("uac_reinvite_hold", uas.hostport, via=kamailio.hostport(), pause_ms=50)
    callee = uas.wait(10)
    caller.assert_ok()
    callee.assert_ok()
    (invite, *reinvites) = callee.received_requests("INVITE")
    assert f"Record-Route: <sip:{kamailio.hostport()};lr" in invite
    assert len(reinvites) == 2
    # in-dialog requests came through kamailio (its Via on top), following the route set
    for request in [*reinvites, *callee.received_requests("BYE")]:
        top_via = next(line for line in request.splitlines() if line.startswith("Via:"))
        assert f"{kamailio.hostport()};branch=" in top_via


def test_cancel_is_relayed(kamailio: Kamailio, sipp: Sipp) -> None:
    uas = sipp.start("uas_ringing_forever")
    caller = sipp.run("uac_cancel", uas.hostport, via=kamailio.hostport(), pause_ms=50)
    caller.assert_ok()
    uas.wait(10).assert_ok()
    assert caller.received_codes() == [100, 180, 200, 487]


def test_auth_calls_requires_proxy_authentication(
    kamailio_factory: KamailioFactory, sipp: Sipp
) -> None:
    kam = kamailio_factory(auth_calls=True)
    uas = sipp.start("uas_answer")
    result = sipp.run("uac_plain_invite", uas.hostport, via=kam.hostport(), timeout=10)
    assert 407 in result.received_codes()
    assert not uas.stop().received_requests("INVITE")


def test_a_named_domain_is_local_without_port(
    kamailio_factory: KamailioFactory, baresip_factory: BaresipFactory, sipp: Sipp
) -> None:
    kam = kamailio_factory(domain="vicidial.test")
    reply = udp_request(kam.udp_port, "REGISTER", "sip:vicidial.test")
    assert reply is not None
    assert reply.startswith("SIP/2.0 401"), reply
    assert 'realm="vicidial.test"' in reply
    baresip_factory(kam, "1002", answermode="auto")  # AOR sip:1002@vicidial.test via proxy
    result = sipp.run("uac_autoanswer", kam.hostport(), service="1002", pause_ms=50)
    result.assert_ok()
