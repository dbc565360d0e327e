"""Who called whom, masked for a diagnostics export (``mask_people``): numbers keep their last two
digits and their length, names their initials; what a support engineer reads a trace by (hosts,
ports, methods, status codes, tags, branches, Call-IDs, CSeqs) stays as it was."""

from __future__ import annotations

import pytest

from softphone.core.redact import REDACTED, mask_name, mask_number, mask_people, redact_sip
from softphone.ui.diagnostics import scrub

CALLER, CALLER_NAME = "+15550102030", "Bob Smith"
TRACE = (
    "2025-01-31 08:00:00,123 DEBUG pjsua_core.c  RX 1042 bytes Request msg INVITE/cseq=4211 "
    "(rdata0x55d4a0) from UDP 203.0.113.9:5060:\n"
    "INVITE sip:5550109999@192.0.2.10:5060;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 203.0.113.9:5060;rport;branch=z9hG4bKPj1234567890\r\n"
    f'From: "{CALLER_NAME}" <sip:{CALLER}@pbx.example.com>;tag=8812345678\r\n'
    "To: Agent One <sip:5550109999@pbx.example.com>\r\n"
    "f: <sip:5550104444@pbx.example.com>\r\n"
    "Contact: <sip:alice.m@203.0.113.9:5060;ob>\r\n"
    f'P-Asserted-Identity: "{CALLER_NAME}" <tel:+1-555-010-2030>\r\n'
    f"Remote-Party-ID: {CALLER_NAME} <sip:{CALLER}@pbx.example.com>;party=calling\r\n"
    "Call-ID: 1-12345@127.0.0.1\r\n"
    "CSeq: 4211 INVITE\r\n"
    "Route: <sip:pbx.example.com:5060;lr>\r\n"
    "Content-Length: 0\r\n"
    "pjsua_call.c  Call 0: incoming call from 5550102030, answered after 2 s\n"
)


def test_numbers_keep_their_last_two_digits_and_their_shape() -> None:
    assert mask_number("+15550102030") == "+*********30"
    assert mask_number("1001") == "**01"
    assert mask_number("+1-555-010-2030") == "+*-***-***-**30"
    assert mask_number("42") == "**"  # too short to keep anything
    assert mask_number("alice") == "***ce"


def test_names_keep_their_initials() -> None:
    assert mask_name("Bob Smith") == "B** S****"
    assert mask_name("José Álvarez") == "J*** Á******"
    assert mask_name("5550102030") == "********30"  # a number shown as a name


def test_a_trace_keeps_its_structure_and_loses_the_people() -> None:
    out = mask_people(TRACE)
    for gone in ("5550102030", "5550109999", "5550104444", "Bob", "Smith", "Agent One", "alice"):
        assert gone not in out, gone
    assert "INVITE sip:********99@192.0.2.10:5060;transport=udp SIP/2.0" in out
    assert 'From: "B** S****" <sip:+*********30@pbx.example.com>;tag=8812345678' in out
    assert "To: A**** O** <sip:********99@pbx.example.com>" in out
    assert "f: <sip:********44@pbx.example.com>" in out
    assert "Contact: <sip:****e.m@203.0.113.9:5060;ob>" in out
    assert 'P-Asserted-Identity: "B** S****" <tel:+*-***-***-**30>' in out
    assert "Remote-Party-ID: B** S**** <sip:+*********30@pbx.example.com>;party=calling" in out
    assert "incoming call from ********30, answered after 2 s" in out
    for kept in (
        "2025-01-31 08:00:00,123",
        "cseq=4211",
        "203.0.113.9:5060",
        "branch=z9hG4bKPj1234567890",
        "Call-ID: 1-12345@127.0.0.1",
        "CSeq: 4211 INVITE",
        "Route: <sip:pbx.example.com:5060;lr>",
        "Content-Length: 0",
    ):
        assert kept in out, kept


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("sip:bob:secret@pbx", f"sip:*ob:{REDACTED}@pbx"),  # after redact_sip
        ("sips:5550102030@pbx;user=phone", "sips:********30@pbx;user=phone"),
        ("sip:pbx.example.com:5060", "sip:pbx.example.com:5060"),  # no user part
        ("Contact: <sip:10.0.0.5:5060>", "Contact: <sip:10.0.0.5:5060>"),
        ("SIP/2.0 486 Busy Here", "SIP/2.0 486 Busy Here"),
        (
            "o=- 3912345678 3912345679 IN IP4 192.0.2.10",
            "o=- ********78 ********79 IN IP4 192.0.2.10",
        ),
    ],
)
def test_lines(line: str, masked: str) -> None:
    assert mask_people(redact_sip(line)) == masked


def test_scrub_masks_unless_numbers_are_wanted() -> None:
    line = f'From: "{CALLER_NAME}" <sip:{CALLER}@pbx>;tag=1\nAuthorization: Digest response="ab12"'
    masked = scrub(line, numbers=False)
    assert CALLER not in masked and "Bob" not in masked and "ab12" not in masked
    kept = scrub(line, numbers=True)
    assert CALLER in kept and CALLER_NAME in kept and "ab12" not in kept  # secrets go anyway
