"""Demo mode's "Ring me like VICIdial": the tone line calls the signed-in agent's extension
with an auto-answer request, through the demo's registrar or at the address the engine
listens on; and "Ring me and give up": the same call without the request, which the tone line
gives up on if nobody answers in time (a missed call, as in Recents and the tray)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from softphone.app.engine import AppEngine
from softphone.core.models import EngineSnapshot
from softphone.ui.bridge import QtBridge

if TYPE_CHECKING:
    from softphone.demo.environment import DemoEnvironment

_log = logging.getLogger(__name__)


def ring_me(
    env: DemoEnvironment,
    engine: AppEngine,
    bridge: QtBridge,
    inform: Callable[[str], None],
    *,
    signed_in: bool,
    auto_answer: bool = True,
) -> None:
    """Have the tone line ring the account the engine holds for the signed-in agent (GUI
    thread), with the auto-answer request or (``auto_answer=False``) without it; ``inform``
    shows why it cannot (nobody signed in) or what went wrong."""
    account = engine.account
    if not signed_in or account is None:
        inform(
            QCoreApplication.translate(
                "App", "Sign in first: the demo rings the phone of the agent who is signed in."
            )
        )
        return
    extension = account.extension  # whoever signed in (or a QR code's account), not agent1

    def got(future: Future[EngineSnapshot]) -> None:  # the SIP thread
        if future.cancelled() or future.exception() is not None:
            _log.warning("the engine's address is unknown: %s", future.exception())
            return
        hostport = future.result().transports.get("udp", "")
        uri = env.agent_uri(hostport, extension)
        bridge.post_call(lambda: _ring(env, uri, inform, auto_answer))

    engine.current.snapshot().add_done_callback(got)


def _ring(env: DemoEnvironment, uri: str, inform: Callable[[str], None], auto_answer: bool) -> None:
    from softphone.demo.environment import DemoError

    try:
        env.ring_agent(uri, auto_answer=auto_answer)
    except DemoError as err:
        inform(str(err))
