from __future__ import annotations

import logging
import pickle
import random

import pytest

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.errors import ConfigError
from softphone.core.models import EngineConfig, SipAccountConfig, SrtpMode, Transport
from softphone.core.redact import REDACTED, redact_sip
from softphone.core.retry import Backoff, parse_retry_after
from softphone.core.secret import Secret
from softphone.core.sipuri import clean_number, dial_uri, parse_remote


def account(**overrides: object) -> SipAccountConfig:
    values: dict[str, object] = {"extension": "1001", "password": Secret("pw"), "domain": "pbx"}
    values.update(overrides)
    return SipAccountConfig(**values)  # type: ignore[arg-type]


class TestSecret:
    def test_never_shows_its_value(self) -> None:
        secret = Secret("hunter22")
        config = account(password=secret)
        for text in (repr(secret), str(secret), f"{secret}", repr(config)):
            assert "hunter22" not in text
        assert secret.reveal() == "hunter22"

    def test_cannot_be_pickled(self) -> None:
        with pytest.raises(TypeError):
            pickle.dumps(Secret("x"))


class TestAccountConfig:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("extension", "", "extension"),
            ("extension", "10 01", "extension"),
            ("domain", "a;b", "domain"),
            ("port", 70000, "port"),
            ("reg_expires_s", 5, "expiry"),
            ("srtp", SrtpMode.MANDATORY, "TLS"),
        ],
    )
    def test_rejects_bad_values_with_a_clear_message(
        self, field: str, value: object, message: str
    ) -> None:
        with pytest.raises(ConfigError, match=message):
            account(**{field: value})

    def test_mandatory_srtp_with_tls_is_fine(self) -> None:
        assert account(srtp=SrtpMode.MANDATORY, transport=Transport.TLS).srtp is SrtpMode.MANDATORY

    def test_first_hop(self) -> None:
        assert account(port=5070).server_hostport == "pbx:5070"
        assert account(proxy="edge", port=5080).server_hostport == "edge:5080"

    def test_engine_limits(self) -> None:
        with pytest.raises(ConfigError, match="between 1 and 4"):
            EngineConfig(max_calls=5)


class TestSipUri:
    def test_parse_remote(self) -> None:
        party = parse_remote('"Doe, \\"J\\"" <sip:+15551234@pbx.example;user=phone>;tag=abc')
        assert party == ev_party("sip:+15551234@pbx.example;user=phone", "+15551234", 'Doe, "J"')
        assert parse_remote("<sip:8600051@10.0.0.1>").display == ""
        assert parse_remote("sip:777@host;tag=1").number == "777"
        assert parse_remote("tel:+4930123").number == "+4930123"

    @pytest.mark.parametrize(
        ("typed", "cleaned"),
        [("+1 (555) 123-4567", "+15551234567"), ("tel:+49 30 1234", "+49301234"), ("*97#", "*97#")],
    )
    def test_clean_number(self, typed: str, cleaned: str) -> None:
        assert clean_number(typed) == cleaned

    def test_dial_uri(self) -> None:
        assert dial_uri("555-1234", "pbx") == "sip:5551234@pbx"
        assert dial_uri("alice@example.org", "pbx") == "sip:alice@example.org"
        assert dial_uri("sip:8600051@10.1.1.1:5060", "pbx") == "sip:8600051@10.1.1.1:5060"
        assert dial_uri("1002", "pbx", "tcp") == "sip:1002@pbx;transport=tcp"
        for bad in ("", "   ", "sip:a b@c", "hello world"):
            with pytest.raises(ConfigError):
                dial_uri(bad, "pbx")


def ev_party(uri: str, number: str, display: str) -> object:
    from softphone.core.sipuri import RemoteParty

    return RemoteParty(uri, number, display)


class TestRedaction:
    TRACE = (
        "REGISTER sip:pbx SIP/2.0\r\n"
        'Authorization: Digest username="1001", realm="pbx", nonce="abc123", '
        'uri="sip:pbx", response="0123456789abcdef0123456789abcdef"\r\n'
        'Proxy-Authorization: Digest username="1001", response="fedcba9876543210"\r\n'
        "Contact: <sip:1001:hunter22@10.0.0.5:5060>\r\n\r\n"
    )

    def test_digest_responses_uri_passwords_and_known_secrets_are_hidden(self) -> None:
        out = redact_sip(self.TRACE, ("hunter22",), ("1001",))
        for secret in ("0123456789abcdef", "fedcba9876543210", "abc123", "hunter22", "1001"):
            assert secret not in out
        assert out.count(REDACTED) >= 5
        assert out.startswith("REGISTER sip:pbx SIP/2.0")

    def test_identifiers_are_hidden_only_where_they_stand_alone(self) -> None:
        out = redact_sip("sip:1001@pbx status=171001 user 1001.", (), ("1001",))
        assert out == f"sip:{REDACTED}@pbx status=171001 user {REDACTED}."


class TestBackoff:
    def test_grows_to_a_cap_with_jitter_and_resets(self) -> None:
        backoff = Backoff(first_s=1, cap_s=8, rng=random.Random(7))
        delays = [backoff.next_delay() for _ in range(6)]
        bases = [1, 2, 4, 8, 8, 8]
        for delay, base in zip(delays, bases, strict=True):
            assert base / 2 <= delay <= base
        backoff.reset()
        assert backoff.next_delay() <= 1

    def test_retry_after_is_honoured(self) -> None:
        backoff = Backoff(rng=random.Random(1))
        assert 30 <= backoff.next_delay(retry_after_s=30) <= 30.5

    @pytest.mark.parametrize(
        ("value", "seconds"), [("120", 120.0), ("5 (maintenance);duration=60", 5.0), ("x", None)]
    )
    def test_parse_retry_after(self, value: str, seconds: float | None) -> None:
        assert parse_retry_after(value) == seconds


class TestEventBus:
    def test_dispatches_by_type_and_base_type_in_order(self) -> None:
        bus = EventBus()
        seen: list[str] = []
        bus.subscribe(ev.DtmfReceived, lambda e: seen.append(f"dtmf:{e.digit}"))
        bus.subscribe(ev.Event, lambda e: seen.append(type(e).__name__))
        bus.publish(ev.DtmfReceived(call_id="c1", digit="5", method="rfc2833"))
        bus.publish(ev.EngineStopped(clean=True))
        assert seen == ["dtmf:5", "DtmfReceived", "EngineStopped"]

    def test_a_failing_handler_does_not_stop_the_others(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        bus = EventBus()
        seen: list[str] = []

        def broken(_: ev.Event) -> None:
            raise RuntimeError("boom")

        bus.subscribe(ev.EngineStopped, broken)
        unsubscribe = bus.subscribe(ev.EngineStopped, lambda e: seen.append("ok"))
        with caplog.at_level(logging.ERROR):
            bus.publish(ev.EngineStopped(clean=True))
        assert seen == ["ok"]
        assert "boom" in caplog.text
        unsubscribe()
        bus.publish(ev.EngineStopped(clean=True))
        assert seen == ["ok"]

    def test_events_are_frozen_and_serialise_to_plain_values(self) -> None:
        event = ev.RegistrationChanged(account_id="a1", state=ev.RegistrationState.REGISTERED)
        with pytest.raises(AttributeError):
            event.account_id = "x"  # type: ignore[misc]
        data = event.to_dict()
        assert data["event"] == "RegistrationChanged"
        assert data["state"] == "registered"
