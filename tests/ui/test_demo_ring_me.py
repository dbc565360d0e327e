"""Demo mode's "Ring me like VICIdial" rings whoever is signed in, not the demo's agent1: the
real app on the demo world (emulator, kamailio, the demo lines, the real SIP engine with the
null audio backend). Before anyone signs in, Ctrl+Shift+G says to sign in first; signed in
through the form as agent2 (extension 1002, with an authenticator code), the same keys make the
tone line ring agent2's phone, which answers at once as the server asks."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from softphone.app import App, AppOptions
from softphone.audio.backend import NullBackend
from softphone.core import events as ev
from softphone.core.models import EngineConfig
from softphone.core.secret import MemorySecretStore
from softphone.core.session_events import SessionState
from softphone.demo.environment import DemoEnvironment, start_demo_environment
from softphone.emulator import totp
from softphone.emulator.registrar import kamailio_path
from softphone.signin.config import SignInConfig

pytestmark = pytest.mark.integration

BIND = "127.0.0.1"
WAIT = 20_000
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
AGENT2 = ("DEMO", "agent2", "demo-pass-2", "JBSWY3DPEHPK3PXP")  # the demo seed's TOTP agent


@contextlib.contextmanager
def _demo_app(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[App, DemoEnvironment]]:
    """The demo world and the app on it as ``--demo`` makes it, but nobody signed in yet; both
    closed after (before pytest-qt closes the window)."""
    if kamailio_path() is None:
        pytest.fail("kamailio is not installed: run scripts/bootstrap.sh")
    env = start_demo_environment(tmp_path / "demo")
    app: App | None = None
    try:
        app = App(
            AppOptions(
                data_dir=tmp_path / "data",
                settings_path=tmp_path / "settings.json",
                store=MemorySecretStore(),
                device_id="ring-me-device",
                signin=SignInConfig(
                    control_plane=env.control_plane, ca_file=str(env.ca_file), bind_address=BIND
                ),
                instance=f"vicifast-ring-me-{uuid.uuid4().hex[:8]}",
                engine_config=EngineConfig(bind_address=BIND),
                audio_backend=NullBackend,
                tray=False,
                confirm=lambda parent, text: True,
                log_dir=tmp_path / "logs",
                persist_control_plane=False,
                demo_env=env,
            )
        )
        qtbot.addWidget(app.window)
        app.start()
        yield app, env
    finally:
        if app is not None and app.stopped_cleanly is None:
            with qtbot.waitSignal(app.finished, timeout=WAIT):
                app.quit()
        env.close()


def _press_ring_me(qtbot: QtBot, app: App) -> None:
    """The agent clicks into the window and presses Ctrl+Shift+G (Go → Ring me like VICIdial)."""
    app.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window, timeout=WAIT)
    qtbot.keyClick(app.window, Qt.Key.Key_G, CTRL_SHIFT)


def _go_menu(app: App, text: str) -> QAction:
    return next(a for a in app.window.go_menu.actions() if a.text() == text)


def _notice(app: App) -> QMessageBox | None:
    boxes = [b for b in app.window.findChildren(QMessageBox) if b.isVisible()]
    return boxes[0] if boxes else None


def test_ring_me_rings_the_signed_in_agent_and_asks_to_sign_in_first(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with _demo_app(qtbot, tmp_path) as (app, env):
        _ring_me_before_and_after_signing_in_as_agent2(qtbot, app, env)


def _ring_me_before_and_after_signing_in_as_agent2(
    qtbot: QtBot, app: App, env: DemoEnvironment
) -> None:
    assert env.credentials.username != AGENT2[1]  # the demo's own agent is someone else
    incoming: list[ev.IncomingCall] = []
    states: list[ev.CallStateChanged] = []
    app.bus.subscribe(ev.IncomingCall, incoming.append)
    app.bus.subscribe(ev.CallStateChanged, states.append)
    view, status = app.signin_view, app.window.status
    qtbot.waitUntil(lambda: app.service.session.state is SessionState.SIGNED_OUT, timeout=WAIT)

    # nobody signed in: Go → Ring me like VICIdial tells the person so, instead of nothing
    _go_menu(app, "Ring me like VICIdial").trigger()
    qtbot.waitUntil(lambda: _notice(app) is not None, timeout=WAIT)
    box = _notice(app)
    assert box is not None
    assert box.text() == "Sign in first: the demo rings the phone of the agent who is signed in."
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _notice(app) is None, timeout=WAIT)

    # signed in through the form as agent2, with the authenticator's code
    company, username, password, secret = AGENT2
    qtbot.keyClicks(view.company, company)
    qtbot.keyClicks(view.username, username)
    qtbot.keyClicks(view.password, password)
    qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.totp_visible, timeout=WAIT)
    qtbot.keyClicks(view.totp, totp.code_at(secret, time.time()))
    qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.registration.text() == "Registered", timeout=WAIT)
    assert app.engine.account is not None and app.engine.account.extension == "1002"

    _press_ring_me(qtbot, app)
    qtbot.waitUntil(lambda: bool(incoming), timeout=WAIT)  # agent2's phone rings
    assert incoming[0].remote_number == "601"  # the demo's tone line, as VICIdial would
    qtbot.waitUntil(lambda: any(s.state is ev.CallState.CONFIRMED for s in states), timeout=WAIT)
    phone = app.phone_view
    assert phone is not None
    page = phone.call_page
    qtbot.waitUntil(lambda: phone.stack.currentWidget() is page, timeout=WAIT)
    assert page.state_label.text() == "Connected · answered automatically"
    assert _notice(app) is None
    qtbot.mouseClick(page.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(s.state is ev.CallState.DISCONNECTED for s in states), timeout=WAIT)


def test_ring_me_and_give_up_rings_unanswered_ends_and_is_a_missed_call_in_recents(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Go → "Ring me and give up" (Ctrl+Shift+J): the tone line rings the signed-in agent
    without the auto-answer request; nobody answers, the tone line gives up (after 2 s here,
    20 s in the demo), the call ends, and Recents shows a missed call from 601 with its badge."""
    with _demo_app(qtbot, tmp_path) as (app, env):
        env.plain_ring_give_up_s = 2.0
        incoming: list[ev.IncomingCall] = []
        states: list[ev.CallStateChanged] = []
        app.bus.subscribe(ev.IncomingCall, incoming.append)
        app.bus.subscribe(ev.CallStateChanged, states.append)
        view, status = app.signin_view, app.window.status
        qtbot.waitUntil(lambda: app.service.session.state is SessionState.SIGNED_OUT, timeout=WAIT)
        creds = env.credentials
        qtbot.keyClicks(view.company, creds.company)
        qtbot.keyClicks(view.username, creds.username)
        qtbot.keyClicks(view.password, creds.password.reveal())
        qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: status.registration.text() == "Registered", timeout=WAIT)

        action = _go_menu(app, "Ring me and give up")
        assert action.shortcut().toString() == "Ctrl+Shift+J"
        app.window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window, timeout=WAIT)
        qtbot.keyClick(app.window, Qt.Key.Key_J, CTRL_SHIFT)
        qtbot.waitUntil(lambda: bool(incoming), timeout=WAIT)  # the phone rings…
        assert incoming[0].remote_number == "601"
        assert incoming[0].auto_answer_in_s is None  # …and waits for the agent
        qtbot.waitUntil(lambda: bool(app.incoming_windows), timeout=WAIT)
        qtbot.waitUntil(  # nobody answers: the tone line gives up
            lambda: any(s.state is ev.CallState.DISCONNECTED for s in states), timeout=WAIT
        )
        assert not any(s.state is ev.CallState.CONFIRMED for s in states)
        qtbot.waitUntil(lambda: not app.incoming_windows, timeout=WAIT)

        recents = app.recents_view
        assert recents is not None
        tabs = app.window.tabs
        qtbot.waitUntil(lambda: tabs.tabText(tabs.indexOf(recents)) == "Recents (1)", timeout=WAIT)
        app.window.show_page("Recents")
        table = recents.table.model()
        qtbot.waitUntil(lambda: table.rowCount() >= 1, timeout=WAIT)
        assert table.index(0, 2).data() == "601"  # the tone line
        assert table.index(0, 4).data() == "Missed"
