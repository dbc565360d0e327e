"""The tray icon: the phone's state at a glance (registered / not / in a call / missed calls),
quick actions, and notifications that carry only the caller ID.

An incoming-call notice is withdrawn as soon as the call is answered, declined or over
(:meth:`Tray.withdraw`). On Linux we hand notices to the desktop's notification service ourselves
(:class:`~softphone.ui.notifications.DesktopNotices`), which gives an id to close them by; where
there is no such service, and elsewhere, Qt shows them (``QSystemTrayIcon.showMessage``). An empty
balloon takes Qt's notice down on Windows and where Qt draws its own balloon (Linux without a
notification service); macOS's notification centre gives no handle, so its own timing does.
"""

from __future__ import annotations

import sys
from enum import Enum, StrEnum

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import ACCOUNT_ID, SessionState, SessionStateChanged
from softphone.storage.history import Outcome, outcome_of
from softphone.ui.icons import tray_icon
from softphone.ui.notifications import DesktopNotices

# Marked for the catalogue here, translated where shown (str(): the marker is typed ``object``).
TRAY_NOTICE = str(
    QT_TRANSLATE_NOOP(
        "Tray",
        "VICIfast Desktop is still running here, so you keep receiving calls. "
        "Use Quit in this menu to close it.",
    )
)


class TrayStatus(StrEnum):
    REGISTERED = "registered"
    NOT_REGISTERED = "not_registered"
    IN_CALL = "in_call"
    MISSED = "missed"


NOTICE_MS = 8000
# A ringing call's notice stays until the call no longer rings (we close it); this bound is for a
# service that honours it should the app die while the call rings.
RING_NOTICE_MS = 60_000
_ENDS_RINGING = frozenset(
    {ev.CallState.CONNECTING, ev.CallState.CONFIRMED, ev.CallState.DISCONNECTED}
)

_TOOLTIPS = {
    TrayStatus.REGISTERED: str(QT_TRANSLATE_NOOP("Tray", "VICIfast Desktop: registered")),
    TrayStatus.NOT_REGISTERED: str(QT_TRANSLATE_NOOP("Tray", "VICIfast Desktop: not registered")),
    TrayStatus.IN_CALL: str(QT_TRANSLATE_NOOP("Tray", "VICIfast Desktop: in a call")),
    TrayStatus.MISSED: str(QT_TRANSLATE_NOOP("Tray", "VICIfast Desktop: missed calls")),
}


class _Route(Enum):
    """Which way the notice shown went, so :meth:`Tray.withdraw` takes it down the same way."""

    SERVICE = "service"  # the notification service: closed by its id
    BALLOON = "balloon"  # Qt: an empty balloon takes it down where ``_can_withdraw``
    KEPT = "kept"  # Qt, past a service that did not answer: a blank one could reach it


