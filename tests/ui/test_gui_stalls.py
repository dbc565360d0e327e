"""Nothing blocks the GUI thread: a dead resolver under the network watch, a locked keychain at
resume, a PortAudio re-scan that hangs, an engine slow to start, and a quit whose engine and
history take seconds leave the event loop answering, never late by a good part of any hang.
Quitting hides the window at once, loses no call, and ends within its bound even when a stop
hangs for good."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.app.process import EXIT_STUCK, exit_if_stuck
from softphone.audio.sounddevice_backend import SoundDeviceBackend
from softphone.core import events as ev
from softphone.core.secret import Secret
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.signin.config import SignInConfig
from softphone.storage.history import HistoryWriter
from softphone.storage.settings import AppSettings
from softphone.ui.quit_signal import QuitOnSignal
from tests.support.stall_probe import stall_probe
from tests.ui.app_kit import app_maker
from tests.ui.test_app_shell import FakeEngine
from tests.unit.history_kit import MemorySecrets

DEAD_S = 5.0
SLOW_S = 2.0  # "takes seconds": a start, a stop, a history write
# The GUI thread's worst lateness allowed: far below every hang here (SLOW_S and more), so any of
# them reaching the GUI thread fails, and far above what a loaded machine's scheduling adds
# (111 ms seen once in a parallel run of the suite; bench/gui.py measures the gaps themselves).
STALL_S = 0.5
WAIT = 15_000


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


# ---- sound devices --------------------------------------------------------------------------


def test_a_hanging_portaudio_rescan_does_not_stall_settings(
    qtbot: QtBot,
    make_app: Callable[..., App],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a microphone that is not there: no stream opens, so Refresh re-initialises PortAudio
    AppSettings(input_device_id="ALSA:gone").save(tmp_path / "settings.json")
    backend = SoundDeviceBackend(cards_file=None)
    sd = backend._sd
    real_init = sd._initialize
    released = threading.Event()
    inits: list[str] = []

    def hanging_init() -> None:  # Pa_Initialize waiting on a sound server that never answers
        inits.append(threading.current_thread().name)
        released.wait(DEAD_S * 2)
        real_init()

    app = make_app(audio_backend=lambda: backend)
    view = app.settings_view
    assert view is not None
    try:
        with stall_probe() as probe:
            app.start()
            qtbot.waitUntil(lambda: not view.looking_for_devices, timeout=WAIT)  # the first scan
            monkeypatch.setattr(sd, "_initialize", hanging_init)
            view.refresh_button.click()
            qtbot.waitUntil(lambda: view.looking_for_devices, timeout=WAIT)
            combos = (view.mic_combo, view.speaker_combo, view.ringer_combo)
            assert all(c.currentText() == "Looking for devices…" for c in combos)
            assert not any(c.isEnabled() for c in combos) and not view.refresh_button.isEnabled()
            view.refresh_devices()  # asked again meanwhile: one more scan after, not a queue
            view.refresh_devices()
            assert inits and app.window.isVisible()
            released.set()
            qtbot.waitUntil(lambda: len(inits) == 2 and not view.looking_for_devices, timeout=WAIT)
        assert probe.worst_s < STALL_S, probe
        assert inits == ["audio-ops_0", "audio-ops_0"], inits
        assert view.refresh_button.isEnabled()
        if view.mic_combo.currentText() == "No microphone found":  # a machine without any
            assert view.mic_combo.currentData() == "ALSA:gone"  # the choice is kept
        else:
            assert all(c.isEnabled() for c in combos)
            assert view.mic_combo.currentText() == "ALSA:gone (not connected)"
            assert view.speaker_combo.currentText() == "System default"
    finally:
        released.set()


# ---- the engine's start ---------------------------------------------------------------------


class SlowEngine(FakeEngine):
    """A FakeEngine whose start and stop each take ``SLOW_S`` (pjsua2 on a loaded machine), or
    whose stop hangs until ``release`` (``stop_hangs``); it remembers the threads."""

    stop_hangs = False

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.threads: dict[str, str] = {}
        self.released = threading.Event()

    def start(self) -> None:
        self.threads["start"] = threading.current_thread().name
        self.released.wait(SLOW_S)
        super().start()

    def stop(self) -> None:
        self.threads["stop"] = threading.current_thread().name
        self.released.wait(DEAD_S * 4 if self.stop_hangs else SLOW_S)
        # the engine hangs up the call still up as it stops: its end is recorded
        self.emit(ended_call("call-9"))
        super().stop()


def ended_call(call_id: str) -> ev.CallStateChanged:
    return ev.CallStateChanged(
        call_id=call_id,
        account_id="session",
        state=ev.CallState.DISCONNECTED,
        direction=ev.Direction.OUTBOUND,
        remote_uri=f"sip:{call_id}@pbx.test",
        remote_number=f"55501{call_id[-1]}",
        remote_display="",
        sip_code=200,
        reason="Normal call clearing",
    )


@pytest.fixture
def slow_engines(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[Callable[..., App], list[Any]]]:
    engines: list[SlowEngine] = []

    def factory(*args: Any) -> SlowEngine:
        engine = SlowEngine(*args)
        engines.append(engine)
        return engine

    try:
        with app_maker(qtbot, tmp_path, factory) as build:
            yield build, engines
    finally:
        for engine in engines:
            engine.released.set()


def test_the_window_answers_while_the_engine_starts(
    qtbot: QtBot, slow_engines: tuple[Callable[..., App], list[SlowEngine]]
) -> None:
    make, engines = slow_engines
    app = make()
    (engine,) = engines
    seen: list[tuple[SessionState, bool]] = []
    app.bus.subscribe(SessionStateChanged, lambda e: seen.append((e.state, engine.started)))
    with stall_probe() as probe:
        began = time.monotonic()
        app.start()
        assert time.monotonic() - began < STALL_S
        assert app.window.isVisible() and not engine.started
        # the session resumes once the engine is up, never before
        qtbot.waitUntil(lambda: (SessionState.SIGNED_OUT, True) in seen, timeout=WAIT)
    assert probe.worst_s < STALL_S, probe
    assert time.monotonic() - began >= SLOW_S * 0.9  # it did take seconds
    assert seen and all(started for _, started in seen), seen
    assert engine.threads["start"] == "engine-start"


# ---- quitting -------------------------------------------------------------------------------


def stored_numbers(app: App) -> list[str]:
    """The call history's numbers, read back from the database by a new writer."""
    reader = HistoryWriter(app.options.data_dir, app.options.store).start()
    try:
        entries = reader.submit(lambda store: store.page()).result(10)
    finally:
        reader.stop()
    return sorted(entry.remote_number for entry in entries)


