"""The parent's side of a load worker (:mod:`softphone.load.worker`): :class:`WorkerProcess`.

Plain threads and :class:`~concurrent.futures.Future` objects only: under gevent's
monkey-patching (Locust's workers) they become greenlets and cooperative waits, while pjsua2 stays
in the child, which never runs gevent. The child is started with
:func:`softphone.desktop.children.spawn`, so it dies with this process (Linux), and it quits on
the end of its stdin as well, wherever this process ends.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

from softphone.desktop.children import spawn

_log = logging.getLogger(__name__)
Message = dict[str, Any]
_HEARD = 512  # events kept for wait_for: a few per agent's call, seven agents


class WorkerGone(RuntimeError):
    """The worker process ended before it answered."""


class WorkerProcess:
    """One load worker child and its JSON lines.

    :meth:`request` sends a command and returns a future of its reply (``ok`` true or false); the
    child's events, and any reply to no request of ours, go to ``on_event`` and to each
    callback given to :meth:`subscribe` on the reader thread ("load-worker-reader"), which must not
    block; :meth:`wait_for` waits for one. When the child ends, pending requests fail with
    :class:`WorkerGone`. Several users (Locust's) may share one worker: all of it is
    thread-safe."""

    def __init__(
        self,
        control_plane: str,
        ca_file: str | None = None,
        *,
        on_event: Callable[[Message], None] | None = None,
        stderr: int | IO[Any] | None = None,
    ) -> None:
        argv = [sys.executable, "-m", "softphone.load.worker", "--control-plane", control_plane]
        if ca_file:
            argv += ["--ca-file", ca_file]
        self._listeners: list[Callable[[Message], None]] = [on_event] if on_event else []
        self._heard: deque[Message] = deque(maxlen=_HEARD)
        self._changed = threading.Condition()  # the listeners and what was heard
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[Message]] = {}
        self._lock = threading.Lock()  # the pending table and stdin
        self._ended = False
        self.process: subprocess.Popen[bytes] = spawn(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
        self._reader = threading.Thread(target=self._read, name="load-worker-reader", daemon=True)
        self._reader.start()

    def __enter__(self) -> WorkerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def subscribe(self, listener: Callable[[Message], None]) -> Callable[[], None]:
        """Call ``listener`` with each event from now on (reader thread); returns its undo."""
        with self._changed:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._changed, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def wait_for(self, match: Callable[[Message], bool], timeout: float) -> Message:
        """The first event ``match`` accepts, among the last few heard (so one that came just
        before this call counts) or the next ones; TimeoutError after ``timeout`` s."""
        with self._changed:
            event = self._changed.wait_for(
                lambda: next((m for m in self._heard if match(m)), None) or self._ended, timeout
            )
        if not isinstance(event, dict):
            gone = "The load worker stopped" if event else "No such event came"
            raise TimeoutError(f"{gone} within {timeout:g} s.")
        return event

    def request(self, op: str, **fields: Any) -> Future[Message]:
        """Send ``{"op": op, **fields}`` with a fresh id; the future holds the reply."""
        reply: Future[Message] = Future()
        with self._lock:
            if self._ended:
                reply.set_exception(WorkerGone("The load worker has stopped."))
                return reply
            request_id = next(self._ids)
            self._pending[request_id] = reply
            line = json.dumps({**fields, "id": request_id, "op": op}) + "\n"
            try:
                stdin = self.process.stdin
                assert stdin is not None
                stdin.write(line.encode())
                stdin.flush()
            except (OSError, ValueError):  # a closed pipe: the child is gone or going
                self._pending.pop(request_id, None)
                reply.set_exception(WorkerGone("The load worker is not reading commands."))
        return reply

    def close(self, timeout: float = 15.0) -> int:
        """Ask the worker to quit and wait ``timeout`` s; then SIGTERM, then SIGKILL it."""
        if self.process.poll() is None:
            self.request("quit")
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _log.warning("load worker %d did not quit; terminating it", self.pid)
                self.process.terminate()
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        with self._lock:
            if self.process.stdin is not None:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()
        self._reader.join(timeout)
        return self.process.returncode

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        for line in out:
            try:
                message = json.loads(line)
            except ValueError:
                _log.warning("load worker %d wrote a line that is not JSON", self.pid)
                continue
            if isinstance(message, dict):
                self._deliver(message)
        out.close()
        with self._lock, self._changed:
            self._ended = True
            pending, self._pending = self._pending, {}
            self._changed.notify_all()
        for reply in pending.values():
            reply.set_exception(WorkerGone("The load worker stopped before it answered."))

    def _deliver(self, message: Message) -> None:
        request_id = message.get("id")
        with self._lock:
            reply = self._pending.pop(request_id, None) if type(request_id) is int else None
        if reply is not None:
            reply.set_result(message)
            return
        with self._changed:
            self._heard.append(message)
            self._changed.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(message)
            except Exception:
                _log.exception("a load worker's event listener failed")
