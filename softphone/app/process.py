"""The app as a process: :func:`run` (what ``vicifast-phone`` with no command, and
``--demo``, call) sets Qt up, hands links to a running instance (demo or not) or starts the app,
and cleans up; a start that cannot go on says why in a message box (:func:`tell_start_failure`);
:func:`exit_if_stuck` then ends the process within the quit's bound, whatever still hangs."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from softphone.app.links import OpenedLinks
from softphone.app.options import options_for
from softphone.app.root import App
from softphone.core.errors import VicifastError
from softphone.desktop.link_handler import DESKTOP_ID
from softphone.ui.i18n import install_translator
from softphone.ui.icons import app_icon
from softphone.ui.quit_signal import QuitOnSignal
from softphone.ui.single_instance import instance_name, send_to_running

if TYPE_CHECKING:
    from softphone.demo.environment import DemoEnvironment

_log = logging.getLogger(__name__)
EXIT_STUCK = 1  # the exit status when something had to be left hanging
EXIT_REFUSED = 2  # the app cannot start here (no usable keychain, demo mode failed to start)
EXIT_GRACE_S = 1.0  # the interpreter's own exit gets at least this after a clean quit


def run(links: Sequence[str] = (), *, demo: bool = False) -> int:
    """Open the app (``demo``: signed in to a bundled emulator). A running instance gets
    ``links`` instead, and this start exits 0."""
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
    opened = OpenedLinks(qapp) if sys.platform == "darwin" else None
    # One name whatever the mode: a link reaches the running app, demo or not (see options_for)
    if send_to_running(instance_name(), list(links)):
        return 0
    # From here on SIGINT/SIGTERM end the app like Quit (one during demo mode's start waits)
    quit_on_signal = QuitOnSignal(qapp)
    demo_dir = Path(tempfile.mkdtemp(prefix="vicifast-demo-")) if demo else None
    env: DemoEnvironment | None = None
    app: App | None = None
    try:
        try:
            options, env = options_for(demo_dir)
        except VicifastError as err:
            tell_start_failure(str(err), quit_on_signal)
            return EXIT_REFUSED
        app = App(options)
        app.finished.connect(qapp.quit)
        if opened is not None:
            opened.deliver_to(app.handle_argv)
        app.start()
        quit_on_signal.on_signal(app.quit)
        if links:
            # from the event loop, not before it: its confirmation box waits for an answer,
            # and a SIGTERM meanwhile must still end the app (quit() ends only a running loop)
            QTimer.singleShot(0, app, lambda: app.handle_argv(list(links)))
        return qapp.exec()
    finally:
        if env is not None:  # after the app's quit: the engine has unregistered
            env.close()  # the demo lines, kamailio and the emulator, by PID
        if demo_dir is not None:
            shutil.rmtree(demo_dir, ignore_errors=True)
        quit_on_signal.close()  # a second SIGTERM does not cut the clean-up short
        if app is not None:
            exit_if_stuck(app)  # last: ends the process if quitting left something hanging


def tell_start_failure(text: str, quit_on_signal: QuitOnSignal | None = None) -> None:
    """Why the app cannot start: on stderr (a terminal) and in a message box, for a person who
    started it from the menu and has no terminal. Returns when the box is closed, or when
    SIGINT/SIGTERM comes (``quit_on_signal``)."""
    print(f"vicifast-phone: {text}", file=sys.stderr, flush=True)
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
