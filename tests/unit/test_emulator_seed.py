"""Seed files: the bundled demo loads; broken files get messages that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.emulator.errors import SeedError
from softphone.emulator.seed import load_seed, parse_seed

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
