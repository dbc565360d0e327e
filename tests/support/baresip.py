"""baresip 1.0 as an independent second UA, driven over its ctrl_tcp module."""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from tests.support.ports import HOST, free_ports
from tests.support.process import ManagedProcess, WaitTimeout

MODULE_PATH = "/usr/lib/baresip/modules"
_START_ATTEMPTS = 3
AnswerMode = Literal["manual", "early", "auto"]

# No sound hardware: ausine is the microphone (it only does 48 kHz stereo, baresip
# resamples), aubridge's player/alert with no matching source is a sink.
_CONFIG = """\
poll_method		epoll
sip_listen		{host}:{sip_port}
net_interface		{host}
audio_player		aubridge,nil
audio_alert		aubridge,nil
audio_source		ausine,440
ausrc_srate		48000
ausrc_channels		2
call_max_calls		4
module_path		{module_path}
module			g711.so
module			ausine.so
module			aubridge.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		{host}:{ctrl_port}
"""


@dataclass(frozen=True)
class BaresipEvent:
    """One ctrl_tcp event, e.g. type="CALL_ESTABLISHED", peeruri="sip:..."."""

    type: str
    raw: dict[str, Any]

    @property
    def peeruri(self) -> str:
        return str(self.raw.get("peeruri", ""))

    @property
    def call_id(self) -> str:
        return str(self.raw.get("id", ""))

    @property
    def param(self) -> str:
        return str(self.raw.get("param", ""))


class BaresipError(RuntimeError):
    pass


