"""Help → Connection log: what the phone did and why, in words, with the time.

Twinkle's "Display" log is what agents and IT look at first when a phone stops working:
"registration failed: 503", "retrying in 30 s", "a call from a stranger was refused". Ours keeps
the same lines for this run of the app: sign-in and sign-out with their reasons, registration
with its SIP code, the firewall lease, how each call ended (its SIP code and the codec, never the
number: the call history has the calls), requests refused from addresses that are not the
account's server, and engine failures.

It is held in memory only (the newest :data:`KEEP` lines), never written to disk, and holds no
number, name or secret, so it needs no wipe at sign-out; Copy puts it on the clipboard for a
support ticket.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import (
    FirewallLeaseChanged,
    SessionReason,
    SessionState,
    SessionStateChanged,
)
from softphone.desktop.sleep import ComputerSleepChanged

KEEP: Final = 500
RegState = ev.RegistrationState


def _sip(code: int, reason: str) -> str:
    """``486 Busy Here``; the one that is known; "" for neither."""
    return " ".join(part for part in (str(code) if code else "", reason) if part)


class EventLog(QObject):
    """The lines, newest last; ``added`` carries each new one, already formatted."""

    added = Signal(str)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines: deque[str] = deque(maxlen=KEEP)
        self._registration: tuple[RegState, int, str] | None = None
        self._codecs: dict[str, str] = {}  # call id → the codec said for it
        unsubscribe = [
            bus.subscribe(ev.RegistrationChanged, self._on_registration),
            bus.subscribe(SessionStateChanged, self._on_session),
            bus.subscribe(FirewallLeaseChanged, self._on_lease),
            bus.subscribe(ev.CallStateChanged, self._on_call),
            bus.subscribe(ev.CallMediaChanged, self._on_media),
            bus.subscribe(ev.UntrustedRequestsRefused, self._on_refused),
            bus.subscribe(ev.IncomingCallsShed, self._on_shed),
            bus.subscribe(ev.EngineFailure, self._on_engine_failure),
            bus.subscribe(ComputerSleepChanged, self._on_sleep),
        ]
        # the bus outlives the window (a test's, or the next sign-in's): let go with it
        self.destroyed.connect(lambda *_: [stop() for stop in unsubscribe])

    def lines(self) -> list[str]:
        return list(self._lines)

    def text(self) -> str:
        return "\n".join(self._lines)

    def add(self, text: str, at: float | None = None) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(time.time() if at is None else at))
        line = f"{stamp}  {text}"
        self._lines.append(line)
        self.added.emit(line)

    # ---- what each event says --------------------------------------------------------------

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        key = (event.state, event.code, event.reason)
        if key == self._registration:  # a refresh that changed nothing is not news
            return
        self._registration = key
        sip = _sip(event.code, event.reason)
        if event.state is RegState.REGISTERED:
            text = self.tr("Registered over {0}").format(event.transport.upper() or "UDP")
        elif event.state is RegState.REGISTERING:
            text = self.tr("Registering…")
        elif event.state is RegState.RETRYING:
            text = self.tr("Registration failed ({0}); retrying in {1} s").format(
                sip or self.tr("no answer"), round(event.retry_in_s)
            )
        elif event.state is RegState.FAILED:
            text = self.tr("Not registered: {0}").format(sip or self.tr("no answer"))
        else:
            text = self.tr("Unregistered")
        self.add(text, event.at)

    def _on_session(self, event: SessionStateChanged) -> None:
        state = event.state
        if state is SessionState.SIGNING_IN:
            text = self.tr("Signing in…")
        elif state is SessionState.AWAITING_TOTP:
            text = self.tr("The server asks for an authenticator code")
        elif state is SessionState.PROVISIONING:
            text = self.tr("Getting the phone settings from the company's server")
        elif state is SessionState.REFRESHING:
            text = self.tr("Renewing the sign-in ({0})").format(self._trigger(event.reason))
        elif state is SessionState.BACKING_OFF:
            text = self.tr("Renewing the sign-in failed; trying again in {0} s").format(
                round(event.retry_in_s)
            )
        elif state is SessionState.SIGNED_OUT:
            text = self.tr("Signed out")
            if event.message:
                text = self.tr("Signed out: {0}").format(event.message)
        else:
            return  # REGISTERING / REGISTERED: the registration lines say it
        self.add(text, event.at)

    def _trigger(self, reason: SessionReason) -> str:
        return {
            SessionReason.IP_CHANGED: self.tr("this computer's address changed"),
            SessionReason.REGISTER_FAILED: self.tr("the registration failed"),
            SessionReason.RESUMED: self.tr("the computer woke up"),
            SessionReason.WOKE: self.tr("the computer woke up"),
        }.get(reason, self.tr("on schedule"))

    def _on_lease(self, event: FirewallLeaseChanged) -> None:
        if event.expires_at is None:
            self.add(self.tr("Firewall lease ended"), event.at)
        else:
            self.add(self.tr("Firewall: {0}").format(event.describe()), event.at)

    def _on_media(self, event: ev.CallMediaChanged) -> None:
        if event.codec and self._codecs.get(event.call_id) != event.codec:
            self._codecs[event.call_id] = event.codec
            secure = self.tr(", encrypted (SRTP)") if event.srtp else ""
            self.add(self.tr("Call audio: {0}{1}").format(event.codec, secure), event.at)

    def _on_call(self, event: ev.CallStateChanged) -> None:
        if event.state is not ev.CallState.DISCONNECTED:
            return
        self._codecs.pop(event.call_id, None)
        incoming = event.direction is ev.Direction.INBOUND
        seconds = round(event.duration_s)
        if event.connected:
            text = (
                self.tr("Incoming call ended after {0} s")
                if incoming
                else self.tr("Outgoing call ended after {0} s")
            ).format(seconds)
        else:
            text = (
                self.tr("Incoming call not answered")
                if incoming
                else self.tr("Outgoing call not connected")
            )
        sip = _sip(event.sip_code, event.reason)
        self.add(f"{text} ({sip})" if sip else text, event.at)

    def _on_refused(self, event: ev.UntrustedRequestsRefused) -> None:
        self.add(
            self.tr("Refused {0} request(s) not from your company's server: {1}").format(
                event.count, ", ".join(event.sources) or self.tr("unknown address")
            ),
            event.at,
        )

    def _on_shed(self, event: ev.IncomingCallsShed) -> None:
        self.add(
            self.tr("Turned away {0} call(s) that came in at once").format(event.count), event.at
        )

    def _on_sleep(self, event: ComputerSleepChanged) -> None:
        if event.sleeping:
            self.add(self.tr("The computer went to sleep"), event.at)
        else:
            self.add(self.tr("The computer woke up: registering again"), event.at)

    def _on_engine_failure(self, event: ev.EngineFailure) -> None:
        self.add(self.tr("Phone engine problem: {0}").format(event.message), event.at)


class EventLogDialog(QDialog):
    """The log, growing while it is open; Copy for a support ticket."""

    def __init__(self, log: EventLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventLogDialog")
        self.setWindowTitle(self.tr("Connection log"))
        hint = QLabel(
            self.tr(
                "What the phone did since it started: sign-in, registration, calls' results "
                "(never their numbers). Kept only while the app runs."
            )
        )
        hint.setWordWrap(True)
        self.view = QPlainTextEdit(self)
        self.view.setReadOnly(True)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setAccessibleName(self.tr("Connection log"))
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setPlainText(log.text() or "")
        self.view.setPlaceholderText(self.tr("Nothing has happened yet."))
        log.added.connect(self.view.appendPlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(self.tr("&Copy"), self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.view.toPlainText())
        )
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        em = self.fontMetrics().height()
        self.resize(em * 46, em * 22)
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())  # the newest line in view, the times at the left
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
