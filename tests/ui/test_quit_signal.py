"""SIGTERM/SIGINT reach the GUI loop at once (no polling timer) and run the app's Quit there."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone.ui.quit_signal import QuitOnSignal


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_runs_the_callback_from_the_loop(qtbot: QtBot, sig: signal.Signals) -> None:
    before = signal.getsignal(sig)
    watcher = QuitOnSignal(QApplication.instance())
    calls: list[str] = []
    try:
        watcher.on_signal(lambda: calls.append("quit"))
        os.kill(os.getpid(), sig)
        qtbot.waitUntil(lambda: calls == ["quit"], timeout=5000)
    finally:
        watcher.close()
    assert signal.getsignal(sig) is before  # given back


def test_a_signal_before_the_callback_is_kept_for_it(qtbot: QtBot) -> None:
    # demo mode starts its servers before the app exists: a SIGTERM then must not be lost
    watcher = QuitOnSignal(QApplication.instance())
    calls: list[str] = []
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        watcher.on_signal(lambda: calls.append("quit"))
        qtbot.waitUntil(lambda: calls == ["quit"], timeout=5000)
    finally:
        watcher.close()
