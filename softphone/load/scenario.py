"""Mobile-flow scenarios: small TOML files of steps, each with the outcome it expects.

A scenario names a few agents and what happens to them, one step at a time: an action (sign
in, a pushed call, the agent's computer moving to another network, the administrator revoking
it, the registrar restarting…) and what each agent must then show within a time (registered
again, the call ended, signed out for a given reason…). :mod:`softphone.load.scenario_run` plays
them against the bundled emulator and says pass or fail per agent and per step.
docs/scenarios.md is the format's reference; the built-in ones are in ``scenarios/`` beside this
module.

A scenario file is input from outside: it is read with a size cap, every key is checked
(unknown ones are refused, so a typo cannot silently turn an expectation off), every number is
bounded, and every mistake is a :class:`ScenarioError` that names the file and the step.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from softphone.core.errors import VicifastError
from softphone.core.session_events import SessionReason, SessionState
from softphone.load.host import MAX_AGENTS

MAX_FILE_BYTES = 64 * 1024
MAX_STEPS = 50
MAX_CALLERS = 4  # agents a scenario: the emulator's tone line, pushing the calls, holds 4
MAX_WAIT_S = 600.0
DEFAULT_WITHIN_S = 15.0

# what an agent does, or has done to it; each acts on every agent of the scenario
AGENT_ACTIONS = (
    "sign_in",  # with its own credentials, from its current address
    "sign_out",
    "push_call",  # the server rings it with answer-after=0, as VICIdial does
    "hangup",  # the agent hangs up its calls
    "move",  # its computer gets another address (another network): the app follows
    "expire_lease",  # the firewall closes its allow-rule early
    "revoke",  # the administrator disables the agent
    "restore",
    "network_loss",  # the servers hear nothing from its address for `seconds`
)
# what happens to the servers, once for everyone
WORLD_ACTIONS = (
    "wait",  # nothing: watch for `seconds`
    "settings",  # lease length and re-auth interval for leases granted from now on
    "addon",  # the company's VICIfast add-on lapses (`active = false`) or comes back
    "outage",  # the control plane answers the next `requests` requests with 503
    "restart_registrar",  # kamailio restarts and forgets every registration
)
ACTIONS = AGENT_ACTIONS + WORLD_ACTIONS
CALL_OUTCOMES = ("answered", "ended", "up")
LEASE_OUTCOMES = ("renewed", "closed", "moved")
_ACTION_FIELDS: dict[str, frozenset[str]] = {
    "network_loss": frozenset({"seconds"}),
    "wait": frozenset({"seconds"}),
    "settings": frozenset({"ttl_s", "reauth_after_s"}),
    "addon": frozenset({"active"}),
    "outage": frozenset({"requests"}),
}
_EXPECT_FIELDS = frozenset(
    {"within_s", "registered", "kept_registration", "call", "session", "signed_out", "lease"}
)
_STATES = {state.value for state in SessionState}
_REASONS = {reason.value for reason in SessionReason if reason.value}


class ScenarioError(VicifastError):
    """A scenario file that cannot be played; ``str()`` says where and why, for the tester."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """What every agent must show after a step, within ``within_s`` seconds of its action's
    end; None (or False) where the step expects nothing of that kind."""

    within_s: float = DEFAULT_WITHIN_S
    registered: bool = False  # a REGISTER accepted after the action
    kept_registration: bool = False  # no registration lost from the action's start on
    call: str | None = None  # CALL_OUTCOMES: its pushed call answered, ended, or still up
    session: tuple[str, ...] = ()  # session states passed through, in this order
    signed_out: str | None = None  # signed out, for this SessionReason value
    lease: str | None = None  # LEASE_OUTCOMES

    def describe(self) -> str:
        """The expectation in words, for the report."""
        parts = []
        if self.registered:
            parts.append("registered")
        if self.kept_registration:
            parts.append("kept its registration")
        if self.call:
            parts.append(f"call {self.call}")
        if self.session:
            parts.append("session " + " → ".join(self.session))
        if self.signed_out:
            parts.append(f"signed out ({self.signed_out})")
        if self.lease:
            parts.append(f"lease {self.lease}")
        return (", ".join(parts) or "nothing") + f" within {self.within_s:g} s"


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)
    expect: Expectation = field(default_factory=Expectation)

    @property
    def seconds(self) -> float:
        return float(self.params.get("seconds", 0))


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    summary: str
    agents: int
    steps: tuple[Step, ...]
    settings: Mapping[str, int] = field(default_factory=dict)  # for the whole scenario


def builtin_names() -> list[str]:
    """The names of the scenarios shipped with the app, sorted."""
    folder = resources.files("softphone.load") / "scenarios"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name, else the TOML file at that path."""
    if name_or_path in builtin_names():
        resource = resources.files("softphone.load") / "scenarios" / f"{name_or_path}.toml"
        return parse_scenario(resource.read_bytes(), f"built-in scenario {name_or_path}")
    path = Path(name_or_path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        known = ", ".join(builtin_names())
        raise ScenarioError(
            f"{name_or_path}: neither a built-in scenario ({known}) nor a file that can be "
            f"read ({err.strerror or err})."
        ) from None
    return parse_scenario(data, str(path))


def parse_scenario(data: bytes, where: str) -> Scenario:
    """The scenario in ``data`` (TOML); ``where`` names it in errors."""
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"{where}: a scenario file may hold {MAX_FILE_BYTES // 1024} KiB.")
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{where}: not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{where}: not valid TOML ({err}).") from None
    _only(document, {"name", "summary", "agents", "settings", "steps"}, where)
    name = _text(document, "name", where)
    summary = _text(document, "summary", where)
    agents = _integer(document, "agents", where, 1, MAX_CALLERS, default=1)
    settings = _settings(document.get("settings", {}), f"{where}, [settings]")
    raw_steps = document.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError(f"{where}: a scenario needs its steps, as [[steps]] tables.")
    if len(raw_steps) > MAX_STEPS:
        raise ScenarioError(f"{where}: a scenario may have {MAX_STEPS} steps.")
    steps = tuple(_step(raw, f"{where}, step {n}") for n, raw in enumerate(raw_steps, 1))
    moves = sum(step.action == "move" for step in steps)
    if agents * (1 + moves) > MAX_AGENTS:
        raise ScenarioError(
            f"{where}: {agents} agents moving {moves} times need {agents * (1 + moves)} local "
            f"addresses; the SIP library holds {MAX_AGENTS} in one process: fewer agents or moves."
        )
    return Scenario(name, summary, agents, steps, settings)


