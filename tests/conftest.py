"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from softphone.core import events as ev
from softphone.core.models import EngineConfig
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
