"""Watches the descendants of a process and keeps each one's command line and environment.

A thread scans /proc every few milliseconds; a descendant is any process whose parent chain
reaches ``root``. Each process is read when first seen and again when its command line changes
(an exec). A process that lives for less than one scan can be missed: where every exec matters,
run the program under ``strace -f -e trace=execve -v`` as well (see ``execve_records``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

SCAN_INTERVAL_S = 0.005


@dataclass(slots=True)
class Seen:
    pid: int
    cmdlines: list[bytes] = field(default_factory=list)
    environs: list[bytes] = field(default_factory=list)


def proc_stat(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name: [state, ppid, pgrp, ...]; None once gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses
    return stat.rsplit(")", 1)[1].split()


def parent_pid(pid: int) -> int | None:
    """The parent of ``pid``, or None once it is gone."""
    fields = proc_stat(pid)
    return None if fields is None else int(fields[1])


def cmdline(pid: int) -> str:
    """The command line of ``pid``, spaces between the arguments; "" once gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def children_of(parent: int) -> dict[int, str]:
    """The live (not zombie) children of ``parent``, with their command lines."""
    kids = {}
    for entry in Path("/proc").iterdir():
        fields = proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None and fields[1] == str(parent) and fields[0] != "Z":
            kids[int(entry.name)] = cmdline(int(entry.name))
    return kids


def alive_in(groups: set[int] | list[int]) -> list[int]:
    """Processes, not zombies, whose PID or process group is one of ``groups``."""
    found = []
    for entry in Path("/proc").iterdir():
        fields = proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is None or fields[0] == "Z":
            continue
        if int(entry.name) in groups or int(fields[2]) in groups:
            found.append(int(entry.name))
    return found


class ProcessWatcher:
    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[int, Seen] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="proc-watch", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _descends(self, pid: int) -> bool:
        for _ in range(64):
            parent = parent_pid(pid)
            if parent is None or parent <= 1:
                return False
            if parent == self.root:
                return True
            pid = parent
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                pid = int(entry)
                if pid == self.root or not (pid in self.seen or self._descends(pid)):
                    continue
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                except OSError:
                    continue
                record = self.seen.setdefault(pid, Seen(pid))
                if not record.cmdlines or record.cmdlines[-1] != cmdline:
                    record.cmdlines.append(cmdline)
                    record.environs.append(environ)
            self._stop.wait(SCAN_INTERVAL_S)


def execve_records(strace_log: Path) -> list[bytes]:
    """The execve lines of an ``strace -f -e trace=execve -v -s 65536`` log (argv and envp in
    full, as strace prints them)."""
    return [line for line in strace_log.read_bytes().splitlines() if b"execve(" in line]
