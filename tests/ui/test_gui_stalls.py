"""Nothing blocks the GUI thread: a dead resolver under the network watch and a locked keychain
at resume leave the event loop answering within 100 ms."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.core.secret import Secret
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.signin import SignInConfig
from tests.support.stall_probe import stall_probe
from tests.ui.app_kit import app_maker
from tests.ui.test_app_shell import FakeEngine
from tests.unit.history_kit import MemorySecrets

STALL_S = 0.100
DEAD_S = 5.0


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    with app_maker(qtbot, tmp_path, FakeEngine) as build:
        yield build


def test_a_dead_resolver_does_not_stall_the_window(
    qtbot: QtBot, make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    released = threading.Event()
    real = socket.getaddrinfo

    def dead_resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(threading.current_thread().name)
        released.wait(DEAD_S)  # a resolver that never answers: the stub's timeout
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", dead_resolver)
    # the wildcard bind is what turns the network watch on
    app = make_app(signin=SignInConfig(control_plane="https://pbx.invalid", bind_address=""))
    try:
        with stall_probe() as probe:
            app.start()
            assert app.net_watch is not None
            # the first lookup at start, then the next tick after it gave up (~2 ticks, 6 s)
            qtbot.waitUntil(lambda: len(lookups) >= 2, timeout=15_000)
            assert app.net_watch.probing  # the second is still hanging...
        assert probe.ticks > 100
        assert probe.worst_s < STALL_S, probe
        assert all(name.startswith("gui-pool") for name in lookups), lookups
        assert len(lookups) == 2  # ...and one in flight at a time: no pile-up behind it
    finally:
        released.set()
        monkeypatch.setattr(socket, "getaddrinfo", real)


class LockedKeychain(MemorySecrets):
    """A keychain whose reads wait on an unlock prompt nobody answers (until ``unlock``)."""

    def __init__(self) -> None:
        super().__init__()
        self.unlocked = threading.Event()
        self.reads: list[str] = []

    def get(self, key: str) -> Secret | None:
        self.reads.append(threading.current_thread().name)
        self.unlocked.wait(DEAD_S)
        return super().get(key)

    def unlock(self) -> None:
        self.unlocked.set()


def test_a_locked_keychain_at_resume_does_not_stall_the_window(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    keychain = LockedKeychain()
    app = make_app(store=keychain)
    states: list[SessionState] = []
    app.bus.subscribe(SessionStateChanged, lambda e: states.append(e.state))
    try:
        with stall_probe() as probe:
            app.start()  # resumes: reads the saved session from the keychain
            qtbot.waitUntil(lambda: bool(keychain.reads), timeout=5000)
            qtbot.wait(1000)  # the prompt is up: the window keeps answering meanwhile
            assert app.window.isVisible()
            keychain.unlock()
            qtbot.waitUntil(lambda: SessionState.SIGNED_OUT in states, timeout=5000)
        assert probe.worst_s < STALL_S, probe
        gui = threading.main_thread().name
        assert keychain.reads and gui not in keychain.reads, keychain.reads
    finally:
        keychain.unlock()
