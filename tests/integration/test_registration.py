"""Registration against a real registrar (kamailio) and against sipp playing a faulty one."""

from __future__ import annotations

import logging

import pytest
import trustme

from softphone.core import events as ev
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT
from tests.enginekit.recorder import EventRecorder
from tests.enginekit.registrar import DOMAIN, kamailio_account
from tests.support.kamailio import Kamailio, KamailioFactory

pytestmark = pytest.mark.integration

REGISTERED = ev.RegistrationState.REGISTERED


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_registers_with_digest_auth(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, transport: str
) -> None:
    engine.add_account(kamailio_account(kam, "1001", transport), "a").result(TIMEOUT)  # type: ignore[arg-type]
    done = recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    assert done.code == 200
    assert done.expires_s > 0
    assert done.transport == transport
    contacts = kam.wait_registered("1001")
    assert len(contacts) == 1
    assert contacts[0].socket.startswith(f"{transport}:")  # registered over that transport
    assert contacts[0].user_agent == "VICIfast-Desktop"


def test_wrong_password_fails_once_without_blind_retries(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio
) -> None:
    from softphone.core.secret import Secret

    config = kamailio_account(kam, "1001", password=Secret("not-the-password"))
    engine.add_account(config, "a").result(TIMEOUT)
    failed = recorder.wait(
        ev.RegistrationChanged, account_id="a", state=ev.RegistrationState.FAILED
    )
    assert failed.code in (401, 403)
    state = engine.snapshot().result(TIMEOUT).accounts["a"]
    assert (state.registered, state.retry_pending) == (False, False)
    assert not kam.contacts(kam.aor("1001"))


def test_tls_server_with_an_untrusted_certificate_is_refused(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, tmp_path: object
) -> None:
    from pathlib import Path

    other_ca = Path(str(tmp_path)) / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    config = kamailio_account(kam, "1001", "tls", ca_file=str(other_ca))
    engine.add_account(config, "a").result(TIMEOUT)
    failed = recorder.wait(
        ev.RegistrationChanged, account_id="a", state=ev.RegistrationState.FAILED
    )
    assert "certificate" in failed.reason
    assert engine.snapshot().result(TIMEOUT).accounts["a"].retry_pending is False
    assert not kam.contacts(kam.aor("1001"))


def test_remove_account_unregisters(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio
) -> None:
    engine.add_account(kamailio_account(kam, "1001", "tcp"), "a").result(TIMEOUT)
    kam.wait_registered("1001")
    engine.remove_account("a").result(TIMEOUT)
    kam.wait_unregistered("1001")
    recorder.wait(ev.RegistrationChanged, account_id="a", state=ev.RegistrationState.UNREGISTERED)


def test_two_accounts_in_one_process_call_each_other_through_kamailio(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio
) -> None:
    engine.add_account(kamailio_account(kam, "1001", "udp"), "a").result(TIMEOUT)
    engine.add_account(kamailio_account(kam, "1002", "tcp"), "b").result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    recorder.wait(ev.RegistrationChanged, account_id="b", state=REGISTERED)
    out = engine.make_call("a", "1002").result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="b")
    assert incoming.remote_number == "1001"
    engine.answer(incoming.call_id).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
    engine.hangup(incoming.call_id).result(TIMEOUT)
    ended = recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.DISCONNECTED)
    assert ended.connected


