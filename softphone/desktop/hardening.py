"""Process hardening for the processes that hold secrets: no core dumps, no debugger from a
neighbour.

:func:`harden_process` runs first in the command line's process entry (the app, the agent, the
demo, the qr tools) and in the demo lines' child. What it switches off, per platform, and why
(docs/security.md, "Core dumps and debuggers"):

- everywhere but Windows: ``RLIMIT_CORE`` to 0, soft and hard, so a crash writes no core file
  holding a password (also inherited by children, which cannot raise it again);
- Linux: ``prctl(PR_SET_DUMPABLE, 0)``: no core dump through a pipe handler (systemd-coredump,
  apport) either, and processes of the same user can no longer ptrace this one or read its
  ``/proc/PID/mem``, ``environ`` or ``fd``. An ``execve`` resets it, so children are unaffected;
- macOS: the limit only. ``ptrace(PT_DENY_ATTACH)`` (KeePassXC uses it) would also stop the
  crash reporter and every debugger, and a signed bundle's hardened runtime already refuses other
  processes' ``task_for_pid`` (``entitlements.plist`` has no ``get-task-allow``);
- Windows: ``SEM_NOGPFAULTERRORBOX``, so a crash does not hand the process to Windows Error
  Reporting (which can keep or upload a memory dump). Its process ACL is left as it is.

Nothing here raises: a call the system refuses is logged once at debug level.
"""

from __future__ import annotations

import ctypes
import logging
import sys

__all__ = ["harden_process"]

_log = logging.getLogger(__name__)
_PR_SET_DUMPABLE = 4
_SEM_NOGPFAULTERRORBOX = 0x0002


def harden_process() -> None:
    """Turn off core dumps and (on Linux) same-user ptrace for this process; never raises."""
    if sys.platform != "win32":
        _no_core_files()
    if sys.platform.startswith("linux"):
        _not_dumpable()
    if sys.platform == "win32":
        _no_error_reporting()


def _no_core_files() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, OSError, ValueError) as exc:
        _log.debug("could not turn off core files: %s", exc)


def _not_dumpable() -> None:
    try:
        # dlopen(NULL): libc's symbols without ctypes.util.find_library, which runs ldconfig
        # and gcc (with this process's environment) to find a library
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            _log.debug("prctl(PR_SET_DUMPABLE, 0) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError) as exc:
        _log.debug("prctl(PR_SET_DUMPABLE, 0) is not available: %s", exc)


def _no_error_reporting() -> None:
    try:
        kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
        mode = kernel32.GetErrorMode()
        kernel32.SetErrorMode(mode | _SEM_NOGPFAULTERRORBOX)
    except (OSError, AttributeError) as exc:
        _log.debug("SetErrorMode is not available: %s", exc)