class _Netstrings:
    """Incremental netstring ("<len>:<payload>,") decoder."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while True:
            head, colon, rest = self._buf.partition(b":")
            if not colon:
                return out
            length = int(head)
            if len(rest) < length + 1:
                return out
            out.append(rest[:length])
            self._buf = rest[length + 1 :]  # drop the trailing ","


class Baresip:
    """One baresip process with a private config dir and a single account.

    `domain` is the host[:port] of the AOR (sip:<user>@<domain>); REGISTER goes
    there unless `outbound` ("sip:127.0.0.1:5060") names a proxy.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        user: str,
        password: str,
        domain: str,
        outbound: str | None = None,
        transport: Literal["udp", "tcp"] = "udp",
        answermode: AnswerMode = "manual",
        regint: int = 600,
        register: bool = True,
        start_timeout: float = 10.0,
    ) -> None:
        self.workdir = workdir
        self.user = user
        self.password = password
        self.domain = domain
        self.outbound = outbound
        self.transport = transport
        self.answermode = answermode
        self.regint = regint
        self.register = register
        self.start_timeout = start_timeout
        self.events: list[BaresipEvent] = []
        self.process: ManagedProcess | None = None
        self.sip_port = 0
        self.ctrl_port = 0
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._cursor = 0  # events before this index were seen by a wait
        self._events_changed = threading.Condition()
        self._responses: dict[str, queue.Queue[dict[str, Any]]] = {}
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def aor(self) -> str:
        return f"sip:{self.user}@{self.domain}"

    def account_line(self) -> str:
        """The baresip account line (accounts file / uanew syntax)."""
        params = [f"auth_user={self.user}", f"auth_pass={self.password}"]
        if self.outbound:
            params.append(f'outbound="{self.outbound}"')
        params += [f"answermode={self.answermode}", f"regint={self.regint if self.register else 0}"]
        return f"<{self.aor};transport={self.transport}>;" + ";".join(params)

    # lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Start baresip, connect to ctrl_tcp, add the account, wait for REGISTER_OK."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        # the account is added over ctrl_tcp once connected, so that no event
        # (REGISTER_OK) can happen before we listen
        (self.workdir / "accounts").write_text("")
        (self.workdir / "contacts").write_text("")
        for attempt in range(_START_ATTEMPTS):
            # baresip also binds TCP on sip_port and TLS on sip_port + 1
            self.sip_port, _, self.ctrl_port = free_ports(3, consecutive=True)
            (self.workdir / "config").write_text(
                _CONFIG.format(
                    host=HOST,
                    sip_port=self.sip_port,
                    ctrl_port=self.ctrl_port,
                    module_path=MODULE_PATH,
                )
            )
            self.process = ManagedProcess(
                ["baresip", "-4", "-f", self.workdir], log_path=self.workdir / "baresip.log"
            )
            self.process.start()
            try:
                self.process.wait_port(self.ctrl_port, "tcp", self.start_timeout)
                break
            except WaitTimeout:
                # exited early: most likely a port taken meanwhile, try others
                if self.process.running or attempt == _START_ATTEMPTS - 1:
                    self.process.stop()
                    raise
        self._connect()
        self.command("uanew", self.account_line())
        if self.register:
            self.wait_registered()
        return self

    def _connect(self) -> None:
        self._sock = socket.create_connection((HOST, self.ctrl_port), timeout=self.start_timeout)
        self._sock.settimeout(None)  # the reader blocks; shutdown() in stop() wakes it
        self._reader = threading.Thread(target=self._read_loop, name="baresip-ctrl", daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        decoder = _Netstrings()
        sock = self._sock
        assert sock is not None
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            for payload in decoder.feed(data):
                self._dispatch(json.loads(payload))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if msg.get("event"):
            event = BaresipEvent(type=str(msg.get("type", "")), raw=msg)
            with self._events_changed:
                self.events.append(event)
                self._events_changed.notify_all()
        elif msg.get("response"):
            token = str(msg.get("token", ""))
            with self._lock:
                waiter = self._responses.get(token)
            if waiter is not None:
                waiter.put(msg)

    def stop(self, timeout: float = 1.0) -> None:
        """Close the control connection and stop baresip.

        On SIGTERM baresip un-REGISTERs first; with the registrar gone that would
        hang, hence the short timeout before SIGKILL.
        """
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
        if self._reader is not None:
            self._reader.join(timeout)
            self._reader = None
        if self.process is not None:
            self.process.stop(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def describe(self) -> str:
        if self.process is None:
            return "baresip never started"
        # drop the call status lines baresip repaints every second
        lines = [
            line
            for line in self.process.log_text().splitlines()
            if line.strip() and not line.startswith("[0:")
        ][-40:]
        with self._events_changed:
            events = ", ".join(e.type for e in self.events[-20:])
        return (
            f"baresip {self.aor} pid={self.process.pid} rc={self.process.returncode}\n"
            f"events: {events}\n--- log tail ---\n" + "\n".join(lines)
        )

    # control -----------------------------------------------------------------

    def command(self, command: str, params: str = "", timeout: float = 5.0) -> str:
        """Run a baresip command (as in its menu: dial, accept, hangup, ...)."""
        if self._sock is None:
            raise BaresipError("baresip is not running")
        token = str(next(self._tokens))
        waiter: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._lock:
            self._responses[token] = waiter
        try:
            payload = json.dumps({"command": command, "params": params, "token": token}).encode()
            self._sock.sendall(str(len(payload)).encode() + b":" + payload + b",")
            try:
                reply = waiter.get(timeout=timeout)
            except queue.Empty:
                raise WaitTimeout(
                    f"no reply to baresip command {command!r} in {timeout}s\n{self.describe()}"
                ) from None
        finally:
            with self._lock:
                del self._responses[token]
        if not reply.get("ok", False):
            raise BaresipError(f"baresip {command} {params!r} failed: {reply.get('data')}")
        return str(reply.get("data", ""))

    def dial(self, uri: str) -> None:
        self.command("dial", uri)

    def answer(self) -> None:
        self.command("accept")

    def hangup(self) -> None:
        self.command("hangup")

    def set_answermode(self, mode: AnswerMode) -> None:
        self.command("answermode", mode)
        self.answermode = mode

    # events ------------------------------------------------------------------

    def mark(self) -> int:
        """Position in `events`; pass as `after=` to wait only for later events."""
        with self._events_changed:
            return len(self.events)

    def wait_event(
        self,
        types: str | tuple[str, ...],
        timeout: float = 10.0,
        *,
        after: int | None = None,
        fail_on: tuple[str, ...] = (),
        where: Callable[[BaresipEvent], bool] | None = None,
    ) -> BaresipEvent:
        """Wait for an event of `types`; fail early on one of `fail_on`.

        Looks at events after the one the previous wait returned, or after `after`.
        """
        wanted = (types,) if isinstance(types, str) else types
        deadline = time.monotonic() + timeout
        index = self._cursor if after is None else after
        with self._events_changed:
            while True:
                for event in self.events[index:]:
                    index += 1
                    if event.type in fail_on:
                        self._cursor = index
                        raise BaresipError(
                            f"baresip reported {event.type}: {event.raw}\n{self.describe()}"
                        )
                    if event.type in wanted and (where is None or where(event)):
                        self._cursor = index
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimeout(
                        f"waiting for baresip event {'/'.join(wanted)}: timed out after "
                        f"{timeout:.1f}s\n{self.describe()}"
                    )
                self._events_changed.wait(remaining)

    def wait_registered(self, timeout: float | None = None) -> BaresipEvent:
        return self.wait_event(
            "REGISTER_OK", timeout or self.start_timeout, fail_on=("REGISTER_FAIL",)
        )

    def wait_incoming(self, timeout: float = 10.0) -> BaresipEvent:
        return self.wait_event("CALL_INCOMING", timeout)

    def wait_established(self, timeout: float = 10.0) -> BaresipEvent:
        return self.wait_event("CALL_ESTABLISHED", timeout, fail_on=("CALL_CLOSED",))

    def wait_closed(self, timeout: float = 10.0) -> BaresipEvent:
        return self.wait_event("CALL_CLOSED", timeout)


BaresipFactory = Callable[..., Baresip]
"""Type of the `baresip_factory` fixture: make(kamailio, user="1002", **kwargs)."""
