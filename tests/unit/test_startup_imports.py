"""The start-up import budget (issue 21): a start path must not import what it does not use.

A rule on imports, not a timing. Each start runs in a fresh interpreter
(``tests.support.import_probe``), which records who imported each module first, so that a
failure names the module and the chain of importers that brought it in.

- The headless agent with a plain SIP account (``vicifast-phone agent --server …``), up to its
  REGISTER's 200 OK (a registrar in this test answers it): no Qt, no HTTP client, keychain,
  history, sign-in, emulator, TLS in Python, camera, QR or load-test stack; nor Python's
  ``socket``, ``platform``, ``dataclasses``, ``typing`` and ``random`` modules, nor the local
  tones (which play only with sound devices).
- The desktop app's start path up to its first window (``softphone.cli``, ``run``'s module,
  and the sign-in window shown as ``run`` shows it): nothing that first screen does not show:
  the camera and QR stack, Qt Multimedia, the encrypted history, echo cancellation, plots,
  the load tester, and none of the app behind the window (the SIP engine, the sign-in's HTTP
  clients, the keychain, audio, the Phone, Recents and Settings pages), which is imported on a
  thread once the window is up.
- The desktop app built behind that window (every page, the history opened): not Qt Network
  (the single-instance server is a Unix socket of Python's own), nor what only a later screen
  shows (the Provisioning tab's QR-making stack, the QR scanner).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.cli.agent_inputs import PASSWORD_ENV
from softphone.cli.command import _parser
from tests.support.udp_registrar import UdpRegistrar

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 30.0

AGENT_MUST_NOT_IMPORT = (
    # what the issue names
    "cv2", "PySide6", "httpx", "keyring", "sqlcipher3", "starlette", "uvicorn", "numpy",
    "locust", "matplotlib", "livekit", "zxingcpp", "pyzbar", "segno",
    # the rest of what a plain account does not use before it is registered
    "secretstorage", "jeepney", "ssl", "softphone.signin", "softphone.storage",
    "softphone.provisioning", "softphone.emulator", "softphone.load", "softphone.demo",
    "softphone.ui", "softphone.app",
    # the standard library's modules that raw pjsua2 does not load and the agent does not need:
    # the SIP engine uses the socket module's C core, the platform's name comes from os.uname
    "socket", "platform",
    # the events and models are value classes (core.values), not dataclasses
    "dataclasses",
    # annotations only: what the type checker reads is imported under TYPE_CHECKING
    "typing",
    # a Backoff makes its random generator when it first backs off, not with its account
    "random", "math",
    # local tones play only with sound devices (LocalTones), never headless
    "softphone.sip.tones", "softphone.sip.cadences", "softphone.sip.tone_choice",
    "softphone.sip.tone_output",
)  # fmt: skip
APP_MUST_NOT_IMPORT = (
    "cv2", "zxingcpp", "pyzbar", "segno", "PySide6.QtMultimedia", "livekit", "matplotlib",
    "locust", "sqlcipher3",
    # the rest of the app, imported on a thread once the window is up
    "softphone.app.root", "softphone.sip", "pjsua2", "httpx", "keyring", "numpy",
    "softphone.signin.service", "softphone.storage.history", "softphone.audio.controller",
    "softphone.ui.phone", "softphone.ui.recents", "softphone.ui.settings",
    # what only a later screen shows: the tray's rendered icons, Help → About
    "PySide6.QtSvg", "softphone.ui.about",
    # the single-instance server (the check before the window is a Unix socket's on Linux),
    # the audio stack (the settings keep only the voice processing's choice), the sign-in
    # session (the window needs only its events), the desktop integration's link handler
    "PySide6.QtNetwork", "softphone.audio.backend", "softphone.audio.ring",
    "softphone.audio.processing", "softphone.core.session", "softphone.desktop.link_handler",
)  # fmt: skip

APP_BUILT_MUST_NOT_IMPORT = (
    "PySide6.QtMultimedia", "cv2", "zxingcpp", "pyzbar", "segno", "numpy",
    "softphone.ui.provisioning", "softphone.ui.qr_scan", "softphone.ui.about",
    *(() if sys.platform == "win32" else ("PySide6.QtNetwork",)),
)  # fmt: skip


def _offending(importers: dict[str, str], forbidden: tuple[str, ...]) -> list[str]:
    """``name (imported by a <- b <- …)`` for each module in ``importers`` that ``forbidden``
    names (a package stands for its submodules), its first-loaded module's chain."""
    found = []
    for name in forbidden:
        loaded = [m for m in importers if m == name or m.startswith(name + ".")]
        if loaded:
            first = min(loaded, key=len)
            found.append(f"{first} (imported by {_chain(importers, first)})")
    return found


