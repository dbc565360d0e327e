"""Stopping the engine finalises only its own objects on the SIP thread.

The engine collects reference cycles on its thread before pjsua2's libDestroy, when a pjsua2 object
is still alive in one. A collection there also finalises the rest of the process's garbage on that
thread: in the app, Qt objects, and a Qt object torn down off the GUI thread can deadlock the GUI
thread (seen: the SIP thread holding Qt's connection lock and waiting for the GIL, the GUI thread
holding the GIL and waiting for that lock, in a label's ``setText``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, EngineConfig
from softphone.sip.engine import SipEngine
from tests.enginekit.accounts import TIMEOUT, add_peers, peer_config
from tests.enginekit.recorder import EventRecorder
from tests.integration.conftest import assert_no_pj_objects_left
from tests.support.cycles import Cycle

pytestmark = pytest.mark.integration


@pytest.fixture
def no_automatic_collection() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_stopping_the_engine_after_a_call_finalises_no_garbage_of_others_on_its_thread(
    recorder: EventRecorder, no_automatic_collection: None
) -> None:
    engine = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"))
    engine.start()
    peers = add_peers(
        engine,
        peer_config("agent", auto_answer=AutoAnswerPolicy(AutoAnswerMode.ALWAYS)),
        peer_config("dialer"),
    )
    out = engine.make_call("dialer", peers.uri("agent")).result(TIMEOUT)
    recorder.wait(ev.CallStateChanged, call_id=out, state=ev.CallState.CONFIRMED)
    finalised_on: list[str] = []
    Cycle(finalised_on)  # e.g. a Qt object of the app's that became garbage

    engine.stop()
    recorder.wait(ev.EngineStopped, timeout=10)

    assert finalised_on == [], "the engine's thread finalised garbage that was not its own"
    assert_no_pj_objects_left()
    gc.collect()
    assert finalised_on == [threading.current_thread().name]
