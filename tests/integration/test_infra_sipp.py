"""Every scenario in tests/sipp runs to completion against its sipp counterpart."""

from __future__ import annotations

import re
from typing import Literal

import pytest

from tests.support.sipp import SCENARIO_DIR, Sipp

pytestmark = pytest.mark.integration

# (UAS scenario, UAC scenario, responses the UAC must see, in order)
PAIRS = [
    ("uas_answer", "uac_autoanswer", [100, 180, 200, 200]),
    ("uas_answer", "uac_alert_info", [100, 180, 200, 200]),
    ("uas_answer", "uac_plain_invite", [100, 180, 200, 200]),
    ("uas_answer", "uac_reinvite_hold", [100, 180, 200, 200, 200, 200]),
    ("uas_answer", "uac_info_dtmf", [100, 180, 200, 200, 200]),
    ("uas_reject_486", "uac_plain_invite", [100, 486]),
    ("uas_ringing_forever", "uac_cancel", [100, 180, 200, 487]),
    ("uas_refer", "uac_refer", [100, 180, 200, 202, 200]),
    ("registrar_503_then_200", "uac_register_retry", [503, 200, 200]),
    ("registrar_423", "uac_register_retry", [423, 200, 200]),
]


def test_every_scenario_is_covered() -> None:
    # These have no sipp counterpart: the engine tests exercise them.
    tested = {name for uas, uac, _ in PAIRS for name in (uas, uac)}
    tested |= {"uac_register_auth", "uas_early_media", "registrar_503_once", "uac_invite_flood"}
    tested |= {"uac_stranger_invite", "uac_stranger_ring"}  # test_trust_boundary.py
    tested |= {"uac_far_media"}  # test_call_quality.py
    assert {p.stem for p in SCENARIO_DIR.glob("*.xml")} == tested


@pytest.mark.parametrize(
    ("uas_name", "uac_name", "codes"), PAIRS, ids=[f"{uas}+{uac}" for uas, uac, _ in PAIRS]
)
def test_scenario_pair_completes(
    sipp: Sipp, uas_name: str, uac_name: str, codes: list[int]
) -> None:
    uas = sipp.start(uas_name)
    uac = sipp.run(uac_name, uas.hostport, pause_ms=50, timeout=15)
    uas_result = uas.wait(10)
    uac.assert_ok()
    uas_result.assert_ok()
    assert uac.received_codes() == codes


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_uas_answer_mirrors_hold_direction(sipp: Sipp, transport: Literal["udp", "tcp"]) -> None:
    uas = sipp.start("uas_answer", transport=transport)
    sipp.run("uac_reinvite_hold", uas.hostport, transport=transport, pause_ms=20).assert_ok()
    answers = [
        re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)", m, re.M)
        for m in uas.wait(10).sip_messages("sent")
        if m.startswith("SIP/2.0 200") and "\nv=0" in m
    ]
    assert answers == [["sendrecv"], ["recvonly"], ["sendrecv"]]


def test_cancel_and_negative_ack_reuse_the_invite_branch(sipp: Sipp) -> None:
    for uas_name, uac_name in (("uas_ringing_forever", "uac_cancel"),
                               ("uas_reject_486", "uac_plain_invite")):  # fmt: skip
        uas = sipp.start(uas_name)
        uac = sipp.run(uac_name, uas.hostport, pause_ms=20)
        uac.assert_ok()
        uas.wait(10).assert_ok()
        branches = set(re.findall(r"^Via: [^\r\n]*branch=([^;\r\n]+)", uac.messages, re.M))
        assert len(branches) == 1, f"{uac_name}: INVITE/CANCEL/ACK branches differ: {branches}"


def test_uas_refer_sends_a_final_sipfrag_notify(sipp: Sipp) -> None:
    uas = sipp.start("uas_refer")
    transferor = sipp.run("uac_refer", uas.hostport)
    transferor.assert_ok()
    (notify,) = transferor.received_requests("NOTIFY")
    assert "Subscription-State: terminated" in notify
    assert "Content-Type: message/sipfrag" in notify
    assert notify.rstrip().endswith("SIP/2.0 200 OK")
    uas.wait(10).assert_ok()


def test_failures_are_reported(sipp: Sipp) -> None:
    uas = sipp.start("uas_reject_486")
    result = sipp.run("uac_autoanswer", uas.hostport, timeout=10)
    assert not result.ok
    assert "486 Busy Here" in result.errors
    assert "uac_autoanswer" in result.describe()
