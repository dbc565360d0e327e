"""SIP lines of the employer's server that are not agents (demo mode's echo and tone lines)."""

from __future__ import annotations

import pytest

from softphone.emulator.errors import AdminError
from softphone.emulator.state import EmulatorState

NOW = 1_750_000_000.0


def test_a_line_reaches_the_registrar_without_becoming_an_agent() -> None:
    state = EmulatorState.from_seed()
    seen: list[dict[str, str]] = []
    state.add_firewall_listener(lambda _rules, users: seen.append(users), NOW)
    state.add_sip_line("600", "line-secret", NOW)
    assert seen[-1]["600"] == "line-secret" and "1001" in seen[-1]
    assert state.sip_users()["600"] == "line-secret"
    assert all("600" not in [a.extension for a in c.agents.values()] for c in state.companies)
    # nobody signs in with a line
    refused = state.login(
        username="600", password="line-secret", company_code="DEMO", code="", ip="127.0.0.2",
        now=NOW,
    )  # fmt: skip
    assert getattr(refused, "error", "") == "invalid_credentials"


def test_a_line_cannot_take_an_agents_extension() -> None:
    state = EmulatorState.from_seed()
    with pytest.raises(AdminError, match="1001"):
        state.add_sip_line("1001", "x", NOW)
