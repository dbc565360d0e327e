"""Demo mode, headless: ``vicifast-phone demo`` — a self-check anyone can run.

It starts the demo world (:func:`~softphone.demo.environment.start_demo_environment`: the
emulator over HTTPS, kamailio when installed, the echo and tone lines in a child process), signs
in as the demo agent with :class:`~softphone.signin.service.SignInService` like the app,
registers, calls the echo line and the tone line, lets the tone line ring the agent with an
auto-answer request, prints one line per step (one JSON object with ``--json``) and exits 0
when every step worked.

Without a sound card (``--audio none``) a simulated one (:mod:`softphone.demo.card`) speaks a
550 Hz tone into the calls and listens, so "the echo came back" and "the tone arrived" are
measured, not assumed. Credentials go to the OS keychain (cleared at the end); where there is
none, to an in-memory store for this demo only, which the output says. The loop (the headless
agent's :class:`~softphone.headless.loop.HeadlessLoop`), the bus and the session run on the
calling thread.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from softphone.core import events as ev
from softphone.core.errors import VicifastError
from softphone.core.models import EngineConfig, SipAccountConfig
from softphone.core.secret import MemorySecretStore
from softphone.core.session_events import (
    ACCOUNT_ID,
    FirewallLeaseChanged,
    SessionState,
    SessionStateChanged,
)
from softphone.demo.environment import DemoEnvironment, DemoError, start_demo_environment
from softphone.headless.loop import HeadlessLoop
from softphone.signin.config import SignInConfig
from softphone.signin.service import RebindingEngine, SignInService
from softphone.sip.engine import SipEngine

if TYPE_CHECKING:
    from softphone.audio.backend import AudioStream
    from softphone.audio.ring import AudioRings
    from softphone.demo.card import ProbeCard

__all__ = [
    "DemoEnvironment",
    "DemoError",
    "MemorySecretStore",
    "run_demo",
    "start_demo_environment",
]

T = TypeVar("T")
_STEP_S = 15.0  # registration, a call to connect or to end
_HEAR_S = 5.0  # a tone to arrive once a call is up
_LISTEN_S = {"echo": 5.0, "tone": 3.0, "ring": 3.0}  # --audio system: time to listen


def _open_store() -> tuple[Any, str]:
    """The OS keychain under a service of this run, or the in-memory store; and a label."""
    from softphone.storage.errors import KeychainError
    from softphone.storage.keychain import KeychainStore

    try:
        store = KeychainStore.open(f"demo-{uuid.uuid4()}")
        store.get("probe")  # the backend may exist and still have no service behind it
    except KeychainError:
        return MemorySecretStore(), "in-memory store for this demo only (no OS keychain here)"
    return store, f"OS keychain ({store.service}, cleared at the end)"


class _Loop(HeadlessLoop):
    """The headless loop, with the demo's deadlines: a step that does not happen in time fails."""

    def until(self, what: str, done: Callable[[], bool], timeout_s: float = _STEP_S) -> None:
        if not self.run_until(done, timeout_s=timeout_s, poll_s=0.05):
            raise DemoError(f"no {what} within {timeout_s:.0f} s")

    def wait(self, future: Future[T], what: str) -> T:
        future.add_done_callback(lambda _: self.wake())
        self.until(what, future.done)
        if (err := future.exception()) is not None:
            raise DemoError(f"{what} failed: {err}")
        return future.result()


