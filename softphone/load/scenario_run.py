"""Plays mobile-flow scenarios (:mod:`softphone.load.scenario`) against the bundled emulator and
says pass or fail per agent and per step.

The world (:class:`ScenarioWorld`) is the emulator over TLS with kamailio, which grants short
registrations here (:data:`REGISTRATION_S`) so that an agent notices a lost registration within
seconds, as it would within minutes in the field; the demo tone line pushes the calls with
``answer-after=0``, as VICIdial does. Each scenario gets agents of its own (company LOAD, new
numbers), in an :class:`~softphone.load.host.AgentHost` of its own: the app's sign-in session and
SIP engine, each agent from its own loopback address. The administrator's actions go through
the emulator's real admin API; the registrar's restart and a network loss through kamailio.

A step runs its action, then waits for each agent's expectations, each with its deadline
(``within_s`` from the action's end); what was expected and what happened instead is written
down per agent. After the last step the scenario cleans up (signs its agents out, hangs up the
tone line, puts the emulator's settings, add-on and agents back), so the next one starts fresh.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from softphone.core import events as ev
from softphone.core.secret import Secret
from softphone.core.session_events import (
    FirewallLeaseChanged,
    SessionState,
    SessionStateChanged,
)
from softphone.demo.environment import DemoEnvironment, start_demo_environment
from softphone.emulator.seed import LOAD_COMPANY_CODE, load_agent
from softphone.load.host import AgentHost, AgentSpec, EmulatedAgent, address_of
from softphone.load.scenario import Expectation, Scenario, ScenarioError, Step

_log = logging.getLogger(__name__)
REGISTRATION_S = 4  # the longest registration kamailio grants in a scenario world
_ACTION_S = 20.0  # an agent's action (sign-in started, move started, hang-up) must be taken by then
_ADMIN_S = 10.0


@dataclass(frozen=True, slots=True)
class AgentOutcome:
    """One agent at one step: whether it showed what the step expects, and what it showed."""

    agent: str
    passed: bool
    detail: str  # what was seen (met after how long) or what was missing
    seconds: float  # from the action's end until the expectations were met (or the deadline)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    number: int
    action: str
    expected: str
    agents: tuple[AgentOutcome, ...]
    error: str = ""  # the action itself could not be taken

    @property
    def passed(self) -> bool:
        return not self.error and all(a.passed for a in self.agents)


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    name: str
    summary: str
    agents: tuple[str, ...]
    steps: tuple[StepOutcome, ...]
    seconds: float
    error: str = ""  # the scenario stopped early: why

    @property
    def passed(self) -> bool:
        return not self.error and all(s.passed for s in self.steps)


@dataclass(slots=True)
class _Watched:
    """An agent of the scenario and everything it showed, with the monotonic time of each."""

    agent: EmulatedAgent
    number: int
    address: str
    moves: int = 0
    events: list[tuple[float, ev.Event]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.agent.spec.username


class _Admin:
    """The emulator's admin API over its real TLS, with the run's admin token."""

    def __init__(self, env: DemoEnvironment) -> None:
        self._client = httpx.Client(
            base_url=env.control_plane,
            verify=ssl.create_default_context(cafile=str(env.ca_file)),
            headers={"Authorization": f"Bearer {env.server.admin_token}"},
            timeout=_ADMIN_S,
        )

    def get(self, path: str) -> dict[str, Any]:
        return self._answer(self._client.get(path))

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._answer(self._client.post(path, json=body))

    @staticmethod
    def _answer(response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise ScenarioError(
                f"The emulator's admin API refused {response.request.url.path} "
                f"({response.status_code})."
            )
        answer = response.json()
        if not isinstance(answer, dict):
            raise ScenarioError("The emulator's admin API answered something else than JSON.")
        return answer

    def close(self) -> None:
        self._client.close()


class ScenarioWorld:
    """The emulator (TLS control plane, kamailio, the demo lines) that scenarios run in, with
    ``agents`` generated agents (company LOAD) for them all. Close it when done."""

    def __init__(self, workdir: Path, agents: int) -> None:
        self.env = start_demo_environment(
            workdir, load_agents=agents, registration_max_s=REGISTRATION_S
        )
        try:
            registrar = self.env.server.registrar
            if registrar is None:
                raise ScenarioError("Scenarios need kamailio: install it (Debian: kamailio).")
            self.registrar = registrar
            self.admin = _Admin(self.env)
        except BaseException:
            self.env.close()
            raise
        self._next_number = 1
        self._agents = agents

    def numbers(self, count: int) -> list[int]:
        """``count`` agents no scenario has used yet."""
        if self._next_number + count - 1 > self._agents:
            raise ScenarioError("This world has no fresh agents left for another scenario.")
        first, self._next_number = self._next_number, self._next_number + count
        return list(range(first, first + count))

    def close(self) -> None:
        self.admin.close()
        self.env.close()

    def __enter__(self) -> ScenarioWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_scenario(world: ScenarioWorld, scenario: Scenario) -> ScenarioOutcome:
    """Play ``scenario`` with fresh agents; what each agent showed at each step."""
    return _Play(world, scenario).run()


class _Play:
    def __init__(self, world: ScenarioWorld, scenario: Scenario) -> None:
        self.world = world
        self.scenario = scenario
        self._changed = threading.Condition()
        self._watched: dict[str, _Watched] = {}
        self._settings_before: dict[str, int] = {}

    # ---- events (the host's core thread) -------------------------------------------------

    def _on_event(self, agent: EmulatedAgent, event: ev.Event) -> None:
        watched = self._watched.get(agent.account_id)
        if watched is None:
            return
        with self._changed:
            watched.events.append((time.monotonic(), event))
            self._changed.notify_all()

    # ---- the scenario --------------------------------------------------------------------

    def run(self) -> ScenarioOutcome:
        started = time.monotonic()
        numbers = self.world.numbers(self.scenario.agents)
        steps: list[StepOutcome] = []
        error = ""
        with AgentHost(
            self.world.env.control_plane,
            ca_file=str(self.world.env.ca_file),
            on_event=self._on_event,
        ) as host:
            self.host = host
            for number in numbers:
                login = load_agent(number)
                address = address_of(number)
                spec = AgentSpec(LOAD_COMPANY_CODE, login.username, Secret(login.password), address)
                agent = host.add_agent(spec)
                self._watched[agent.account_id] = _Watched(agent, number, address)
            try:
                self._settings_before = self._current_settings()
                if self.scenario.settings:
                    self.world.admin.post("/admin/settings", dict(self.scenario.settings))
                for number, step in enumerate(self.scenario.steps, 1):
                    steps.append(self._play(number, step))
            except (ScenarioError, httpx.HTTPError) as err:
                error = f"The scenario stopped: {err}"
            finally:
                self._clean_up()
        names = tuple(w.name for w in self._watched.values())
        return ScenarioOutcome(
            self.scenario.name,
            self.scenario.summary,
            names,
            tuple(steps),
            round(time.monotonic() - started, 1),
            error,
        )

    def _play(self, number: int, step: Step) -> StepOutcome:
        marks = {name: len(w.events) for name, w in self._watched.items()}
        before = {name: _last_lease(w.events) for name, w in self._watched.items()}
        error = ""
        try:
            self._act(step)
        except (ScenarioError, httpx.HTTPError, TimeoutError) as err:
            error = f"{step.action} could not be taken: {err or 'it took too long'}"
        except Exception as err:  # the agent's own error, already worded for people
            error = f"{step.action} could not be taken: {err}"
        acted = time.monotonic()
        deadline = acted + step.expect.within_s
        outcomes = tuple(
            self._check(
                w,
                step.expect,
                mark=marks[name],
                acted=acted,
                deadline=deadline,
                lease_before=before[name],
            )
            for name, w in self._watched.items()
        )
        return StepOutcome(number, step.action, step.expect.describe(), outcomes, error)

    # ---- actions -------------------------------------------------------------------------

    def _act(self, step: Step) -> None:
        admin, host = self.world.admin, self.host
        action = step.action
        agents = list(self._watched.values())
        if action == "sign_in":
            for w in agents:
                if not host.sign_in(w.agent).result(_ACTION_S):
                    raise ScenarioError(f"{w.name} is signing in or signed in already.")
        elif action == "sign_out":
            for w in agents:
                host.sign_out(w.agent).result(_ACTION_S)
        elif action == "push_call":
            for w in agents:
                self.world.env.ring_agent(f"sip:{load_agent(w.number).extension}@{self._sip()}")
        elif action == "hangup":
            for w in agents:
                for call_id in list(w.agent.active_calls):
                    host.hangup(call_id).result(_ACTION_S)
        elif action == "move":
            for w in agents:
                w.moves += 1
                w.address = _moved(address_of(w.number), w.moves)
                host.move(w.agent, w.address).result(_ACTION_S)
        elif action == "expire_lease":
            for w in agents:
                admin.post("/admin/leases/expire", {"ip": w.address})
        elif action in ("revoke", "restore"):
            for w in agents:
                body = {"company_code": LOAD_COMPANY_CODE, "username": w.name}
                admin.post(f"/admin/agents/{action}", body)
        elif action == "network_loss":
            seconds = max(1, round(step.seconds))
            for w in agents:
                self.world.registrar.lose(w.address, seconds)
            threading.Event().wait(seconds)  # the loss lasts that long: the step's own length
        elif action == "wait":
            threading.Event().wait(step.seconds)
        elif action == "settings":
            admin.post("/admin/settings", dict(step.params))
        elif action == "addon":
            admin.post("/admin/addon", {"company_code": LOAD_COMPANY_CODE, **step.params})
        elif action == "outage":
            admin.post("/admin/outage", {"requests": step.params["requests"]})
        elif action == "restart_registrar":
            self.world.registrar.restart()
        else:  # pragma: no cover - the parser admits only the actions above
            raise ScenarioError(f"unknown action {action}")

    def _sip(self) -> str:
        return self.world.env.registrar

    # ---- expectations --------------------------------------------------------------------

    def _check(
        self,
        w: _Watched,
        expect: Expectation,
        *,
        mark: int,
        acted: float,
        deadline: float,
        lease_before: FirewallLeaseChanged | None,
    ) -> AgentOutcome:
        checks = list(_checks(w, acted, expect, lease_before))

        def unmet() -> list[str]:
            seen = w.events[mark:]
            return [text for text, met in checks if not met(seen)]

        # a watch alone (the registration kept, the call still up) holds until the deadline
        # unless it breaks; anything else is awaited until it is all seen, or the deadline
        watch_only = (expect.kept_registration or expect.call == "up") and not _waits(expect)
        with self._changed:
            left = max(0.0, deadline - time.monotonic())
            if watch_only:
                self._changed.wait_for(lambda: bool(unmet()), left)
            else:
                self._changed.wait_for(lambda: not unmet(), left)
            missing = unmet()
        took = round(time.monotonic() - acted, 2)
        if missing:
            return AgentOutcome(w.name, False, "not seen: " + "; ".join(missing), took)
        return AgentOutcome(w.name, True, f"seen after {took:g} s", took)

    # ---- after the scenario --------------------------------------------------------------

    def _current_settings(self) -> dict[str, int]:
        settings = self.world.admin.get("/admin/state").get("settings", {})
        return {k: int(v) for k, v in settings.items() if k in ("ttl_s", "reauth_after_s")}

    def _clean_up(self) -> None:
        """Sign the agents out and put the world back as it was, whatever happened."""
        admin = self.world.admin
        for w in self._watched.values():
            if w.agent.state is not SessionState.SIGNED_OUT:
                with contextlib.suppress(Exception):
                    self.host.sign_out(w.agent).result(_ACTION_S)
                    w.agent.signed_out.wait(_ACTION_S)
        with contextlib.suppress(Exception):
            self.world.env.peer.send("hangup")
        for path, body in self._restore_bodies():
            try:
                admin.post(path, body)
            except (ScenarioError, httpx.HTTPError) as err:
                _log.warning("putting the emulator back after a scenario failed: %s", err)

    def _restore_bodies(self) -> Iterator[tuple[str, dict[str, Any]]]:
        if self._settings_before:
            yield "/admin/settings", dict(self._settings_before)
        yield "/admin/addon", {"company_code": LOAD_COMPANY_CODE, "active": True}
        yield "/admin/outage", {"requests": 0}
        for w in self._watched.values():
            yield "/admin/agents/restore", {"company_code": LOAD_COMPANY_CODE, "username": w.name}


def _waits(expect: Expectation) -> bool:
    """Whether a step waits for something to happen besides its watches (so a watch ends with
    it, not at the deadline)."""
    return bool(
        expect.registered
        or expect.session
        or expect.signed_out
        or expect.lease
        or expect.call in ("answered", "ended")
    )


Seen = list[tuple[float, ev.Event]]


def _checks(
    w: _Watched, acted: float, expect: Expectation, lease_before: FirewallLeaseChanged | None
) -> Iterator[tuple[str, Callable[[Seen], bool]]]:
    """Each expectation of ``expect`` for agent ``w``: its words and its test over what the
    agent showed since the step began."""
    if expect.registered:
        yield (
            "a REGISTER accepted after the action",
            lambda seen: any(
                at >= acted
                and isinstance(e, ev.RegistrationChanged)
                and e.state is ev.RegistrationState.REGISTERED
                for at, e in seen
            ),
        )
    if expect.kept_registration:
        yield (
            "the registration kept (it was lost)",
            lambda seen: (
                not any(
                    isinstance(e, ev.RegistrationChanged)
                    and e.state in (ev.RegistrationState.UNREGISTERED, ev.RegistrationState.FAILED)
                    for _, e in seen
                )
            ),
        )
    if expect.call == "answered":
        yield (
            "the pushed call answered",
            lambda seen: any(
                isinstance(e, ev.CallStateChanged)
                and e.state is ev.CallState.CONFIRMED
                and e.direction is ev.Direction.INBOUND
                for _, e in seen
            ),
        )
    elif expect.call == "ended":
        yield (
            "the call ended",
            lambda seen: (
                not w.agent.active_calls
                and any(
                    isinstance(e, ev.CallStateChanged) and e.state is ev.CallState.DISCONNECTED
                    for _, e in seen
                )
            ),
        )
    elif expect.call == "up":
        yield (
            "the call still up",
            lambda seen: (
                bool(w.agent.active_calls)
                and not any(
                    isinstance(e, ev.CallStateChanged) and e.state is ev.CallState.DISCONNECTED
                    for _, e in seen
                )
            ),
        )
    if expect.session:
        wanted = " → ".join(expect.session)
        yield (
            f"the session {wanted}",
            lambda seen: _in_order(
                [e.state.value for _, e in seen if isinstance(e, SessionStateChanged)],
                expect.session,
            ),
        )
    if expect.signed_out:
        reason = expect.signed_out
        yield (
            f"signed out ({reason})",
            lambda seen: any(
                isinstance(e, SessionStateChanged)
                and e.state is SessionState.SIGNED_OUT
                and not e.wiping
                and e.reason.value == reason
                for _, e in seen
            ),
        )
    if expect.lease:
        yield f"the firewall lease {expect.lease}", lambda seen: _lease_is(
            expect.lease or "", [e for _, e in seen if isinstance(e, FirewallLeaseChanged)],
            lease_before, w.address,
        )  # fmt: skip


def _in_order(seen: list[str], wanted: tuple[str, ...]) -> bool:
    states = iter(seen)
    return all(any(state == want for state in states) for want in wanted)


def _lease_is(
    outcome: str,
    leases: list[FirewallLeaseChanged],
    before: FirewallLeaseChanged | None,
    address: str,
) -> bool:
    if outcome == "closed":
        return any(not lease.ip for lease in leases)
    if outcome == "moved":
        return any(lease.ip == address for lease in leases)
    old = before.expires_at if before is not None else None
    return any(
        lease.ip and lease.expires_at is not None and (old is None or lease.expires_at > old)
        for lease in leases
    )


def _last_lease(events: Seen) -> FirewallLeaseChanged | None:
    leases = [e for _, e in events if isinstance(e, FirewallLeaseChanged)]
    return leases[-1] if leases else None


def _moved(address: str, moves: int) -> str:
    """The agent's address on its ``moves``-th other network: 127.0.x.y → 127.moves.x.y."""
    _, _, third, fourth = address.split(".")
    return f"127.{moves}.{third}.{fourth}"


