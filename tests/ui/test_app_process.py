"""`vicifast-phone` with no arguments, run as a process the way a person starts it: the window
comes up, a second start is handed to the running one (and exits 0 at once), whether either
runs in demo mode or not, and SIGTERM ends the app with status 0. Everything the app touches
is private to the test: HOME, the XDG folders, the temp folder (where the one-instance socket
lives) and a Secret Service of its own on a private D-Bus."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from softphone.app.options import QUIT_TIMEOUT_S
from softphone.app.process import EXIT_GRACE_S, EXIT_STUCK
from softphone.ui.single_instance import instance_name, instance_server
from tests.support.process import ManagedProcess, wait_until
from tests.support.secret_service import SecretService, available
from tests.support.silent_prompter import silent_prompter
from tests.support.xvfb import xvfb_env

pytestmark = pytest.mark.integration

START_S = 30.0
HAND_OVER_S = 15.0  # a second start: Python and Qt load, it connects, hands over, exits
LINK = "tel:+15551234"
TITLE = "VICIfast Desktop"

StartApp = Callable[..., ManagedProcess]


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[SecretService]:
    if not available():
        pytest.fail("dbus-daemon or gnome-keyring-daemon is missing: run scripts/bootstrap.sh test")
    service = SecretService(tmp_path / "secret-service")
    try:
        yield service.start()
    finally:
        service.stop()


@pytest.fixture
def app_env(tmp_path: Path, secret_service: SecretService) -> dict[str, str]:
    """A private user: its HOME, XDG folders, keychain and temp folder; Qt offscreen."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {**secret_service.env, "TMPDIR": str(temp), "QT_QPA_PLATFORM": "offscreen"}


@pytest.fixture
def start_app(tmp_path: Path, app_env: dict[str, str]) -> Iterator[StartApp]:
    """start(*args, env=…) -> `vicifast-phone …` started; each stopped by its PID at teardown."""
    started: list[ManagedProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ManagedProcess:
        n = len(started)
        proc = ManagedProcess(
            [sys.executable, "-m", "softphone.cli", *args],
            log_path=tmp_path / f"app{n}.log",
            name=f"vicifast-phone-{n}",
            env=env or app_env,
        )
        started.append(proc)
        return proc.start()

    yield start
    for proc in reversed(started):
        proc.stop()


@pytest.fixture
def x_display() -> Iterator[str]:
    """A private Xvfb's DISPLAY, the server stopped by its PID at teardown."""
    with xvfb_env() as env:
        yield env["DISPLAY"]


def instance_socket(env: dict[str, str]) -> Path:
    """Where Qt puts the one-instance server of this user (QLocalServer: the temp folder)."""
    return Path(env["TMPDIR"]) / instance_name()


def test_the_app_comes_up_takes_a_second_start_and_ends_on_sigterm(
    start_app: StartApp, app_env: dict[str, str]
) -> None:
    first = start_app()
    listening = instance_socket(app_env)
    first.wait_for(listening.exists, START_S, "the app to listen for later starts")
    history = Path(app_env["XDG_DATA_HOME"]) / "vicifast-desktop" / "calls.db"
    first.wait_for(history.exists, START_S, "the app to open its call history")

    second = start_app("tel:+15551234")
    assert second.wait_exit(START_S) == 0, second.describe()  # handed over, not a 2nd window
    assert "Traceback" not in second.log_text()
    assert first.running  # and the first one is still the app

    assert first.stop(timeout=START_S) == 0, first.describe()
    assert not listening.exists()  # closed as it quit, not left for the next start to clear
    assert "Traceback" not in first.log_text()


def test_a_start_while_the_demo_runs_hands_its_link_to_the_demo(
    start_app: StartApp, app_env: dict[str, str]
) -> None:
    """The demo is the running app of this user: a later start with a link, with or without
    --demo, hands it over and exits 0 at once; no second copy opens (nor a second keychain)."""
    demo = start_app("--demo")
    listening = instance_socket(app_env)
    demo.wait_for(listening.exists, START_S, "the demo app to listen for later starts")

    for args in ((LINK,), ("--demo", LINK)):
        second = start_app(*args)
        assert second.wait_exit(HAND_OVER_S) == 0, second.describe()
        assert "Traceback" not in second.log_text()
    assert demo.running
    sockets = [p for p in Path(app_env["TMPDIR"]).iterdir() if p.is_socket()]
    assert sockets == [listening]  # no other copy listens

    assert demo.stop(timeout=START_S) == 0, demo.describe()
    assert "Traceback" not in demo.log_text()


def test_a_demo_start_hands_its_link_to_the_running_app(
    qtbot: QtBot, start_app: StartApp, app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vicifast-phone --demo LINK` while the app runs: the running app gets the link (here the
    test listens where the app does), and the demo never starts."""
    monkeypatch.setenv("TMPDIR", app_env["TMPDIR"])  # Qt's local sockets: the user's folder
    running = instance_server(instance_name())
    assert running.listen()
    try:
        with qtbot.waitSignal(running.received, timeout=round(HAND_OVER_S * 1000)) as got:
            second = start_app("--demo", LINK)
        assert got.args == [[LINK]]
        assert second.wait_exit(HAND_OVER_S) == 0, second.describe()
    finally:
        running.close()
    assert not [p for p in Path(app_env["TMPDIR"]).iterdir() if p.name.startswith("vicifast-demo")]


def test_the_window_is_mapped_on_a_real_x_server(
    start_app: StartApp, app_env: dict[str, str], x_display: str
) -> None:
    """On Xvfb the main window titled "VICIfast Desktop" is on screen; SIGTERM still ends it 0."""
    env = app_env | {"DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    app = start_app(env=env)

    def window_shown() -> bool:
        tree = subprocess.run(
            ["xwininfo", "-root", "-tree"],
            env={**os.environ, "DISPLAY": x_display},
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        return f'"{TITLE}"' in tree

    app.wait_for(window_shown, START_S, "the main window on the X server")
    wait_until(lambda: instance_socket(env).exists(), START_S, "the one-instance socket")
    assert app.stop(timeout=START_S) == 0, app.describe()


def test_a_link_start_on_a_keychain_that_never_answers_still_answers_and_quits(
    start_app: StartApp, app_env: dict[str, str], secret_service: SecretService, tmp_path: Path
) -> None:
    """Issue 18: "login" locked and its unlock prompt unable to show (a prompter that never
    answers). Started with a link, the app asks before dialling from its running event loop:
    a later start still hands its link over, and SIGTERM ends the app within the quit's bound
    (EXIT_STUCK when keychain calls are still waiting for the keychain's own bound, 30 s)."""
    secret_service.lock_login()
    with silent_prompter(secret_service.address, tmp_path):
        first = start_app(LINK)
        listening = instance_socket(app_env)
        first.wait_for(listening.exists, START_S, "the app to listen for later starts")

        second = start_app(LINK)
        assert second.wait_exit(HAND_OVER_S) == 0, second.describe()
        assert first.running

        began = time.monotonic()
        status = first.stop(timeout=QUIT_TIMEOUT_S + EXIT_GRACE_S + 5.0)
        assert status in (0, EXIT_STUCK), first.describe()
        assert time.monotonic() - began < QUIT_TIMEOUT_S + EXIT_GRACE_S + 5.0
    assert "Traceback" not in first.log_text()
    assert secret_service.login_locked()