class _Demo:
    """One run: the steps, in order, each reported as it completes."""

    def __init__(self, env: DemoEnvironment, out: TextIO, as_json: bool, audio: str) -> None:
        self.env, self.out, self.as_json, self.audio = env, out, as_json, audio
        self.loop = _Loop()
        self.calls: dict[str, ev.CallStateChanged] = {}
        self.session_state = SessionState.SIGNED_OUT
        self.session_message = ""
        self.line_reports: list[dict[str, Any]] = []
        self.probe: ProbeCard | None = None
        self.stream: AudioStream | None = None
        self.service: SignInService | None = None
        self.loop.bus.subscribe(ev.CallStateChanged, self._on_call)
        self.loop.bus.subscribe(SessionStateChanged, self._on_session)
        self.loop.bus.subscribe(FirewallLeaseChanged, self._on_lease)
        env.peer.listen(lambda report: self.loop.post(lambda: self.line_reports.append(report)))

    # ---- output -----------------------------------------------------------------------------

    def say(self, step: str, text: str, **fields: Any) -> None:
        if self.as_json:
            self.out.write(json.dumps({"step": step, "text": text, **fields}) + "\n")
        else:
            self.out.write(f"demo: {text}\n")
        self.out.flush()

    def _on_call(self, event: ev.CallStateChanged) -> None:
        self.calls[event.call_id] = event

    def _on_session(self, event: SessionStateChanged) -> None:
        self.session_state, self.session_message = event.state, event.message

    def _on_lease(self, event: FirewallLeaseChanged) -> None:
        if event.ip:
            self.say("firewall", event.describe(), ip=event.ip)

    # ---- steps ------------------------------------------------------------------------------

    def run(self, keep_running: bool) -> None:
        env = self.env
        where = f"kamailio udp {env.registrar}" if env.registrar else "no kamailio: direct mode"
        self.say(
            "environment", f"emulator {env.control_plane} ({where}); demo lines pid {env.peer.pid}",
            control_plane=env.control_plane, registrar=env.registrar, lines=env.lines,
            pids=env.pids(),
        )  # fmt: skip
        self._start_engine()
        self._sign_in()
        self._call_line("echo", "echo", _mic_hz())
        self._call_line("tone", "tone", _tone_hz())
        self._ring()
        self.say("done", "every step worked")
        if keep_running:
            self._keep_running()

    def _start_engine(self) -> None:
        from softphone.audio.ring import AudioRings

        rings = AudioRings.create()
        if self.audio == "system":
            from softphone.audio.sounddevice_backend import SoundDeviceBackend

            self.stream = SoundDeviceBackend().open_duplex(rings.capture, rings.playback)
        else:
            from softphone.demo.card import ProbeCard

            self.probe = ProbeCard(rings).start()
        engine = _DemoEngine(
            self.loop.emit, EngineConfig(bind_address="127.0.0.1"), rings, self.env.account_for
        )
        store, label = _open_store()
        self.say(
            "keychain",
            f"credentials kept in the {label}",
            memory=isinstance(store, MemorySecretStore),
        )
        self.store = store
        engine.start()
        self.engine = engine
        self.service = SignInService(
            SignInConfig(self.env.control_plane, str(self.env.ca_file), "127.0.0.1"),
            engine=engine,
            store=store,
            device_id=f"demo-{uuid.uuid4().hex[:12]}",
            emit=self.loop.bus.publish,
            post=self.loop.post,
            scheduler=self.loop,
        )
        self.loop.bus.subscribe(ev.Event, self.service.on_engine_event)

    def _sign_in(self) -> None:
        assert self.service is not None
        creds = self.env.credentials
        self.service.session.sign_in(creds.company, creds.username, creds.password)
        wanted = SessionState.REGISTERING if self.env.direct else SessionState.REGISTERED

        def reached() -> bool:
            if self.session_state is SessionState.SIGNED_OUT and self.session_message:
                raise DemoError(f"signing in failed: {self.session_message}")
            return self.session_state is wanted

        self.loop.until("sign-in and registration", reached)
        self.say("signed_in", f"signed in as {creds.username} ({creds.company}) over HTTPS")
        if self.env.direct:
            self.say(
                "registered",
                "direct mode: the account calls the demo lines without registering",
                registered=False,
            )
        else:
            self.say(
                "registered",
                f"registered as {creds.extension} at {self.env.registrar}",
                registered=True,
            )

    def _call_line(self, line: str, step: str, expect_hz: float) -> None:
        uri = self.env.lines[line]
        call_id = self.loop.wait(
            self.engine.make_call(ACCOUNT_ID, uri), f"a call to the {line} line"
        )
        self._connected(call_id, f"the {line} call to connect")
        self.say(f"{step}_connected", f"{line} call connected ({uri})")
        self._listen(step, expect_hz)
        self.loop.wait(self.engine.hangup(call_id), "hang-up")
        self._ended(call_id)
        report = self._line_report(line, "in")
        rx, tx = report.get("rx_packets", 0), report.get("tx_packets", 0)
        if line == "echo" and not (rx and tx):
            raise DemoError("the echo line saw no audio both ways")
        self.say(
            f"{step}_ended",
            f"{line} call ended; the {line} line received {rx} and sent {tx} RTP packets",
            rx_packets=rx,
            tx_packets=tx,
        )

    def _ring(self) -> None:
        snapshot = self.loop.wait(self.engine.current.snapshot(), "the engine's address")
        target = self.env.agent_uri(snapshot.transports["udp"])
        before = set(self.calls)
        self.env.ring_agent(target)
        self.say("ring", f"the tone line rings the agent ({target}) with Call-Info: answer-after=0")

        def answered() -> bool:
            return any(
                cid not in before
                and c.direction is ev.Direction.INBOUND
                and c.state is ev.CallState.CONFIRMED
                for cid, c in self.calls.items()
            )

        self.loop.until("auto-answered call from the tone line", answered)
        call = next(
            c
            for cid, c in self.calls.items()
            if cid not in before and c.state is ev.CallState.CONFIRMED
        )
        by = call.answered_by.value if call.answered_by is not None else "nobody"
        if call.answered_by is None:
            raise DemoError("the call was connected but not by auto-answer")
        self.say(
            "ring_answered",
            f"auto-answered ({by}) the call from {call.remote_number}",
            answered_by=by,
        )
        self._listen("ring", _tone_hz())
        self.loop.wait(self.engine.hangup(call.call_id), "hang-up")
        self._ended(call.call_id)
        self._line_report("tone", "out")
        self.say("ring_ended", "auto-answered call ended")

    # ---- helpers ----------------------------------------------------------------------------

    def _connected(self, call_id: str, what: str) -> None:
        def up() -> bool:
            call = self.calls.get(call_id)
            if call is not None and call.state is ev.CallState.DISCONNECTED:
                raise DemoError(f"the call failed: {call.sip_code} {call.reason}".strip())
            return call is not None and call.state is ev.CallState.CONFIRMED

        self.loop.until(what, up)

    def _ended(self, call_id: str) -> None:
        self.loop.until(
            "the call to end",
            lambda: (
                (c := self.calls.get(call_id)) is not None and c.state is ev.CallState.DISCONNECTED
            ),
        )

    def _line_report(self, line: str, direction: str) -> dict[str, Any]:
        def match(r: dict[str, Any]) -> bool:
            return (
                r.get("event") == "call"
                and r["line"] == line
                and r["direction"] == direction
                and r["state"] == "disconnected"
            )

        self.loop.until(
            f"the {line} line's report", lambda: any(match(r) for r in self.line_reports)
        )
        report = next(r for r in self.line_reports if match(r))
        self.line_reports.remove(report)
        return report

    def _listen(self, step: str, hz: float) -> None:
        probe = self.probe
        if probe is None:  # a person listens: give them time
            self.say(f"{step}_listen", f"listening for {_LISTEN_S[step]:.0f} s")
            done_at = time.monotonic() + _LISTEN_S[step]
            self.loop.until(
                "the end of the listening time",
                lambda: time.monotonic() >= done_at,
                _LISTEN_S[step] + 1,
            )
            return
        since = probe.mark()
        self.loop.until(
            f"{hz:.0f} Hz in the agent's speaker", lambda: probe.hears(hz, since), _HEAR_S
        )
        what = "the echo of its own" if step == "echo" else "the tone line's"
        self.say(f"{step}_heard", f"the agent heard {what} {hz:.0f} Hz tone", heard_hz=hz)

    def _keep_running(self) -> None:
        lines = ", ".join(f"{k} {v}" for k, v in self.env.lines.items())
        self.say("keep_running", f"still up ({lines}); Ctrl+C stops everything")
        self.loop.until("Ctrl+C", lambda: False, float("inf"))

    def close(self) -> None:
        service = self.service
        if service is not None:
            if self.session_state is not SessionState.SIGNED_OUT:
                service.session.sign_out()  # deletes what it saved in the store
                with contextlib.suppress(DemoError):  # stopping the engine ends it anyway
                    self.loop.until(
                        "sign-out", lambda: self.session_state is SessionState.SIGNED_OUT, 5
                    )
            self.engine.stop()
            service.close()
            self.store.clear()
        if self.stream is not None:
            self.stream.close()
        if self.probe is not None:
            self.probe.close()


