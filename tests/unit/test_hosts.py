"""One host rule for every reader (QR codes' api and SIP server, a server's account fields)."""

from __future__ import annotations

import pytest

from softphone.core.errors import ConfigError
from softphone.core.hosts import check_host, is_host

GOOD = [
    "sip.example.com",
    "sip.example.com.",  # one final dot
    "a",
    "a.123",
    "xn--bcher-kva.example",
    "a" * 63 + ".example",
    "192.0.2.10",
    "[2001:db8::1]",
    "[::1]",
]
BAD = [
    "",
    ".",
    "..",
    "a..b",
    ".cp.example",
    "sip.example.com..",
    "-a.example",
    "a-.example",
    "a" * 64 + ".example",
    ("a" * 63 + ".") * 4 + "a",  # 257 characters
    "999.999.999.999",
    "192.0.2.010",  # leading zero
    "1.2.3",
    "[::::::]",
    "[abc]",
    "[1.2.3]",
    "[203.0.113.10]",
    "2001:db8::1",  # IPv6 without brackets
    "[fe80::1%eth0]",  # a zone names an interface of another machine
    "[::1%x y]",
    "sip.example.com:5060",
    "user@sip.example.com",
    "sip example.com",
    "sip.example.com\r\nX: y",
]


@pytest.mark.parametrize("host", GOOD)
def test_hosts_that_are_accepted(host: str) -> None:
    assert is_host(host)
    assert check_host(host, "The SIP domain") == host


@pytest.mark.parametrize("host", BAD)
def test_hosts_that_are_refused_with_a_message_that_shows_no_control_characters(host: str) -> None:
    assert not is_host(host)
    with pytest.raises(ConfigError, match="The SIP domain is not a host name") as raised:
        check_host(host, "The SIP domain")
    assert "\r" not in str(raised.value) and "\n" not in str(raised.value)
