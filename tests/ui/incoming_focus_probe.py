"""Run under a real X server (see test_incoming_call): does the incoming window take the keyboard?

The offscreen platform activates every window it shows, so the promise can only be checked on a
platform that honours ``WA_ShowWithoutActivating``. Prints one JSON line with what it saw.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from softphone.core.bus import EventBus
from softphone.ui.bridge import QtBridge
from softphone.ui.phone.incoming_call import IncomingCallWindow
from tests.ui.phone_fakes import FakePhone, incoming


def main() -> None:
    app = QApplication(sys.argv[:1])
    crm = QWidget()
    edit = QLineEdit(crm)
    QVBoxLayout(crm).addWidget(edit)
    crm.show()
    QTest.qWaitForWindowExposed(crm)
    crm.activateWindow()
    edit.setFocus()
    for _ in range(60):
        if QApplication.focusWidget() is edit:
            break
        QTest.qWait(50)
    before = QApplication.focusWidget() is edit
    bus = EventBus()
    window = IncomingCallWindow(FakePhone(), bus, QtBridge(bus), incoming("c1"))
    window.present()
    QTest.qWaitForWindowExposed(window)
    QTest.qWait(300)  # time for any activation the window system would do
    QTest.keyClicks(QApplication.focusWidget() or crm, "typed")
    report = {
        "platform": app.platformName(),
        "focus_before": before,
        "window_visible": window.isVisible(),
        "focus_after": QApplication.focusWidget() is edit,
        "active_after": QApplication.activeWindow() is crm,
        "text": edit.text(),
    }
    print(json.dumps(report))
    window.close()


if __name__ == "__main__":
    main()
