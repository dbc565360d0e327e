"""What the engine decides from the platform's capabilities, with fake capability sets: an
account provisioned with TLS where there is no TLS is refused with a plain message before
anything is created or sent; the probe's reading of pjsip's answers; the shared C lookup."""

from __future__ import annotations

import dataclasses
from typing import Any

import pjsua2 as pj
import pytest

from softphone.core import events as ev
from softphone.core.errors import EngineError, UnknownAccount
from softphone.core.models import EngineConfig, SipAccountConfig, Transport
from softphone.core.secret import Secret
from softphone.headless.agent import _human
from softphone.sip import capabilities
from softphone.sip.capabilities import (
    PJSIP_EUNSUPTRANSPORT,
    c_functions,
    check_account,
    probe_tls,
    system_of,
    tls_max_version,
)
from softphone.sip.engine import _clean_error
from softphone.sip.errors import TlsUnavailable
from softphone.sip.stack import SipStack

WINDOWS_MESSAGE = (
    "This build of VICIfast Desktop cannot use SIP over TLS on Windows (the SIP library has no "
    "TLS). Ask your administrator to provision UDP or TCP for your account."
)

WINDOWS = ev.Capabilities(
    platform="Windows AMD64",
    pjsua2_version="2.15.1.post1",
    pjsip_version="2.15.1",
    tls=False,
    tls_detail="Unsupported transport (PJSIP_EUNSUPTRANSPORT)",
    live_sip_trace=False,
    unhandled_501=False,
)
LINUX = dataclasses.replace(
    WINDOWS,
    platform="Linux x86_64",
    tls=True,
    tls_detail="OpenSSL 1.0.2k-fips 26 Jan 2017: TLS 1.2 at most",
    live_sip_trace=True,
    unhandled_501=True,
)


def account(transport: Transport) -> SipAccountConfig:
    return SipAccountConfig(
        extension="1001",
        password=Secret("sip-secret-987"),
        domain="acme.example",
        transport=transport,
    )


# ---- the decision ----------------------------------------------------------------------------


def test_a_tls_account_where_there_is_no_tls_gets_the_plain_message() -> None:
    with pytest.raises(TlsUnavailable) as raised:
        check_account(WINDOWS, account(Transport.TLS))
    assert str(raised.value) == WINDOWS_MESSAGE
    assert isinstance(raised.value, EngineError)  # every caller of the engine already shows these


@pytest.mark.parametrize("transport", [Transport.UDP, Transport.TCP])
def test_udp_and_tcp_accounts_pass_where_there_is_no_tls(transport: Transport) -> None:
    check_account(WINDOWS, account(transport))


@pytest.mark.parametrize("caps", [LINUX, None], ids=["tls", "not-probed"])
def test_tls_accounts_pass_where_tls_is_there_or_nothing_was_probed(
    caps: ev.Capabilities | None,
) -> None:
    check_account(caps, account(Transport.TLS))


def test_the_stack_refuses_before_it_creates_or_sends_anything() -> None:
    emitted: list[ev.Event] = []
    stack = SipStack(EngineConfig(), emitted.append)  # never started: no endpoint, no transport
    stack.capabilities = WINDOWS
    with pytest.raises(TlsUnavailable, match="cannot use SIP over TLS on Windows"):
        stack.add_account(account(Transport.TLS), "session")
    # not even the REGISTERING a real attempt announces first; no account, no REGISTER
    assert emitted == []
    with pytest.raises(UnknownAccount):
        stack.account("session")


def test_the_error_crosses_threads_as_the_same_type_and_message() -> None:
    fresh = _clean_error("add_account", TlsUnavailable.on("Windows"))
    assert type(fresh) is TlsUnavailable
    assert str(fresh) == WINDOWS_MESSAGE
    assert fresh.__traceback__ is None


def test_the_message_names_the_platform_it_runs_on() -> None:
    assert system_of("macOS arm64") == "macOS"
    assert system_of("Linux x86_64") == "Linux"
    assert "on Linux (" in str(TlsUnavailable.on(system_of(LINUX.platform)))


# ---- reading the library ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("openssl", "newest"),
    [
        ("OpenSSL 1.0.2k-fips 26 Jan 2017", "1.2"),  # the Linux wheel
        ("OpenSSL 3.6.2 1 Oct 2026", "1.3"),  # the macOS wheel
        ("OpenSSL 1.1.1w 11 Sep 2023", "1.3"),
        ("OpenSSL 1.1.0l 10 Sep 2019", "1.2"),
        ("OpenSSL 1.0.0t 3 Dec 2015", "1.0"),
        ("", ""),
        ("LibreSSL 3.3.6", ""),
    ],
)
def test_the_newest_tls_an_openssl_speaks(openssl: str, newest: str) -> None:
    assert tls_max_version(openssl) == newest


class FakeEndpoint:
    def __init__(self, status: int = 0) -> None:
        self.status = status
        self.closed: list[int] = []

    def transportCreate(self, kind: int, cfg: Any) -> int:
        assert kind == pj.PJSIP_TRANSPORT_TLS
        assert cfg.boundAddress == "127.0.0.1" and cfg.port == 0
        if self.status:
            err = pj.Error()
            err.status = self.status
            err.reason = "Unsupported transport (PJSIP_EUNSUPTRANSPORT)"
            raise err
        return 7

    def transportClose(self, tid: int) -> None:
        self.closed.append(tid)


def test_a_tls_listener_that_can_be_made_is_closed_again() -> None:
    ep = FakeEndpoint()
    assert probe_tls(ep) == (True, "")
    assert ep.closed == [7]


def test_a_build_without_tls_is_told_by_pjsips_answer() -> None:
    assert probe_tls(FakeEndpoint(PJSIP_EUNSUPTRANSPORT)) == (
        False,
        "Unsupported transport (PJSIP_EUNSUPTRANSPORT)",
    )


def test_any_other_failure_proves_nothing_and_refuses_nothing() -> None:
    works, detail = probe_tls(FakeEndpoint(120098))  # say, the address could not be bound
    assert works is True
    assert detail.startswith("not checked: ")


def test_the_c_lookup_is_one_answer_for_every_feature() -> None:
    # this Linux wheel exports pjlib's functions; a missing one makes the whole set None
    found = c_functions("pj_log_set_level", "pjsip_endpt_register_module")
    assert found is not None and len(found) == 2
    assert c_functions("pj_log_set_level", "no_such_function_anywhere") is None
    # each caller gets its own function object, so its signature is its own
    first, second = c_functions("pj_log_set_level"), c_functions("pj_log_set_level")
    assert first is not None and second is not None and first[0] is not second[0]
    assert capabilities.openssl_version().startswith("OpenSSL 1.0.2")


def test_the_agents_text_output_keeps_what_the_platform_cannot_do() -> None:
    line = _human(WINDOWS)
    assert "tls=False" in line and "live_sip_trace=False" in line and "unhandled_501=False" in line
