"""The headless loop (softphone.headless.loop): work posted from other threads runs on the loop's
thread in order, engine events are published there, timers fire when due unless cancelled, and
the loop ends when its condition holds or its time is up."""

from __future__ import annotations

import threading

from softphone.core import events as ev
from softphone.headless.loop import HeadlessLoop


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_posts_from_another_thread_run_on_the_loop_thread_in_order() -> None:
    loop = HeadlessLoop()
    ran: list[tuple[int, threading.Thread]] = []

    def poster() -> None:
        for i in range(50):
            loop.post(lambda i=i: ran.append((i, threading.current_thread())))

    thread = threading.Thread(target=poster)
    thread.start()
    assert loop.run_until(lambda: len(ran) == 50, timeout_s=10)
    thread.join()
    assert [i for i, _ in ran] == list(range(50))
    assert {t for _, t in ran} == {threading.current_thread()}


def test_events_are_published_on_the_bus_from_the_loop_thread() -> None:
    loop = HeadlessLoop()
    seen: list[tuple[ev.Event, threading.Thread]] = []
    loop.bus.subscribe(ev.EngineFailure, lambda e: seen.append((e, threading.current_thread())))
    event = ev.EngineFailure(message="no audio device")
    threading.Thread(target=loop.emit, args=(event,)).start()
    assert loop.run_until(lambda: bool(seen), timeout_s=10)
    assert seen == [(event, threading.current_thread())]


def test_call_later_fires_when_due_and_cancel_drops_it() -> None:
    loop = HeadlessLoop()
    fired: list[str] = []
    loop.call_later(0.06, lambda: fired.append("late"))
    loop.call_later(0.03, lambda: fired.append("early"))
    loop.call_later(0.01, lambda: fired.append("cancelled")).cancel()
    assert loop.run_until(lambda: len(fired) == 2, timeout_s=10, poll_s=0.01)
    assert not loop.run_until(lambda: False, timeout_s=0.05, poll_s=0.01)
    assert fired == ["early", "late"]


def test_timers_due_together_run_in_the_order_they_were_due() -> None:
    clock = FakeClock()
    loop = HeadlessLoop(clock)
    fired: list[str] = []
    loop.call_later(2.0, lambda: fired.append("late"))
    loop.call_later(1.0, lambda: fired.append("early"))
    clock.now += 5.0
    assert loop.run_until(lambda: len(fired) == 2)
    assert fired == ["early", "late"]


def test_due_timers_stop_running_once_the_loop_is_done() -> None:
    clock = FakeClock()
    loop = HeadlessLoop(clock)
    fired: list[str] = []
    loop.call_later(1.0, lambda: fired.append("first"))
    loop.call_later(2.0, lambda: fired.append("second"))
    clock.now += 3.0
    assert loop.run_until(lambda: bool(fired))
    assert fired == ["first"]


def test_the_loop_ends_when_its_condition_holds_and_wake_ends_its_wait() -> None:
    loop = HeadlessLoop()
    stop = threading.Event()

    def stopper() -> None:
        stop.set()
        loop.wake()  # what stop_soon does from a signal handler

    threading.Timer(0.05, stopper).start()
    # poll_s is far longer than the test may take: only the wake-up ends the wait
    assert loop.run_until(stop.is_set, timeout_s=30, poll_s=30)


def test_a_timeout_ends_the_loop_with_false() -> None:
    assert HeadlessLoop().run_until(lambda: False, timeout_s=0.05, poll_s=0.01) is False


def test_drain_publishes_queued_events_and_drops_posted_work() -> None:
    loop = HeadlessLoop()
    seen: list[ev.Event] = []
    ran: list[str] = []
    loop.bus.subscribe(ev.Event, seen.append)
    event = ev.EngineStopped(clean=True)
    loop.post(lambda: ran.append("work"))
    loop.emit(event)
    loop.wake()
    loop.drain()
    assert seen == [event]
    assert ran == []
