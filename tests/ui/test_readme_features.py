"""The README's call features driven through the real app's widgets against real far ends: the
app signed in to the demo environment (emulator over TLS, kamailio, the echo and tone lines)
through its form, and a third line, ``vicifast-phone agent`` registered at the same kamailio as
602, which answers, calls and prints what it hears (DTMF, hold, who called) as JSON.

The agent runs on the app's address, so the app's firewall lease lets its REGISTER and INVITEs
through, as it would for a colleague's phone behind the same NAT."""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.exceptions import TimeoutError as WaitTimedOut
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.cli.agent_inputs import PASSWORD_ENV
from softphone.demo.environment import DemoEnvironment
from softphone.ui.phone.view import PhoneView
from tests.support.process import ManagedProcess
from tests.support.secret_service import SecretService, serving_this_process
from tests.ui.test_app_e2e import BIND, WAIT, _signed_in_demo_app

pytestmark = [
    pytest.mark.integration,
    # keyring's SecretService backend leaves a failed call's D-Bus connection to the GC
    pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*/bus>:ResourceWarning"),
]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
LINE = "602"


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    with serving_this_process(tmp_path / "secret-service") as service:
        yield service


class Line:
    """``vicifast-phone agent --json`` registered as :data:`LINE`; its events read from its log."""

    def __init__(self, proc: ManagedProcess, qtbot: QtBot) -> None:
        self.proc, self.qtbot = proc, qtbot

    def events(self, name: str, **fields: Any) -> list[dict[str, Any]]:
        found = []
        for line in self.proc.log_text().splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event["event"] == name and all(event.get(k) == v for k, v in fields.items()):
                found.append(event)
        return found

    def wait(self, name: str, count: int = 1, **fields: Any) -> list[dict[str, Any]]:
        """Waits, the GUI's event loop running, until ``count`` events ``name`` with ``fields``
        were printed; returns them."""
        found: list[dict[str, Any]] = []

        def check() -> bool:
            assert self.proc.running, f"the line's agent exited:\n{self.proc.log_tail(30)}"
            found[:] = self.events(name, **fields)
            return len(found) >= count

        try:
            self.qtbot.waitUntil(check, timeout=WAIT)
        except WaitTimedOut as err:
            raise AssertionError(
                f"{count} × {name} {fields} not seen:\n{self.proc.log_tail(30)}"
            ) from err
        return found


StartLine = Callable[..., Line]


@pytest.fixture
def start_line(qtbot: QtBot, tmp_path: Path) -> Iterator[StartLine]:
    """start_line(env, *agent_args) -> extension 602 added to the employer's server and a
    headless agent registered as it on the app's address (after the app's sign-in opened the
    firewall for it); every one stopped by its PID at teardown."""
    started: list[ManagedProcess] = []

    def start(env: DemoEnvironment, *args: str) -> Line:
        password = secrets.token_urlsafe(18)
        if LINE not in env.server.state.sip_users():
            env.server.state.add_sip_line(LINE, password, time.time())
        host, port = env.registrar.rsplit(":", 1)
        argv = [
            sys.executable, "-m", "softphone.cli", "agent", "--json", "--bind", BIND,
            "--domain", host, "--proxy", host, "--port", port, "--extension", LINE, *args,
        ]  # fmt: skip
        proc = ManagedProcess(
            argv,
            log_path=tmp_path / f"line-{len(started)}.log",
            name=f"line {LINE}",
            env={PASSWORD_ENV: env.server.state.sip_users()[LINE]},
        )
        started.append(proc)
        line = Line(proc.start(), qtbot)
        line.wait("RegistrationChanged", state="registered")
        return line

    yield start
    for proc in reversed(started):
        proc.stop()


def _go(app: App, item: str) -> None:
    """Chooses ``item`` in the Go menu, as a person does with the mouse or its key."""
    next(a for a in app.window.go_menu.actions() if a.text() == item).trigger()


def _phone(app: App) -> PhoneView:
    _go(app, "Dial pad")  # Ctrl+L
    assert app.phone_view is not None
    assert app.window.tabs.currentWidget() is app.phone_view
    return app.phone_view


