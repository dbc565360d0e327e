"""GUI tests run offscreen unless QT_QPA_PLATFORM says otherwise, with XDG data and config
homes of their own and no session bus unless a test starts its own: no test reads or writes the
real user's desktop files (launch at login, the link handler's defaults) or settings, or shows a
notice on the real desktop."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from softphone.core.bus import EventBus
from softphone.storage.history import HistoryWriter
from softphone.ui.bridge import QtBridge
from tests.unit.history_kit import MemorySecrets

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_xdg_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


@pytest.fixture
def bridge(qtbot: QtBot) -> Iterator[QtBridge]:
    """The one road onto the GUI thread, as the app makes it, for a view tested on its own."""
    b = QtBridge(EventBus())
    yield b
    b.close()
    b.deleteLater()


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[HistoryWriter]:
    """An open call history (in-memory keychain) in the test's folder, stopped after it."""
    w = HistoryWriter(tmp_path, MemorySecrets()).start()
    w.opened.result(5)
    yield w
    w.stop()
