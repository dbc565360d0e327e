"""Garbage only Python's cycle collector frees, that says on which thread it was finalised."""

from __future__ import annotations

import threading


class Cycle:
    """Refers to itself; on finalisation appends its thread's name to ``finalised_on``."""

    def __init__(self, finalised_on: list[str]) -> None:
        self.me = self
        self.finalised_on = finalised_on

    def __del__(self) -> None:
        self.finalised_on.append(threading.current_thread().name)