class Tray(QObject):
    """Follows the bus (GUI thread) and emits ``showRequested``, ``signOutRequested`` and
    ``quitRequested`` on the GUI thread. ``notify_incoming=False`` when the incoming-call window
    sends the incoming-call notification (the app); Recents' count arrives by :meth:`set_missed`,
    who is signed in by :meth:`set_identity`. ``notices``: the notification service (default: the
    session bus's, on Linux)."""

    showRequested = Signal()
    signOutRequested = Signal()
    quitRequested = Signal()

    def __init__(
        self,
        bus: EventBus,
        parent: QObject | None = None,
        *,
        notify_incoming: bool = True,
        notices: DesktopNotices | None = None,
    ) -> None:
        super().__init__(parent)
        self._notify_incoming = notify_incoming
        self.icon = QSystemTrayIcon(self)
        self._registered = False
        self._calls: set[str] = set()
        self.missed = 0
        self.identity = ""  # "agent2 · ext 1002 · DEMO" while signed in, for the tooltip
        self.message: tuple[str, str] | None = None  # the notice shown (title, text), if any
        self._can_withdraw = sys.platform != "darwin"  # module docstring
        self._route = _Route.BALLOON
        self.notices = notices if notices is not None else DesktopNotices(self)
        self.notices.failed.connect(self._not_taken)
        self.menu = QMenu()
        self.show_action = self._action(self.tr("Show VICIfast Desktop"), self.showRequested.emit)
        self.menu.addSeparator()
        self.sign_out_action = self._action(self.tr("Sign out"), self.signOutRequested.emit)
        self.sign_out_action.setEnabled(False)
        self._quit_action = self._action(self.tr("Quit"), self.quitRequested.emit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self.showRequested.emit)
        self.notices.activated.connect(self.showRequested.emit)
        self.status = TrayStatus.NOT_REGISTERED
        self._render()
        bus.subscribe(ev.RegistrationChanged, self._on_registration)
        bus.subscribe(ev.IncomingCall, self._on_incoming)
        bus.subscribe(ev.CallStateChanged, self._on_call)
        bus.subscribe(SessionStateChanged, self._on_session)

    def _action(self, text: str, slot: object) -> QAction:
        action = QAction(text, self.menu)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        """The tray's end (the app quits): the icon goes, and the notice with it."""
        self.icon.hide()
        self.notices.stop()

    def notify(self, title: str, text: str) -> None:
        self.message = (title, text)
        if not self.notices.usable:
            self._balloon(title, text, _Route.BALLOON)
            return
        self._route = _Route.SERVICE
        ringing = title == self.tr("Incoming call")
        self.notices.show(
            title,
            text,
            urgent=ringing,
            timeout_ms=RING_NOTICE_MS if ringing else NOTICE_MS,
            action=self.tr("Show VICIfast Desktop"),
        )

    def withdraw(self, title: str, text: str) -> None:
        """Take down the notice ``title``/``text`` if it is the one shown (a call it announced
        was answered, declined or is over), at once where the platform allows it."""
        if self.message != (title, text):
            return
        self.message = None
        if self._route is _Route.SERVICE:
            self.notices.close()
        elif self._route is _Route.BALLOON and self._can_withdraw:
            self.icon.showMessage("", "", QIcon(), 0)

    def _balloon(self, title: str, text: str, route: _Route) -> None:
        self._route = route
        self.icon.showMessage(title, text, tray_icon(self.status), NOTICE_MS)

    def _not_taken(self, title: str, text: str, absent: bool) -> None:
        """The notification service did not take this notice: Qt shows it, if still current."""
        if self.message == (title, text) and self._route is _Route.SERVICE:
            self._balloon(title, text, _Route.BALLOON if absent else _Route.KEPT)

    def notify_still_running(self) -> None:
        """The one-time notice when closing the window leaves the phone in the tray."""
        self.notify(self.tr("VICIfast Desktop"), self.tr(TRAY_NOTICE))

    def add_action(self, text: str, slot: object) -> QAction:
        """An extra menu entry above Sign out (demo mode's "Ring me like VICIdial")."""
        action = QAction(text, self.menu)
        action.triggered.connect(slot)
        self.menu.insertAction(self.sign_out_action, action)
        return action

    def set_missed(self, count: int) -> None:
        """Recents' count of missed calls nobody has looked at yet."""
        self.missed = max(0, count)
        self._render()

    def set_identity(self, line: str) -> None:
        """Who is signed in, as the window's identity line says it ("" once signed out)."""
        self.identity = line
        self._render()

    def clear_missed(self) -> None:
        """The person looked (the window was shown, or Recents opened)."""
        self.missed = 0
        self._render()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.showRequested.emit()

    # ---- bus -----------------------------------------------------------------------------------

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if event.account_id == ACCOUNT_ID:
            self._registered = event.state is ev.RegistrationState.REGISTERED
            self._render()

    def _on_session(self, event: SessionStateChanged) -> None:
        self.sign_out_action.setEnabled(event.state is not SessionState.SIGNED_OUT)
        if event.state is SessionState.SIGNED_OUT:
            self._registered = False
            self._calls.clear()
            self.missed = 0
            self.identity = ""
            self._render()

    def _on_incoming(self, event: ev.IncomingCall) -> None:
        if (
            self._notify_incoming and event.auto_answer_in_s is None
        ):  # auto-answered calls need no one's attention
            self.notify(self.tr("Incoming call"), _caller(event.remote_number, event.remote_uri))

    def _on_call(self, event: ev.CallStateChanged) -> None:
        if event.state in _ENDS_RINGING:  # its incoming-call notice has done its work
            self.withdraw(self.tr("Incoming call"), _caller(event.remote_number, event.remote_uri))
        if event.state is ev.CallState.DISCONNECTED:
            self._calls.discard(event.call_id)
            outcome = outcome_of(event.direction, event.connected, event.sip_code)
            if outcome is Outcome.MISSED:  # as Recents counts it
                self.missed += 1
                self.notify(self.tr("Missed call"), _caller(event.remote_number, event.remote_uri))
        else:
            self._calls.add(event.call_id)
        self._render()

    def _render(self) -> None:
        if self._calls:
            status = TrayStatus.IN_CALL
        elif not self._registered:
            status = TrayStatus.NOT_REGISTERED
        elif self.missed:
            status = TrayStatus.MISSED
        else:
            status = TrayStatus.REGISTERED
        self.status = status
        self.icon.setIcon(tray_icon(status))
        tip = self.tr(_TOOLTIPS[status])
        if self.missed:
            tip = self.tr("{0} ({1} missed)").format(tip, self.missed)
        if self.identity:
            tip = f"{tip}\n{self.identity}"
        self.icon.setToolTip(tip)


def _caller(number: str, uri: str) -> str:
    """Only the caller ID: the number (or the address when there is none)."""
    return number or uri or QCoreApplication.translate("Tray", "Unknown caller")