def test_each_account_can_speak_from_its_own_address_and_is_called_there(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio
) -> None:
    """Emulated agents share one engine (a load worker) yet each is its own computer to the
    server: its REGISTER, its contact and its calls on its own loopback address."""
    engine.add_account(kamailio_account(kam, "1001", local_address="127.0.1.1"), "a").result(
        TIMEOUT
    )
    engine.add_account(kamailio_account(kam, "1002", local_address="127.0.1.2"), "b").result(
        TIMEOUT
    )
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    recorder.wait(ev.RegistrationChanged, account_id="b", state=REGISTERED)
    for user, ip in (("1001", "127.0.1.1"), ("1002", "127.0.1.2")):
        (contact,) = kam.wait_registered(user)
        assert f"@{ip}:" in contact.address, contact  # not the engine's 127.0.0.1
    names = engine.snapshot().result(TIMEOUT).transports
    assert names["udp@127.0.1.1"].startswith("127.0.1.1:")
    assert names["udp@127.0.1.2"].startswith("127.0.1.2:")
    # a call between them goes out to the callee's own address, and is answered there
    out = engine.make_call("a", "1002").result(TIMEOUT)
    incoming = recorder.wait(ev.IncomingCall, account_id="b")
    engine.answer(incoming.call_id).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
    engine.hangup(out).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=incoming.call_id, state=ev.CallState.DISCONNECTED)


def test_a_local_address_must_be_an_ip_address() -> None:
    from softphone.core.errors import ConfigError
    from softphone.core.models import SipAccountConfig
    from softphone.core.secret import Secret

    with pytest.raises(ConfigError, match="local address"):
        SipAccountConfig("1001", Secret("x"), "example.com", local_address="agent-7.example")


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_registrar_restart_mid_session_re_registers_by_itself(
    engine: SipEngine, recorder: EventRecorder, kamailio_factory: KamailioFactory, transport: str
) -> None:
    # kamailio keeps its location table in memory: a restart forgets every contact. A short
    # granted expiry makes the UDP client refresh soon; TCP notices the dropped connection.
    kam = kamailio_factory(domain=DOMAIN, min_expires=1, max_expires=8, default_expires=8)
    engine.add_account(kamailio_account(kam, "1001", transport), "a").result(TIMEOUT)  # type: ignore[arg-type]
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    kam.restart()
    mark = recorder.mark()
    assert not kam.contacts(kam.aor("1001"))
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED, after=mark, timeout=20)
    kam.wait_registered("1001")


def test_a_very_short_granted_expiry_is_still_refreshed(
    engine: SipEngine, recorder: EventRecorder, kamailio_factory: KamailioFactory
) -> None:
    kam = kamailio_factory(domain=DOMAIN, min_expires=1, max_expires=2, default_expires=2)
    engine.add_account(kamailio_account(kam, "1001"), "a").result(TIMEOUT)
    first = recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    assert first.expires_s == 2
    mark = recorder.mark()
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED, after=mark)


def test_interval_too_brief_is_followed_by_a_longer_registration(
    engine: SipEngine, recorder: EventRecorder, kamailio_factory: KamailioFactory
) -> None:
    kam = kamailio_factory(domain=DOMAIN, min_expires=600, max_expires=3600)
    engine.add_account(kamailio_account(kam, "1001", reg_expires_s=120), "a").result(TIMEOUT)
    done = recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    assert done.expires_s >= 600
    assert "423" in kam.log_text() or done.expires_s >= 600


def test_ip_change_rebinds_and_re_registers(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio
) -> None:
    engine.add_account(kamailio_account(kam, "1001", "tcp"), "a").result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    mark = recorder.mark()
    engine.handle_ip_change().result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED, after=mark)
    kam.wait_registered("1001")


def test_no_secret_reaches_the_log_even_with_a_sip_trace(
    recorder: EventRecorder, kam: Kamailio, caplog: pytest.LogCaptureFixture
) -> None:
    from softphone.core.models import EngineConfig

    engine = SipEngine(
        recorder, EngineConfig(bind_address="127.0.0.1", sip_trace=True, log_level=6)
    )
    caplog.set_level(logging.DEBUG, logger="softphone")
    engine.start()
    try:
        engine.add_account(kamailio_account(kam, "1001"), "a").result(TIMEOUT)
        recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    finally:
        engine.stop()
    text = caplog.text
    assert "REGISTER" in text and "Authorization" in text  # the trace was really written
    assert kam.users["1001"] not in text
    assert "1001" not in text  # the extension is a credential too
    assert 'response="' not in text.replace('response="<redacted>"', "")
