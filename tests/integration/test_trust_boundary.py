"""Only the account's own SIP server may ring the agent, and only it may have a call answered
without a click: attacked as a stranger on the LAN would, from another loopback address.

The agent is the real headless agent in its own process, registered at kamailio; the stranger
is sipp (or a raw socket) bound to 127.0.0.66, sending to every port the agent's process has
open, found from /proc rather than from the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.enginekit.agent_process import AgentProcess
from tests.integration.conftest import AgentFactory, KamailioFactory
from tests.support.kamailio import Kamailio, udp_request
from tests.support.ports import HOST, listening_sockets
from tests.support.process import wait_until
from tests.support.sipp import Sipp

pytestmark = pytest.mark.integration

STRANGER = "127.0.0.66"
USER = "1002"
# Every way an INVITE can ask to be answered at once (core.auto_answer understands all three).
HINTS = {
    "call-info": "Call-Info: <sip:10.0.0.1>;answer-after=0",
    "alert-info": "Alert-Info: <http://10.0.0.1/ring>;info=alert-autoanswer",
    "answer-mode": "Answer-Mode: Auto",
}
MODES = ("off", "header", "auto", "after=1")
CALL_EVENTS = ("IncomingCall", "CallStateChanged", "CallMediaChanged")


def _registered(agent: AgentProcess) -> None:
    agent.wait_event(event="RegistrationChanged", state="registered")


def _targets(agent: AgentProcess) -> list[tuple[str, str]]:
    """(transport, "host:port") of every SIP-capable socket the agent's process has open."""
    found = listening_sockets(agent.process.pid)
    assert found, "the agent has no socket open"
    return sorted((kind, f"{HOST if ip == '0.0.0.0' else ip}:{port}") for kind, ip, port in found)


def _call_events(agent: AgentProcess) -> list[dict[str, Any]]:
    return [e for e in agent.events() if e["event"] in CALL_EVENTS]


def _refused_sources(agent: AgentProcess) -> list[str]:
    return [
        s for e in agent.events() if e["event"] == "UntrustedRequestsRefused" for s in e["sources"]
    ]


def _attack(sipp: Sipp, target: tuple[str, str], hint: str, *, from_host: str = STRANGER) -> None:
    kind, hostport = target
    result = sipp.run(
        "uac_stranger_invite",
        hostport,
        service=USER,
        host=STRANGER,
        transport="tcp" if kind == "tcp" else "udp",
        keys={"hint": hint, "from_host": from_host},
        timeout=10,
    )
    assert result.ok, f"{hostport} ({kind}) {hint!r}:\n{result.describe()}"
    assert 403 in result.received_codes()
    assert not {180, 183, 200} & set(result.received_codes())


@pytest.mark.parametrize("mode", MODES)
def test_a_stranger_is_refused_on_every_port_in_every_mode_and_the_server_still_rings(
    mode: str, kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, USER, "--answer", mode)
    _registered(agent)
    targets = _targets(agent)
    assert len(targets) >= 2, targets  # the SIP transport and the engine's wake-up socket

    for target in targets:
        for hint in HINTS.values():
            _attack(sipp, target, hint)

    assert _call_events(agent) == [], "a stranger's INVITE reached the agent"
    wait_until(lambda: _refused_sources(agent), 5, "the refused INVITEs to be reported")
    assert all(s.startswith(f"{STRANGER}:") for s in _refused_sources(agent))
    # No call media was opened for any of them: the process has the sockets it had.
    assert _targets(agent) == targets

    # The same request through the registrar the agent registered with rings as before.
    if mode == "off":
        # It rings; the caller gives up (through a proxy the CANCEL's 200 and the 487 may
        # cross, so only the ringing is checked).
        rung = sipp.run("uac_cancel", kam.hostport(), service=USER, timeout=10)
        assert 180 in rung.received_codes(), rung.describe()
        incoming = agent.wait_event(event="IncomingCall")
        assert incoming["auto_answer_in_s"] is None
    else:
        sipp.run("uac_autoanswer", kam.hostport(), service=USER, timeout=10).assert_ok()
        # answered as the agent's mode says: the server's hint decides only in header mode
        reason = {"header": "header", "auto": "always", "after=1": "after_delay"}[mode]
        agent.wait_event(event="CallStateChanged", state="confirmed", answered_by=reason)
    assert agent.wait_event(event="IncomingCall")["direct_from"] == ""


