"""Folders and files only their owner can open: 0700 folders, 0600 files.

What the app writes under the user's data, config, state and log directories says something
about the person (call history, SIP traces with callers' numbers, settings, install ids), so it
is created owner-only whatever the process's umask, and a folder of the app's own that an older
version created wider is tightened. The modes are set explicitly (not by a umask), so they also
hold when another program imports these modules.

POSIX only: on Windows the profile folders these live in are the user's own (ACLs), and Python's
``chmod`` there changes only the read-only flag, so nothing is changed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path
from typing import Final

_log = logging.getLogger(__name__)

PRIVATE_DIR: Final = 0o700
PRIVATE_FILE: Final = 0o600
_POSIX: Final = os.name == "posix"
CREATE: Final = os.O_WRONLY | os.O_CREAT | os.O_TRUNC  # open_private's default: a new file


def private_dir(path: Path, *, owned_from: str = "") -> Path:
    """Make ``path`` a folder only its owner can open, and return it.

    Missing folders on the way are created 0700 (as the XDG base-directory spec asks of a
    missing base directory). Existing ones are tightened only where they are the app's own:
    ``path`` itself and, with ``owned_from``, every folder up to the nearest ancestor of that name
    (the log folder ``…/vicifast-desktop/log`` and ``…/vicifast-desktop`` above it).
    """
    missing: list[Path] = []
    here = path
    while not here.exists() and here.parent != here:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another thread
            folder.mkdir(PRIVATE_DIR)
        _narrow(folder, PRIVATE_DIR)  # the umask can only narrow the mode; set it exactly
    owned = [path]
    if owned_from:
        for ancestor in path.parents:
            owned.append(ancestor)
            if ancestor.name == owned_from:
                break
        else:
            owned = [path]  # no such ancestor (a test's or the demo's folder): only ``path``
    for folder in owned:
        _narrow(folder, PRIVATE_DIR)
    return path


def open_private(path: Path, flags: int = CREATE) -> int:
    """``os.open`` for a file only its owner may read: a new file is created 0600, and one that
    was already there is set to 0600 before anything is written to it. Returns the descriptor."""
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE)
    if _POSIX:
        try:
            if stat.S_IMODE(os.fstat(fd).st_mode) & ~PRIVATE_FILE:
                os.fchmod(fd, PRIVATE_FILE)
        except PermissionError:  # a file of another owner the person chose to overwrite
            _log.warning("could not make %s private to its owner", path)
        except BaseException:
            os.close(fd)
            raise
    return fd


def private_file(path: Path) -> None:
    """Tighten an existing file to 0600 (nothing if it is missing or already that narrow)."""
    _narrow(path, PRIVATE_FILE)


def _narrow(path: Path, mode: int) -> None:
    if not _POSIX:
        return
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:
            path.chmod(mode)
    except FileNotFoundError:
        return
    except PermissionError:  # not ours (a folder the person pointed us at): leave it
        _log.warning("could not make %s private to its owner", path)
