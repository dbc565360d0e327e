"""Run an external process for a test: own session, log file, bounded waits, sure kill."""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.support.ports import HOST, PortKind, port_bound

POLL_INTERVAL = 0.02
TAIL_LINES = 40


# exec()s the command with a parent-death signal; no preexec_fn, which is unsafe
# in a process with threads (the SIP engine runs several)
_DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []

# Safety net for an interpreter that exits without fixture teardown (e.g. an
# exception in a helper script): no external process may outlive us.
_LIVE: weakref.WeakSet[ManagedProcess] = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    for proc in list(_LIVE):
        proc.stop(timeout=1.0)


class WaitTimeout(AssertionError):
    """A bounded wait expired (an AssertionError so pytest shows the message plainly)."""


def group_gone(pgid: int) -> bool:
    """No process is left in the process group (a zombie still counts until it is reaped)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    interval: float = POLL_INTERVAL,
    abort: Callable[[], str | None] | None = None,
    details: Callable[[], str] | None = None,
) -> None:
    """Poll `predicate` until true or `timeout` seconds pass.

    `abort` returns a reason to give up early (e.g. the process died);
    `details` adds context (e.g. a log tail) to the error.
    """
    pause = threading.Event()  # never set: its wait() is the bounded poll interval
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        reason = abort() if abort else None
        remaining = deadline - time.monotonic()
        if reason is None and remaining <= 0:
            reason = f"timed out after {timeout:.1f}s"
        if reason is not None:
            extra = f"\n{details()}" if details else ""
            raise WaitTimeout(f"waiting for {what}: {reason}{extra}")
        pause.wait(min(interval, remaining))


def tcp_accepts(port: int, host: str = HOST) -> bool:
    """True if a TCP connect to host:port succeeds right now."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class ManagedProcess:
    """One external process in its own session, logging stdout+stderr to `log_path`.

    The process also gets SIGTERM if the thread that started it dies (setpriv
    --pdeathsig), so a crashed or os._exit()-ed test run (segfault, pytest-timeout)
    leaves nothing behind; hence start it from a thread that outlives it, such as
    pytest's main thread.
    """

    def __init__(
        self,
        argv: Sequence[str | Path],
        *,
        log_path: Path,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        self.name = name or Path(self.argv[0]).name
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} pid={self.pid} rc={self.returncode}>"

    # lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Start the process; its output is appended to the log file."""
        if self.running:
            raise RuntimeError(f"{self.name} already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env} if self.env is not None else None
        with self.log_path.open("ab") as log:
            log.write(f"==== start: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                _DIE_WITH_PARENT + self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.cwd,
                # own session/process group so stop() also reaches forked children
                start_new_session=True,
            )
        _LIVE.add(self)
        return self

    def stop(self, timeout: float = 5.0, sig: int = signal.SIGTERM) -> int | None:
        """Signal the process group, wait up to `timeout`, then SIGKILL it."""
        popen = self._popen
        if popen is None:
            return None
        pgid = popen.pid  # start_new_session makes the child its group leader
        if popen.poll() is None:
            self._signal_group(pgid, sig)
            try:
                popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(pgid, signal.SIGKILL)
                popen.wait(timeout)
        # children that outlived the leader (e.g. kamailio workers) still hold ports
        self._signal_group(pgid, signal.SIGKILL)
        _LIVE.discard(self)
        return popen.returncode

    @staticmethod
    def _signal_group(pgid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    def __enter__(self) -> Self:
        return self.start() if self._popen is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # state -------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen else None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    # logs --------------------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = TAIL_LINES) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    def describe(self) -> str:
        """Status and log tail, for assertion messages."""
        return f"{self.name} pid={self.pid} returncode={self.returncode}\n{self.log_tail()}"

    # waits -------------------------------------------------------------------

    def _died(self) -> str | None:
        rc = self.returncode
        return None if rc is None else f"{self.name} exited with status {rc}"

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """`wait_until` that fails fast if the process exits, with its log tail."""
        wait_until(predicate, timeout, what, abort=self._died, details=self.describe)

    def wait_for_log(self, pattern: str, timeout: float = 5.0, *, since: int = 0) -> re.Match[str]:
        """Wait for `pattern` (regex, multiline) in the log from offset `since`."""
        regex = re.compile(pattern, re.MULTILINE)
        found: list[re.Match[str]] = []

        def check() -> bool:
            match = regex.search(self.log_text(), since)
            if match:
                found.append(match)
            return match is not None

        self.wait_for(check, timeout, f"{self.name} log to match {pattern!r}")
        return found[0]

    def log_size(self) -> int:
        """Current log length in characters, to use as `since` for later waits."""
        return len(self.log_text())

    def wait_port(
        self, port: int, kind: PortKind = "tcp", timeout: float = 5.0, *, connect: bool = False
    ) -> None:
        """Wait until `port` is bound/listening (or, with connect=True, accepts TCP)."""
        if connect:
            self.wait_for(lambda: tcp_accepts(port), timeout, f"{self.name} to accept TCP {port}")
        else:
            self.wait_for(
                lambda: port_bound(port, kind), timeout, f"{self.name} to bind {kind} {port}"
            )

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to exit by itself; return its status."""
        if self._popen is None:
            raise RuntimeError(f"{self.name} was never started")
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            what = f"waiting for {self.name} to exit: timed out after {timeout:.1f}s"
            raise WaitTimeout(f"{what}\n{self.describe()}") from None
