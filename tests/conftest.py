"""Fixtures shared by every test layer."""

from __future__ import annotations

import pytest

from tests.enginekit.recorder import EventRecorder

pytest_plugins = ["tests.audio.fixtures"]


@pytest.fixture
def recorder() -> EventRecorder:
    return EventRecorder()