# ---- the run's report ----------------------------------------------------------------------


def outcome_lines(outcome: ScenarioOutcome) -> list[str]:
    """The scenario's result in plain lines, as the load command prints it."""
    verdict = "passed" if outcome.passed else "FAILED"
    lines = [
        f"scenario {outcome.name}: {verdict} ({len(outcome.agents)} agents, "
        f"{len(outcome.steps)} steps, {outcome.seconds:g} s)"
    ]
    for step in outcome.steps:
        mark = "ok  " if step.passed else "FAIL"
        lines.append(f"  {mark} step {step.number} {step.action}: expected {step.expected}")
        if step.error:
            lines.append(f"         {step.error}")
        for agent in step.agents:
            if not agent.passed or not step.passed:
                result = "ok" if agent.passed else "FAIL"
                lines.append(f"         {agent.agent}: {result}, {agent.detail}")
    if outcome.error:
        lines.append(f"  {outcome.error}")
    return lines


def write_report(outcomes: list[ScenarioOutcome], report_dir: Path) -> Path:
    """``scenarios.json`` and ``scenarios.html`` in ``report_dir``; the HTML's path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    data = [{**asdict(o), "passed": o.passed} for o in outcomes]
    (report_dir / "scenarios.json").write_text(json.dumps(data, indent=2) + "\n")
    rows = []
    for outcome in outcomes:
        verdict = "passed" if outcome.passed else "FAILED"
        rows.append(
            f"<h2>{html.escape(outcome.name)}: {verdict}</h2>"
            f"<p>{html.escape(outcome.summary)} ({outcome.seconds:g} s)</p>"
            + (f"<p><b>{html.escape(outcome.error)}</b></p>" if outcome.error else "")
            + "<table><tr><th>step</th><th>action</th><th>expected</th>"
            + "".join(f"<th>{html.escape(name)}</th>" for name in outcome.agents)
            + "</tr>"
        )
        for step in outcome.steps:
            cells = "".join(
                f'<td class="{"ok" if a.passed else "bad"}">'
                f"{'pass' if a.passed else 'FAIL'}: {html.escape(a.detail)}</td>"
                for a in step.agents
            )
            error = f"<br><b>{html.escape(step.error)}</b>" if step.error else ""
            rows.append(
                f"<tr><td>{step.number}</td><td>{html.escape(step.action)}{error}</td>"
                f"<td>{html.escape(step.expected)}</td>{cells}</tr>"
            )
        rows.append("</table>")
    passed = sum(o.passed for o in outcomes)
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><title>VICIfast scenarios</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.3em .6em;text-align:left}"
        ".ok{background:#e6f4e6}.bad{background:#f8dddd}</style></head><body>"
        f"<h1>Scenarios: {passed} of {len(outcomes)} passed</h1>" + "".join(rows) + "</body></html>"
    )
    path = report_dir / "scenarios.html"
    path.write_text(page)
    return path


def run_scenarios(names: list[str], report_dir: Path) -> int:
    """``vicifast-phone load --scenario``: play each named scenario (``all``: every built-in
    one) in one world, print and write the outcome; 0 when every step of every agent passed."""
    from softphone.load.scenario import builtin_names, load_scenario

    wanted = builtin_names() if names == ["all"] else names
    try:
        scenarios = [load_scenario(name) for name in wanted]
    except ScenarioError as err:
        print(f"vicifast-phone: {err}")
        return 2
    outcomes: list[ScenarioOutcome] = []
    with ScenarioWorld(report_dir / "world", sum(s.agents for s in scenarios)) as world:
        print(f"emulator: {world.env.control_plane} (registrar {world.env.registrar})", flush=True)
        for scenario in scenarios:
            outcome = run_scenario(world, scenario)
            outcomes.append(outcome)
            print("\n".join(outcome_lines(outcome)), flush=True)
    page = write_report(outcomes, report_dir)
    passed = sum(o.passed for o in outcomes)
    print(f"report: {page}")
    print(f"scenarios: {passed} of {len(outcomes)} passed")
    return 0 if passed == len(outcomes) else 1
