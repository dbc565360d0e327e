"""Fixtures shared by every test layer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from softphone.core import events as ev
from softphone.core.models import EngineConfig
from softphone.sip.call import SipAccount, SipCall
from softphone.sip.engine import SipEngine
from tests.enginekit.recorder import EventRecorder


@pytest.fixture
def recorder() -> EventRecorder:
    return EventRecorder()


@pytest.fixture
def engine(recorder: EventRecorder) -> Iterator[SipEngine]:
    """A started engine bound to 127.0.0.1; stopped (orderly) at teardown."""
    sip = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1", poll_interval_ms=200))
    sip.start()
    yield sip
    sip.stop()
    recorder.wait(ev.EngineStopped, timeout=10)
    assert_no_pj_objects_left()


def assert_no_pj_objects_left() -> None:
    """No pjsua2 wrapper may outlive the engine: the GC would delete it later, on this thread,
    against a destroyed (or a newer) library instance."""
    left = [o for o in gc.get_objects() if isinstance(o, SipCall | SipAccount)]
    assert not left, f"pjsua2 objects outlived the engine: {left!r}"