def test_a_stranger_is_refused_over_tcp(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(
        kam, USER, "--transport", "tcp", "--port", str(kam.port("tcp")), "--answer", "auto"
    )
    _registered(agent)
    targets = _targets(agent)
    assert any(kind == "tcp" for kind, _ in targets), targets
    for target in targets:
        _attack(sipp, target, HINTS["call-info"])
    assert _call_events(agent) == []

    sipp.run("uac_autoanswer", kam.hostport("tcp"), service=USER, transport="tcp").assert_ok()
    agent.wait_event(event="CallStateChanged", state="confirmed")


def test_a_stranger_naming_the_registrar_in_from_and_via_is_refused(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, USER, "--answer", "auto")
    _registered(agent)
    for target in _targets(agent):
        _attack(sipp, target, HINTS["call-info"], from_host=kam.hostport())
    assert _call_events(agent) == []


def test_accepted_direct_calls_ring_but_are_never_answered_automatically(
    kam: Kamailio, sipp: Sipp, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, USER, "--answer", "auto", "--accept-direct-calls")
    _registered(agent)
    hostport = _contact(kam)
    # Rings (180), is not answered whatever it asks, and the caller gives up (CANCEL → 487).
    rung = sipp.run(
        "uac_stranger_ring",
        hostport,
        service=USER,
        host=STRANGER,
        pause_ms=1500,
        timeout=10,
        keys={"hint": HINTS["call-info"]},
    )
    rung.assert_ok()
    incoming = agent.wait_event(event="IncomingCall")
    assert incoming["direct_from"].startswith(f"{STRANGER}:")
    assert incoming["auto_answer_in_s"] is None
    assert not [e for e in agent.events() if e.get("state") == "confirmed"]


@pytest.mark.parametrize("method", ["FOO", "PUBLISH", "REFER"])
def test_an_out_of_dialog_request_nothing_handles_gets_an_answer(
    method: str, kam: Kamailio, agent_factory: AgentFactory
) -> None:
    agent = agent_factory(kam, USER)
    _registered(agent)
    for _, hostport in _targets(agent):
        host, _, port = hostport.rpartition(":")
        for source in (STRANGER, HOST):
            reply = udp_request(
                int(port),
                method,
                f"sip:{USER}@{hostport}",
                5.0,
                host=host,
                source=source,
                headers="Event: presence\r\nRefer-To: <sip:900@10.0.0.1>\r\n",
            )
            assert reply is not None, f"{method} to {hostport} from {source}: no answer"
            status = reply.split("\r\n", 1)[0]
            expected = "481" if method == "REFER" else "501"
            assert status.startswith(f"SIP/2.0 {expected} "), status
    assert _call_events(agent) == []


def test_a_strangers_subscription_is_refused(kam: Kamailio, agent_factory: AgentFactory) -> None:
    agent = agent_factory(kam, USER)
    _registered(agent)
    for _, hostport in _targets(agent):
        host, _, port = hostport.rpartition(":")
        reply = udp_request(
            int(port),
            "SUBSCRIBE",
            f"sip:{USER}@{hostport}",
            5.0,
            host=host,
            source=STRANGER,
            headers=f"Event: presence\r\nExpires: 60\r\nContact: <sip:probe@{STRANGER}>\r\n",
        )
        assert reply is not None and reply.startswith("SIP/2.0 403 "), reply


def test_trust_follows_the_registrar_to_a_new_address_and_leaves_the_old_one(
    kamailio_factory: KamailioFactory, sipp: Sipp, tmp_path: Path
) -> None:
    """The server's host name moves to another address (a private /etc/hosts in a mount
    namespace of the agent's own): the next REGISTER reaches it there, its calls are taken and
    auto-answered, and the old address is a stranger from then on."""
    from tests.enginekit.registrar import DOMAIN

    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 {MOVING_HOST}\n")
    # The registrar grants 4 s, so the agent registers again every 2 s.
    expiry = {"min_expires": 1, "max_expires": 4, "default_expires": 4}
    old = kamailio_factory(domain=DOMAIN, **expiry)
    agent = AgentProcess(
        tmp_path,
        old,
        USER,
        "--proxy",
        MOVING_HOST,
        "--answer",
        "header",
        "--reg-expires",
        "60",
        wrapper=["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"',
                 str(hosts)],
    )  # fmt: skip
    try:
        agent.start()
        _registered(agent)
        sipp.run("uac_autoanswer", old.hostport(), service=USER, timeout=10).assert_ok()

        old.stop()
        with hosts.open("r+") as file:  # in place: the bind mount holds this inode
            file.truncate(0)
            file.write(f"{MOVED_TO} {MOVING_HOST}\n")
        new = kamailio_factory(domain=DOMAIN, host=MOVED_TO, start=False, **expiry)
        new.udp_port, new.tcp_port, new.tls_port = old.udp_port, old.tcp_port, old.tls_port
        new.start()
        new.wait_registered(USER, timeout=20)

        sipp.run("uac_autoanswer", new.hostport(), service=USER, timeout=10).assert_ok()

        def confirmed() -> list[dict[str, Any]]:
            return [e for e in agent.events() if e.get("state") == "confirmed"]

        # sipp is done once the far end's BYE is answered; the agent's event may come after
        wait_until(lambda: len(confirmed()) == 2, 10, "the second call's confirmed event")
        assert all(e["answered_by"] == "header" for e in confirmed())
        # The old registrar's exact address (host and port) is now a stranger's.
        result = sipp.run(
            "uac_stranger_invite",
            _contact(new),
            service=USER,
            host=HOST,
            port=old.udp_port,
            keys={"hint": HINTS["call-info"], "from_host": old.hostport()},
            timeout=10,
        )
        assert result.ok and 403 in result.received_codes(), result.describe()
        assert len([e for e in agent.events() if e["event"] == "IncomingCall"]) == 2
    finally:
        agent.stop()


MOVING_HOST = "registrar.vicifast.test"
MOVED_TO = "127.0.0.77"


def _contact(kam: Kamailio) -> str:
    (contact,) = kam.wait_registered(USER)
    return contact.address.split("@", 1)[1].split(";", 1)[0]
