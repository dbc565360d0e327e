"""Run sipp scenarios (tests/sipp/*.xml) as UAC or UAS on free loopback ports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.support.ports import HOST, PortKind, free_port, free_ports
from tests.support.process import ManagedProcess, WaitTimeout

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "sipp"
SippTransport = Literal["udp", "tcp"]

_TRANSPORT_FLAG = {"udp": "u1", "tcp": "t1"}
_BIND_FAILED = 254  # sipp exits -2 when it cannot bind its SIP socket
_START_ATTEMPTS = 3


def scenario_path(scenario: str | Path) -> Path:
    """Resolve "uas_answer" / "uas_answer.xml" (in tests/sipp) or an absolute path."""
    path = Path(scenario)
    if not path.is_absolute():
        path = SCENARIO_DIR / path.with_suffix(".xml")
    if not path.is_file():
        raise FileNotFoundError(f"sipp scenario not found: {scenario}")
    return path


@dataclass
class SippResult:
    """Outcome of one sipp run: exit status plus its logs."""

    name: str
    returncode: int
    output: str
    errors: str
    messages: str
    calls: int = 1
    stats: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every expected call completed the scenario.

        The exit status alone is not enough: sipp also exits 0 when it is
        terminated by a signal in the middle of a call.
        """
        return (
            self.returncode == 0 and self.failed_calls == 0 and self.successful_calls >= self.calls
        )

    def stat(self, column: str) -> int:
        """A cumulative counter from the final stats row, e.g. "SuccessfulCall(C)"."""
        return int(self.stats.get(column, "0") or 0)

    @property
    def successful_calls(self) -> int:
        return self.stat("SuccessfulCall(C)")

    @property
    def failed_calls(self) -> int:
        return self.stat("FailedCall(C)")

    def sip_messages(self, direction: Literal["sent", "received"] = "received") -> list[str]:
        """Full text of the SIP messages sipp sent/received, in order (from -trace_msg)."""
        return _messages(self.messages, direction)

    def first_lines(self, direction: Literal["sent", "received"] = "received") -> list[str]:
        """Start lines of the SIP messages sipp sent/received, in order."""
        return [m.splitlines()[0].strip() for m in self.sip_messages(direction) if m]

    def received_codes(self) -> list[int]:
        """Status codes of all responses sipp received (retransmissions included)."""
        return [int(line.split()[1]) for line in self.first_lines() if line.startswith("SIP/2.0 ")]

    def received_requests(self, method: str) -> list[str]:
        """Full text of each received request with this method."""
        return [m for m in self.sip_messages() if m.startswith(f"{method} ")]

    def describe(self, lines: int = 40) -> str:
        tail = "\n".join(self.output.splitlines()[-lines:])
        msgs = "\n".join(self.messages.splitlines()[-2 * lines :])
        return (
            f"sipp {self.name}: returncode={self.returncode} "
            f"successful={self.successful_calls} failed={self.failed_calls}\n"
            f"--- errors ---\n{self.errors.strip() or '(none)'}\n"
            f"--- last messages ---\n{msgs or '(none)'}\n--- output tail ---\n{tail}"
        )

    def assert_ok(self) -> None:
        assert self.ok, self.describe()


