"""The headless agent's JSON lines carry each call's quality: a ``CallQuality`` object with its
jitter, loss, round trip, codec and MOS, the final one (``"final": true``) printed as the call
ends, just before its ``disconnected``, so a tester can assert on how the call sounded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.enginekit.agent_process import AgentProcess
from tests.integration.conftest import AgentFactory
from tests.support.kamailio import Kamailio

pytestmark = pytest.mark.integration

FIGURES = ("codec", "rx_packets", "rx_loss_pct", "rx_jitter_ms", "tx_loss_pct", "rtt_ms", "mos")


def _final_quality(agent: AgentProcess, direction: str) -> dict[str, Any]:
    """The call's final CallQuality line, checked to come before the call's end."""
    up = agent.wait_event(event="CallStateChanged", state="confirmed", direction=direction)
    call_id = up["call_id"]
    final = agent.wait_event(event="CallQuality", call_id=call_id, final=True)
    events = agent.events()
    ended = agent.wait_event(event="CallStateChanged", state="disconnected", call_id=call_id)
    assert events.index(final) < events.index(ended)
    return final


def test_each_call_ends_with_its_quality_in_the_json_lines(
    kam: Kamailio, agent_factory: AgentFactory
) -> None:
    callee = agent_factory(kam, "1003", "--answer", "auto", "--calls", "1")
    callee.wait_event(event="RegistrationChanged", state="registered")
    caller = agent_factory(kam, "1002", "--call", "1003", "--hangup-after", "1")
    assert caller.process.wait_exit(20) == 0, caller.process.log_tail(30)
    assert callee.process.wait_exit(20) == 0, callee.process.log_tail(30)

    for agent, direction in ((caller, "outbound"), (callee, "inbound")):
        quality = _final_quality(agent, direction)
        assert set(FIGURES) <= quality.keys(), quality
        # a second of G.711 both ways over loopback: packets in, none lost, the ceiling's MOS
        assert quality["codec"] == "PCMU" and quality["rx_packets"] > 10, quality
        assert quality["rx_loss_pct"] == 0.0 and 0.0 <= quality["rx_jitter_ms"] < 20, quality
        assert 4.3 <= quality["mos"] <= 4.5, quality
        assert isinstance(quality["at"], float)
