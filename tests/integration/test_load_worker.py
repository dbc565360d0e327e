"""A load worker child (softphone.load.worker) driven over JSON lines by its parent's
WorkerProcess (softphone.load.client), against the real emulator over TLS and its kamailio:
agents sign in, hold their SIP account and register, a pushed call is answered by its header, bad
commands get a sentence and the worker goes on, an 8th agent is refused, and the child ends on
quit, on the end of its stdin and with its parent."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.demo.environment import DemoEnvironment
from softphone.emulator.seed import LOAD_COMPANY_CODE, load_agent
from softphone.load.client import WorkerProcess
from softphone.load.host import MAX_AGENTS
from tests.support.proc_watch import alive_in
from tests.support.process import wait_until

pytestmark = pytest.mark.integration
WAIT = 30.0
Message = dict[str, Any]


class Parent:
    """The test as a load tool's parent: a worker child, every line it wrote kept in order."""

    def __init__(self, env: DemoEnvironment, log: Path) -> None:
        self.lines: list[Message] = []
        self._changed = threading.Condition()
        self._log = log.open("wb")
        self.worker = WorkerProcess(
            env.control_plane, ca_file=str(env.ca_file), on_event=self._heard, stderr=self._log
        )

    def _heard(self, message: Message) -> None:
        with self._changed:
            self.lines.append(message)
            self._changed.notify_all()

    def ask(self, op: str, **fields: Any) -> Message:
        reply = self.worker.request(op, **fields).result(WAIT)
        self._heard(reply)
        return reply

    def wait_for(self, what: str, match: Callable[[Message], bool]) -> Message:
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((m for m in self.lines if match(m)), None), WAIT
            )
        assert found is not None, f"no {what} in {self.lines}"
        return found

    def add(self, index: int) -> str:
        login = load_agent(index)
        reply = self.ask(
            "add",
            company=LOAD_COMPANY_CODE,
            username=login.username,
            password=login.password,
            address=f"127.0.1.{index}",
        )
        assert reply["ok"], reply
        agent: str = reply["agent"]
        return agent

    def event(self, kind: str, agent: str) -> Message:
        return self.wait_for(
            f"{kind} of {agent}", lambda m: m.get("event") == kind and m["agent"] == agent
        )

    def registered(self, agent: str) -> Message:
        return self.event("registered", agent)

    def close(self) -> None:
        self.worker.close(WAIT)
        self._log.close()


@pytest.fixture
def parent(load_env: DemoEnvironment, tmp_path: Path) -> Iterator[Parent]:
    made = Parent(load_env, tmp_path / "worker.log")
    try:
        yield made
    finally:
        made.close()


def test_three_agents_sign_in_and_register_and_quit_ends_the_worker(parent: Parent) -> None:
    also: list[Message] = []  # a second listener, as another Locust user of the worker
    parent.worker.subscribe(also.append)
    agents = [parent.add(i) for i in (1, 2, 3)]
    for agent in agents:
        assert parent.ask("sign_in", agent=agent)["ok"]
    for index, agent in enumerate(agents, start=1):
        event = parent.registered(agent)
        assert event["code"] == 200 and event["at"] > 0 and event["mono"] > 0
        # the end of its sign-in (it holds its SIP account), the start of its REGISTER
        provisioned = parent.event("provisioned", agent)
        assert parent.lines.index(provisioned) < parent.lines.index(event)
        assert 0 < provisioned["mono"] <= event["mono"]
        lease = parent.event("lease", agent)
        assert lease["ip"] == f"127.0.1.{index}" and lease["expires_at"]
    heard = {m["agent"] for m in also if m.get("event") == "registered"}
    assert heard == set(agents)
    quit_reply = parent.ask("quit")
    assert quit_reply["ok"] and "error" not in quit_reply
    assert parent.worker.process.wait(WAIT) == 0