def _chain(importers: dict[str, str], module: str) -> str:
    chain, seen = [], {module}
    who = importers.get(module, "?")
    while True:
        chain.append(who)
        parent = who.split(":")[0]
        who = importers.get(parent, "")
        if not who or parent in seen or who.startswith(("?", "(")):
            return " <- ".join(chain)
        seen.add(parent)


@pytest.fixture
def registrar() -> Iterator[UdpRegistrar]:
    """Answers every REGISTER 200 OK (no digest): enough for the agent to be registered."""
    server = UdpRegistrar()
    try:
        yield server
    finally:
        server.close()


def _probe(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Run the probe in a fresh interpreter; stop it by its PID whatever happens."""
    report = tmp_path / "imports.json"
    command = [sys.executable, "-m", "tests.support.import_probe", str(report), *args]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, errors = process.communicate(timeout=TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT_S)
    assert process.returncode == 0, errors
    importers: dict[str, str] = json.loads(report.read_text())
    return importers


def test_the_headless_agent_imports_nothing_it_does_not_use_before_it_registers(
    tmp_path: Path, registrar: UdpRegistrar
) -> None:
    importers = _probe(
        tmp_path,
        "agent", "--server", "127.0.0.1", "--port", str(registrar.port), "--extension", "1001",
        "--bind", "127.0.0.1", "--json", "--answer", "off", "--register-timeout", "10",
        env={PASSWORD_ENV: "budget"},
    )  # fmt: skip
    assert "softphone.sip.engine" in importers  # the probe saw the real start path
    offending = _offending(importers, AGENT_MUST_NOT_IMPORT)
    assert not offending, "vicifast-phone agent imports before REGISTER: " + "; ".join(offending)


def test_the_desktop_apps_start_path_imports_nothing_its_first_screen_does_not_show(
    tmp_path: Path,
) -> None:
    importers = _probe(tmp_path, "app", env={"QT_QPA_PLATFORM": "offscreen"})
    assert "PySide6.QtWidgets" in importers  # the probe saw the real start path
    offending = _offending(importers, APP_MUST_NOT_IMPORT)
    assert not offending, "the app imports before its first screen: " + "; ".join(offending)


def test_the_desktop_app_built_behind_its_window_leaves_qt_network_and_later_screens_unloaded(
    tmp_path: Path,
) -> None:
    importers = _probe(tmp_path, "app-built", env={"QT_QPA_PLATFORM": "offscreen"})
    assert "softphone.app.root" in importers  # the probe built the app
    assert "softphone.storage.history.writer" in importers  # and its history's thread
    offending = _offending(importers, APP_BUILT_MUST_NOT_IMPORT)
    assert not offending, "the app imports once built: " + "; ".join(offending)


def test_the_import_chain_names_who_imported_a_module() -> None:
    importers = {
        "softphone.cli": "runpy:_run_code",
        "softphone.cli.command": "softphone.cli",
        "softphone.emulator.cli": "softphone.cli.command:_parser",
        "ssl": "softphone.emulator.cli",
        "ssl.sub": "ssl",
    }
    assert _offending(importers, ("ssl", "cv2")) == [
        "ssl (imported by softphone.emulator.cli <- softphone.cli.command:_parser"
        " <- softphone.cli <- runpy:_run_code)"
    ]


@pytest.mark.parametrize("command", ["demo", "agent", "emulator", "qr", "load"])
def test_a_command_given_first_is_parsed_as_by_the_whole_command_line(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` builds only the parser of a command given first (the others' modules stay
    unimported); that parser says and accepts the same."""

    def help_of(only: str | None) -> str:
        with pytest.raises(SystemExit):
            _parser(only=only).parse_args([command, "--help"])
        return capsys.readouterr().out

    assert help_of(command) == help_of(None)
