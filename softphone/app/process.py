"""The app as a process: :func:`run` (what ``vicifast-phone`` with no command, and
``--demo``, call) sets Qt up, hands links to a running instance (demo or not) or starts the app,
and cleans up; a start that cannot go on says why in a message box (:func:`tell_start_failure`);
:func:`exit_if_stuck` then ends the process within the quit's bound, whatever still hangs."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QApplication

import softphone.ui  # noqa: F401  (first: it lightens PySide6's check of every later import)
from softphone.app.first_window import FirstWindow
from softphone.app.options import options_for
from softphone.core.errors import VicifastError
from softphone.core.executor import Outcome
from softphone.desktop.assets import DESKTOP_ID
from softphone.ui.gui_gc import GuiThreadCollector
from softphone.ui.i18n import install_translator
from softphone.ui.icons import app_icon
from softphone.ui.quit_signal import QuitOnSignal
from softphone.ui.single_instance import instance_name, send_to_running

if TYPE_CHECKING:
    from softphone.app.links import OpenedLinks
    from softphone.app.root import App
    from softphone.demo.environment import DemoEnvironment

_log = logging.getLogger(__name__)
EXIT_STUCK = 1  # the exit status when something had to be left hanging
EXIT_REFUSED = 2  # the app cannot start here (no usable keychain, demo mode failed to start)
STEP_GAP_MS = 1  # between two steps of building the app behind the first window
EXIT_GRACE_S = 1.0  # the interpreter's own exit gets at least this after a clean quit


def run(links: Sequence[str] = (), *, demo: bool = False) -> int:
    """Open the app (``demo``: signed in to a bundled emulator). A running instance gets
    ``links`` instead, and this start exits 0.

    The window is shown with its sign-in page straight after Qt's set-up
    (:class:`FirstWindow`); the rest of the app is imported on a thread meanwhile and built a
    step per turn of the event loop (:class:`_Start`), then started."""
    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("VICIfast Desktop")
    # Wayland's app id and X11's window class: docks match windows to the .desktop entry.
    qapp.setDesktopFileName(DESKTOP_ID.removesuffix(".desktop"))
    qapp.setWindowIcon(app_icon())
    qapp.setQuitOnLastWindowClosed(False)
    install_translator(qapp)
    # Before anything else: the click that started the app comes early. Qt sends FileOpen
    # only on macOS; elsewhere links arrive as argv.
    opened = _opened_links(qapp) if sys.platform == "darwin" else None
    # One name whatever the mode: a link reaches the running app, demo or not (see options_for)
    if send_to_running(instance_name(), list(links)):
        return 0
    # From here on SIGINT/SIGTERM end the app like Quit (one during demo mode's start waits)
    quit_on_signal = QuitOnSignal(qapp)
    # Cycles are collected on this thread only: before any other thread starts
    collector = GuiThreadCollector(qapp).start()
    demo_dir = Path(tempfile.mkdtemp(prefix="vicifast-demo-")) if demo else None
    env: DemoEnvironment | None = None
    start: _Start | None = None
    try:
        try:
            options, env = options_for(demo_dir)
        except VicifastError as err:
            tell_start_failure(str(err), quit_on_signal)
            return EXIT_REFUSED
        first = FirstWindow(options)
        first.show()
        start = _Start(qapp, first, links, opened, quit_on_signal)
        status = qapp.exec()
        if start.error is not None:
            raise start.error  # as a failing App() did before the window: the caller says why
        return status
    finally:
        if env is not None:  # after the app's quit: the engine has unregistered
            env.close()  # the demo lines, kamailio and the emulator, by PID
        if demo_dir is not None:
            shutil.rmtree(demo_dir, ignore_errors=True)
        quit_on_signal.close()  # a second SIGTERM does not cut the clean-up short
        if start is not None and start.app is not None:
            exit_if_stuck(start.app)  # ends the process if quitting left something hanging
        collector.stop()


def _opened_links(qapp: QApplication) -> OpenedLinks:
    from softphone.app.links import OpenedLinks

    return OpenedLinks(qapp)


def _import_app() -> None:
    importlib.import_module("softphone.app.root")
    # httpx imports its transport (httpcore, h11: ~45 ms of Python) when its first client is
    # made, which is on the sign-in service's thread, beside the build's steps on the GUI thread
    # (sharing the interpreter with them). Here the window is up and idle.
    importlib.import_module("httpcore")


class _Start(QObject):
    """The app behind the first window: ``softphone.app.root`` imported on a thread, then
    :class:`App` built a step per turn of the event loop (the window stays responsive), then
    started. A quit asked for meanwhile (SIGINT/SIGTERM, closing the window) is carried out
    once the app is up; a failure to build it ends the event loop with ``error`` set."""

    def __init__(
        self,
        qapp: QApplication,
        first: FirstWindow,
        links: Sequence[str],
        opened: OpenedLinks | None,
        quit_on_signal: QuitOnSignal,
    ) -> None:
        super().__init__(first)
        self._qapp = qapp
        self._first = first
        self._links = list(links)
        self._opened = opened
        self._quit_on_signal = quit_on_signal
        self.app: App | None = None
        self.error: BaseException | None = None
        self._steps: Iterator[None] | None = None
        quit_on_signal.on_signal(self._ask_quit)
        first.bridge.run_in_thread("app-import", _import_app, self._imported, owner=self)

    def _ask_quit(self) -> None:
        self._first.quit_asked = True

    def _imported(self, outcome: Outcome[None]) -> None:
        if outcome.error is not None:
            self._fail(outcome.error)
            return
        from softphone.app.root import App

        try:
            self.app = App(self._first.options, first=self._first, build=False)
        except Exception as exc:
            self._fail(exc)
            return
        self._steps = self.app.build_steps()
        self._step()

    def _step(self) -> None:
        assert self._steps is not None and self.app is not None
        try:
            next(self._steps)
        except StopIteration:
            self._started(self.app)
            return
        except Exception as exc:
            self._fail(exc)
            return
        # a timer, not a 0 ms call: those run back to back in one pass of the event loop, so
        # two steps would hold it as one; a timer lets what is due (input, paints) go between
        QTimer.singleShot(STEP_GAP_MS, self, self._step)

    def _started(self, app: App) -> None:
        app.finished.connect(self._qapp.quit)
        if self._opened is not None:
            self._opened.deliver_to(app.handle_argv)
        app.start()
        self._quit_on_signal.on_signal(app.quit)
        if self._first.quit_asked:
            app.quit()
            return
        if self._first.asked is not None:  # a link of the sign-in page's, clicked meanwhile
            QTimer.singleShot(0, app, self._first.asked.emit)
        if self._links:
            # from the event loop, not before it: its confirmation box waits for an answer,
            # and a SIGTERM meanwhile must still end the app (quit() ends only a running loop)
            QTimer.singleShot(0, app, lambda: app.handle_argv(self._links))

    def _fail(self, exc: BaseException) -> None:
        self.error = exc  # the app, if made, never started: exit_if_stuck has nothing to do
        self._qapp.exit(EXIT_REFUSED)


def tell_start_failure(text: str, quit_on_signal: QuitOnSignal | None = None) -> None:
    """Why the app cannot start: on stderr (a terminal) and in a message box, for a person who
    started it from the menu and has no terminal. Returns when the box is closed, or when
    SIGINT/SIGTERM comes (``quit_on_signal``)."""
    print(f"vicifast-phone: {text}", file=sys.stderr, flush=True)
    from PySide6.QtWidgets import QMessageBox  # each Qt class is made on first use: not here

    title = QCoreApplication.translate("App", "VICIfast Desktop")
    box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok)
    if quit_on_signal is not None:
        quit_on_signal.on_signal(box.reject)
    box.exec()


def exit_if_stuck(app: App, exit_now: Callable[[int], None] = os._exit) -> threading.Thread | None:
    """After the event loop, so the process ends within the quit's bound whatever hangs.

    A quit that ran out of time ends the process now. After a clean one the interpreter exits
    as usual, but it waits at exit for every thread that is not a daemon (the SIP thread, pool
    workers stuck in a DNS lookup): a daemon thread, returned here, ends the process
    (``os._exit``, with ``EXIT_STUCK``) if it is still there when the bound (at least
    ``EXIT_GRACE_S`` from now) is up. Nothing to do for an app that never began quitting."""
    if app.stopped_cleanly is None:
        return None
    if not app.stopped_cleanly:
        _exit_hanging(exit_now)
        return None
    wait_s = max(app.quit_deadline - time.monotonic(), EXIT_GRACE_S)

    def last_resort() -> None:
        threading.Event().wait(wait_s)
        _exit_hanging(exit_now)

    thread = threading.Thread(target=last_resort, name="exit-deadline", daemon=True)
    thread.start()
    return thread


def _exit_hanging(exit_now: Callable[[int], None]) -> None:
    mine = (threading.current_thread(), threading.main_thread())
    hanging = [t.name for t in threading.enumerate() if t not in mine and not t.daemon]
    _log.error("ending the process with work left hanging (%s)", ", ".join(hanging) or "quit")
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    exit_now(EXIT_STUCK)
