"""What the main window says about itself whatever tab is open: who is signed in (a line over the
tabs, and the window title) and whether a call is up (the title and the Phone tab)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import ACCOUNT_ID
from softphone.ui.look import Tone, tone_color

RegState = ev.RegistrationState


def registration_tone(state: RegState) -> Tone:
    """The registration dot's state: registered, on the way, signed out, or failed."""
    return {
        RegState.REGISTERED: Tone.OK,
        RegState.REGISTERING: Tone.BUSY,
        RegState.RETRYING: Tone.BUSY,
        RegState.UNREGISTERED: Tone.IDLE,
    }.get(state, Tone.BAD)


def registration_color(state: RegState, palette: QPalette) -> str:
    """The registration dot's colour on ``palette``'s window."""
    return tone_color(registration_tone(state), palette).name()


@dataclass(frozen=True, slots=True)
class SignedInAs:
    """Who is signed in, as the person reads it (plain names; never a password)."""

    agent: str
    extension: str = ""
    company: str = ""

    def line(self) -> str:
        """'agent2 · ext 1002 · DEMO'."""
        ext = ""
        if self.extension:
            ext = QCoreApplication.translate("IdentityLine", "ext {0}").format(self.extension)
        return " · ".join(part for part in (self.agent, ext, self.company) if part)

    def short(self) -> str:
        """'agent2 (1002)', for the window title."""
        return f"{self.agent} ({self.extension})" if self.extension else self.agent


class IdentityLine(QWidget):
    """Over the tabs: the registration dot and who is signed in; hidden while nobody is."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identityLine")
        self.dot = QLabel("●")
        self.dot.setAccessibleName(self.tr("Registration status"))
        self.label = QLabel("")
        self.label.setObjectName("identity")
        self.label.setAccessibleName(self.tr("Signed in as"))
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.dot)
        layout.addWidget(self.label, 1)
        self._paint(RegState.UNREGISTERED)
        self.setVisible(False)
        unsubscribe = bus.subscribe(ev.RegistrationChanged, self._on_registration)
        self.destroyed.connect(lambda *_: unsubscribe())  # the bus outlives the window

    def show_identity(self, who: SignedInAs | None) -> None:
        self.label.setText(who.line() if who is not None else "")
        self.setVisible(who is not None)
        if who is None:
            self._paint(RegState.UNREGISTERED)

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if event.account_id == ACCOUNT_ID and self.label.text():
            self._paint(event.state)

    def _paint(self, state: RegState) -> None:
        self.dot.setStyleSheet(f"color: {registration_color(state, self.palette())};")


def call_time(seconds: float) -> str:
    """'02:13', '1:02:13'."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class CallMark(QObject):
    """Follows the calls on the bus (GUI thread) and emits ``changed`` when :meth:`text` does:
    'In call 02:13' (the longest answered call, each second), 'Calling…', 'Incoming call', or
    '' with no call."""

    changed = Signal()

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # each live call: its direction, and when it was answered (time.monotonic()) once it was
        self._calls: dict[str, tuple[ev.Direction, float | None]] = {}
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self.changed.emit)
        unsubscribe = bus.subscribe(ev.CallStateChanged, self._on_call)
        self.destroyed.connect(lambda *_: unsubscribe())  # the bus outlives the window

    def clear(self) -> None:
        """Signed out: no call is left."""
        self._calls.clear()
        self._update()

    def elapsed(self) -> str:
        """How long the longest answered call has lasted ('02:13'); '' while none is answered."""
        answered = [at for _direction, at in self._calls.values() if at is not None]
        return call_time(time.monotonic() - min(answered)) if answered else ""

    def text(self) -> str:
        elapsed = self.elapsed()
        if elapsed:
            return self.tr("In call {0}").format(elapsed)
        if any(d is ev.Direction.OUTBOUND for d, _at in self._calls.values()):
            return self.tr("Calling…")
        return self.tr("Incoming call") if self._calls else ""

    def _on_call(self, event: ev.CallStateChanged) -> None:
        if event.state is ev.CallState.DISCONNECTED:
            self._calls.pop(event.call_id, None)
        else:
            _direction, answered = self._calls.get(event.call_id, (event.direction, None))
            if answered is None and event.state is ev.CallState.CONFIRMED:
                answered = time.monotonic() - event.duration_s
            self._calls[event.call_id] = (event.direction, answered)
        self._update()

    def _update(self) -> None:
        answered = any(at is not None for _direction, at in self._calls.values())
        if answered and not self._clock.isActive():
            self._clock.start()
        elif not answered:
            self._clock.stop()
        self.changed.emit()
