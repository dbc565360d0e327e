"""Run under a real X server (see test_global_hotkeys): the app with the system-wide keys on,
driven step by step by the test, which plays another app that has the keyboard.

Each step prints one JSON line and waits for the test's "next" on stdin (the test presses the
keys meanwhile). The app's settings file is ``argv[1]``/settings.json.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionButton

from softphone.app import App
from softphone.core import events as ev
from softphone.core.session_events import SessionState, SessionStateChanged
from tests.ui.app_kit import QUIT_WAIT, QuietEngine, app_options

WAIT = 10_000


class AnsweringEngine(QuietEngine):
    """Answers, rejects and hangs up, each recorded in ``calls``; the call's new state is
    reported as the engine would."""

    def __init__(self, emit: Any, config: Any, audio: Any) -> None:
        super().__init__(emit, config, audio)
        self.emit = emit

    def answer(self, call_id: str) -> Future[None]:
        self.emit(state(call_id, ev.CallState.CONFIRMED))
        return self._done("answer", call_id)

    def reject(self, call_id: str, code: int = 486) -> Future[None]:
        self.emit(state(call_id, ev.CallState.DISCONNECTED))
        return self._done("reject", call_id)

    def hangup(self, call_id: str) -> Future[None]:
        self.emit(state(call_id, ev.CallState.DISCONNECTED))
        return self._done("hangup", call_id)


def state(call_id: str, to: ev.CallState) -> ev.CallStateChanged:
    return ev.CallStateChanged(
        call_id=call_id,
        account_id="session",
        state=to,
        direction=ev.Direction.INBOUND,
        remote_uri="sip:5551234@pbx",
        remote_number="5551234",
        remote_display="Ann Example",
        connected=to is ev.CallState.CONFIRMED,
    )


def ring(call_id: str) -> ev.IncomingCall:
    return ev.IncomingCall(
        call_id=call_id,
        account_id="session",
        remote_uri="sip:5551234@pbx",
        remote_number="5551234",
        remote_display="Ann Example",
        auto_answer_in_s=None,
        auto_answer_reason=None,
        waiting=False,
    )


def wait_until(condition: Callable[[], bool], timeout_ms: int) -> bool:
    """As qtbot.waitUntil: the event loop runs until ``condition`` holds or time is up."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            return False
        QTest.qWait(20)
    return True


def say(**report: Any) -> None:
    print(json.dumps(report), flush=True)
    if sys.stdin.readline().strip() != "next":
        raise SystemExit("the test went away")


def main() -> None:
    qapp = QApplication(sys.argv[:1])
    engines: list[AnsweringEngine] = []

    def factory(*args: Any) -> AnsweringEngine:
        engines.append(AnsweringEngine(*args))
        return engines[-1]

    app = App(app_options(Path(sys.argv[1]), factory))
    app.start()
    app.bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    app.bus.publish(
        ev.RegistrationChanged(
            account_id="session", state=ev.RegistrationState.REGISTERED, transport="udp"
        )
    )
    engine = engines[0]
    done = lambda: [c for c in engine.calls if c[0] in ("answer", "reject", "hangup")]  # noqa: E731
    app.bus.publish(ring("c1"))
    QTest.qWaitForWindowExposed(app.incoming_windows["c1"])
    say(step="ringing", platform=qapp.platformName(), held=app.hotkeys.active)
    answered = wait_until(lambda: len(done()) == 1, WAIT)
    say(step="answered", done=done(), answered=answered)
    hung_up = wait_until(lambda: len(done()) == 2, WAIT)
    say(step="hung up", done=done(), hung_up=hung_up, in_call=app.phone_view.in_call)
    # the agent unticks the setting on the Settings page; a call rings again
    settings = app.settings_view
    app.show_window()
    app.window.show_page("Settings")
    QTest.qWaitForWindowExposed(app.window)
    box = settings.global_hotkeys
    option = QStyleOptionButton()
    box.initStyleOption(option)
    square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=square.center())
    app.bus.publish(ring("c2"))
    say(step="unticked", checked=box.isChecked(), held=app.hotkeys.active)
    # the test's own client got the press: nothing reached the app
    print(json.dumps({"step": "after", "done": done()}), flush=True)
    app.quit()
    wait_until(lambda: app.stopped_cleanly is not None, QUIT_WAIT)


if __name__ == "__main__":
    main()