def test_a_pasted_number_is_dialled_timed_muted_held_keyed_hung_up_and_redialled(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, start_line: StartLine
) -> None:
    with _signed_in_demo_app(qtbot, tmp_path) as (app, env):
        line = start_line(env, "--answer", "auto")
        phone = _phone(app)
        page = phone.call_page
        assert app.window.focusWidget() is phone.number_field
        QApplication.clipboard().setText("(60) 2-")
        qtbot.keyClick(phone.number_field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert phone.number_field.text() == LINE
        qtbot.keyClick(phone.number_field, Qt.Key.Key_Return)
        line.wait("CallStateChanged", state="confirmed")
        qtbot.waitUntil(lambda: page.timer_label.text() == "00:01", timeout=WAIT)
        assert LINE in page.number_label.text() + page.name_label.text()

        qtbot.mouseClick(page.mute_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.mute_button.title() == "Unmute", timeout=WAIT)
        qtbot.keyClick(phone, Qt.Key.Key_M, CTRL_SHIFT)
        qtbot.waitUntil(lambda: page.mute_button.title() == "Mute", timeout=WAIT)

        qtbot.mouseClick(page.hold_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.state_label.text() == "On hold", timeout=WAIT)
        line.wait("CallMediaChanged", hold="remote")  # the far end was put on hold
        qtbot.keyClick(phone, Qt.Key.Key_K, CTRL_SHIFT)
        assert page.keypad.isVisible()
        # Resume and key at once (back from hold, straight into an IVR): the digits wait for
        # the resumed media instead of being lost with the stream the re-INVITE replaces
        qtbot.keyClick(phone, Qt.Key.Key_H, CTRL_SHIFT)
        for key in "12#":
            qtbot.mouseClick(page.keypad.buttons[key], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not page.hold_button.isChecked(), timeout=WAIT)
        line.wait("CallMediaChanged", hold="none", count=1)
        heard = line.wait("DtmfReceived", count=3)
        assert [e["digit"] for e in heard] == ["1", "2", "#"]
        assert page.sent_label.text() == "Sent: 12#"

        qtbot.mouseClick(page.hangup_button, Qt.MouseButton.LeftButton)
        line.wait("CallStateChanged", state="disconnected")
        qtbot.waitUntil(lambda: phone.stack.currentWidget() is phone.dial_page, timeout=WAIT)
        assert phone.number_field.text() == ""
        qtbot.mouseClick(phone.redial_button, Qt.MouseButton.LeftButton)
        line.wait("CallStateChanged", state="confirmed", count=2)
        # the app's own call up (the far end's may be seen first; the page keeps the last
        # call's time until it shows the next)
        qtbot.waitUntil(
            lambda: phone.stack.currentWidget() is page and page.timer_label.text() != "",
            timeout=WAIT,
        )
        qtbot.mouseClick(page.hangup_button, Qt.MouseButton.LeftButton)
        line.wait("CallStateChanged", state="disconnected", count=2)


def _call_the_echo_line(qtbot: QtBot, app: App) -> PhoneView:
    """Dials 600 on the dial pad and waits until the page shows it connected."""
    phone = _phone(app)
    qtbot.keyClicks(phone.number_field, "600")
    qtbot.mouseClick(phone.call_button, Qt.MouseButton.LeftButton)
    page = phone.call_page
    qtbot.waitUntil(lambda: page.state_label.text() == "Connected", timeout=WAIT)
    return phone


def test_a_blind_transfer_hands_the_caller_to_the_number_typed(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, start_line: StartLine
) -> None:
    with _signed_in_demo_app(qtbot, tmp_path) as (app, env):
        line = start_line(env, "--answer", "auto")
        phone = _call_the_echo_line(qtbot, app)
        page = phone.call_page
        qtbot.keyClick(phone, Qt.Key.Key_T, CTRL_SHIFT)
        assert page.transfer_field.hasFocus()
        qtbot.keyClicks(page.transfer_field, LINE)
        qtbot.mouseClick(page.blind_button, Qt.MouseButton.LeftButton)
        # the echo line, not this phone, now talks to 602; this phone is free again
        line.wait("CallStateChanged", state="confirmed", remote_number="600")
        qtbot.waitUntil(lambda: phone.stack.currentWidget() is phone.dial_page, timeout=WAIT)
        assert phone.message_label.text() == "Transferred."


def test_an_attended_transfer_talks_to_the_target_first_then_joins_them(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, start_line: StartLine
) -> None:
    with _signed_in_demo_app(qtbot, tmp_path) as (app, env):
        line = start_line(env, "--answer", "auto")
        phone = _call_the_echo_line(qtbot, app)
        page = phone.call_page
        qtbot.mouseClick(page.transfer_button, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(page.transfer_field, LINE)
        qtbot.mouseClick(page.consult_button, Qt.MouseButton.LeftButton)
        # the agent talks to 602 while the echo line waits on hold
        line.wait("CallStateChanged", state="confirmed", remote_number=env.credentials.extension)
        qtbot.waitUntil(page.complete_button.isEnabled, timeout=WAIT)
        assert page.consult_box.isVisible()
        assert "600" in page.consult_label.text()
        assert LINE in page.number_label.text() + page.name_label.text()
        qtbot.mouseClick(page.complete_button, Qt.MouseButton.LeftButton)
        # 602's call with the agent is replaced by one with the echo line
        line.wait("CallStateChanged", state="confirmed", remote_number="600")
        line.wait("CallStateChanged", state="disconnected", remote_number=env.credentials.extension)
        qtbot.waitUntil(lambda: phone.stack.currentWidget() is phone.dial_page, timeout=WAIT)
        assert phone.message_label.text() == "Transferred."


def test_a_second_call_waits_and_answering_it_holds_the_first(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, start_line: StartLine
) -> None:
    with _signed_in_demo_app(qtbot, tmp_path) as (app, env):
        phone = _call_the_echo_line(qtbot, app)
        page = phone.call_page
        line = start_line(env, "--call", env.credentials.extension)
        qtbot.waitUntil(page.waiting_bar.isVisible, timeout=WAIT)
        assert page.waiting_label.text().startswith("Call waiting: ")
        assert LINE in page.waiting_label.text()
        assert "600" in page.number_label.text() + page.name_label.text()  # still the first
        qtbot.mouseClick(page.answer_waiting_button, Qt.MouseButton.LeftButton)
        line.wait("CallStateChanged", state="confirmed")
        qtbot.waitUntil(lambda: not page.waiting_bar.isVisible(), timeout=WAIT)
        assert LINE in page.number_label.text() + page.name_label.text()
        qtbot.waitUntil(lambda: "on hold" in page.other_label.text(), timeout=WAIT)
        assert "600" in page.other_label.text()


def test_a_missed_call_is_notified_by_caller_id_badges_recents_and_tray_and_is_called_back(
    qtbot: QtBot, tmp_path: Path, secret_service: SecretService, start_line: StartLine
) -> None:
    with _signed_in_demo_app(qtbot, tmp_path) as (app, env):
        phone, recents, tray = _phone(app), app.recents_view, app.tray
        assert recents is not None and tray is not None
        notices: list[tuple[str, str]] = []
        tray.notify = lambda title, text: notices.append((title, text))  # type: ignore[method-assign]
        caller = start_line(env, "--call", env.credentials.extension)
        qtbot.waitUntil(lambda: len(app.incoming_windows) == 1, timeout=WAIT)
        window = next(iter(app.incoming_windows.values()))
        qtbot.waitExposed(window)
        assert notices == [("Incoming call", window.caller_text)]
        assert LINE in window.caller_text
        assert caller.proc.stop() == 0  # the caller gives up before anyone answers
        qtbot.waitUntil(lambda: not app.incoming_windows, timeout=WAIT)
        tabs = app.window.tabs
        qtbot.waitUntil(lambda: tabs.tabText(tabs.indexOf(recents)) == "Recents (1)", timeout=WAIT)
        assert "1 missed" in tray.icon.toolTip()

        line = start_line(env, "--answer", "auto")
        _go(app, "Search recent calls")  # Ctrl+F
        assert tabs.currentWidget() is recents
        qtbot.waitUntil(lambda: tabs.tabText(tabs.indexOf(recents)) == "Recents", timeout=WAIT)
        assert "missed" not in tray.icon.toolTip()
        recents.table.selectRow(0)
        qtbot.mouseClick(recents.call_back_button, Qt.MouseButton.LeftButton)
        line.wait("CallStateChanged", state="confirmed", remote_number=env.credentials.extension)
        assert tabs.currentWidget() is phone
