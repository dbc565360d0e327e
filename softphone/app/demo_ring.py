"""Demo mode's "Ring me like VICIdial": the tone line calls this phone with an auto-answer
request, at the address the engine listens on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from softphone.app.engine import AppEngine
from softphone.core.models import EngineSnapshot
from softphone.ui.bridge import QtBridge

if TYPE_CHECKING:
    from softphone.demo.environment import DemoEnvironment

_log = logging.getLogger(__name__)


def ring_me(
    env: DemoEnvironment, engine: AppEngine, bridge: QtBridge, inform: Callable[[str], None]
) -> None:
    """Ask the engine where it listens, then have the tone line ring there (GUI thread);
    ``inform`` shows what went wrong."""

    def got(future: Future[EngineSnapshot]) -> None:  # the SIP thread
        if future.cancelled() or future.exception() is not None:
            _log.warning("the engine's address is unknown: %s", future.exception())
            return
        hostport = future.result().transports.get("udp", "")
        bridge.post_call(lambda: _ring(env, hostport, inform))

    engine.current.snapshot().add_done_callback(got)


def _ring(env: DemoEnvironment, hostport: str, inform: Callable[[str], None]) -> None:
    from softphone.demo.environment import DemoError

    try:
        env.ring_agent(env.agent_uri(hostport))
    except DemoError as err:
        inform(str(err))
