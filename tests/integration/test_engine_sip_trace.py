"""The SIP trace turned on and off while the engine runs: the next REGISTER (with its digest
Authorization) is in the trace, redacted, once it is on; nothing is before, or after it is off."""

from __future__ import annotations

import logging

import pytest

from softphone.core import events as ev
from softphone.core.redact import REDACTED
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT
from tests.enginekit.recorder import EventRecorder
from tests.enginekit.registrar import kamailio_account
from tests.support.kamailio import Kamailio

pytestmark = pytest.mark.integration

TRACE_LOGGER = "softphone.sip.pjsip"
REGISTERED = ev.RegistrationState.REGISTERED


def traced(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == TRACE_LOGGER)


def refresh(engine: SipEngine, recorder: EventRecorder) -> None:
    """A REGISTER refresh, waited for until it has been answered."""
    mark = recorder.mark()
    engine.reregister("a").result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED, after=mark)


def test_the_sip_trace_starts_and_stops_live_and_stays_redacted(
    engine: SipEngine, recorder: EventRecorder, kam: Kamailio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=TRACE_LOGGER)
    config = kamailio_account(kam, "1001")
    password = config.password.reveal()
    engine.add_account(config, "a").result(TIMEOUT)
    recorder.wait(ev.RegistrationChanged, account_id="a", state=REGISTERED)
    refresh(engine, recorder)
    assert traced(caplog) == "", "the trace is off: pjsip's log must not reach Python logging"

    assert engine.set_sip_trace(True).result(TIMEOUT) is True  # switched live (pjlib level)
    refresh(engine, recorder)
    on = traced(caplog)
    assert "REGISTER sip:" in on and "SIP/2.0 200 OK" in on
    # the digest exchange is there, its secrets are not
    assert "Authorization: Digest" in on and f"response={REDACTED}" in on
    assert password not in on
    assert "1001" not in on  # the extension is an identifier the writer hides too

    caplog.clear()
    assert engine.set_sip_trace(False).result(TIMEOUT) is True
    refresh(engine, recorder)
    assert traced(caplog) == "", "the trace went on after it was turned off"
