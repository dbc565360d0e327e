"""Sleep and wake, told by a fake logind on a private D-Bus bus: the watch holds the sleep until
the calls are hung up; a signed-in agent (the emulator, its kamailio registrar, the real engine)
registers again at once on wake; a call up at sleep ends, and its history row says why."""

from __future__ import annotations

import io
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineConfig
from softphone.core.secret import Secret
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.desktop.sleep import ComputerSleepChanged, LogindSleepWatch
from softphone.emulator.registrar import Registrar, kamailio_path
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState
from softphone.headless.agent import AgentPlan, HeadlessAgent
from softphone.headless.loop import HeadlessLoop
from softphone.signin.config import SignInConfig
from softphone.signin.service import SignInPlan
from softphone.signin.wake import SleepWakeWatch
from softphone.sip.engine import SipEngine
from softphone.storage.history import CallRecord, HistoryRecorder
from softphone.storage.history.calls import ENDED_BY_SLEEP
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.support import fake_logind
from tests.support.fake_logind import FakeLogind
from tests.support.process import wait_until
from tests.unit.history_kit import MemorySecrets

pytestmark = pytest.mark.integration

WAIT = 20.0
AUTO = {"Call-Info": "<sip:127.0.0.1>;answer-after=0"}


@pytest.fixture
def logind(tmp_path: Path) -> Iterator[FakeLogind]:
    if not fake_logind.available():
        pytest.fail("dbus-daemon is not installed: run scripts/bootstrap.sh")
    with FakeLogind(tmp_path) as service:
        yield service


def test_the_watch_hears_logind_and_holds_the_sleep_until_ready(logind: FakeLogind) -> None:
    heard: queue.SimpleQueue[bool] = queue.SimpleQueue()
    watch = LogindSleepWatch(heard.put, lambda action: action(), bus_address=logind.address)
    assert watch.start()
    try:
        logind.wait_for_lock()
        logind.prepare_for_sleep(True)
        assert heard.get(timeout=WAIT) is True
        assert logind.locks_held() == 1  # the system waits for us
        watch.ready_for_sleep()
        wait_until(lambda: logind.locks_held() == 0, WAIT, "the lock to be let go")
        logind.prepare_for_sleep(False)
        assert heard.get(timeout=WAIT) is False
        logind.wait_for_lock()  # taken again, for the next sleep
    finally:
        watch.stop()


# ---- a signed-in agent registers again at once on wake --------------------------------------


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    state = EmulatorState.from_seed()
    server = EmulatorServer(
        state, port=0, ca_out=tmp_path / "ca.pem", registrar=Registrar(state.sip_users())
    )
    with server:
        yield server


def test_a_signed_in_agent_registers_within_two_seconds_of_waking(
    emulator: EmulatorServer, logind: FakeLogind
) -> None:
    recorder = EventRecorder()
    plan = SignInPlan(
        config=SignInConfig(
            control_plane=emulator.url, ca_file=str(emulator.ca_file), bind_address="127.0.0.2"
        ),
        store=MemorySecrets(),
        device_id="sleep-device",
        company="DEMO",
        username="agent1",
        password=Secret("demo-pass-1"),
    )
    agent = HeadlessAgent(
        None,
        AgentPlan(),
        engine_config=EngineConfig(bind_address="127.0.0.2"),
        out=io.StringIO(),
        signin=plan,
        sleep_bus=logind.address,
    )
    agent.bus.subscribe(ev.Event, recorder)
    thread = threading.Thread(target=agent.run, name="agent-loop")
    thread.start()
    try:
        recorder.wait(SessionStateChanged, WAIT, state=SessionState.REGISTERED)
        logind.wait_for_lock()
        logind.prepare_for_sleep(True)
        recorder.wait(ComputerSleepChanged, WAIT, sleeping=True)
        mark = recorder.mark()
        woke_at = time.time()
        logind.prepare_for_sleep(False)
        again = recorder.wait(
            ev.RegistrationChanged, 2.0, after=mark, state=ev.RegistrationState.REGISTERED
        )
        assert again.at >= woke_at
        assert recorder.of(ComputerSleepChanged, sleeping=False)
    finally:
        agent.stop_soon()
        thread.join(WAIT)
    assert not thread.is_alive()


# ---- a call up at sleep ends, and Recents says why ---------------------------------------------


class LoopThread:
    """A HeadlessLoop (the owner's thread, as the app's GUI thread) running on a thread."""

    def __init__(self) -> None:
        self.loop = HeadlessLoop()
        self._done = False
        self._thread = threading.Thread(target=self._run, name="owner-loop")
        self._thread.start()

    def _run(self) -> None:
        self.loop.run_until(lambda: self._done, poll_s=0.1)

    def stop(self) -> None:
        self._done = True
        self.loop.wake()
        self._thread.join(WAIT)


def test_a_call_up_at_sleep_ends_and_its_history_says_why(logind: FakeLogind) -> None:
    owner = LoopThread()
    recorder = EventRecorder()
    rows: list[CallRecord] = []
    engine = SipEngine(owner.loop.emit, EngineConfig(bind_address="127.0.0.1"))
    owner.loop.bus.subscribe(ev.Event, recorder)
    history = HistoryRecorder(rows.append)
    history.attach(owner.loop.bus.subscribe)
    watch = SleepWakeWatch(
        post=owner.loop.post,
        subscribe=owner.loop.bus.subscribe,
        emit=owner.loop.bus.publish,
        hangup=engine.hangup,
        on_wake=lambda: None,
        mark_ending=history.ending,
        bus_address=logind.address,
    )
    engine.start()
    try:
        assert watch.start()
        peers = add_peers(
            engine,
            peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.HEADER)),
            peer_config("dialer"),
        )
        out = engine.make_call("dialer", peers.uri("agent"), AUTO).result(TIMEOUT)
        incoming = recorder.wait(ev.IncomingCall, WAIT, account_id="agent")
        for call_id in (out, incoming.call_id):
            recorder.wait(ev.CallStateChanged, WAIT, call_id=call_id, state=ev.CallState.CONFIRMED)
        logind.wait_for_lock()
        logind.prepare_for_sleep(True)
        for call_id in (out, incoming.call_id):
            recorder.wait(
                ev.CallStateChanged, WAIT, call_id=call_id, state=ev.CallState.DISCONNECTED
            )
        wait_until(lambda: logind.locks_held() == 0, WAIT, "the sleep lock to be let go")
        wait_until(lambda: len(rows) == 2, WAIT, "both calls in the history")
        agent_row = next(r for r in rows if r.direction is ev.Direction.INBOUND)
        assert agent_row.sip_reason == ENDED_BY_SLEEP
        assert agent_row.duration_s > 0
    finally:
        watch.stop()
        engine.stop()
        recorder.wait(ev.EngineStopped, 10)
        owner.stop()
