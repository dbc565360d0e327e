"""The world a load test runs its agents in: the bundled emulator over TLS with kamailio and one
more generated agent (company LOAD) than a worker holds, closed (its processes stopped by PID)
after."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.demo.environment import DemoEnvironment, start_demo_environment
from softphone.emulator.registrar import kamailio_path
from softphone.load.host import MAX_AGENTS


@contextlib.contextmanager
def load_world(tmp_path: Path) -> Iterator[DemoEnvironment]:
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    made = start_demo_environment(tmp_path / "demo", load_agents=MAX_AGENTS + 1)
    try:
        yield made
    finally:
        made.close()
