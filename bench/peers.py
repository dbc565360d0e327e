"""The three peers under test, each a separate process registered to the lab's kamailio.

- ``AgentPeer``: our headless agent, ``vicifast-phone agent --json`` (the product).
- ``RawPeer``: ``bench/raw_pjsua2_agent.py``, the least a pjsua2 program needs (the baseline).
- ``BaresipPeer``: baresip 1.0 (an independent C softphone), driven over ctrl_tcp.

Wall-clock times come from each process's own JSON lines (``at``) where it prints them; the
benchmarks prefer the wire tap (bench/wire.py), which times all three the same way.
"""

from __future__ import annotations

import json
import signal
import time
from typing import Any, ClassVar, Self

from bench.lab import BENCH_DIR, DOMAIN, PASSWORD, VENV_BIN, Lab
from tests.support.baresip import _CONFIG, MODULE_PATH, Baresip
from tests.support.ports import HOST, free_ports
from tests.support.process import ManagedProcess, WaitTimeout


class JsonLinePeer:
    """A process that prints one JSON object per line; other lines are ignored."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(self, lab: Lab, user: str, name: str, *, bytecode_cache: bool = True) -> None:
        self.lab = lab
        self.user = user
        self.name = name
        self.bytecode_cache = bytecode_cache
        self.process: ManagedProcess | None = None
        self.spawned_at = 0.0
        self._log_start = 0

    def argv(self, call: str, hangup_after: float | None, answer: bool) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def start(
        self, *, call: str = "", hangup_after: float | None = None, answer: bool = False,
        extra: list[str] | None = None,
    ) -> Self:  # fmt: skip
        return self._launch([*self.argv(call, hangup_after, answer), *(extra or [])], self.env())

    def _launch(self, argv: list[str], env: dict[str, str]) -> Self:
        log = self.lab.dir("peers") / f"{self.name}.log"
        env = {**env, **self.lab.python_env(bytecode_cache=self.bytecode_cache)}
        self.process = ManagedProcess(
            argv, log_path=log, name=self.name, env=env, cwd=self.lab.code
        )
        self._log_start = log.stat().st_size if log.exists() else 0
        # The clock starts right before the fork: process start-up is part of what we measure.
        self.spawned_at = time.time()
        self.process.start()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None and self.process.pid is not None
        return self.process.pid

    def events(self) -> list[dict[str, Any]]:
        assert self.process is not None
        found = []
        for line in self.process.log_text()[self._log_start :].splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def wait_event(self, match: dict[str, Any], timeout: float) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def check() -> bool:
            found[:] = [e for e in self.events() if all(e.get(k) == v for k, v in match.items())]
            return bool(found)

        assert self.process is not None
        self.process.wait_for(check, timeout, f"{self.name} to print {match}")
        return found[0]

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait_exit(timeout)

    def stop(self) -> None:
        # SIGINT: both the agent and the raw script then hang up, unregister and exit cleanly,
        # so no stale contact stays behind in kamailio.
        if self.process is not None:
            self.process.stop(timeout=5.0, sig=signal.SIGINT)

    # ---- what the client itself reports -------------------------------------------------

    def reported_registered_at(self) -> float | None:
        raise NotImplementedError

    def reported_calls(self) -> list[tuple[float, float]]:
        """(dial, confirmed) wall-clock times per connected outgoing call, as reported."""
        raise NotImplementedError


class AgentPeer(JsonLinePeer):
    kind = "agent"
    label = "our agent (vicifast-phone agent)"

    def argv(self, call: str, hangup_after: float | None, answer: bool) -> list[str]:
        argv = [
            str(VENV_BIN / "vicifast-phone"), "agent",
            "--server", DOMAIN, "--proxy", HOST, "--port", str(self.lab.proxy_port),
            "--extension", self.user, "--bind", HOST, "--json",
            "--answer", "header" if answer else "off",
        ]  # fmt: skip
        if call:
            argv += ["--call", call]
        if hangup_after is not None:
            argv += ["--hangup-after", str(hangup_after)]
        return argv

    def env(self) -> dict[str, str]:
        return {"VICIFAST_SIP_PASSWORD": PASSWORD}

    def reported_registered_at(self) -> float | None:
        for e in self.events():
            if e.get("event") == "RegistrationChanged" and e.get("state") == "registered":
                return float(e["at"])
        return None

    def reported_started_at(self) -> float | None:
        """When pjsua2 had started (the engine's EngineStarted, made after libStart)."""
        for e in self.events():
            if e.get("event") == "EngineStarted":
                return float(e["at"])
        return None

    def reported_calls(self) -> list[tuple[float, float]]:
        dialed: dict[str, float] = {}
        calls = []
        for e in self.events():
            if e.get("event") != "CallStateChanged" or e.get("direction") != "outbound":
                continue
            if e["state"] == "calling":
                dialed.setdefault(e["call_id"], float(e["at"]))
            elif e["state"] == "confirmed" and e["call_id"] in dialed:
                calls.append((dialed.pop(e["call_id"]), float(e["at"])))
        return calls


class RawPeer(JsonLinePeer):
    kind = "raw"
    label = "raw pjsua2 (bench/raw_pjsua2_agent.py)"

    def argv(self, call: str, hangup_after: float | None, answer: bool) -> list[str]:
        argv = [
            str(VENV_BIN / "python"), str(BENCH_DIR / "raw_pjsua2_agent.py"),
            "--user", self.user, "--domain", DOMAIN,
            "--proxy", f"{HOST}:{self.lab.proxy_port}", "--bind", HOST,
        ]  # fmt: skip
        if call:
            argv += ["--call", call]
        if hangup_after is not None:
            argv += ["--hangup-after", str(hangup_after)]
        if answer:
            argv.append("--answer")
        return argv

    def env(self) -> dict[str, str]:
        return {"RAW_SIP_PASSWORD": PASSWORD}

    def reported_registered_at(self) -> float | None:
        for e in self.events():
            if e.get("event") == "registered":
                return float(e["at"])
        return None

    def reported_started_at(self) -> float | None:
        """When pjsua2 had started (the script's ``started`` line, printed after libStart)."""
        for e in self.events():
            if e.get("event") == "started":
                return float(e["at"])
        return None

    def reported_calls(self) -> list[tuple[float, float]]:
        calls, dialed = [], None
        for e in self.events():
            if e.get("event") == "dialing":
                dialed = float(e["at"])
            elif e.get("event") == "confirmed" and dialed is not None:
                calls.append((dialed, float(e["at"])))
                dialed = None
        return calls


class EngineDriverPeer(JsonLinePeer):
    """bench/engine_driver.py: our SipEngine without the agent around it (see its docstring)."""

    kind = "engine"
    label = "our engine (SipEngine, bench driver)"

    def run_driver(self, args: list[str]) -> Self:
        argv = [str(VENV_BIN / "python"), "-m", "bench.engine_driver", *args]
        return self._launch(argv, {"BENCH_SIP_PASSWORD": PASSWORD})

    def reported_calls(self) -> list[tuple[float, float]]:
        return [
            (float(e["dialed"]), float(e["confirmed"]))
            for e in self.events()
            if e.get("event") == "confirmed"
        ]


class _PreloadedBaresip(Baresip):
    """tests.support's Baresip, but the account is in the accounts file, so baresip registers
    as it starts (as a configured softphone does) instead of after our ctrl_tcp ``uanew``; and
    each ctrl_tcp event is stamped with the time it reached us."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event_times: list[float] = []
        self.spawned_at = 0.0

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if msg.get("event"):
            self.event_times.append(time.time())
        super()._dispatch(msg)

    def start(self) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "accounts").write_text(self.account_line() + "\n")
        (self.workdir / "contacts").write_text("")
        # one attempt: a port taken between picking and binding shows up as a clear failure
        self.sip_port, _, self.ctrl_port = free_ports(3, consecutive=True)
        (self.workdir / "config").write_text(
            _CONFIG.format(
                host=HOST, sip_port=self.sip_port, ctrl_port=self.ctrl_port, module_path=MODULE_PATH
            )
        )
        self.process = ManagedProcess(
            ["baresip", "-4", "-f", self.workdir], log_path=self.workdir / "baresip.log"
        )
        self.spawned_at = time.time()
        self.process.start()
        self.process.wait_port(self.ctrl_port, "tcp", self.start_timeout)
        self._connect()
        return self


class BaresipPeer:
    kind: ClassVar[str] = "baresip"
    label: ClassVar[str] = "baresip 1.0"

    def __init__(self, lab: Lab, user: str, name: str) -> None:
        self.lab = lab
        self.user = user
        self.name = name
        self.ua: _PreloadedBaresip | None = None

    def start(self, *, answer: bool = False) -> Self:
        self.ua = _PreloadedBaresip(
            self.lab.dir("peers") / self.name,
            user=self.user,
            password=PASSWORD,
            domain=DOMAIN,
            outbound=f"sip:{HOST}:{self.lab.proxy_port}",
            answermode="auto" if answer else "manual",
        )
        self.ua.start()
        return self

    @property
    def spawned_at(self) -> float:
        assert self.ua is not None
        return self.ua.spawned_at

    @property
    def pid(self) -> int:
        assert self.ua is not None and self.ua.process is not None
        assert self.ua.process.pid is not None
        return self.ua.process.pid

    def call(self, uri: str, hangup_after: float, timeout: float = 10.0) -> tuple[float, float]:
        """Dial, wait until established, hang up after a while; (dial, established) times."""
        ua = self.ua
        assert ua is not None
        mark = ua.mark()
        dialed = time.time()
        ua.dial(uri)
        ua.wait_established(timeout)
        stamped = zip(ua.events[mark:], ua.event_times[mark:], strict=False)
        established = next(at for event, at in stamped if event.type == "CALL_ESTABLISHED")
        time.sleep(hangup_after)
        ua.hangup()
        ua.wait_closed(timeout)
        return dialed, established

    def stop(self) -> None:
        if self.ua is not None:
            # baresip un-REGISTERs on SIGTERM; give it the time to do so (kamailio is up)
            self.ua.stop(timeout=3.0)


Peer = AgentPeer | RawPeer | BaresipPeer


def wait_wire_registered(lab: Lab, user: str, after: int, timeout: float = 15.0) -> None:
    try:
        lab.wire.wait_registered(user, timeout, after=after)
    except TimeoutError:
        raise WaitTimeout(f"{user} did not register within {timeout} s") from None