def _step(raw: object, where: str) -> Step:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a step is a table with `do` and `expect`.")
    action = raw.get("do")
    if action not in ACTIONS:
        raise ScenarioError(f"{where}: `do` must be one of {', '.join(ACTIONS)}.")
    allowed = _ACTION_FIELDS.get(action, frozenset())
    _only(raw, {"do", "expect", *allowed}, where)
    params: dict[str, Any] = {}
    if action in ("network_loss", "wait"):
        params["seconds"] = _number(raw, "seconds", where, 0.0, MAX_WAIT_S, default=None)
    elif action == "settings":
        params.update(_settings(raw, where, ignore={"do", "expect"}))
        if not params:
            raise ScenarioError(f"{where}: settings needs ttl_s or reauth_after_s.")
    elif action == "addon":
        active = raw.get("active")
        if not isinstance(active, bool):
            raise ScenarioError(f"{where}: addon needs `active`, true or false.")
        params["active"] = active
    elif action == "outage":
        params["requests"] = _integer(raw, "requests", where, 1, 1000, default=None)
    expect = raw.get("expect", {})
    if not isinstance(expect, dict):
        raise ScenarioError(f"{where}: `expect` is a table.")
    return Step(action, params, _expectation(expect, f"{where}, expect"))


def _expectation(raw: dict[str, Any], where: str) -> Expectation:
    _only(raw, _EXPECT_FIELDS, where)
    session = raw.get("session", [])
    session = [session] if isinstance(session, str) else session
    if not isinstance(session, list) or any(s not in _STATES for s in session):
        raise ScenarioError(
            f"{where}: `session` is a state or a list of states: {', '.join(sorted(_STATES))}."
        )
    return Expectation(
        within_s=_number(raw, "within_s", where, 0.1, MAX_WAIT_S, default=DEFAULT_WITHIN_S),
        registered=_flag(raw, "registered", where),
        kept_registration=_flag(raw, "kept_registration", where),
        call=_choice(raw, "call", CALL_OUTCOMES, where),
        session=tuple(session),
        signed_out=_choice(raw, "signed_out", tuple(sorted(_REASONS)), where),
        lease=_choice(raw, "lease", LEASE_OUTCOMES, where),
    )


def _settings(raw: object, where: str, ignore: set[str] | None = None) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: settings is a table (ttl_s, reauth_after_s).")
    _only(raw, {"ttl_s", "reauth_after_s", *(ignore or set())}, where)
    return {
        key: _integer(raw, key, where, 1, 86_400, default=None)
        for key in ("ttl_s", "reauth_after_s")
        if key in raw
    }


def _only(table: Mapping[str, object], allowed: set[str] | frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key {unknown[0]!r} (known here: {', '.join(sorted(allowed))})."
        )


def _text(table: Mapping[str, object], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        raise ScenarioError(f"{where}: `{key}` is a text of 1 to 500 characters.")
    if not value.isprintable():
        raise ScenarioError(f"{where}: `{key}` holds a control character.")
    return value.strip()


def _integer(
    table: Mapping[str, object], key: str, where: str, low: int, high: int, *, default: int | None
) -> int:
    value = table.get(key, default)
    if type(value) is not int or not low <= value <= high:
        raise ScenarioError(f"{where}: `{key}` is a whole number from {low} to {high}.")
    return value


def _number(
    table: Mapping[str, object],
    key: str,
    where: str,
    low: float,
    high: float,
    *,
    default: float | None,
) -> float:
    value = table.get(key, default)
    if type(value) not in (int, float) or not low <= float(value) <= high:  # type: ignore[arg-type]
        raise ScenarioError(f"{where}: `{key}` is a number of seconds from {low:g} to {high:g}.")
    return float(value)  # type: ignore[arg-type]


def _flag(table: Mapping[str, object], key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: `{key}` is true or false.")
    return value


def _choice(
    table: Mapping[str, object], key: str, choices: tuple[str, ...], where: str
) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if value not in choices:
        raise ScenarioError(f"{where}: `{key}` is one of {', '.join(choices)}.")
    return str(value)
