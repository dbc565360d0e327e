"""baresip as a second UA: registers at kamailio, answers and places calls through it."""

from __future__ import annotations

import pytest

from tests.support.baresip import Baresip, BaresipFactory
from tests.support.kamailio import Kamailio
from tests.support.sipp import Sipp

pytestmark = pytest.mark.integration


def test_baresip_registers_at_kamailio(baresip: Baresip, kamailio: Kamailio) -> None:
    (contact,) = kamailio.wait_registered("1002")
    assert contact.user_agent.startswith("baresip")
    assert contact.address.startswith("sip:1002")
    assert baresip.events[-1].type == "REGISTER_OK"


def test_wrong_password_fails_registration(
    baresip_factory: BaresipFactory, kamailio: Kamailio
) -> None:
    ua = baresip_factory(kamailio, "1003", password="wrong", start=False)
    with pytest.raises(RuntimeError, match="REGISTER_FAIL"):
        ua.start()
    assert "1003" not in kamailio.registered_contacts()


def test_sipp_call_via_kamailio_is_auto_answered(
    baresip: Baresip, kamailio: Kamailio, sipp: Sipp
) -> None:
    result = sipp.run("uac_autoanswer", kamailio.hostport(), service="1002", pause_ms=300)
    result.assert_ok()
    established = baresip.wait_established()
    assert established.peeruri.startswith("sip:sipp@")
    baresip.wait_closed()


def test_manual_answer(baresip_factory: BaresipFactory, kamailio: Kamailio, sipp: Sipp) -> None:
    ua = baresip_factory(kamailio, "1003", answermode="manual")
    call = sipp.start("uac_plain_invite", kamailio.hostport(), service="1003", pause_ms=200)
    ua.wait_incoming()
    ua.answer()
    ua.wait_established()
    result = call.wait(15)
    result.assert_ok()
    assert result.received_codes()[-2:] == [200, 200]  # INVITE answered, BYE confirmed


def test_baresip_calls_a_sipp_uas_through_kamailio(
    baresip: Baresip, kamailio: Kamailio, sipp: Sipp
) -> None:
    uas = sipp.start("uas_answer")
    baresip.dial(uas.uri())
    baresip.wait_established()
    baresip.hangup()
    baresip.wait_closed()
    result = uas.wait(10)
    result.assert_ok()
    (invite,) = result.received_requests("INVITE")
    assert f"Record-Route: <sip:{kamailio.hostport()};lr" in invite


def test_registered_users_call_each_other_over_udp_and_tcp(
    baresip_factory: BaresipFactory, kamailio: Kamailio
) -> None:
    caller = baresip_factory(kamailio, "1002")
    callee = baresip_factory(kamailio, "1003", transport="tcp", answermode="auto")
    (contact,) = kamailio.wait_registered("1003")
    assert contact.received  # TCP: calls reuse the UA's connection
    caller.dial(f"sip:1003@{kamailio.domain}")  # port-less domain URI, via the proxy
    caller.wait_established()
    callee.wait_established()
    callee.hangup()
    caller.wait_closed()
