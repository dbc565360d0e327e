"""The headless agent: the SIP engine and the core, driven by a plain loop (no Qt).

Testers and benchmarks run it; ``vicifast-phone agent --help`` documents it. Its
:class:`~softphone.headless.loop.HeadlessLoop` runs on the calling thread (the main thread under
the CLI): engine events are published on the event bus there, and :meth:`HeadlessAgent.post` puts
work onto the same thread. With a :class:`~softphone.signin.service.SignInPlan` the agent
signs in (control plane → employer's server → REGISTER) and the sign-in session runs on that
loop.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from softphone.core import events as ev
from softphone.core.errors import VicifastError
from softphone.core.models import EngineConfig, SipAccountConfig
from softphone.core.values import field, value_class
from softphone.headless.loop import HeadlessLoop, Timer
from softphone.sip.engine import SipEngine

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurrent.futures import Future
    from typing import Any, Protocol, TextIO

    from softphone.audio.ring import AudioRings
    from softphone.core.session_events import SessionReason, SessionStateChanged
    from softphone.signin.service import SignInPlan, SignInService
    from softphone.signin.wake import SleepWakeWatch

_NO_SAVED_SESSION = (
    "There is no saved sign-in on this computer. Sign in with --company and --username."
)


@value_class
class AgentPlan:
    """What the agent does once registered (or at once when it does not register)."""

    call: str = ""
    dtmf: str = ""
    hold_after_s: float | None = None
    hangup_after_s: float | None = None
    duration_s: float | None = None  # exit after this long; None: run until interrupted
    calls: int = 0  # exit after this many calls ended; 0: no limit
    register_timeout_s: float = 15.0


@value_class(frozen=False)
class AgentOutcome:
    exit_code: int = 0
    message: str = ""
    ended_calls: list[ev.CallStateChanged] = field(default_factory=list)


if TYPE_CHECKING:  # the type checker's alone: nothing at run time needs it

    class _Engine(Protocol):
        """What the agent uses of ``SipEngine`` (or of ``signin.RebindingEngine``)."""

        def start(self) -> None: ...
        def stop(self) -> None: ...
        def add_account(
            self, config: SipAccountConfig, account_id: str | None = None
        ) -> Future[str]: ...
        def make_call(self, account_id: str, target: str) -> Future[str]: ...
        def send_dtmf(self, call_id: str, digits: str) -> Future[None]: ...
        def hold(self, call_id: str) -> Future[None]: ...
        def hangup(self, call_id: str) -> Future[None]: ...
        def reregister(self, account_id: str) -> Future[None]: ...


class HeadlessAgent:
    """Registers one account (given, or signed in for) and follows a plan. Its loop, the bus
    and the sign-in session run on the thread that calls :meth:`run`."""

    def __init__(
        self,
        account: SipAccountConfig | None,
        plan: AgentPlan,
        *,
        engine_config: EngineConfig | None = None,
        audio: AudioRings | None = None,
        out: TextIO = sys.stdout,
        as_json: bool = False,
        clock: Callable[[], float] = time.monotonic,
        signin: SignInPlan | None = None,
        sleep_bus: str | None = "SYSTEM",
    ) -> None:
        """``sleep_bus``: the bus logind tells sleep on (None: sleep and wake are not
        watched)."""
        if (account is None) == (signin is None):
            raise ValueError("give either an account or a sign-in plan")
        self._account_config = account
        self._plan = plan
        self._signin_plan = signin
        self._loop = HeadlessLoop(clock)
        self._engine_config = engine_config or EngineConfig()
        self._audio = audio
        self._engine: _Engine
        if signin is None:
            self._engine = SipEngine(self._loop.emit, self._engine_config, audio)
        else:
            from softphone.signin.service import RebindingEngine

            self._engine = RebindingEngine(self._loop.emit, self._engine_config, audio, SipEngine)
        self.service: SignInService | None = None
        self._out = out
        self._json = as_json
        self._clock = clock
        self.bus = self._loop.bus
        self._account_id = ""
        self._outcome = AgentOutcome()
        self._done = False
        self._placed = False
        self._registered = False
        self._started_at = 0.0
        self._register_timer: Timer | None = None
        self._sleep_bus = sleep_bus
        self.sleep_watch: SleepWakeWatch | None = None
        self.bus.subscribe(ev.Event, self._print)
        self.bus.subscribe(ev.RegistrationChanged, self._on_registration)
        self.bus.subscribe(ev.CallStateChanged, self._on_call_state)

    # ---- output ----------------------------------------------------------------------------

    def _print(self, event: ev.Event) -> None:
        if self._json:
            data = event.to_dict()
            lease = _lease_description(event)
            if lease is not None:
                data["description"] = lease
            self._out.write(json.dumps(data, separators=(",", ":")) + "\n")
        else:
            self._out.write(_human(event) + "\n")
        self._out.flush()

    # ---- the loop's thread: posting and timers ----------------------------------------------

    def post(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the loop's thread (thread-safe)."""
        self._loop.post(action)

    def _after(self, delay_s: float, what: str, action: Callable[[], None]) -> Timer:
        return self._loop.call_later(delay_s, action)

    # ---- plan ------------------------------------------------------------------------------

    def _fail(self, message: str, code: int = 1) -> None:
        if not self._done:
            self._outcome.exit_code, self._outcome.message, self._done = code, message, True

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if self._account_id and event.account_id != self._account_id:
            return
        if event.state is ev.RegistrationState.REGISTERED and not self._registered:
            self._registered = True
            self._begin()
            # once this event is handled (and printed): the watch is no part of registering
            self.post(self._watch_sleep)
        elif event.state is ev.RegistrationState.FAILED and self.service is None:
            # Signed in, a failed REGISTER is the session's to handle (re-auth, then retry).
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
            # Confirmed and then ended with a failure code (e.g. 488: no media in common): the
            # call failed as much as one that was never answered.
            failed = not event.connected or event.sip_code >= 300
            if plan.call and event.direction is ev.Direction.OUTBOUND and failed:
                self._fail(f"The call failed: {event.sip_code} {event.reason}".strip(), 2)
            elif plan.calls and len(self._outcome.ended_calls) >= plan.calls:
                self._done = True

    def _soft(self, command: Callable[[str], object], call_id: str) -> None:
        # The call may have ended meanwhile; the engine reports that as CommandFailed.
        command(call_id)

    # ---- sign-in ----------------------------------------------------------------------------

    def _start_signin(self, plan: SignInPlan) -> None:
        from softphone.core.session_events import SessionStateChanged
        from softphone.signin.service import RebindingEngine, SignInService

        assert isinstance(self._engine, RebindingEngine)
        service = SignInService(
            plan.config,
            engine=self._engine,
            store=plan.store,
            device_id=plan.device_id,
            emit=self.bus.publish,
            post=self._loop.post,
            scheduler=self._loop,
            wrap_transport=plan.wrap_transport,
            backoff=plan.backoff,
        )
        self.service = service
        self._account_id = "session"  # the engine account the session owns
        self._unsubscribe = self.bus.subscribe(ev.Event, service.on_engine_event)
        self.bus.subscribe(SessionStateChanged, self._on_session)
        self._watch_network(plan, service)
        if plan.password is None:
            service.session.resume()
        else:
            service.session.sign_in(plan.company, plan.username, plan.password)

    def _watch_network(self, plan: SignInPlan, service: SignInService) -> None:
        from softphone.signin.netwatch import NetWatch, local_address_towards
        from softphone.signin.service import WILDCARD

        if not plan.watch_network or service.bind_address not in WILDCARD:
            return  # an explicit bind does not move by itself (see SignInService.move_to)
        import httpx

        url = httpx.URL(plan.config.control_plane)
        host, port = url.host, url.port or 443
        watch = NetWatch(plan.probe or (lambda: local_address_towards(host, port)),
                         lambda _old, _new: service.on_ip_changed())  # fmt: skip

        def tick() -> None:
            watch.check()
            self._loop.call_later(watch.interval_s, tick)

        self._loop.call_later(watch.interval_s, tick)

    def _watch_sleep(self) -> None:
        """Sleep hangs up the calls; wake registers again at once (see signin.wake). A plain
        account's agent starts the watch once its registration has been handled and printed (or
        at once without registering): its imports and logind's round trips come after the
        REGISTER, not before it. A signed-in agent starts it with the sign-in."""
        if self._sleep_bus is None or self.sleep_watch is not None:
            return
        from softphone.signin.wake import SleepWakeWatch

        def woke() -> None:
            if self.service is not None:
                self.service.on_wake()
            elif self._account_id:
                self._engine.reregister(self._account_id)

        watch = SleepWakeWatch(
            post=self._loop.post, subscribe=self.bus.subscribe, emit=self.bus.publish,
            hangup=self._engine.hangup, on_wake=woke, bus_address=self._sleep_bus,
        )  # fmt: skip
        self.sleep_watch = watch
        watch.start()

        def tick() -> None:
            watch.tick()
            self._loop.call_later(watch.interval_s, tick)

        self._loop.call_later(watch.interval_s, tick)

    def _on_session(self, event: SessionStateChanged) -> None:
        from softphone.core.session_events import SessionReason, SessionState

        plan = self._signin_plan
        assert plan is not None
        if event.state is SessionState.AWAITING_TOTP:
            self.post(lambda: self._ask_totp(plan, event.reason))
        elif event.state is SessionState.SIGNED_OUT:
            if event.wiping:
                return  # its final SIGNED_OUT says whether everything was deleted
            if event.reason is SessionReason.USER_SIGN_OUT and not event.left_behind:
                self._done = True
            elif event.reason is SessionReason.NONE:
                self._fail(_NO_SAVED_SESSION)
            else:  # a failed sign-in, or the session ended (revoked, add-on off...)
                self._fail(event.message or f"Signed out: {event.reason.value}")

    def _ask_totp(self, plan: SignInPlan, reason: SessionReason) -> None:
        from softphone.core.session_events import SessionState

        service = self.service
        if service is None or service.session.state is not SessionState.AWAITING_TOTP:
            return
        code = plan.totp(reason)
        if not code:
            self._fail(
                "Your account asks for the 6-digit code from your authenticator app: "
                "set $VICIFAST_TOTP or run the agent in a terminal to be asked."
            )
            return
        service.session.submit_totp(code)
        if not self._registered:  # the person may have taken a while to type it
            self._arm_register_deadline()

    # ---- loop ------------------------------------------------------------------------------

    def stop_soon(self) -> None:
        """Ask the loop to end (unregistering first). Safe from a signal handler."""
        self._done = True
        self._loop.wake()

    def _arm_register_deadline(self) -> None:
        if self._register_timer is not None:
            self._register_timer.cancel()
        self._register_timer = self._after(
            self._plan.register_timeout_s, "register", self._register_deadline
        )

    def run(self) -> AgentOutcome:
        self._started_at = self._clock()
        try:
            self._engine.start()
        except VicifastError as err:
            return AgentOutcome(3, str(err))
        try:
            if self._signin_plan is not None:
                self._start_signin(self._signin_plan)
                self._arm_register_deadline()
                self._watch_sleep()
            else:
                assert self._account_config is not None
                self._account_id = self._engine.add_account(self._account_config).result(10)
                if not self._account_config.register:
                    self._registered = True
                    self._begin()
                    self._watch_sleep()
                else:
                    self._arm_register_deadline()
            if self._plan.duration_s is not None:
                self._after(self._plan.duration_s, "duration", self._finish)
            self._loop.run_until(self._finished)
        except VicifastError as err:
            self._fail(str(err), 3)
        except KeyboardInterrupt:
            self._done = True
        finally:
            self._shutdown()
        return self._outcome

    def _shutdown(self) -> None:
        if self.sleep_watch is not None:
            self.sleep_watch.stop()
        if self.service is not None:
            self._unsubscribe()  # the engine's goodbye events are printed, not acted on
        self._engine.stop()
        if self.service is not None:
            self.service.close()
        self._loop.drain()

    def _register_deadline(self) -> None:
        if self._registered:
            return
        service = self.service
        if service is not None:
            from softphone.core.session_events import SessionState

            if service.session.state is SessionState.AWAITING_TOTP:
                return  # waiting for a person; re-armed when the code is in
        self._fail("Registration did not complete in time.")

    def _finish(self) -> None:
        self._done = True

    def _finished(self) -> bool:  # a method, so type checkers see that handlers change _done
        return self._done


def _human(event: ev.Event) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
    lease = _lease_description(event)
    if lease is not None:
        return f"{stamp} FirewallLeaseChanged {lease}"
    data: dict[str, Any] = event.to_dict()
    name = data.pop("event")
    data.pop("at")
    # what the platform's SIP library cannot do is the news in Capabilities: keep every False
    empty: tuple[object, ...] = ("", None) if isinstance(event, ev.Capabilities) else _EMPTY
    details = " ".join(f"{k}={v}" for k, v in data.items() if v not in empty)
    return f"{stamp} {name} {details}"


_EMPTY: tuple[object, ...] = ("", None, 0, 0.0, False)


def _lease_description(event: ev.Event) -> str | None:
    """What a ``FirewallLeaseChanged`` says, None for any other event. Only the sign-in
    publishes those, so their module (and ``datetime``) is imported when the first one comes,
    not by an agent with a plain account."""
    if type(event).__name__ != "FirewallLeaseChanged":
        return None
    from softphone.core.session_events import FirewallLeaseChanged

    return event.describe() if isinstance(event, FirewallLeaseChanged) else None