def slow_history_write(app: App) -> threading.Event:
    """Queue a history job that takes ``SLOW_S`` (a disk that stalls), then a call's end."""
    running = threading.Event()

    def slow(_store: Any) -> None:
        running.set()
        threading.Event().wait(SLOW_S)

    app.history.submit(slow)
    app.bus.publish(ended_call("call-1"))  # the recorder queues it behind the slow write
    return running


def test_quit_hides_at_once_and_finishes_the_work_in_the_background(
    qtbot: QtBot, slow_engines: tuple[Callable[..., App], list[SlowEngine]]
) -> None:
    make, engines = slow_engines
    app = make()
    (engine,) = engines
    app.start()
    qtbot.waitUntil(lambda: engine.started, timeout=WAIT)
    running = slow_history_write(app)
    qtbot.waitUntil(running.is_set, timeout=WAIT)
    with stall_probe() as probe:
        began = time.monotonic()
        with qtbot.waitSignal(app.finished, timeout=WAIT):
            app.quit()
            assert time.monotonic() - began < STALL_S
            assert not app.window.isVisible() and not app.tray.icon.isVisible()  # type: ignore[union-attr]
    assert probe.worst_s < STALL_S, probe
    assert time.monotonic() - began >= SLOW_S * 0.9
    assert app.stopped_cleanly is True and engine.stopped
    assert engine.threads["stop"] == "quit-engine"
    assert not app.history._thread.is_alive()
    # the call queued behind the slow write, and the one the engine ended as it stopped
    assert stored_numbers(app) == ["555011", "555019"]


def test_quit_ends_within_its_bound_when_a_stop_hangs(
    qtbot: QtBot, slow_engines: tuple[Callable[..., App], list[SlowEngine]]
) -> None:
    make, engines = slow_engines
    app = make(quit_timeout_s=1.0)
    (engine,) = engines
    engine.stop_hangs = True
    app.start()
    qtbot.waitUntil(lambda: engine.started, timeout=WAIT)
    app.bus.publish(ended_call("call-1"))
    with stall_probe() as probe:
        began = time.monotonic()
        with qtbot.waitSignal(app.finished, timeout=WAIT):
            app.quit()
            assert not app.window.isVisible()
        took = time.monotonic() - began
    assert probe.worst_s < STALL_S, probe
    assert 0.9 <= took < 3.0, took
    assert app.stopped_cleanly is False and not engine.stopped  # still hanging
    exits: list[int] = []
    exit_if_stuck(app, exits.append)
    assert exits == [EXIT_STUCK]  # run() ends the process here
    # the history was flushed all the same: the pending call is in the database
    qtbot.waitUntil(lambda: not app.history._thread.is_alive(), timeout=WAIT)
    assert stored_numbers(app) == ["555011"]


def test_sigterm_quits_through_the_same_path(
    qtbot: QtBot, slow_engines: tuple[Callable[..., App], list[SlowEngine]]
) -> None:
    make, engines = slow_engines
    app = make()
    (engine,) = engines
    watcher = QuitOnSignal(QApplication.instance())
    try:
        app.start()
        watcher.on_signal(app.quit)
        qtbot.waitUntil(lambda: engine.started, timeout=WAIT)
        with stall_probe() as probe, qtbot.waitSignal(app.finished, timeout=WAIT):
            os.kill(os.getpid(), signal.SIGTERM)
            qtbot.waitUntil(lambda: not app.window.isVisible(), timeout=1000)
    finally:
        watcher.close()
    assert probe.worst_s < STALL_S, probe
    assert app.stopped_cleanly is True and engine.threads["stop"] == "quit-engine"


_HUNG_AT_EXIT = """
import threading, time
from types import SimpleNamespace
from softphone.app.process import exit_if_stuck
threading.Thread(target=threading.Event().wait, name="hung").start()  # not a daemon: forever
app = SimpleNamespace(stopped_cleanly=True, quit_deadline=time.monotonic() + 0.5)
exit_if_stuck(app)
print("left main", flush=True)
"""


def test_the_process_exits_after_a_clean_quit_even_if_a_thread_hangs() -> None:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _HUNG_AT_EXIT],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.stdout == "left main\n", done.stderr
    assert done.returncode == EXIT_STUCK, done.stderr
    assert time.monotonic() - began < 30
    assert "ending the process with work left hanging (hung)" in done.stderr, done.stderr
