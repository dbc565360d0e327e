"""The call bar (issue 18): on top of other windows during a call while the main window is not
in front; Mute and Hang up act on the call as the Phone page's buttons do; Open brings the
window up on the call; a setting turns it off.

The offscreen platform activates whatever window it shows or is asked to, so "the agent went
to the browser" is another window being activated, as a window system would tell the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionButton, QWidget
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.app.call_bar import CallBarWatch
from softphone.core import events as ev
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.ui.call_bar import CallBar
from tests.ui.app_kit import CallingEngine, app_maker

WAIT = 5000


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    engines: list[CallingEngine] = []

    def factory(*args: Any) -> CallingEngine:
        engines.append(CallingEngine(*args))
        return engines[-1]

    with app_maker(qtbot, tmp_path, factory) as build:
        yield build


def _engine(app: App) -> CallingEngine:
    engine = app.engine.current
    assert isinstance(engine, CallingEngine)
    return engine


def _watch(app: App) -> CallBarWatch:
    assert app.call_bar is not None
    return app.call_bar


def _started_in_front(qtbot: QtBot, app: App) -> CallBar:
    """The app signed in, its window up and active; the call bar (hidden)."""
    states: list[SessionStateChanged] = []
    app.bus.subscribe(SessionStateChanged, states.append)
    app.start()
    # The start's own resume (nothing saved: signed out) must land before the events below
    # play a signed-in agent, or its late SIGNED_OUT makes the phone forget the call's end.
    qtbot.waitUntil(
        lambda: (
            any(s.reason is SessionReason.RESUMED for s in states)
            and states[-1].state is not SessionState.SIGNING_IN
        ),
        timeout=WAIT,
    )
    app.bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    app.bus.publish(
        ev.RegistrationChanged(
            account_id="session", state=ev.RegistrationState.REGISTERED, transport="udp"
        )
    )
    qtbot.waitExposed(app.window)
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow, timeout=WAIT)
    return _watch(app).bar


def _answered(qtbot: QtBot, app: App, call_id: str = "c1", talked_s: float = 65.0) -> None:
    """VICIdial pulls the agent into a call with Ann Example, talking for ``talked_s`` already."""
    app.bus.publish(
        ev.IncomingCall(
            call_id=call_id,
            account_id="session",
            remote_uri="sip:5551234@pbx",
            remote_number="5551234",
            remote_display="Ann Example",
            auto_answer_in_s=0.0,
            auto_answer_reason=ev.AnswerReason.HEADER,
            waiting=False,
        )
    )
    app.bus.publish(
        ev.CallStateChanged(
            call_id=call_id,
            account_id="session",
            state=ev.CallState.CONFIRMED,
            direction=ev.Direction.INBOUND,
            remote_uri="sip:5551234@pbx",
            remote_number="5551234",
            remote_display="Ann Example",
            connected=True,
            duration_s=talked_s,
            answered_by=ev.AnswerReason.HEADER,
        )
    )
    phone = app.phone_view
    assert phone is not None
    qtbot.waitUntil(lambda: phone.stack.currentWidget() is phone.call_page, timeout=WAIT)


def _to_the_browser(qtbot: QtBot) -> QWidget:
    """The agent clicks into another app's window (the VICIdial agent screen)."""
    browser = QWidget()
    browser.setWindowTitle("VICIdial agent screen")
    qtbot.addWidget(browser)
    browser.show()
    qtbot.waitExposed(browser)
    browser.activateWindow()
    return browser


