"""Sleep and wake without a bus: the clock's wake detector (an injected clock), each wake said
once whichever source saw it, and what a sleep does to the calls that are up."""

from __future__ import annotations

from concurrent.futures import Future

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.desktop.sleep import ComputerSleepChanged, SleepWake, WakeDetector
from softphone.signin.wake import SleepWakeWatch
from softphone.storage.history.calls import ENDED_BY_SLEEP


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_tick_on_time_is_no_wake() -> None:
    clock = Clock()
    detector = WakeDetector(interval_s=10, jump_s=30, clock=clock)
    for _ in range(5):
        clock.now += 10
        assert not detector.tick()
    clock.now += 39  # late, as a busy computer is: not asleep
    assert not detector.tick()


def test_a_clock_far_beyond_the_tick_is_a_wake_once() -> None:
    clock = Clock()
    detector = WakeDetector(interval_s=10, jump_s=30, clock=clock)
    clock.now += 3600
    assert detector.tick()
    clock.now += 10
    assert not detector.tick()


def test_a_clock_set_back_is_no_wake() -> None:
    clock = Clock()
    detector = WakeDetector(interval_s=10, jump_s=30, clock=clock)
    clock.now -= 3600
    assert not detector.tick()


def watching(clock: Clock) -> tuple[SleepWake, list[str], list[ev.Event]]:
    said: list[str] = []
    events: list[ev.Event] = []
    sleep_wake = SleepWake(
        on_sleep=lambda: said.append("sleep"),
        on_wake=lambda: said.append("wake"),
        emit=events.append,
        detector=WakeDetector(interval_s=10, jump_s=30, clock=clock),
        clock=clock,
    )
    return sleep_wake, said, events


def test_logind_and_the_clock_say_one_wake() -> None:
    clock = Clock()
    sleep_wake, said, events = watching(clock)
    sleep_wake.changed(True, "logind")
    clock.now += 3600
    sleep_wake.changed(False, "logind")
    sleep_wake.tick()  # the clock jumped too: the same wake
    assert said == ["sleep", "wake"]
    assert [(e.sleeping, e.source) for e in events if isinstance(e, ComputerSleepChanged)] == [
        (True, "logind"),
        (False, "logind"),
    ]


def test_the_clock_alone_sees_a_wake() -> None:
    clock = Clock()
    sleep_wake, said, _ = watching(clock)
    clock.now += 3600
    sleep_wake.tick()
    assert said == ["wake"]


def test_a_sleep_hangs_up_the_calls_up_and_marks_them() -> None:
    bus = EventBus()
    hung_up: list[str] = []
    marked: list[tuple[str, str]] = []

    def hangup(call_id: str) -> Future[None]:
        hung_up.append(call_id)
        done: Future[None] = Future()
        done.set_result(None)
        return done

    watch = SleepWakeWatch(
        post=lambda action: action(),
        subscribe=bus.subscribe,
        emit=bus.publish,
        hangup=hangup,
        on_wake=lambda: None,
        mark_ending=lambda call_id, why: marked.append((call_id, why)),
        bus_address="unix:path=/nonexistent/bus",
    )
    assert not watch.start()  # no logind there: the clock only
    for call_id, state in (("c1", ev.CallState.CONFIRMED), ("c2", ev.CallState.DISCONNECTED)):
        bus.publish(
            ev.CallStateChanged(
                call_id=call_id, account_id="a", state=state, direction=ev.Direction.INBOUND,
                remote_uri="sip:1@x", remote_number="1", remote_display="",
            )
        )  # fmt: skip
    watch.sleep_wake.changed(True, "logind")
    assert hung_up == ["c1"]
    assert marked == [("c1", ENDED_BY_SLEEP)]
    watch.stop()
