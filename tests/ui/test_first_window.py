"""The window a start shows first (issue 21): the sign-in page is up before the app behind it
is built; the app is then built a step at a time and takes the window over; a quit asked for
meanwhile is carried out, and so is a link of the sign-in page's clicked meanwhile; an app that
cannot be built ends the start with its error."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from softphone.app import process
from softphone.app.first_window import FirstWindow
from softphone.app.root import App
from softphone.core.errors import VicifastError
from softphone.ui.quit_signal import QuitOnSignal
from tests.ui.app_kit import QUIT_WAIT, QuietEngine, app_options

PAGES = ["Phone", "Recents", "Settings", "Provisioning"]


class FakeQApp:
    """What :class:`process._Start` asks of the application: to quit, or exit with a status."""

    def __init__(self) -> None:
        self.quit_called = False
        self.exit_status: int | None = None

    def quit(self) -> None:
        self.quit_called = True

    def exit(self, status: int) -> None:
        self.exit_status = status


@pytest.fixture
def first(qtbot: QtBot, tmp_path: Path) -> Iterator[FirstWindow]:
    window = FirstWindow(app_options(tmp_path, cast(Any, QuietEngine), tray=False))
    qtbot.addWidget(window.window)
    yield window


@pytest.fixture
def quit_on_signal(first: FirstWindow) -> Iterator[QuitOnSignal]:
    watcher = QuitOnSignal(first)
    try:
        yield watcher
    finally:
        watcher.close()  # the signals' handlers back as pytest had them


def _quit(qtbot: QtBot, app: App) -> None:
    app.quit()
    qtbot.waitUntil(lambda: app.stopped_cleanly is not None, timeout=QUIT_WAIT)


def test_the_sign_in_page_is_up_before_the_app_is_built_and_stays_up_while_it_is(
    qtbot: QtBot, first: FirstWindow
) -> None:
    first.show()
    qtbot.waitExposed(first.window)
    window = first.window
    assert window.stack.currentWidget() is first.signin_view
    assert window.tabs.count() == 0 and window.call_menu.isEmpty()
    assert not first.signin_view.sign_in_button.isEnabled()  # nothing behind it yet

    app = App(first.options, first=first, build=False)
    steps = 0
    for _ in app.build_steps():  # the GUI thread is handed back between steps
        steps += 1
        assert window.isVisible() and window.stack.currentWidget() is first.signin_view
        assert not app.built
    assert steps >= len(PAGES)  # a page a step at least
    assert app.built and app.window is window
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == PAGES
    assert not window.call_menu.isEmpty()  # the Phone page's call keys
    app.start()
    qtbot.waitUntil(app.signin_view.sign_in_button.isEnabled, timeout=5000)
    _quit(qtbot, app)
    assert app.stopped_cleanly


@pytest.mark.parametrize("how", ["the window closed", "SIGTERM"])
def test_a_quit_asked_before_the_app_is_up_is_carried_out_once_it_is(
    qtbot: QtBot, first: FirstWindow, quit_on_signal: QuitOnSignal, how: str
) -> None:
    first.show()
    qtbot.waitExposed(first.window)
    qapp = FakeQApp()
    start = process._Start(cast(Any, qapp), first, [], None, quit_on_signal)
    if how == "SIGTERM":
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: first.quit_asked, timeout=5000)
    else:
        first.window.close()  # before the app behind it was imported and built
        assert first.quit_asked
    assert start.app is None or not start.app.built
    qtbot.waitUntil(lambda: start.app is not None and start.app.built, timeout=20_000)
    app = start.app
    assert app is not None
    qtbot.waitUntil(lambda: qapp.quit_called, timeout=QUIT_WAIT)  # the app quit and finished
    assert app.stopped_cleanly and start.error is None


def test_a_link_clicked_before_the_app_is_up_opens_what_it_names_once_it_is(
    qtbot: QtBot, first: FirstWindow, quit_on_signal: QuitOnSignal
) -> None:
    first.show()
    qtbot.waitExposed(first.window)
    qapp = FakeQApp()
    start = process._Start(cast(Any, qapp), first, [], None, quit_on_signal)
    QTest.mouseClick(first.signin_view.provisioning_button, Qt.MouseButton.LeftButton)
    assert start.app is None or not start.app.built  # clicked before anything could open
    qtbot.waitUntil(lambda: start.app is not None and start.app.built, timeout=20_000)
    app = start.app
    assert app is not None
    qtbot.waitUntil(
        lambda: app.provisioning.dialog is not None and app.provisioning.dialog.isVisible(),
        timeout=5000,
    )
    app.provisioning.close()
    _quit(qtbot, app)
    assert app.stopped_cleanly


def test_an_app_that_cannot_be_built_ends_the_start_with_its_error(
    qtbot: QtBot,
    first: FirstWindow,
    quit_on_signal: QuitOnSignal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: App) -> Iterator[None]:
        yield
        raise VicifastError("The call history cannot be opened.")

    monkeypatch.setattr(App, "build_steps", broken)
    first.show()
    qapp = FakeQApp()
    start = process._Start(cast(Any, qapp), first, [], None, quit_on_signal)
    qtbot.waitUntil(lambda: qapp.exit_status is not None, timeout=20_000)
    assert qapp.exit_status == process.EXIT_REFUSED
    assert isinstance(start.error, VicifastError)  # run() raises it: the command says why
    assert start.app is not None and start.app.stopped_cleanly is None  # never started


def test_a_service_made_before_the_app_is_built_waits_for_it_then_opens_the_form(
    qtbot: QtBot, tmp_path: Path
) -> None:
    options = app_options(tmp_path, cast(Any, QuietEngine), tray=False, service_after_show=True)
    first = FirstWindow(options)
    qtbot.addWidget(first.window)
    first.show()
    app = App(options, first=first, build=False)
    steps = app.build_steps()
    next(steps)  # the first step begins making the service on a thread of its own
    qtbot.waitUntil(lambda: app._service_outcome is not None, timeout=10_000)  # made, held
    assert not hasattr(app, "service")
    assert not first.signin_view.sign_in_button.isEnabled()  # the form is not wired yet
    for _ in steps:
        pass
    assert app.service.session is not None
    assert first.signin_view.sign_in_button.isEnabled()
    app.start()
    _quit(qtbot, app)
    assert app.stopped_cleanly
