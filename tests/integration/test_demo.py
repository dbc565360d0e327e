"""The default command's loopback demo: a whole call with no server, network or sound card."""

from __future__ import annotations

import io
import json

import pytest

from softphone.demo import run_loopback_demo

pytestmark = pytest.mark.integration


def test_demo_walks_a_call_through_auto_answer_dtmf_hold_and_hang_up() -> None:
    out = io.StringIO()
    assert run_loopback_demo(out, as_json=True) == 0
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [e["event"] for e in events]
    assert names[0] == "EngineStarted" and names[-1] == "EngineStopped"
    answered = [e for e in events if e["event"] == "CallStateChanged" and e["state"] == "confirmed"]
    assert {e["answered_by"] for e in answered} == {None, "header"}
    assert "".join(e["digit"] for e in events if e["event"] == "DtmfReceived") == "1234#"
    holds = [e["hold"] for e in events if e["event"] == "CallMediaChanged"]
    assert "local" in holds and "remote" in holds
    assert events[-1]["clean"] is True