class SippProcess:
    """A started sipp instance; `port` is its SIP port on 127.0.0.1."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        base_args: list[str],
        transport: SippTransport,
        calls: int,
        host: str = HOST,
    ) -> None:
        self.name = name
        self.host = host
        self.calls = calls
        self.workdir = workdir
        self.transport = transport
        self._base_args = base_args
        self.error_file = workdir / f"{name}.errors.log"
        self.message_file = workdir / f"{name}.messages.log"
        self.stat_file = workdir / f"{name}.stats.csv"
        self.port = 0
        self.fixed_port = 0
        self.media_port = 0
        self.process: ManagedProcess | None = None
        self._result: SippResult | None = None

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def uri(self, user: str = "service") -> str:
        """SIP URI that reaches this sipp directly (or via kamailio's relay)."""
        suffix = ";transport=tcp" if self.transport == "tcp" else ""
        return f"sip:{user}@{self.hostport}{suffix}"

    def _argv(self) -> list[str]:
        control_port = free_port("udp")
        return [
            "sipp", *self._base_args,
            "-i", self.host, "-bind_local", "-p", str(self.port),
            "-mi", self.host, "-mp", str(self.media_port),
            "-ci", self.host, "-cp", str(control_port),
            "-t", _TRANSPORT_FLAG[self.transport], "-nostdin",
            "-trace_err", "-error_file", str(self.error_file),
            "-trace_msg", "-message_file", str(self.message_file),
            "-trace_stat", "-stf", str(self.stat_file), "-fd", "1",
        ]  # fmt: skip

    def start(self) -> SippProcess:
        """Start sipp and wait until its SIP port is bound.

        If the port was taken meanwhile (sipp exits 254), retry with new ports. A
        UAC may also be finished before the port is seen: wait() reports on it.
        """
        kind: PortKind = "udp" if self.transport == "udp" else "tcp"
        for attempt in range(_START_ATTEMPTS):
            # sipp binds RTP on -mp and -mp + 2 (audio, video)
            self.media_port = free_ports(4, consecutive=True)[0]
            self.port = self.fixed_port or free_ports(1)[0]
            self.process = ManagedProcess(
                self._argv(), log_path=self.workdir / f"{self.name}.log", name=f"sipp {self.name}"
            )
            self.process.start()
            try:
                self.process.wait_port(self.port, kind, timeout=5.0)
                return self
            except WaitTimeout:
                rc = self.process.returncode
                if rc is not None and rc != _BIND_FAILED:
                    return self
                self.process.stop()
                if rc != _BIND_FAILED or attempt == _START_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def wait(self, timeout: float = 30.0) -> SippResult:
        """Wait for sipp to finish its calls by itself and return the result."""
        assert self.process is not None
        if self._result is None:
            self.process.wait_exit(timeout)
            self._result = self._collect()
        return self._result

    def stop(self, timeout: float = 5.0) -> SippResult:
        """Stop sipp if still running (SIGTERM: it quits at once, writing its logs)."""
        assert self.process is not None
        if self._result is None:
            self.process.stop(timeout)
            self._result = self._collect()
        return self._result

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def _collect(self) -> SippResult:
        assert self.process is not None
        rc = self.process.returncode
        return SippResult(
            name=self.name,
            returncode=rc if rc is not None else -1,
            output=self.process.log_text(),
            errors=_read(self.error_file),
            messages=_read(self.message_file),
            calls=self.calls,
            stats=_last_stats_row(_read(self.stat_file)),
        )


class Sipp:
    """Factory for sipp runs whose files go under `workdir`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.started: list[SippProcess] = []

    def start(
        self,
        scenario: str | Path,
        remote: str | None = None,
        *,
        service: str | None = None,
        transport: SippTransport = "udp",
        calls: int = 1,
        timeout: float = 30.0,
        pause_ms: int = 500,
        auth: tuple[str, str] | None = None,
        keys: Mapping[str, str | int] | None = None,
        inf: Path | None = None,
        via: str | None = None,
        extra_args: Iterable[str] = (),
        host: str = HOST,
        port: int = 0,
    ) -> SippProcess:
        """Start a scenario in the background.

        `remote` ("127.0.0.1:port") is the target of a UAC (the R-URI host); `via`
        ("127.0.0.1:port", sipp -rsa) sends the packets to a proxy instead. UAS
        scenarios omit `remote`; returns once sipp's port is bound.
        `pause_ms` is the length of the scenario's argument-less <pause/> (sipp -d).
        `host` is the loopback address sipp binds to (another one plays a stranger on the
        LAN); `port` a SIP port it must use (0: a free one).
        sipp exits by itself after `calls` calls or after `timeout` seconds, which
        counts as a failure.
        """
        path = scenario_path(scenario)
        name = f"{path.stem}-{len(self.started)}"
        args = ["-sf", str(path), "-m", str(calls), "-d", str(pause_ms)]
        args += ["-timeout", f"{max(1, round(timeout))}s", "-timeout_error"]
        if service is not None:
            args += ["-s", service]
        if auth is not None:
            args += ["-au", auth[0], "-ap", auth[1]]
        for key, value in (keys or {}).items():
            args += ["-key", key, str(value)]
        if inf is not None:
            args += ["-inf", str(inf)]
        if via is not None:
            args += ["-rsa", via]
        args += list(extra_args)
        if remote is not None:
            args.append(remote)
        proc = SippProcess(name, self.workdir, args, transport, calls, host)
        proc.fixed_port = port
        self.started.append(proc)
        return proc.start()

    def run(
        self,
        scenario: str | Path,
        remote: str | None = None,
        *,
        timeout: float = 30.0,
        **kwargs: Any,
    ) -> SippResult:
        """Run a scenario to completion; takes the arguments of `start`."""
        proc = self.start(scenario, remote, timeout=timeout, **kwargs)
        return proc.wait(timeout + 10.0)  # sipp enforces `timeout` itself; this is a backstop

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.process is not None:
                proc.stop()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


_MSG_HEADER = re.compile(
    r"^(?:UDP|TCP|TLS|SCTP) message (sent|received) [^\n]*bytes[^\n]*$", re.MULTILINE
)


def _messages(log: str, direction: str) -> list[str]:
    """Split sipp's -trace_msg log into the messages of one direction."""
    parts = _MSG_HEADER.split(log)
    # split() yields [prefix, dir1, text1, dir2, text2, ...]
    return [
        text.strip().split("\n-----", 1)[0].strip()
        for found, text in zip(parts[1::2], parts[2::2], strict=True)
        if found == direction
    ]


def _last_stats_row(text: str) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    return {k: v for k, v in rows[-1].items() if k} if rows else {}
