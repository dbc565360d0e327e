"""How the core hands blocking work and timers to its host: :class:`Executor`, :class:`Outcome`,
:class:`Scheduler`.

The core runs on one thread (the GUI thread, or the headless loop's). Work that blocks (HTTP,
the keychain, files) goes through an injected :class:`Executor`, which runs it elsewhere and hands
its :class:`Outcome` back on the core thread; a :class:`Scheduler` runs callbacks there later. The
Qt bridge (``softphone.ui.bridge``) and the headless loop (``softphone.headless.loop``) provide
both; :func:`run_inline` is for tests and one-shot scripts.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class Cancellable(Protocol):
    def cancel(self) -> object: ...


class Scheduler(Protocol):
    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Cancellable:
        """Run ``callback`` on the core thread after ``delay_s`` seconds."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What a piece of blocking work returned, or the error it raised."""

    value: T | None = None
    error: BaseException | None = None

    @classmethod
    def of(cls, work: Callable[[], T]) -> Outcome[T]:
        try:
            return cls(value=work())
        except Exception as err:  # handed to the core thread, which decides
            return cls(error=err)


class Executor(Protocol):
    def __call__(self, work: Callable[[], T], done: Callable[[Outcome[T]], None], /) -> None:
        """Run ``work`` off the core thread, then ``done`` with its outcome on the core thread."""
        ...


def run_inline(work: Callable[[], T], done: Callable[[Outcome[T]], None]) -> None:
    """An executor that blocks the caller: for tests and one-shot scripts only."""
    done(Outcome.of(work))


def pooled(pool: ThreadPoolExecutor, post: Callable[[Callable[[], None]], None]) -> Executor:
    """An executor running work on ``pool`` and ``done`` wherever ``post`` puts it (the Qt
    bridge's queued signal, or the headless agent's queue): the core thread."""

    def run(work: Callable[[], T], done: Callable[[Outcome[T]], None]) -> None:
        def job() -> None:
            outcome = Outcome.of(work)
            post(lambda: done(outcome))

        pool.submit(job)

    return run
