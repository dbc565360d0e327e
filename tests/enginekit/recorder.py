"""Collects engine events (emitted on the SIP thread) and lets a test wait for one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from softphone.core import events as ev

E = TypeVar("E", bound=ev.Event)


class EventRecorder:
    """Thread-safe event log; ``wait`` blocks on a condition, never sleeps blindly."""

    def __init__(self) -> None:
        self._events: list[ev.Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: ev.Event) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    @property
    def events(self) -> list[ev.Event]:
        with self._cond:
            return list(self._events)

    def of(self, kind: type[E], **fields: Any) -> list[E]:
        return [e for e in self.events if isinstance(e, kind) and _matches(e, fields)]

    def wait(
        self,
        kind: type[E],
        timeout: float = 10.0,
        where: Callable[[E], bool] | None = None,
        *,
        after: int = 0,
        **fields: Any,
    ) -> E:
        """The first event of ``kind`` (at index >= ``after``) whose fields match."""

        def find() -> E | None:
            for event in self._events[after:]:
                if (
                    isinstance(event, kind)
                    and _matches(event, fields)
                    and (where is None or where(event))
                ):
                    return event
            return None

        with self._cond:
            found = self._cond.wait_for(find, timeout)
            if found is None:
                shown = "\n  ".join(repr(e) for e in self._events[-25:])
                wanted = f"{kind.__name__} matching {fields}"
                raise AssertionError(f"no {wanted} within {timeout}s; last events:\n  {shown}")
            return found

    def mark(self) -> int:
        """An index to pass as ``after=`` so a wait only sees events from now on."""
        with self._cond:
            return len(self._events)


def _matches(event: ev.Event, fields: dict[str, Any]) -> bool:
    return all(getattr(event, k) == v for k, v in fields.items())
