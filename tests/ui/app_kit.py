"""The app's options for the shell tests: a temporary home, an in-memory keychain, no network,
every confirmation answered yes, and the engine the test brings."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from softphone.app import App, AppOptions
from softphone.audio.backend import NullBackend
from softphone.core import events as ev
from softphone.core.models import EngineSnapshot, Ringtone
from softphone.signin.config import SignInConfig
from tests.unit.history_kit import MemorySecrets

QUIT_WAIT = 15_000  # ms: beyond the app's own quit bound


class QuietEngine:
    """Stands in for SipEngine: the app starts and stops it, what it asks at start is answered,
    and every command is recorded in ``calls``."""

    def __init__(self, emit: Callable[..., None], config: Any, audio: Any) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def _done(self, *call: Any, value: Any = None) -> Future[Any]:
        self.calls.append(call)
        future: Future[Any] = Future()
        future.set_result(value)
        return future

    def set_sip_trace(self, on: bool) -> Future[bool]:
        return self._done("set_sip_trace", on, value=True)

    def make_call(self, account_id: str, target: str) -> Future[str]:
        return self._done("make_call", account_id, target, value="call-1")

    def snapshot(self) -> Future[EngineSnapshot]:
        empty = EngineSnapshot({}, (), {}, None, Ringtone.WARBLE)
        return self._done("snapshot", value=empty)


class CallingEngine(QuietEngine):
    """A ``QuietEngine`` that also mutes and hangs up: each recorded in ``calls`` and reported
    back on the bus as the engine would (``CallMediaChanged``; ``CallStateChanged`` ending the
    call)."""

    def __init__(self, emit: Callable[..., None], config: Any, audio: Any) -> None:
        super().__init__(emit, config, audio)
        self.emit = emit

    def set_mute(self, call_id: str, muted: bool) -> Future[None]:
        media = ev.CallMediaChanged(
            call_id=call_id, hold=ev.HoldState.NONE, muted=muted, active=True
        )
        self.emit(media)
        return self._done("set_mute", call_id, muted)

    def hangup(self, call_id: str) -> Future[None]:
        self.emit(
            ev.CallStateChanged(
                call_id=call_id,
                account_id="session",
                state=ev.CallState.DISCONNECTED,
                direction=ev.Direction.INBOUND,
                remote_uri="sip:5551234@pbx",
                remote_number="5551234",
                remote_display="Ann Example",
                sip_code=200,
                connected=True,
            )
        )
        return self._done("hangup", call_id)


def app_options(tmp_path: Path, engine_factory: Any, **overrides: Any) -> AppOptions:
    options = AppOptions(
        data_dir=tmp_path / "data",
        settings_path=tmp_path / "settings.json",
        store=MemorySecrets(),
        device_id="test-device",
        signin=SignInConfig(control_plane="https://127.0.0.1:9", bind_address="127.0.0.1"),
        instance=f"vicifast-test-app-{uuid.uuid4().hex[:8]}",  # unique: tests run in parallel
        engine_factory=engine_factory,
        audio_backend=NullBackend,
        tray=True,
        confirm=lambda parent, text: True,
    )
    for key, value in overrides.items():
        setattr(options, key, value)
    return options


@contextmanager
def app_maker(
    qtbot: QtBot, tmp_path: Path, engine_factory: Any, **defaults: Any
) -> Iterator[Callable[..., App]]:
    """``make(**overrides)`` builds an App on ``app_options``; every app made quits at the end
    (and the quit, which runs in the background, has finished before the next test)."""
    made: list[App] = []

    def make(**overrides: Any) -> App:
        app = App(app_options(tmp_path, engine_factory, **{**defaults, **overrides}))
        qtbot.addWidget(app.window)
        made.append(app)
        return app

    try:
        yield make
    finally:
        for app in made:
            app.quit()
        for app in made:  # quitting ends in the background: nothing of it outlives the test
            qtbot.waitUntil(lambda app=app: app.stopped_cleanly is not None, timeout=QUIT_WAIT)
