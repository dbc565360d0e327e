"""A start that cannot go on (here: no usable keychain) is told in a message box, not only on
stderr: a person who started the app from the menu has no terminal. The real box of
:func:`softphone.app.process.run`, under offscreen Qt: found among the top-level windows,
looked at, and closed with its OK button as a person would; ``run`` then returns 2, the status
the command line exits with, and stderr has the same line."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from softphone.app import process
from softphone.storage.errors import KeychainUnavailable

GIVE_UP_S = 20.0
REASON = KeychainUnavailable.because("no keychain was found on this computer", "linux")


@pytest.fixture
def qapp_as_it_was(qapp: QApplication) -> Iterator[None]:
    """``run`` names the application and keeps it open without windows: undone after."""
    name, quit_on_last = qapp.applicationName(), qapp.quitOnLastWindowClosed()
    desktop_name, icon = qapp.desktopFileName(), qapp.windowIcon()
    yield
    qapp.setApplicationName(name)
    qapp.setQuitOnLastWindowClosed(quit_on_last)
    qapp.setDesktopFileName(desktop_name)
    qapp.setWindowIcon(icon)


def _box() -> QMessageBox | None:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    return next((b for b in boxes if b.isVisible()), None)


def test_no_usable_keychain_is_told_in_a_box_and_the_start_exits_2(
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    qapp_as_it_was: None,
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the one-instance socket: nobody else's

    def no_keychain(demo_dir: Path | None) -> object:
        raise REASON

    monkeypatch.setattr(process, "options_for", no_keychain)
    seen: dict[str, object] = {}
    deadline = time.monotonic() + GIVE_UP_S

    def look_and_close() -> None:  # from the box's own event loop
        box = _box()
        if box is None:
            if time.monotonic() < deadline:
                QTimer.singleShot(20, look_and_close)
            return
        seen.update(title=box.windowTitle(), text=box.text(), icon=box.icon())
        shots = os.environ.get("VICIFAST_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            box.grab().save(str(Path(shots) / "keychain-refusal.png"))
        seen["buttons"] = [b.text() for b in box.buttons()]
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, look_and_close)
    assert process.run() == process.EXIT_REFUSED == 2
    assert seen == {
        "title": "VICIfast Desktop",
        "text": str(REASON),
        "icon": QMessageBox.Icon.Critical,
        "buttons": ["OK"],
    }
    assert _box() is None
    err = capsys.readouterr().err
    assert f"vicifast-phone: {REASON}\n" in err  # the terminal keeps the line
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # it never became the running instance
