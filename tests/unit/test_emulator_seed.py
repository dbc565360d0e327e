"""Seed files: the bundled demo loads; broken files get messages that say what to fix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from softphone.emulator.errors import SeedError
from softphone.emulator.seed import (
    LOAD_AGENTS_MAX,
    LOAD_COMPANY_CODE,
    load_agent,
    load_seed,
    parse_seed,
    with_load_agents,
)
from softphone.emulator.state import EmulatorState, Grant, Refusal

AGENT = 'username = "a"\npassword = "p"\nextension = "1001"\nsip_password = "s"\n'
COMPANY = 'code = "acme"\nslug = "acme"\n'


def seed(company: str = COMPANY, agent: str = AGENT, head: str = "") -> str:
    return f"{head}\n[[companies]]\n{company}\n[[companies.agents]]\n{agent}"


def test_demo_seed_loads() -> None:
    settings, companies = load_seed()
    assert (settings.ttl_s, settings.reauth_after_s) == (86400, 3600)
    assert [c.code for c in companies] == ["DEMO", "NOADDON"]
    assert companies[1].addon_active is False


def test_minimal_seed_gets_defaults() -> None:
    _settings, [company] = parse_seed(seed())
    assert company.code == "ACME"
    assert company.sip.domain == "127.0.0.1"
    assert company.agents["a"].active is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("companies = [", "not valid TOML"),
        ("", "at least one"),
        ("[other]\n", "unknown keys other"),
        (seed(agent=AGENT.replace('password = "p"\n', "")), r"agents\[0\]: missing 'password'"),
        (seed(agent=AGENT + "active = 1\n"), "'active' must be a bool"),
        (seed(agent=AGENT + "pin = 1\n"), "unknown keys pin"),
        (seed(agent=AGENT + 'totp_secret = "not base32!"\n'), "totp_secret is not a base32"),
        (seed(agent=AGENT.replace('"1001"', '"10 01"')), "extension '10 01'"),
        (seed(agent=AGENT.replace('"s"', '"a\\"b"')), "quotes"),
        (seed(company=COMPANY.replace('"acme"\n', '"Acme Inc"\n', 2)), "slug 'Acme Inc'"),
        (seed(company=COMPANY + 'sip = { transport = "sctp" }'), "transport must be one of"),
        (seed(company=COMPANY + 'sip = { auto_answer = "maybe" }'), "auto_answer"),
        (seed(company=COMPANY + "sip = { port = 0 }"), "port must be"),
        (seed(head="[settings]\nttl_s = 10\nreauth_after_s = 20"), "reauth_after_s must be"),
        (seed(head="[settings]\nttl_s = true"), "whole number"),
        (seed() + seed(), "share the code 'ACME'"),
    ],
)
def test_broken_seeds_are_explained(text: str, message: str) -> None:
    with pytest.raises(SeedError, match=message):
        parse_seed(text, "seed.toml")


def test_duplicate_agents_are_refused() -> None:
    with pytest.raises(SeedError, match="two agents are named 'a'"):
        parse_seed(seed() + "\n[[companies.agents]]\n" + AGENT)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="Cannot read the seed file"):
        load_seed(tmp_path / "missing.toml")


def test_load_agents_follow_from_their_index_alone() -> None:
    assert load_agent(1) == ("load0001", "load-pass-0001", "2001")
    username, password, extension = load_agent(2000)
    assert (username, password, extension) == ("load2000", "load-pass-2000", "4000")
    assert (load_agent(42).sip_password, load_agent(42).display_name) == (
        "sip-2042-load",
        "Load Agent 0042",
    )


def test_load_agents_join_the_demo_seed_as_company_load() -> None:
    _settings, demo = load_seed()
    companies = with_load_agents(demo, 200)
    assert [c.code for c in companies] == ["DEMO", "NOADDON", LOAD_COMPANY_CODE]
    load = companies[-1]
    assert (load.code, load.slug, load.addon_active) == ("LOAD", "load", True)
    assert load.host == demo[0].host
    assert load.sip == replace(demo[0].sip, auto_answer="header")
    assert list(load.agents) == [f"load{i:04d}" for i in range(1, 201)]
    last = load.agents["load0200"]
    assert (last.password, last.extension, last.sip_password) == (
        "load-pass-0200",
        "2200",
        "sip-2200-load",
    )
    assert last.display_name == "Load Agent 0200"
    assert all(a.active and not a.totp_secret for a in load.agents.values())
    # the demo's own agents are untouched
    _settings, again = load_seed()
    assert companies[:2] == again


def test_load_agents_sign_in_and_register_with_the_generated_credentials() -> None:
    state = EmulatorState.from_seed(load_agents=LOAD_AGENTS_MAX)
    assert len(state.sip_users()) == 4 + LOAD_AGENTS_MAX
    username, password, extension = load_agent(LOAD_AGENTS_MAX)
    grant = state.login(
        username=username, password=password, company_code="load", code="", ip="127.0.0.9", now=1.0
    )
    assert isinstance(grant, Grant)
    assert state.sip_users()[extension] == load_agent(LOAD_AGENTS_MAX).sip_password
    refused = state.login(
        username=username, password="wrong", company_code="LOAD", code="", ip="127.0.0.9", now=2.0
    )
    assert isinstance(refused, Refusal) and refused.error == "invalid_credentials"
    assert EmulatorState.from_seed().company_by_slug("load") is None


@pytest.mark.parametrize("count", [0, -1, LOAD_AGENTS_MAX + 1])
def test_load_agent_counts_outside_1_to_2000_are_refused(count: int) -> None:
    _settings, demo = load_seed()
    with pytest.raises(SeedError, match="between 1 and 2000"):
        with_load_agents(demo, count)
    with pytest.raises(SeedError, match="between 1 and 2000"):
        load_agent(count)


def test_load_agents_refuse_a_seed_that_has_their_company_or_extensions() -> None:
    _settings, [taken] = parse_seed(seed(agent=AGENT.replace('"1001"', '"2005"')))
    with pytest.raises(SeedError, match="extension 2005 is also a load agent's"):
        with_load_agents([taken], 5)
    assert len(with_load_agents([taken], 4)[-1].agents) == 4
    _settings, [load] = parse_seed(seed(company='code = "load"\nslug = "x"\n'))
    with pytest.raises(SeedError, match="already has a company LOAD"):
        with_load_agents([load], 1)
