"""The headless agent: the SIP engine and the core, driven by a plain loop (no Qt).

Testers and benchmarks run it; ``vicifast-phone agent --help`` documents it. The loop runs on the
main thread: engine events arrive through a queue and are published on the event bus there.
"""

from __future__ import annotations

import json
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.errors import VicifastError
from softphone.core.models import EngineConfig, SipAccountConfig
from softphone.sip.engine import SipEngine

if TYPE_CHECKING:
    from softphone.audio.ring import AudioRings


@dataclass(frozen=True, slots=True)
class AgentPlan:
    """What the agent does once registered (or at once when it does not register)."""

    call: str = ""
    dtmf: str = ""
    hold_after_s: float | None = None
    hangup_after_s: float | None = None
    duration_s: float | None = None  # exit after this long; None: run until interrupted
    calls: int = 0  # exit after this many calls ended; 0: no limit
    register_timeout_s: float = 15.0


@dataclass(slots=True)
class AgentOutcome:
    exit_code: int = 0
    message: str = ""
    ended_calls: list[ev.CallStateChanged] = field(default_factory=list)


class HeadlessAgent:
    """Registers one account and follows a plan; its loop runs on the calling thread."""

    def __init__(
        self,
        account: SipAccountConfig,
        plan: AgentPlan,
        *,
        engine_config: EngineConfig | None = None,
        audio: AudioRings | None = None,
        out: TextIO = sys.stdout,
        as_json: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._account_config = account
        self._plan = plan
        self._events: queue.SimpleQueue[ev.Event] = queue.SimpleQueue()
        self._engine = SipEngine(self._events.put, engine_config, audio)
        self._out = out
        self._json = as_json
        self._clock = clock
        self.bus = EventBus()
        self._account_id = ""
        self._deadlines: list[tuple[float, str, Callable[[], None]]] = []
        self._outcome = AgentOutcome()
        self._done = False
        self._placed = False
        self._registered = False
        self._started_at = 0.0
        self.bus.subscribe(ev.Event, self._print)
        self.bus.subscribe(ev.RegistrationChanged, self._on_registration)
        self.bus.subscribe(ev.CallStateChanged, self._on_call_state)

    # ---- output ----------------------------------------------------------------------------

    def _print(self, event: ev.Event) -> None:
        if self._json:
            self._out.write(json.dumps(event.to_dict(), separators=(",", ":")) + "\n")
        else:
            self._out.write(_human(event) + "\n")
        self._out.flush()

    # ---- plan ------------------------------------------------------------------------------

    def _after(self, delay_s: float, what: str, action: Callable[[], None]) -> None:
        self._deadlines.append((self._clock() + delay_s, what, action))

    def _fail(self, message: str, code: int = 1) -> None:
        if not self._done:
            self._outcome.exit_code, self._outcome.message, self._done = code, message, True

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if event.state is ev.RegistrationState.REGISTERED and not self._registered:
            self._registered = True
            self._begin()
        elif event.state is ev.RegistrationState.FAILED:
            self._fail(f"Registration failed: {event.reason or event.code}")

    def _begin(self) -> None:
        if self._plan.call and not self._placed:
            self._placed = True
            self._engine.make_call(self._account_id, self._plan.call)

    def _on_call_state(self, event: ev.CallStateChanged) -> None:
        plan = self._plan
        if event.state is ev.CallState.CONFIRMED:
            cid = event.call_id
            if plan.dtmf:
                self._engine.send_dtmf(cid, plan.dtmf)
            if plan.hold_after_s is not None:
                self._after(plan.hold_after_s, "hold", lambda: self._soft(self._engine.hold, cid))
            if plan.hangup_after_s is not None:
                delay = plan.hangup_after_s
                self._after(delay, "hangup", lambda: self._soft(self._engine.hangup, cid))
        elif event.state is ev.CallState.DISCONNECTED:
            self._outcome.ended_calls.append(event)
            if plan.call and event.direction is ev.Direction.OUTBOUND and not event.connected:
                self._fail(f"The call failed: {event.sip_code} {event.reason}".strip(), 2)
            elif plan.calls and len(self._outcome.ended_calls) >= plan.calls:
                self._done = True

    def _soft(self, command: Callable[[str], object], call_id: str) -> None:
        # The call may have ended meanwhile; the engine reports that as CommandFailed.
        command(call_id)

    # ---- loop ------------------------------------------------------------------------------

    def stop_soon(self) -> None:
        """Ask the loop to end (unregistering first). Safe from a signal handler."""
        self._done = True
        self._events.put(_Wake())  # ends the loop's blocking get() at once

    def run(self) -> AgentOutcome:
        self._started_at = self._clock()
        try:
            self._engine.start()
        except VicifastError as err:
            return AgentOutcome(3, str(err))
        try:
            self._account_id = self._engine.add_account(self._account_config).result(10)
            if not self._account_config.register:
                self._registered = True
                self._begin()
            else:
                self._after(self._plan.register_timeout_s, "register", self._register_deadline)
            if self._plan.duration_s is not None:
                self._after(self._plan.duration_s, "duration", self._finish)
            self._loop()
        except VicifastError as err:
            self._fail(str(err), 3)
        except KeyboardInterrupt:
            self._done = True
        finally:
            self._engine.stop()
            self._drain()
        return self._outcome

    def _register_deadline(self) -> None:
        if not self._registered:
            self._fail("Registration did not complete in time.")

    def _finish(self) -> None:
        self._done = True

    def _finished(self) -> bool:  # a method, so type checkers see that handlers change _done
        return self._done

    def _loop(self) -> None:
        while not self._finished():
            now = self._clock()
            for item in [d for d in self._deadlines if d[0] <= now]:
                self._deadlines.remove(item)
                item[2]()
            if self._finished():
                return
            wait = min((d[0] for d in self._deadlines), default=now + 1.0) - now
            try:
                event = self._events.get(timeout=max(0.0, min(wait, 1.0)))
            except queue.Empty:
                continue
            if not isinstance(event, _Wake):
                self.bus.publish(event)

    def _drain(self) -> None:
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            if not isinstance(event, _Wake):
                self.bus.publish(event)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Wake(ev.Event):
    """Not an engine event: only wakes the loop."""


def _human(event: ev.Event) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
    data = event.to_dict()
    name = data.pop("event")
    data.pop("at")
    details = " ".join(f"{k}={v}" for k, v in data.items() if v not in ("", None, 0, 0.0, False))
    return f"{stamp} {name} {details}"
