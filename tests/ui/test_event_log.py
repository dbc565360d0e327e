"""Help → Connection log: the phone's story in words (registration with its SIP code, sign-in,
calls' results and codec, strangers refused), growing while open, copyable, and never holding a
caller's number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.core import events as ev
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.ui.event_log import KEEP, EventLogDialog
from tests.ui.app_kit import QuietEngine, app_maker

WAIT = 5000
NUMBER = "5550109999"
Reg = ev.RegistrationState


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[App]:
    with app_maker(qtbot, tmp_path, cast(Any, QuietEngine), tray=False) as make:
        made = make()
        made.window.show()
        qtbot.waitExposed(made.window)
        yield made


def registration(state: Reg, code: int = 0, reason: str = "", **more: Any) -> ev.Event:
    return ev.RegistrationChanged(account_id="a", state=state, code=code, reason=reason, **more)


def call_ended(call_id: str, *, code: int, reason: str, connected: bool) -> ev.Event:
    return ev.CallStateChanged(
        call_id=call_id,
        account_id="a",
        state=ev.CallState.DISCONNECTED,
        direction=ev.Direction.OUTBOUND,
        remote_uri=f"sip:{NUMBER}@pbx.example.com",
        remote_number=NUMBER,
        remote_display="Ann Example",
        sip_code=code,
        reason=reason,
        duration_s=42.4 if connected else 0.0,
        connected=connected,
    )


def open_log(qtbot: QtBot, app: App) -> EventLogDialog:
    qtbot.keyClick(app.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # fmt: skip
    dialog = app.window.findChild(EventLogDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_the_log_tells_registration_calls_and_strangers_in_words_without_numbers(
    qtbot: QtBot, app: App
) -> None:
    publish = app.bus.publish
    publish(SessionStateChanged(state=SessionState.SIGNING_IN))
    publish(registration(Reg.REGISTERING))
    publish(registration(Reg.RETRYING, 503, "Service Unavailable", retry_in_s=30.0))
    publish(registration(Reg.REGISTERED, 200, "OK", transport="udp", expires_s=300))
    publish(registration(Reg.REGISTERED, 200, "OK", transport="udp", expires_s=300))  # refresh
    publish(ev.CallMediaChanged(call_id="c1", hold=ev.HoldState.NONE, muted=False, active=True,
                                codec="PCMU", srtp=True))  # fmt: skip
    publish(call_ended("c1", code=200, reason="Normal call clearing", connected=True))
    publish(call_ended("c2", code=486, reason="Busy Here", connected=False))
    publish(ev.UntrustedRequestsRefused(count=2, sources=("127.0.0.66:5060",)))

    dialog = open_log(qtbot, app)
    shown = dialog.view.toPlainText()
    lines = [line.split("  ", 1)[1] for line in shown.splitlines()]
    assert lines == [
        "Signing in…",
        "Registering…",
        "Registration failed (503 Service Unavailable); retrying in 30 s",
        "Registered over UDP",  # once: a refresh that changed nothing is not news
        "Call audio: PCMU, encrypted (SRTP)",
        "Outgoing call ended after 42 s (200 Normal call clearing)",
        "Outgoing call not connected (486 Busy Here)",
        "Refused 2 request(s) not from your company's server: 127.0.0.66:5060",
    ]
    assert NUMBER not in shown and "Ann Example" not in shown and "pbx.example.com" not in shown


def test_the_open_log_grows_and_copy_puts_it_on_the_clipboard(qtbot: QtBot, app: App) -> None:
    dialog = open_log(qtbot, app)
    assert dialog.view.toPlainText() == ""  # the placeholder says nothing happened yet
    app.bus.publish(registration(Reg.FAILED, 403, "Forbidden"))
    app.bus.publish(
        SessionStateChanged(
            state=SessionState.SIGNED_OUT,
            reason=SessionReason.ACCOUNT_REVOKED,
            message="Your company removed this account.",
        )
    )
    qtbot.waitUntil(lambda: "Forbidden" in dialog.view.toPlainText(), timeout=WAIT)
    assert dialog.view.toPlainText().endswith("Signed out: Your company removed this account.")
    assert "Not registered: 403 Forbidden" in dialog.view.toPlainText()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == dialog.view.toPlainText()
    # Help → Connection log again: the same window, not a second one
    assert app.window.show_event_log() is dialog


def test_the_log_keeps_the_newest_lines_only(app: App) -> None:
    for n in range(KEEP + 20):
        app.bus.publish(ev.IncomingCallsShed(count=n + 1))
    lines = app.window.event_log.lines()
    assert len(lines) == KEEP
    assert lines[-1].endswith(f"Turned away {KEEP + 20} call(s) that came in at once")
    assert lines[0].endswith("Turned away 21 call(s) that came in at once")


def test_help_menu_lists_the_log_with_its_key(app: App) -> None:
    help_menu = app.window.menuBar().actions()[-1].menu()
    action = app.window.event_log_action
    assert action in help_menu.actions()
    assert action.shortcut().toString() == "Ctrl+Shift+L"
