"""A plain synchronous event bus, dispatched by event type (and its base classes)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from softphone.core.events import Event

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    E = TypeVar("E", bound=Event)
    Handler = Callable[[Any], None]

_log = logging.getLogger(__name__)


class EventBus:
    """Calls each subscriber of an event's type, in subscription order, on the publishing thread.

    The core publishes on one thread only (the GUI thread, or the headless agent's loop); the bus
    does no locking. A handler that raises is logged and does not stop the others.
    """

    def __init__(self) -> None:
        self._handlers: defaultdict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Subscribe; returns a function that unsubscribes."""
        self._handlers[event_type].append(handler)

        def unsubscribe() -> None:
            handlers = self._handlers.get(event_type, [])
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for cls in type(event).__mro__:
            if not (isinstance(cls, type) and issubclass(cls, Event)):
                continue
            for handler in tuple(self._handlers.get(cls, ())):
                try:
                    handler(event)
                except Exception:
                    _log.exception("handler %r failed on %s", handler, type(event).__name__)
