"""The trust rule of one account (softphone.core.trust): who may ring it, who is a stranger."""

from __future__ import annotations

import pytest

from softphone.core.models import SipAccountConfig, Transport
from softphone.core.secret import Secret
from softphone.core.trust import Origin, Peer, ServerTrust, parse_peer


def _account(**values: object) -> SipAccountConfig:
    fields: dict[str, object] = {
        "extension": "1001",
        "password": Secret("pw"),
        "domain": "acme.vicidial.test",
    }
    fields.update(values)
    return SipAccountConfig(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "peer"),
    [
        ("203.0.113.5:5060", Peer("203.0.113.5", 5060)),
        ("[2001:db8::1]:5061", Peer("2001:db8::1", 5061)),
        ("[::ffff:203.0.113.5]:5060", Peer("203.0.113.5", 5060)),
        ("203.0.113.5", None),
        ("203.0.113.5:0", None),
        ("203.0.113.5:70000", None),
        ("acme.test:5060", None),
        ("", None),
    ],
)
def test_source_addresses_are_parsed_strictly(text: str, peer: Peer | None) -> None:
    assert parse_peer(text) == peer


def test_a_registered_account_trusts_its_proxy_on_its_port_only() -> None:
    trust = ServerTrust(_account(proxy="203.0.113.5", port=5080))
    assert trust.origin("203.0.113.5:5080") is Origin.SERVER
    assert trust.origin("203.0.113.5:5060") is Origin.REFUSED  # another port of that host
    assert trust.origin("203.0.113.6:5080") is Origin.REFUSED
    assert trust.origin("garbage") is Origin.REFUSED


def test_without_a_port_the_transports_default_port_is_trusted() -> None:
    assert ServerTrust(_account(proxy="203.0.113.5")).origin("203.0.113.5:5060") is Origin.SERVER
    tls = ServerTrust(_account(proxy="203.0.113.5", transport=Transport.TLS))
    assert tls.origin("203.0.113.5:5061") is Origin.SERVER
    assert tls.origin("203.0.113.5:5060") is Origin.REFUSED


def test_a_host_name_is_trusted_at_the_addresses_it_resolves_to_and_no_others() -> None:
    trust = ServerTrust(_account(port=5060))
    assert trust.needs_resolving
    assert trust.origin("198.51.100.7:5060") is Origin.REFUSED  # not looked up yet
    trust.set_resolved(["198.51.100.7", "2001:db8::7", "not an address"])
    assert trust.origin("198.51.100.7:5060") is Origin.SERVER
    assert trust.origin("[2001:db8::7]:5060") is Origin.SERVER
    trust.set_resolved(["198.51.100.8"])  # moved: the old address is a stranger now
    assert trust.origin("198.51.100.7:5060") is Origin.REFUSED
    assert trust.origin("198.51.100.8:5060") is Origin.SERVER


def test_the_address_that_answered_register_is_trusted_until_another_answers() -> None:
    trust = ServerTrust(_account(proxy="203.0.113.5", port=5060))
    trust.registered_from("192.0.2.9:5099")  # e.g. a cluster member behind the name
    assert trust.origin("192.0.2.9:5099") is Origin.SERVER
    assert trust.origin("192.0.2.9:5060") is Origin.REFUSED
    trust.registered_from("192.0.2.10:5099")
    assert trust.origin("192.0.2.9:5099") is Origin.REFUSED
    assert [str(p) for p in trust.trusted()] == ["192.0.2.10:5099", "203.0.113.5:5060"]


def test_direct_calls_are_refused_for_a_registered_account_unless_the_user_accepts_them() -> None:
    assert ServerTrust(_account(proxy="203.0.113.5")).origin("192.0.2.1:5060") is Origin.REFUSED
    accepting = ServerTrust(_account(proxy="203.0.113.5"), accept_direct=True)
    assert accepting.origin("192.0.2.1:5060") is Origin.DIRECT
    assert accepting.origin("203.0.113.5:5060") is Origin.SERVER


def test_an_unregistered_account_takes_direct_calls_and_trusts_its_peer_on_any_port() -> None:
    trust = ServerTrust(_account(domain="192.168.1.10", register=False))
    assert trust.origin("192.168.1.10:40000") is Origin.SERVER
    assert trust.origin("192.168.1.11:5060") is Origin.DIRECT
    strict = ServerTrust(_account(domain="192.168.1.10", register=False), accept_direct=False)
    assert strict.origin("192.168.1.11:5060") is Origin.REFUSED
    pinned = ServerTrust(_account(domain="192.168.1.10", port=5062, register=False))
    assert pinned.origin("192.168.1.10:5063") is Origin.DIRECT


def test_a_bracketed_ipv6_proxy_needs_no_lookup() -> None:
    trust = ServerTrust(_account(proxy="[2001:db8::5]", port=5060))
    assert not trust.needs_resolving
    assert trust.origin("[2001:db8::5]:5060") is Origin.SERVER
