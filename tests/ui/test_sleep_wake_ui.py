"""What a person sees of sleep and wake: Recents says a call ended because the computer went to
sleep, and Help → Connection log says when it slept and woke, as the app hears it from logind."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

import pytest
from pytestqt.qtbot import QtBot

from softphone.core.bus import EventBus
from softphone.desktop.sleep import ComputerSleepChanged
from softphone.storage.history import HistoryWriter
from softphone.storage.history.calls import ENDED_BY_SLEEP
from softphone.ui.bridge import QtBridge
from softphone.ui.event_log import EventLog
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.table import COL_RESULT
from softphone.ui.recents.view import RecentsView
from tests.support import fake_logind
from tests.support.fake_logind import FakeLogind
from tests.ui.app_kit import QuietEngine, app_maker
from tests.unit.history_kit import call

TIMEOUT = 5000


def test_recents_says_a_call_ended_because_the_computer_slept(
    qtbot: QtBot, writer: HistoryWriter, bridge: QtBridge
) -> None:
    model = HistoryModel(writer, bridge, page_size=20)
    view = RecentsView(model, bridge, lambda number: None)
    qtbot.addWidget(view)
    view.show()
    writer.record(dataclasses.replace(call(1), sip_reason=ENDED_BY_SLEEP)).result(5)
    qtbot.waitUntil(lambda: view.table.model().rowCount() == 1, timeout=TIMEOUT)
    shown = str(view.table.model().index(0, COL_RESULT).data())
    assert shown == "Answered (Ended: the computer went to sleep)"
    view.table.selectRow(0)
    qtbot.waitUntil(
        lambda: view.details.result.text() == "Answered (Ended: the computer went to sleep)",
        timeout=TIMEOUT,
    )
    model.close()


def test_the_connection_log_says_when_the_computer_slept_and_woke(qtbot: QtBot) -> None:
    bus = EventBus()
    log = EventLog(bus)
    bus.publish(ComputerSleepChanged(sleeping=True, source="logind"))
    bus.publish(ComputerSleepChanged(sleeping=False, source="logind"))
    said = [line.split("  ", 1)[1] for line in log.lines()]
    assert said == ["The computer went to sleep", "The computer woke up: registering again"]
    log.deleteLater()


def test_the_app_hears_logind_on_the_system_bus_and_says_it_slept_and_woke(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's own sleep watch, as started, against a fake logind on the bus that
    ``DBUS_SYSTEM_BUS_ADDRESS`` names (as a real session's system bus would be found)."""
    if not fake_logind.available():
        pytest.fail("dbus-daemon is not installed: run scripts/bootstrap.sh")
    with (
        FakeLogind(tmp_path) as logind,
        app_maker(qtbot, tmp_path, cast(Any, QuietEngine), tray=False) as make,
    ):
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", logind.address)
        app = make()
        app.start()
        qtbot.waitUntil(lambda: logind.locks_held() == 1, timeout=TIMEOUT)  # it holds sleep

        def said() -> list[str]:
            return [line.split("  ", 1)[1] for line in app.window.event_log.lines()]

        logind.prepare_for_sleep(True)
        qtbot.waitUntil(lambda: said()[-1:] == ["The computer went to sleep"], timeout=TIMEOUT)
        qtbot.waitUntil(lambda: logind.locks_held() == 0, timeout=TIMEOUT)  # then lets it go
        logind.prepare_for_sleep(False)
        woke = "The computer woke up: registering again"
        qtbot.waitUntil(lambda: said()[-1:] == [woke], timeout=TIMEOUT)
        qtbot.waitUntil(lambda: logind.locks_held() == 1, timeout=TIMEOUT)  # for the next one
