"""Every built-in mobile-flow scenario passes its expectations against the real emulator (TLS
control plane, kamailio, the demo lines pushing the calls) with the app's own sign-in session and
SIP engine; and a scenario whose expectation is not met fails, naming the agent and what was
missing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.emulator.registrar import kamailio_path
from softphone.load.scenario import builtin_names, load_scenario, parse_scenario
from softphone.load.scenario_run import ScenarioWorld, outcome_lines, run_scenario

pytestmark = pytest.mark.timeout(180)

WRONG = b"""
name = "wrong"
summary = "Expects what does not happen: a plain sign-in that ends in a revocation."
agents = 1

[[steps]]
do = "sign_in"
expect = { registered = true }

[[steps]]
do = "push_call"
expect = { signed_out = "account_revoked", within_s = 2 }

[[steps]]
do = "sign_out"
expect = { signed_out = "user_sign_out", call = "ended" }
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioWorld]:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    agents = sum(load_scenario(name).agents for name in builtin_names()) + 1
    with ScenarioWorld(tmp_path_factory.mktemp("scenarios"), agents) as made:
        yield made


@pytest.mark.parametrize("name", builtin_names())
def test_the_built_in_scenario_passes_its_expectations(world: ScenarioWorld, name: str) -> None:
    outcome = run_scenario(world, load_scenario(name))
    assert outcome.passed, "\n".join(outcome_lines(outcome))
    assert len(outcome.steps) == len(load_scenario(name).steps)
    assert all(len(step.agents) == len(outcome.agents) for step in outcome.steps)


def test_an_unmet_expectation_fails_that_step_for_that_agent_and_the_rest_goes_on(
    world: ScenarioWorld,
) -> None:
    outcome = run_scenario(world, parse_scenario(WRONG, "wrong.toml"))
    assert not outcome.passed
    first, second, third = outcome.steps
    assert first.passed and third.passed  # the run went on and cleaned up after the miss
    (agent,) = second.agents
    assert not agent.passed
    assert agent.detail == "not seen: signed out (account_revoked)"
    assert agent.seconds >= 2  # it waited for the step's deadline before saying so
    assert "FAIL step 2 push_call" in "\n".join(outcome_lines(outcome))


def test_the_load_command_plays_a_scenario_and_writes_its_report(tmp_path: Path) -> None:
    command = ["load", "--scenario", "ip-change-mid-shift", "--report-dir"]
    done = subprocess.run(
        [sys.executable, "-m", "softphone.cli", *command, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scenario ip-change-mid-shift: passed (2 agents, 5 steps" in done.stdout
    assert "scenarios: 1 of 1 passed" in done.stdout
    page = (tmp_path / "scenarios.html").read_text()
    assert "ip-change-mid-shift: passed" in page and "FAIL" not in page
