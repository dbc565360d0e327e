"""pytest fixtures for audio tests (a plugin: tests/conftest.py): ``pulse_server``, ``pulse`` and
``private_pulse`` (private PulseAudio daemons); ``card_rings`` and ``card_engine`` (an engine whose
calls' audio goes through rings that a simulated card, tests/audio/drifting.py, serves)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.models import EngineConfig
from softphone.sip.engine import SipEngine
from tests.audio.pulse import MIC, SPEAKER, PulseServer, available
from tests.enginekit.recorder import EventRecorder


@pytest.fixture(scope="session", name="pulse_server")
def pulse_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """One private PulseAudio for the session (its virtual mic needs ~2 s to start delivering)."""
    if not available():
        pytest.fail("PulseAudio is not installed: run scripts/test, which installs it")
    server = PulseServer(tmp_path_factory.mktemp("pulse")).start()
    yield server
    server.stop()


@pytest.fixture(name="pulse")
def pulse_fixture(
    pulse_server: PulseServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PulseServer]:
    """The private PulseAudio with this process pointed at it; defaults reset, helpers stopped."""
    for key, value in pulse_server.client_env.items():
        monkeypatch.setenv(key, value)
    pulse_server.pactl("set-default-sink", SPEAKER)
    pulse_server.pactl("set-default-source", MIC)
    yield pulse_server
    pulse_server.stop_helpers()


@pytest.fixture(name="private_pulse")
def private_pulse_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PulseServer]:
    """A PulseAudio of this test's own, with this process pointed at it: for tests that unload
    sinks or move the defaults, which the session's ``pulse`` must not see."""
    if not available():
        pytest.fail("PulseAudio is not installed: run scripts/test, which installs it")
    server = PulseServer(tmp_path / "pulse")
    try:
        server.start()
        for key, value in server.client_env.items():
            monkeypatch.setenv(key, value)
        yield server
    finally:
        server.stop()


@pytest.fixture
def card_rings() -> AudioRings:
    return AudioRings.create()


@pytest.fixture
def card_engine(card_rings: AudioRings, recorder: EventRecorder) -> Iterator[SipEngine]:
    """An engine on 127.0.0.1 whose calls' audio goes through ``card_rings``."""
    from tests.integration.conftest import assert_no_pj_objects_left

    engine = SipEngine(recorder, EngineConfig(bind_address="127.0.0.1"), audio=card_rings)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()
        recorder.wait(ev.EngineStopped)
        assert_no_pj_objects_left()
