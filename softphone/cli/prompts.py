"""Secrets for the command line: from a file, a file descriptor, an environment variable, or a
hidden prompt on a terminal.

A password is never taken from a flag (it would sit in the shell history and in the process
list), nor read from a pipe without saying where it should come from. A file (``--password-file``,
only its owner may read it) or a descriptor (``--password-fd``, e.g. a pipe from a password
manager) is the way to give one to an unattended run. An environment variable still works, and is
taken out of the environment at once, so that no process started later inherits it; but Linux
keeps showing a process's *initial* environment in ``/proc/PID/environ`` (see docs/security.md).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from softphone.core.errors import ConfigError
from softphone.core.secret import Secret

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

MAX_SECRET_BYTES: Final = 4096
FLAGS: Final = "--password-file or --password-fd"

# Values of secret variables taken out of the environment before they were needed (see
# take_from_environment); each is handed out once.
_taken: dict[str, str] = {}


def take_from_environment(*names: str) -> None:
    """Unset `names` now (in ``os.environ`` and the C environment, so that no child process
    inherits them) and keep their values for :func:`from_environment`. Forgets what an earlier
    call took."""
    _taken.clear()
    for name in names:
        value = os.environ.pop(name, None)
        if value:
            _taken[name] = value


def from_environment(name: str) -> str | None:
    """``$name`` (unset at once) or the value :func:`take_from_environment` took; each once."""
    value = os.environ.pop(name, None)
    taken = _taken.pop(name, None)
    return value or taken or None


def forget_taken() -> None:
    """Drop what :func:`take_from_environment` took and nothing read (at the end of a command)."""
    _taken.clear()


def add_password_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--password-file FILE`` and ``--password-fd N`` (one or the other) for `what`."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help=f"read {what} from FILE, which holds it alone on one line and is yours and "
        "readable by you only (chmod 600)",
    )
    group.add_argument(
        "--password-fd",
        type=int,
        metavar="N",
        help=f"read {what} from file descriptor N to its end (0: standard input), e.g. "
        "3< <(pass show vicidial) --password-fd 3; N is closed after",
    )


def read_secret(
    env: str,
    prompt: str,
    what: str = "the password",
    *,
    file: Path | None = None,
    fd: int | None = None,
) -> Secret:
    """The secret from `file`, else descriptor `fd`, else ``$env``, else a hidden prompt on a
    terminal; else a ConfigError saying how to give it. ``$env`` is unset in any case."""
    from_env = from_environment(env)
    if file is not None:
        return Secret(read_secret_file(file, what))
    if fd is not None:
        return Secret(read_secret_fd(fd, what))
    if from_env:
        return Secret(from_env)
    if sys.stdin.isatty():
        import getpass

        return Secret(getpass.getpass(prompt))
    raise ConfigError(
        f"Give {what} with {FLAGS} (or set ${env}), or run this in a terminal to be asked for it."
    )


def read_secret_from_args(args: argparse.Namespace, env: str, what: str) -> Secret:
    """:func:`read_secret` with the command's ``--password-file``/``--password-fd`` (added by
    :func:`add_password_arguments`); the prompt names ``what`` ("the SIP password")."""
    prompt = what.removeprefix("the ")
    prompt = f"{prompt[:1].upper()}{prompt[1:]}: "
    return read_secret(env, prompt, what, file=args.password_file, fd=args.password_fd)


def read_secret_file(path: Path, what: str = "the password") -> str:
    """The one line of `path`: a regular file of this user that nobody else may read or write
    (on Windows the file's ACL is not checked)."""
    flags = os.O_RDONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO must not hang the open
    except OSError as err:
        raise ConfigError(f"Cannot read {what} from {path}: {err.strerror}.") from None
    try:
        info = os.fstat(fd)  # the file opened, not whatever the name points to by now
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path} is not a regular file; put {what} in one.")
        if sys.platform != "win32":
            if info.st_uid != os.geteuid():
                raise ConfigError(
                    f"{path} belongs to another user (uid {info.st_uid}); {what} must be in a "
                    "file of your own."
                )
            if info.st_mode & 0o077:
                raise ConfigError(
                    f"Other users may read or change {path} (mode "
                    f"{stat.S_IMODE(info.st_mode):04o}); run: chmod 600 '{path}'"
                )
        return _decode(_read_capped(fd), f"{path}", what)
    finally:
        os.close(fd)


def read_secret_fd(fd: int, what: str = "the password") -> str:
    """Everything written to descriptor `fd` up to end of file (one trailing newline dropped);
    the descriptor is closed after (stdin is put on the null device instead)."""
    if fd in (1, 2):
        raise ConfigError("--password-fd takes 0 (standard input) or a descriptor of 3 or more.")
    if os.isatty(fd):
        raise ConfigError(
            f"Descriptor {fd} is a terminal, which would show {what} as you type it; leave out "
            "--password-fd to be asked for it instead."
        )
    try:
        data = _read_capped(fd)
    except OSError as err:
        raise ConfigError(f"Cannot read {what} from descriptor {fd}: {err.strerror}.") from None
    finally:
        _release(fd)
    return _decode(data, f"descriptor {fd}", what)


def _release(fd: int) -> None:
    """Close `fd`; for stdin, open the null device in its place (a later open must not become
    descriptor 0, which code reading standard input would then read)."""
    try:
        if fd == 0:
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
        else:
            os.close(fd)
    except OSError:
        pass  # not open in the first place: reading it said so already


def _read_capped(fd: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_SECRET_BYTES:
        chunk = os.read(fd, MAX_SECRET_BYTES + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_SECRET_BYTES:
        raise ConfigError(
            f"More than {MAX_SECRET_BYTES} bytes where a password was expected; give the "
            "password alone."
        )
    return b"".join(chunks)


def _decode(data: bytes, where: str, what: str) -> str:
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text; write {what} as UTF-8.") from None
    if not text:
        raise ConfigError(f"{where} is empty; it should hold {what}.")
    if any(c in text for c in "\r\n\0"):
        raise ConfigError(f"{where} holds more than one line; it should hold {what} alone.")
    return text
