"""Child processes that cannot outlive the app: :func:`spawn` is ``subprocess.Popen`` plus that.

Demo mode starts kamailio and the demo lines in their own sessions (so a terminal's Ctrl+C or a
process-group signal reaches the app, which stops them in order). A killed app (SIGKILL, a crash,
an OOM kill) never gets to stop them, so the kernel must:

- Linux: ``PR_SET_PDEATHSIG`` in the child between fork and exec. Python 3.11 has no
  ``pdeathsig`` argument, so it is a ``preexec_fn``. The documented danger of ``preexec_fn`` with
  threads is a deadlock on a lock another thread held at fork time; ours calls nothing but a
  ctypes function resolved here at import (no import, no name lookup in libc, no allocation in
  our code) and ``os.getppid``/``os.kill``, while the forking thread holds the GIL. The kernel
  sends the signal when the *thread* that forked exits, not the process, so spawning from a
  short-lived thread would kill the child with it: :func:`spawn` runs ``Popen`` on the main
  thread directly and on one long-lived daemon thread otherwise.
- Windows: a job object with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`` that this process holds open;
  when the process ends, however it ends, Windows closes the handle and kills the job. (Written
  with ctypes; not exercised by the test suite, which runs on Linux.)
- macOS: nothing equivalent; the app's orderly stop is all there is.
"""

from __future__ import annotations

import ctypes
import functools
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import IO, Any

__all__ = ["spawn"]

_PR_SET_PDEATHSIG = 1


def _resolve_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _resolve_prctl()


def _die_with(parent: int, sig: int) -> Callable[[], None] | None:
    prctl = _PRCTL
    if prctl is None:
        return None

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: nobody will signal us
            os.kill(os.getpid(), signal.SIGKILL)

    return in_child


def spawn(
    argv: Sequence[str],
    *,
    death_signal: int = signal.SIGTERM,
    stdin: int | IO[Any] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    text: bool = False,
) -> subprocess.Popen[Any]:
    """Start ``argv`` in its own session; it gets ``death_signal`` (Linux) or is killed
    (Windows) when this process ends. SIGTERM lets a child stop its own workers (kamailio)."""
    start = functools.partial(
        subprocess.Popen,
        list(argv),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        text=text,
        start_new_session=True,
        # see the module's docstring for why this preexec_fn is safe with threads
        preexec_fn=_die_with(os.getpid(), death_signal),
    )
    if threading.current_thread() is threading.main_thread():
        process = start()
    else:
        done: Future[subprocess.Popen[Any]] = Future()
        _spawner().put((start, done))
        process = done.result()
    if sys.platform == "win32":  # pragma: no cover - not run on the Linux CI
        _windows_job().assign(process)
    return process


_Job = tuple[Callable[[], "subprocess.Popen[Any]"], "Future[subprocess.Popen[Any]]"]


@functools.cache
def _spawner() -> queue.SimpleQueue[_Job]:
    """The thread that forks for other threads: it lives as long as the process does."""
    requests: queue.SimpleQueue[_Job] = queue.SimpleQueue()
    threading.Thread(target=_serve, args=(requests,), name="child-spawner", daemon=True).start()
    return requests


def _serve(requests: queue.SimpleQueue[_Job]) -> None:
    while True:
        start, done = requests.get()
        try:
            done.set_result(start())
        except BaseException as err:  # handed to the caller
            done.set_exception(err)


class _WindowsJob:  # pragma: no cover - Windows only
    """A kill-on-close job object; its handle is never closed by us, so it closes at exit."""

    def __init__(self) -> None:
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]

        class _Basic(ctypes.Structure):
            _fields_ = [
                ("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD),
                ("SchedulingClass", wintypes.DWORD),
            ]

        class _Io(ctypes.Structure):
            _fields_ = [(n, ctypes.c_uint64) for n in ("r", "w", "o", "rb", "wb", "ob")]

        class _Extended(ctypes.Structure):
            _fields_ = [
                ("BasicLimitInformation", _Basic),
                ("IoInfo", _Io),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t),
            ]

        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        kernel32.OpenProcess.restype = wintypes.HANDLE
        self._kernel32 = kernel32
        self._handle = kernel32.CreateJobObjectW(None, None)
        if not self._handle:
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]
        info = _Extended()
        info.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        extended_limit_information = 9
        if not kernel32.SetInformationJobObject(
            self._handle, extended_limit_information, ctypes.byref(info), ctypes.sizeof(info)
        ):
            raise ctypes.WinError(ctypes.get_last_error())  # type: ignore[attr-defined]

    def assign(self, process: subprocess.Popen[Any]) -> None:
        # Popen keeps the process handle private: open our own (SET_QUOTA | TERMINATE).
        handle = self._kernel32.OpenProcess(0x0100 | 0x0001, False, process.pid)
        if not handle:
            return  # it already exited
        try:
            self._kernel32.AssignProcessToJobObject(self._handle, handle)
        finally:
            self._kernel32.CloseHandle(handle)


@functools.cache
def _windows_job() -> _WindowsJob:  # pragma: no cover - Windows only
    return _WindowsJob()
