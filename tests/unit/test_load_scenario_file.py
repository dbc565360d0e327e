"""Scenario files are input from outside: every built-in one reads, and a malformed or hostile
file is refused with a sentence that names where it is wrong, before anything is played."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from softphone.load.scenario import (
    MAX_FILE_BYTES,
    ScenarioError,
    builtin_names,
    load_scenario,
    parse_scenario,
)
from softphone.load.scenario_run import AgentOutcome, ScenarioOutcome, StepOutcome, write_report

BUILT_IN = {
    "addon-lapse",
    "control-plane-outage",
    "ip-change-mid-call",
    "ip-change-mid-shift",
    "lease-closed-early",
    "lease-expiry",
    "network-loss",
    "registrar-restart",
    "revocation-mid-call",
}

GOOD = b"""
name = "short"
summary = "An agent signs in and out."
agents = 2

[[steps]]
do = "sign_in"
expect = { registered = true, within_s = 5 }

[[steps]]
do = "network_loss"
seconds = 3
expect = { session = ["refreshing", "registered"], kept_registration = true }
"""


def test_every_built_in_scenario_reads_and_is_named_after_its_file() -> None:
    assert set(builtin_names()) == BUILT_IN
    for name in BUILT_IN:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.steps and scenario.summary


def test_a_file_gives_its_steps_and_expectations(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_bytes(GOOD)
    scenario = load_scenario(str(path))
    assert (scenario.name, scenario.agents, len(scenario.steps)) == ("short", 2, 2)
    first, second = scenario.steps
    assert (first.action, first.expect.registered, first.expect.within_s) == ("sign_in", True, 5)
    assert second.seconds == 3
    assert second.expect.session == ("refreshing", "registered")
    assert second.expect.describe() == (
        "kept its registration, session refreshing → registered within 15 s"
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"name = ", "not valid TOML"),
        (b"\xff\xfe", "not UTF-8"),
        (GOOD.replace(b"agents = 2", b"agents = 5"), "`agents` is a whole number from 1 to 4"),
        (GOOD.replace(b'do = "sign_in"', b'do = "format_disk"'), "step 1: `do` must be one of"),
        (GOOD.replace(b"registered = true,", b"registred = true,"), "unknown key 'registred'"),
        (GOOD.replace(b"within_s = 5", b"within_s = 1e9"), "`within_s` is a number of seconds"),
        (GOOD.replace(b"seconds = 3", b"seconds = -1"), "step 2: `seconds`"),
        (GOOD.replace(b'"refreshing"', b'"dancing"'), "`session` is a state or a list"),
        (GOOD.replace(b"registered = true,", b'registered = "yes",'), "true or false"),
        (GOOD.replace(b'name = "short"', b'name = "a\\u0007b"'), "control character"),
        (GOOD.replace(b'name = "short"', b"name = 7"), "`name` is a text"),
        (b'name = "x"\nsummary = "y"\n', "needs its steps"),
        (GOOD + b'[[steps]]\ndo = "move"\n' * 3, "need 8 local addresses"),
        (GOOD + b'\nsurprise = 1\n[[steps]]\ndo = "wait"\nseconds = 1\n', "unknown key"),
    ],
)
def test_a_malformed_file_is_refused_with_where_and_why(text: bytes, says: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "mine.toml")
    message = str(raised.value)
    assert message.startswith("mine.toml") and says in message, message


def test_agents_may_move_as_often_as_the_sip_library_has_addresses_for() -> None:
    twice = parse_scenario(GOOD + b'[[steps]]\ndo = "move"\n' * 2, "twice.toml")
    assert [step.action for step in twice.steps][-2:] == ["move", "move"]  # 2 × 3 addresses


def test_a_huge_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(GOOD + b"#" * (MAX_FILE_BYTES * 4))
    with pytest.raises(ScenarioError, match="64 KiB"):
        load_scenario(str(path))


def test_a_name_that_is_neither_built_in_nor_a_file_lists_the_built_in_ones() -> None:
    with pytest.raises(ScenarioError) as raised:
        load_scenario("lease-expiri")
    assert "neither a built-in scenario" in str(raised.value)
    assert "lease-expiry" in str(raised.value)


def test_the_report_escapes_what_the_file_said(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>"
    outcome = ScenarioOutcome(
        name=hostile,
        summary=hostile,
        agents=("load0001",),
        steps=(
            StepOutcome(1, "sign_in", "registered", (AgentOutcome("load0001", True, "ok", 0.1),)),
            StepOutcome(
                2, "wait", "lease renewed", (AgentOutcome("load0001", False, "not seen", 1),)
            ),
        ),
        seconds=1.0,
    )
    page = write_report([outcome], tmp_path).read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Scenarios: 0 of 1 passed" in page
    (saved,) = json.loads((tmp_path / "scenarios.json").read_text())
    assert saved["passed"] is False
    assert [s["agents"][0]["passed"] for s in saved["steps"]] == [True, False]
