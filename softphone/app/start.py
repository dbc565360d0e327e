"""``vicifast-phone``'s desktop start: the first window's Qt-free modules begin importing on a
thread (:mod:`softphone.app.preload`), then :func:`softphone.app.process.run` loads Qt and runs
the app."""

from __future__ import annotations

from collections.abc import Sequence

from softphone.app import preload


def run(links: Sequence[str] = (), *, demo: bool = False) -> int:
    preload.begin()
    from softphone.app.process import run as run_process  # PySide6 from here

    return run_process(links, demo=demo)
