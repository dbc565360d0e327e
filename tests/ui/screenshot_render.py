"""Render every screen to PNGs, light and dark (run by test_screenshots under Xvfb with xcb).

``python -m tests.ui.screenshot_render OUT_DIR`` writes ``<screen>-<light|dark>.png`` and prints
one JSON line: ``{name: [width, height]}``. Fakes stand in for the engine and the sound cards;
Recents reads a real encrypted history in a temporary directory. No real account or secret is
shown: the numbers and names are the tests' made-up ones.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from softphone.app.pages import dialpad_hint
from softphone.audio.backend import NullBackend
from softphone.audio.controller import AudioController
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy
from softphone.storage.history import HistoryWriter, Outcome
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.phone.incoming_call import IncomingCallWindow
from softphone.ui.phone.view import PhoneView
from softphone.ui.provisioning.view import ProvisioningView
from softphone.ui.qr_scan.dialog import QrScanDialog
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.view import RecentsView
from softphone.ui.settings.view import SettingsView
from softphone.ui.signin.view import SignInView
from tests.ui.phone_fakes import FakePhone, incoming, state
from tests.unit.history_kit import MemorySecrets, call

SIZE = (720, 560)


def dark_palette() -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, "#2b2b2b"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#2f2f2f"), (roles.Text, "#e6e6e6"), (roles.Button, "#3a3a3a"),
        (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d7bd9"),
        (roles.HighlightedText, "#ffffff"), (roles.ToolTipBase, "#3a3a3a"),
        (roles.ToolTipText, "#e6e6e6"), (roles.PlaceholderText, "#8c8c8c"),
        (roles.Link, "#6ea8ff"), (roles.Mid, "#505050"), (roles.Dark, "#202020"),
        (roles.Light, "#505050"), (roles.Midlight, "#454545"), (roles.Shadow, "#101010"),
    ):  # fmt: skip
        p.setColor(role, QColor(colour))
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return p


def settle(widget: QWidget, ms: int = 150) -> None:
    widget.show()
    QTest.qWaitForWindowExposed(widget)
    QTest.qWait(ms)


def main(out: Path) -> None:
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    work = Path(tempfile.mkdtemp(prefix="vicifast-shots-"))
    writer = HistoryWriter(work, MemorySecrets()).start()
    writer.opened.result(10)
    for n, (number, name, outcome, direction, auto) in enumerate(
        (
            ("+1 555 0100", "Alice Martin", Outcome.ANSWERED, ev.Direction.INBOUND, True),
            ("+1 555 0200", "Bob Stone", Outcome.MISSED, ev.Direction.INBOUND, False),
            ("+44 20 7946 0000", "Zoë Ångström", Outcome.ANSWERED, ev.Direction.OUTBOUND, False),
            ("+1 555 0400", "Dana", Outcome.FAILED, ev.Direction.OUTBOUND, False),
        )
    ):
        record = call(n, number=number, name=name, outcome=outcome, direction=direction,
                      auto=auto, sip_code=486 if outcome is Outcome.FAILED else 200)  # fmt: skip
        writer.record(record).result(10)
    sizes: dict[str, list[int]] = {}
    for theme in ("light", "dark"):
        app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
        for name, make in screens(writer, work).items():
            widget = make()
            settle(widget)
            image = widget.grab()
            path = out / f"{name}-{theme}.png"
            image.save(str(path))
            sizes[f"{name}-{theme}"] = [image.width(), image.height()]
            widget.close()
            widget.deleteLater()
            QTest.qWait(20)
    writer.stop()
    print(json.dumps(sizes))
    QTimer.singleShot(0, app.quit)


def screens(writer: HistoryWriter, work: Path) -> dict[str, Callable[[], QWidget]]:
    bridge = QtBridge(EventBus())

    def sized(widget: QWidget) -> QWidget:
        widget.resize(*SIZE)
        return widget

    def signin(error: str = "") -> QWidget:
        view = SignInView(EventBus())
        view.company.setText("DEMO")
        view.username.setText("agent1")
        if error:
            view.show_message(error)
        return sized(view)

    def phone(in_call: bool) -> QWidget:
        bus = EventBus()
        view = PhoneView(FakePhone(), bus, bridge)
        view.number_field.setPlaceholderText(dialpad_hint())  # as the app sets it
        bus.publish(ev.RegistrationChanged(account_id="session",
                                           state=ev.RegistrationState.REGISTERED))  # fmt: skip
        view.set_auto_answer(AutoAnswerPolicy(AutoAnswerMode.HEADER))
        if in_call:
            bus.publish(incoming("c1", number="5550109999", display="Ann Example"))
            bus.publish(state("c1", ev.CallState.CONFIRMED, number="5550109999",
                              display="Ann Example", direction=ev.Direction.INBOUND,
                              answered_by=ev.AnswerReason.HEADER))  # fmt: skip
        return sized(view)

    def incoming_window() -> QWidget:
        call = incoming("c2", number="5550109999", display="Ann Example")
        window = IncomingCallWindow(FakePhone(), EventBus(), bridge, call)
        window.adjustSize()
        return window

    def recents() -> QWidget:
        model = HistoryModel(writer, bridge)
        view = RecentsView(model, bridge, lambda number: None)
        return sized(view)

    def settings() -> QWidget:
        audio = AudioController(NullBackend(), AudioRings.create(), lambda item: None)
        view = SettingsView(
            audio,
            AppSettings(),
            bridge,
            settings_path=work / "settings.json",
            sound=FakePhone(),
        )
        view.set_transport_info(transport="UDP", local="192.0.2.10:5060", server="pbx.example.com")
        return sized(view)

    def scan() -> QWidget:
        dialog = QrScanDialog(bridge, camera_lister=lambda factory: [], grab_delay_ms=0)
        dialog.resize(600, 600)
        return dialog

    return {
        "signin": signin,
        "signin-error": lambda: signin("Your user name or password is not correct. Try again."),
        "phone-idle": lambda: phone(False),
        "phone-in-call": lambda: phone(True),
        "incoming": incoming_window,
        "recents": recents,
        "settings": settings,
        "provisioning": lambda: sized(ProvisioningView(bridge)),
        "scan": scan,
    }


if __name__ == "__main__":
    main(Path(sys.argv[1]))