def _tick(qtbot: QtBot, box: Any) -> None:
    """A click on the check box's square, where a person clicks."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=square.center())


def test_a_call_up_while_the_agent_is_in_another_window_shows_the_bar_with_a_ticking_timer(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    bar = _started_in_front(qtbot, app)
    _answered(qtbot, app)
    _watch(app).refresh()
    assert bar.isHidden()  # the phone window is in front: it shows the call itself

    _to_the_browser(qtbot)
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)
    assert bar.name_label.text() == "Ann Example"
    assert bar.timer_label.text() in ("01:05", "01:06")
    assert bar.state_label.text() == ""
    assert bar.mute_button.text() == "Mute" and not bar.mute_button.isChecked()
    first = bar.timer_label.text()
    qtbot.waitUntil(lambda: bar.timer_label.text() != first, timeout=WAIT)  # it counts on
    # near the bottom-right corner of the window's screen, inside the space it may use
    area = app.window.screen().availableGeometry()
    frame = bar.frameGeometry()
    assert area.contains(frame)
    assert frame.right() > area.center().x() and frame.bottom() > area.center().y()


def test_mute_on_the_bar_mutes_the_call_as_the_phone_page_does(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    bar = _started_in_front(qtbot, app)
    _answered(qtbot, app)
    _to_the_browser(qtbot)
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)

    qtbot.mouseClick(bar.mute_button, Qt.MouseButton.LeftButton)
    assert ("set_mute", "c1", True) in _engine(app).calls
    phone = app.phone_view
    assert phone is not None
    qtbot.waitUntil(phone.call_page.mute_button.isChecked, timeout=WAIT)
    assert bar.mute_button.isChecked() and bar.mute_button.text() == "Unmute"
    assert bar.state_label.text() == "Muted"

    qtbot.mouseClick(bar.mute_button, Qt.MouseButton.LeftButton)
    assert ("set_mute", "c1", False) in _engine(app).calls
    qtbot.waitUntil(lambda: not phone.call_page.mute_button.isChecked(), timeout=WAIT)
    assert not bar.mute_button.isChecked() and bar.state_label.text() == ""


def test_hang_up_on_the_bar_ends_the_call_and_the_bar_goes(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    bar = _started_in_front(qtbot, app)
    _answered(qtbot, app)
    _to_the_browser(qtbot)
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)

    qtbot.mouseClick(bar.hangup_button, Qt.MouseButton.LeftButton)
    assert ("hangup", "c1") in _engine(app).calls
    qtbot.waitUntil(bar.isHidden, timeout=WAIT)
    phone = app.phone_view
    assert phone is not None
    assert phone.stack.currentWidget() is phone.dial_page
    assert "Call with Ann Example (5551234) ended" in phone.message_label.text()


def test_the_bar_goes_when_the_window_is_active_again_and_comes_back_when_it_is_minimised(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    bar = _started_in_front(qtbot, app)
    _answered(qtbot, app)
    _to_the_browser(qtbot)
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)

    app.window.activateWindow()  # the agent clicks on the phone window
    qtbot.waitUntil(bar.isHidden, timeout=WAIT)

    app.window.showMinimized()
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)
    assert bar.name_label.text() == "Ann Example"


def test_hidden_to_the_tray_the_bar_shows_and_open_brings_the_window_up_on_the_call(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    bar = _started_in_front(qtbot, app)
    _answered(qtbot, app)
    app.window.show_page("Recents")
    app.window.close()  # to the tray
    assert not app.window.isVisible()
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)

    qtbot.mouseClick(bar.open_button, Qt.MouseButton.LeftButton)
    assert app.window.isVisible() and not app.window.isMinimized()
    assert app.window.tabs.currentWidget() is app.phone_view  # on the call
    qtbot.waitUntil(bar.isHidden, timeout=WAIT)


def test_a_dragged_bar_comes_back_where_it_was_left(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    bar = _started_in_front(qtbot, app)
    _answered(qtbot, app)
    _to_the_browser(qtbot)
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)
    start = bar.pos()
    grip = bar.timer_label.geometry().topRight() + QPoint(4, 2)  # beside the timer
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=grip)
    qtbot.mouseMove(bar, grip + QPoint(-200, -150))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=grip + QPoint(-200, -150))
    qtbot.waitUntil(lambda: bar.pos() == start + QPoint(-200, -150), timeout=WAIT)

    app.window.activateWindow()
    qtbot.waitUntil(bar.isHidden, timeout=WAIT)
    _to_the_browser(qtbot)
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)
    assert bar.pos() == start + QPoint(-200, -150)


def test_with_the_setting_off_the_bar_never_shows_and_ticking_it_on_applies_at_once(
    qtbot: QtBot, make_app: Callable[..., App], tmp_path: Path
) -> None:
    (tmp_path / "settings.json").write_text('{"call_bar": false}')
    app = make_app()
    bar = _started_in_front(qtbot, app)
    _answered(qtbot, app)
    _to_the_browser(qtbot)
    app.window.showMinimized()
    _watch(app).refresh()
    assert bar.isHidden()

    settings = app.settings_view
    assert settings is not None and not settings.call_bar.isChecked()
    app.window.showNormal()
    app.window.show_page("Settings")
    app.window.activateWindow()
    qtbot.waitUntil(app.window.isActiveWindow, timeout=WAIT)
    _tick(qtbot, settings.call_bar)
    assert settings.call_bar.isChecked() and app.settings.call_bar
    app.window.close()  # to the tray, the call still up
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)

    app.window.bring_up()
    qtbot.waitUntil(bar.isHidden, timeout=WAIT)
    _tick(qtbot, settings.call_bar)
    assert not app.settings.call_bar
    app.window.close()
    _watch(app).refresh()
    assert bar.isHidden()