def _mic_hz() -> float:
    from softphone.demo.card import MIC_HZ

    return MIC_HZ


def _tone_hz() -> float:
    from softphone.demo.lines import TONE_HZ

    return float(TONE_HZ)


class _DemoEngine(RebindingEngine):
    """The session's engine with the demo's account adaptation (direct mode: no REGISTER)."""

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        config: EngineConfig,
        audio: AudioRings | None,
        adapt: Callable[[SipAccountConfig], SipAccountConfig],
    ) -> None:
        super().__init__(emit, config, audio, SipEngine)
        self._adapt = adapt

    def add_account(self, config: SipAccountConfig, account_id: str | None = None) -> Future[str]:
        return super().add_account(self._adapt(config), account_id)


def run_demo(
    out: TextIO = sys.stdout,
    *,
    as_json: bool = False,
    audio: str = "none",
    keep_running: bool = False,
    use_kamailio: bool = True,
) -> int:
    """The whole self-check; 0 when every step worked, 1 otherwise (the failing step said)."""
    if threading.current_thread() is threading.main_thread():
        # SIGTERM ends the demo like Ctrl+C: its processes are stopped, not orphaned
        signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="vicifast-demo-") as tmp:
        try:
            env = start_demo_environment(Path(tmp), use_kamailio=use_kamailio)
        except VicifastError as err:
            _failed(out, as_json, f"demo mode could not start: {err}")
            return 1
        except KeyboardInterrupt:  # what had started is stopped already
            return 0
        demo = _Demo(env, out, as_json, audio)
        try:
            demo.run(keep_running)
        except VicifastError as err:
            _failed(out, as_json, str(err))
            return 1
        except KeyboardInterrupt:
            pass
        finally:
            try:
                demo.close()
            finally:
                env.close()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _failed(out: TextIO, as_json: bool, message: str) -> None:
    out.write(
        json.dumps({"step": "failed", "text": message}) + "\n"
        if as_json
        else f"demo: FAILED: {message}\n"
    )
    out.flush()
