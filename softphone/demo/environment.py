"""Demo mode's world: the emulator (+ kamailio when installed) and the echo/tone lines.

:func:`start_demo_environment` is what ``vicifast-phone demo`` and the GUI's demo mode share: the
emulator over HTTPS on a free loopback port with its generated CA, kamailio as its registrar when
it is on PATH, and the demo lines (``softphone.demo.lines``) in a child process. The lines are
SIP accounts of the emulated employer's server (not agents: nobody signs in with them), registered
at kamailio from an ``ip:port`` its firewall trusts. Without kamailio the lines are reached
directly and the agent's account must not register (:meth:`DemoEnvironment.account_for`).
:meth:`DemoEnvironment.close` stops every process it started, by PID; if this process is killed
first, they are ended with it (:mod:`softphone.desktop.children`).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from softphone.core.errors import VicifastError
from softphone.core.models import SipAccountConfig
from softphone.core.secret import Secret
from softphone.desktop.children import spawn
from softphone.emulator.registrar import Registrar, free_udp_port, kamailio_path
from softphone.emulator.server import EmulatorServer
from softphone.emulator.state import EmulatorState

HOST = "127.0.0.1"
_PEER_READY_S = 15.0
_PEER_STOP_S = 5.0
_PEER_ATTEMPTS = 3


class DemoError(VicifastError):
    """Demo mode could not start or a step of it failed (the message says which)."""


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """The demo agent's sign-in (public demo data from the emulator's seed)."""

    company: str
    username: str
    password: Secret = field(repr=False)
    extension: str


class DemoPeer:
    """The demo lines' child process: commands on its stdin, JSON reports from its stdout."""

    def __init__(self, host: str, port: int, registrar: str, password: Secret | None) -> None:
        argv = [
            sys.executable,
            "-m",
            "softphone.demo.lines",
            "--host",
            host,
            "--port",
            str(port),
        ]
        if registrar:
            argv += ["--registrar", registrar]
        self.reports: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        # SIGTERM when this process dies (its handler hangs up and unregisters)
        self._process = spawn(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        if registrar:
            # its first line on stdin: not argv (ps shows it), not the environment
            # (/proc/PID/environ keeps it for the process's life)
            self.send(password.reveal() if password is not None else "")
        self._reader = threading.Thread(target=self._read, name="demo-lines-reader", daemon=True)
        self._reader.start()
        self.port = 0
        self.lines: dict[str, str] = {}

    @property
    def pid(self) -> int:
        return self._process.pid

    def _read(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            if not raw.startswith("{"):
                continue  # pjsua2 prints a few lines before its log settings apply
            try:
                report = json.loads(raw)
            except ValueError:
                continue
            self.reports.put(report)
            for listener in list(self._listeners):
                listener(report)
        self.reports.put({"event": "exited"})

    def listen(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call ``listener`` (on the reader thread) with every later report."""
        self._listeners.append(listener)

    def wait_ready(self, timeout_s: float = _PEER_READY_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                report = self.reports.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise DemoError("The demo lines did not start in time.") from None
            if report["event"] == "ready":
                self.port, self.lines = int(report["port"]), dict(report["lines"])
                return
            if report["event"] in ("error", "exited"):
                why = report.get("message", "the process exited")
                raise DemoError(f"The demo lines could not start: {why}.")

    def send(self, command: str) -> None:
        stdin = self._process.stdin
        if stdin is None or self._process.poll() is not None:
            raise DemoError("The demo lines are not running any more.")
        try:
            stdin.write(command + "\n")
            stdin.flush()
        except OSError as err:
            raise DemoError(f"The demo lines did not take the command: {err}.") from None

    def stop(self) -> None:
        """Ask it to quit (orderly: hang up, unregister), then SIGTERM/SIGKILL its group."""
        process = self._process
        if process.poll() is None:
            with contextlib.suppress(DemoError):
                self.send("quit")
            try:
                process.wait(_PEER_STOP_S)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGTERM)
                try:
                    process.wait(_PEER_STOP_S)
                except subprocess.TimeoutExpired:
                    _signal_group(process.pid, signal.SIGKILL)
                    process.wait(_PEER_STOP_S)
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        self._reader.join(_PEER_STOP_S)
        if process.stdout is not None:
            process.stdout.close()


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class DemoEnvironment:
    """What a demo client needs: where to sign in, as whom, and what to call."""

    control_plane: str
    ca_file: Path
    credentials: DemoCredentials
    lines: dict[str, str]  # "echo" / "tone" -> SIP URI
    registrar: str  # "host:port" of kamailio; "" in direct mode
    server: EmulatorServer
    peer: DemoPeer
    # how long the tone line rings before it gives up: with the auto-answer request (only a
    # bound: the agent's phone answers at once) and without it ("Ring me and give up")
    ring_give_up_s: float = 60.0
    plain_ring_give_up_s: float = 20.0
    _closed: bool = False

    @property
    def direct(self) -> bool:
        """No registrar: the agent calls the lines directly and must not register."""
        return not self.registrar

    def account_for(self, account: SipAccountConfig) -> SipAccountConfig:
        """The provisioned account as the demo uses it (unregistered in direct mode)."""
        return replace(account, register=False) if self.direct else account

    def agent_uri(self, engine_hostport: str, extension: str = "") -> str:
        """Where the lines ring the agent of ``extension`` (by default the demo agent's):
        through kamailio, or straight to the engine."""
        user = extension or self.credentials.extension
        return f"sip:{user}@{self.registrar or engine_hostport}"

    def ring_agent(self, agent_uri: str, *, auto_answer: bool = True) -> None:
        """The tone line calls the agent with an auto-answer request, as VICIdial does, or
        without one (``auto_answer=False``) like any caller; either way it gives up after
        ``ring_give_up_s`` / ``plain_ring_give_up_s`` if nobody answers."""
        if auto_answer:
            self.peer.send(f"ring {agent_uri} {self.ring_give_up_s:g}")
        else:
            self.peer.send(f"ring-plain {agent_uri} {self.plain_ring_give_up_s:g}")

    def pids(self) -> list[int]:
        """The processes this environment started (the lines, kamailio)."""
        registrar = self.server.registrar
        kam = registrar.pid if registrar is not None else None
        return [self.peer.pid, *([kam] if kam else [])]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.peer.stop()
        finally:
            self.server.stop()  # and kamailio, by its process group


def _demo_agent(state: EmulatorState) -> DemoCredentials:
    for company in state.companies:
        if not company.addon_active:
            continue
        for agent in company.agents.values():
            if agent.active and not agent.totp_secret:
                return DemoCredentials(
                    company.code, agent.username, Secret(agent.password), agent.extension
                )
    raise DemoError("The emulator's seed has no active agent without TOTP.")


def start_demo_environment(
    workdir: Path,
    *,
    use_kamailio: bool = True,
    host: str = HOST,
    load_agents: int = 0,
    registration_max_s: int = 3600,
) -> DemoEnvironment:
    """Start the emulator (+ kamailio if on PATH and wanted) and the demo lines; ``workdir``
    receives the emulator's CA certificate. Call :meth:`DemoEnvironment.close` when done.
    ``load_agents`` adds that many generated agents (company LOAD) for load runs;
    ``registration_max_s`` is the longest registration kamailio grants (load scenarios
    shorten it, so that agents refresh, and notice a lost registration, within seconds)."""
    state = EmulatorState.from_seed(load_agents=load_agents)
    credentials = _demo_agent(state)
    registrar = (
        Registrar(state.sip_users(), host=host, max_expires_s=registration_max_s)
        if use_kamailio and kamailio_path()
        else None
    )
    server = EmulatorServer(
        state, host=host, port=0, ca_out=workdir / "ca.pem", registrar=registrar
    )
    server.start()
    try:
        peer = _start_peer(state, server, host)
    except BaseException:
        server.stop()
        raise
    assert server.ca_file is not None
    return DemoEnvironment(
        control_plane=server.url,
        ca_file=server.ca_file,
        credentials=credentials,
        lines=peer.lines,
        registrar=f"{registrar.host}:{registrar.port}" if registrar is not None else "",
        server=server,
        peer=peer,
    )


def _start_peer(state: EmulatorState, server: EmulatorServer, host: str) -> DemoPeer:
    registrar = server.registrar
    if registrar is None:
        peer = DemoPeer(host, 0, "", None)
        try:
            peer.wait_ready()
        except BaseException:
            peer.stop()
            raise
        state.route_sip_to(host, peer.port)  # the provisioned account points at the lines
        return peer
    from softphone.demo.lines import LINES

    password = Secret(secrets.token_urlsafe(18))  # per run: the lines exist only while it runs
    for extension in LINES.values():
        state.add_sip_line(extension, password.reveal(), time.time())
    for attempt in range(_PEER_ATTEMPTS):
        # kamailio must trust the lines' address before they register, so it is chosen here
        port = free_udp_port(host)
        registrar.trust(host, port)
        peer = DemoPeer(host, port, f"{registrar.host}:{registrar.port}", password)
        try:
            peer.wait_ready()
            return peer
        except DemoError:
            peer.stop()
            if attempt == _PEER_ATTEMPTS - 1:
                raise
        except BaseException:
            peer.stop()
            raise
    raise AssertionError("unreachable")  # pragma: no cover
