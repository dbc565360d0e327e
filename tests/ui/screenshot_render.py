"""Render every screen and state to PNGs, light and dark (run by test_screenshots under Xvfb).

``python -m tests.ui.screenshot_render OUT_DIR`` writes ``<screen>-<light|dark>.png``, or
``<screen>-<light|dark>@2x.png`` when Qt draws at a device pixel ratio of 2 (the test runs it a
second time with ``QT_SCALE_FACTOR=2``), and prints one JSON line: ``{file name: [width,
height]}`` in device pixels. Fakes stand in for the engine and the sound cards; Recents reads a
real encrypted history in a temporary directory. No real account or secret is shown: the
numbers, names and PINs are the tests' made-up ones.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from softphone.app.pages import dialpad_hint
from softphone.audio.backend import NullBackend
from softphone.audio.controller import AudioController
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy, SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.core.session_events import (
    ACCOUNT_ID,
    SessionReason,
    SessionState,
    SessionStateChanged,
)
from softphone.provisioning import errors as signin_errors
from softphone.provisioning import qr_format, qr_make
from softphone.storage.history import HistoryWriter, Outcome
from softphone.storage.settings import AppSettings, Theme
from softphone.ui.about import AboutDialog
from softphone.ui.bridge import QtBridge
from softphone.ui.call_bar import CallBar
from softphone.ui.event_log import EventLog, EventLogDialog
from softphone.ui.main_window import MainWindow
from softphone.ui.phone.incoming_call import IncomingCallWindow
from softphone.ui.phone.view import PhoneView
from softphone.ui.provisioning.view import ProvisioningView
from softphone.ui.qr_scan.dialog import QrScanDialog
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.view import RecentsView
from softphone.ui.settings.view import SettingsView
from softphone.ui.signin.view import SignInView
from softphone.ui.theme import apply_theme
from softphone.ui.window_status import SignedInAs
from tests.ui.phone_fakes import FakePhone, incoming, media, state
from tests.unit.history_kit import MemorySecrets, call

SIZE = (720, 560)  # the main window's size: the pages are drawn at it
THEMES = ("light", "dark")
# Each screen's name, in the order they are drawn; WINDOW: drawn at the window's SIZE.
SCREENS = (
    "signin", "signin-error", "signin-totp", "main-signed-in", "main-in-call", "phone-idle",
    "phone-dialling", "phone-in-call", "phone-in-call-no-mic", "phone-call-waiting", "incoming",
    "call-bar", "recents", "settings", "about", "event-log", "provisioning-one",
    "provisioning-one-sip", "provisioning-batch", "scan", "scan-pin-error", "scan-confirm",
    "scan-confirm-sip",
)  # fmt: skip
WINDOW = frozenset(
    {"signin", "signin-error", "signin-totp", "main-signed-in", "main-in-call", "phone-idle",
     "phone-dialling", "phone-in-call", "phone-in-call-no-mic", "phone-call-waiting", "recents",
     "provisioning-one", "provisioning-one-sip", "provisioning-batch"}
)  # fmt: skip
PIN = "48151623"
CAPABILITIES = ev.Capabilities(
    platform="Linux x86_64", pjsua2_version="2.15.1.post1", pjsip_version="2.15.1", tls=True,
    tls_detail="OpenSSL 3.0.13", live_sip_trace=True, unhandled_501=True,
)  # fmt: skip
SIGNIN_CSV = (  # two good rows, a row without its company and one without its extension
    "name,extension,company,username\nJo Doe,1001,acme,jdoe\nAnn Lee,1002,acme,ann\n"
    "Bob,1003,,bob\nCy,,acme,cy\n"
)


def file_name(screen: str, theme: str, ratio: int) -> str:
    """``phone-in-call-dark.png``, ``phone-in-call-dark@2x.png``."""
    return f"{screen}-{theme}{'' if ratio == 1 else f'@{ratio}x'}.png"


def wait_until(ready: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        QTest.qWait(20)


def settle(widget: QWidget, ms: int = 100) -> None:
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
    bridge = QtBridge(EventBus())
    for theme in THEMES:
        apply_theme(Theme.DARK if theme == "dark" else Theme.LIGHT)
        for name, make in screens(bridge, writer, work).items():
            widget = make()
            settle(widget)
            image = widget.grab()
            path = out / file_name(name, theme, round(image.devicePixelRatio()))
            if not image.save(str(path)):
                raise RuntimeError(f"{path} could not be written")
            sizes[path.name] = [image.width(), image.height()]
            shutdown = getattr(widget, "shutdown", None)
            if callable(shutdown):  # the provisioning pane's worker
                shutdown()
            widget.close()
            widget.deleteLater()
            QTest.qWait(10)
    writer.stop()
    print(json.dumps(sizes))
    QTimer.singleShot(0, app.quit)


def screens(
    bridge: QtBridge, writer: HistoryWriter, work: Path
) -> dict[str, Callable[[], QWidget]]:
    def sized(widget: QWidget) -> QWidget:
        widget.resize(*SIZE)
        return widget

    def signin(error: str = "", totp: bool = False) -> QWidget:
        bus = EventBus()
        view = SignInView(bus)
        if error or totp:
            view.company.setText("DEMO")
            view.username.setText("agent1")
        if error:
            view.show_message(error)
        if totp:  # the password stays typed while the code is asked
            view.password.setText("not-a-real-password")
            message = str(signin_errors.TotpRequired())
            asked = SessionStateChanged(
                state=SessionState.AWAITING_TOTP,
                reason=SessionReason.TOTP_REQUIRED,
                message=message,
            )
            bus.publish(asked)
        return sized(view)

    def phone_view(bus: EventBus, *, microphone: bool = True) -> PhoneView:
        view = PhoneView(FakePhone(), bus, bridge, microphone=lambda: microphone)
        view.number_field.setPlaceholderText(dialpad_hint())  # as the app sets it
        bus.publish(ev.RegistrationChanged(account_id=ACCOUNT_ID,
                                           state=ev.RegistrationState.REGISTERED))  # fmt: skip
        view.set_auto_answer(AutoAnswerPolicy(AutoAnswerMode.HEADER))
        return view

    def answered(bus: EventBus) -> None:
        bus.publish(incoming("c1", number="5550109999", display="Ann Example"))
        bus.publish(state("c1", ev.CallState.CONFIRMED, number="5550109999",
                          display="Ann Example", direction=ev.Direction.INBOUND,
                          answered_by=ev.AnswerReason.HEADER, duration_s=83.0))  # fmt: skip

    def phone(call_state: str = "", *, microphone: bool = True) -> QWidget:
        bus = EventBus()
        view = phone_view(bus, microphone=microphone)
        if call_state == "dialling":
            view.number_field.setText("5550102030")
            bus.publish(state("o1", ev.CallState.RINGING, number="5550102030",
                              display="Alice Smith"))  # fmt: skip
        elif call_state:
            answered(bus)
        if call_state == "waiting":
            bus.publish(incoming("c2", number="5550104444", display="Bob Jones", waiting=True))
        return sized(view)

    def main_window(in_call: bool) -> QWidget:
        bus = EventBus()

        window = MainWindow(
            bus,
            SignInView(bus),
            [
                ("Phone", lambda: phone_view(bus)),
                ("Recents", QWidget),
                ("Settings", QWidget),
                ("Provisioning", QWidget),
            ],
        )  # fmt: skip  (the tab bar shows the other pages' titles; their pages are not drawn)
        bus.publish(SessionStateChanged(state=SessionState.REGISTERED))
        window.set_identity(SignedInAs("agent2", "1002", "DEMO"))
        bus.publish(ev.RegistrationChanged(account_id=ACCOUNT_ID,
                                           state=ev.RegistrationState.REGISTERED))  # fmt: skip
        if in_call:
            answered(bus)
        window.set_badge("Recents", 2)
        return sized(window)

    def incoming_window() -> QWidget:
        ringing = incoming("c2", number="5550109999", display="Ann Example")
        window = IncomingCallWindow(FakePhone(), EventBus(), bridge, ringing)
        window.adjustSize()
        return window

    def call_bar() -> QWidget:
        """Over the agent's browser during a call, muted."""
        bus = EventBus()
        view = phone_view(bus)
        answered(bus)
        bus.publish(media("c1", muted=True))
        bar = CallBar(view.calls)
        bar.destroyed.connect(view.deleteLater)
        bar.refresh()
        bar.adjustSize()
        return bar

    def recents() -> QWidget:
        model = HistoryModel(writer, bridge)
        view = RecentsView(model, bridge, lambda number: None)
        wait_until(lambda: model.rowCount() >= 4, "the call history")
        return sized(view)

    def settings() -> QWidget:
        """The whole page, every section, as tall as it needs so nothing scrolls."""
        audio = AudioController(NullBackend(), AudioRings.create(), lambda item: None)
        view = SettingsView(audio, AppSettings(), bridge, settings_path=work / "settings.json",
                            sound=FakePhone())  # fmt: skip
        view.set_transport_info(transport="UDP", local="192.0.2.10:5060", server="pbx.example.com")
        view.set_capabilities(CAPABILITIES)
        scroll = view.findChild(QScrollArea)
        page = scroll.widget() if scroll is not None else None
        assert page is not None
        view.resize(SIZE[0], max(SIZE[1], page.sizeHint().height()))
        return view

    def about() -> QWidget:
        dialog = AboutDialog("pjsua2 2.15.1 (PJSIP 2.15.1)")
        dialog.adjustSize()
        return dialog

    def event_log() -> QWidget:
        """Help → Connection log after a rough start: a 503, a retry, registered, two calls."""
        bus = EventBus()
        log = EventLog(bus)
        bus.publish(SessionStateChanged(state=SessionState.SIGNING_IN))
        for reg, code, reason in (
            (ev.RegistrationState.REGISTERING, 0, ""),
            (ev.RegistrationState.RETRYING, 503, "Service Unavailable"),
            (ev.RegistrationState.REGISTERED, 200, "OK"),
        ):
            bus.publish(ev.RegistrationChanged(account_id=ACCOUNT_ID, state=reg, code=code,
                                               reason=reason, retry_in_s=30.0,
                                               transport="udp"))  # fmt: skip
        bus.publish(media("c1", muted=False))
        bus.publish(ev.UntrustedRequestsRefused(count=1, sources=("192.0.2.66:5060",)))
        dialog = EventLogDialog(log)
        log.setParent(dialog)
        return dialog

    def provisioning(kind: str) -> QWidget:
        view = ProvisioningView(bridge)
        one = view.one
        if kind == "signin":
            one.company.setText("acme")
            one.username.setText("jdoe")
            wait_until(lambda: one.current_uri().startswith("vicifast://signin?"), "the code")
        elif kind == "sip":
            one.kind.setCurrentIndex(one.kind.findData("sip"))
            one.server.setText("sip.acme.example")
            one.extension.setText("1001")
            one.password.setText("s3cret-pw")
            one.display_name.setText("Ann Lee")
            wait_until(lambda: one.current_uri().startswith("vicifast://sip?"), "the SIP code")
        else:
            csv_path = work / "agents.csv"
            csv_path.write_text(SIGNIN_CSV, encoding="utf-8")
            view.tabs.setCurrentIndex(1)
            view.batch.load_batch(csv_path)
            batch = view.batch
            wait_until(
                lambda: batch.choose_csv.isEnabled() and batch.report.rowCount() > 0, "batch"
            )
        wait_until(lambda: not view.one.preview.pixmap().isNull() or kind == "batch", "preview")
        return sized(view)

    def sip_code() -> str:
        account = qr_format.SipAccountCode(
            server="sip.acme.example", port=5061, transport=Transport.TLS, extension="1001",
            password=Secret("s3cret-pw"), display_name="Ann Lee", srtp=SrtpMode.OPTIONAL,
            exp=qr_make.expiry(7),
        )  # fmt: skip
        return qr_format.encode_sip(account, PIN)

    def scan(page: str = "") -> QWidget:
        dialog = QrScanDialog(bridge, camera_lister=lambda factory: [], grab_delay_ms=0)
        dialog.resize(600, 600)
        if page == "pin-error":
            dialog.scan_text(sip_code())
            dialog.pin_page.pin_field.setText("12345678")
            dialog.pin_page.unlock_button.click()
            problem = dialog.pin_page.pin_error
            wait_until(lambda: "PIN" in problem.text() and "Checking" not in problem.text(), "PIN")
        elif page == "confirm":
            dialog.scan_text("vicifast://signin?v=1&c=acme&u=jdoe")
        elif page == "confirm-sip":
            dialog.scan_text(sip_code())
            dialog.pin_page.pin_field.setText(PIN)
            dialog.pin_page.unlock_button.click()
            wait_until(lambda: dialog.page_name() == "confirm", "the unlocked code")
        return dialog

    return {
        "signin": signin,
        "signin-error": lambda: signin("Your user name or password is not correct. Try again."),
        "signin-totp": lambda: signin(totp=True),
        "main-signed-in": lambda: main_window(False),
        "main-in-call": lambda: main_window(True),
        "phone-idle": phone,
        "phone-dialling": lambda: phone("dialling"),
        "phone-in-call": lambda: phone("in-call"),
        "phone-in-call-no-mic": lambda: phone("in-call", microphone=False),
        "phone-call-waiting": lambda: phone("waiting"),
        "incoming": incoming_window,
        "call-bar": call_bar,
        "recents": recents,
        "settings": settings,
        "about": about,
        "event-log": event_log,
        "provisioning-one": lambda: provisioning("signin"),
        "provisioning-one-sip": lambda: provisioning("sip"),
        "provisioning-batch": lambda: provisioning("batch"),
        "scan": scan,
        "scan-pin-error": lambda: scan("pin-error"),
        "scan-confirm": lambda: scan("confirm"),
        "scan-confirm-sip": lambda: scan("confirm-sip"),
    }


if __name__ == "__main__":
    main(Path(sys.argv[1]))