def test_a_pushed_call_is_answered_by_its_header_and_hung_up(
    load_env: DemoEnvironment, parent: Parent
) -> None:
    agent = parent.add(1)
    assert parent.ask("sign_in", agent=agent)["ok"]
    parent.registered(agent)
    # answer-after=0, as VICIdial
    load_env.ring_agent(load_env.agent_uri("", load_agent(1).extension))
    # the client's own wait (what several Locust users sharing one worker use)
    up = parent.worker.wait_for(lambda m: m.get("state") == "confirmed", WAIT)
    assert up["event"] == "call" and up["agent"] == agent
    assert up["direction"] == "inbound" and up["answered_by"] == "header" and up["connected"]
    assert isinstance(up["setup_ms"], float) and 0 <= up["setup_ms"] < WAIT * 1000
    assert parent.ask("hangup", call_id=up["call_id"])["ok"]
    ended = parent.worker.wait_for(
        lambda m: m.get("call_id") == up["call_id"] and m.get("state") == "disconnected", WAIT
    )
    assert ended["connected"]


def test_a_fifth_call_is_refused_as_full_while_the_worker_holds_four(parent: Parent) -> None:
    agents = [parent.add(i) for i in (1, 2, 3, 4)]
    for agent in agents:
        assert parent.ask("sign_in", agent=agent)["ok"]
        parent.registered(agent)
    # two agents ring two others (a plain call: it rings, unanswered): four calls in the worker
    for caller, callee in ((1, 2), (3, 4)):
        placed = parent.ask("call", agent=agents[caller - 1], target=load_agent(callee).extension)
        assert placed["ok"], placed
        parent.wait_for(
            f"the call ringing agent {callee}",
            lambda m, a=agents[callee - 1]: (
                m.get("event") == "call" and m["agent"] == a and m["direction"] == "inbound"
            ),
        )
    refused = parent.ask("call", agent=agents[0], target="600")
    assert refused == {
        "id": refused["id"],
        "ok": False,
        "full": True,
        "error": "You already have the most calls this phone can hold; end one first.",
    }


def test_bad_commands_get_a_sentence_and_an_eighth_agent_is_refused(parent: Parent) -> None:
    stdin = parent.worker.process.stdin
    assert stdin is not None
    stdin.write(b"{not json\n")
    stdin.flush()
    malformed = parent.wait_for("the answer to a malformed line", lambda m: "id" in m)
    assert malformed == {"id": None, "ok": False, "error": "That line is not a JSON object."}
    unknown = parent.ask("sign_in", agent="agent-nobody")
    assert not unknown["ok"] and "no agent 'agent-nobody'" in unknown["error"]
    assert not parent.ask("dance")["ok"]
    assert not parent.ask("add", company=LOAD_COMPANY_CODE, username="x", password="p")["ok"]
    for index in range(1, MAX_AGENTS + 1):  # the worker went on: it takes all it can hold
        parent.add(index)
    eighth = load_agent(MAX_AGENTS + 1)
    refused = parent.ask(
        "add",
        company=LOAD_COMPANY_CODE,
        username=eighth.username,
        password=eighth.password,
        address="127.0.1.8",
    )
    assert not refused["ok"]
    assert refused["error"].startswith(f"A load worker process holds at most {MAX_AGENTS} agents")
    said = json.dumps(parent.lines)
    assert "Traceback" not in said
    assert not any(load_agent(i).password in said for i in range(1, MAX_AGENTS + 2))


def test_the_end_of_its_stdin_ends_the_worker(parent: Parent) -> None:
    agent = parent.add(2)
    assert parent.ask("sign_in", agent=agent)["ok"]
    parent.registered(agent)
    stdin = parent.worker.process.stdin
    assert stdin is not None
    stdin.close()  # what the parent's death does to the pipe
    assert parent.worker.process.wait(WAIT) == 0


_PARENT = """
import sys
from softphone.load.client import WorkerProcess
worker = WorkerProcess(sys.argv[1], ca_file=sys.argv[2])
print(worker.pid, flush=True)
sys.stdin.read()
"""


def test_the_worker_dies_with_its_parent(load_env: DemoEnvironment) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _PARENT, load_env.control_plane, str(load_env.ca_file)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
    ) as parent:  # fmt: skip
        try:
            assert parent.stdout is not None
            child = int(parent.stdout.readline())
            assert alive_in([child])
        finally:
            parent.kill()  # no quit, no stdin closed by it: gone at once
            parent.wait(WAIT)
    wait_until(lambda: not alive_in([child]), WAIT, "the worker child gone with its parent")
