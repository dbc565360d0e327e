"""The main window: the sign-in page, then the Phone / Recents / Settings / Provisioning tabs,
with a status strip for the firewall lease and what is wrong with the registration (the Phone
page's header says "Registered"; the strip is quiet then). Once signed in, a
line over the tabs and the window title say who is signed in; during a call the title and the
Phone tab say so whatever tab is open."""

from __future__ import annotations

import importlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import (
    ACCOUNT_ID,
    FirewallLeaseChanged,
    SessionState,
    SessionStateChanged,
)
from softphone.ui.event_log import EventLog, EventLogDialog
from softphone.ui.window_status import CallMark, IdentityLine, SignedInAs, registration_color

if TYPE_CHECKING:
    from softphone.ui.about import AboutDialog

_log = logging.getLogger(__name__)
State = SessionState
RegState = ev.RegistrationState

SIGNED_IN = frozenset({State.REGISTERING, State.REGISTERED, State.REFRESHING, State.BACKING_OFF})
PageFactory = Callable[[], QWidget]
# The app names its tabs in English (and finds them by that name); shown translated.
TAB_TITLES = (
    QT_TRANSLATE_NOOP("MainWindow", "Phone"),
    QT_TRANSLATE_NOOP("MainWindow", "Recents"),
    QT_TRANSLATE_NOOP("MainWindow", "Settings"),
    QT_TRANSLATE_NOOP("MainWindow", "Provisioning"),
)


def _tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


@runtime_checkable
class OffersCallActions(Protocol):
    """A page whose call actions (answer, hang up, mute…) belong in the window's Call menu."""

    def call_actions(self) -> list[QAction]: ...


def optional_page(module: str, build: Callable[[Any], QWidget]) -> PageFactory:
    """A page from ``softphone.ui.<module>`` built by ``build(module)``; a "coming soon"
    placeholder while that module does not exist yet."""

    def make() -> QWidget:
        name = f"softphone.ui.{module}"
        try:
            loaded = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            return placeholder(_tr("MainWindow", "This part of the app is coming soon."))
        return build(loaded)

    return make


class FirstShownPage(QWidget):
    """A page built the first time it is shown (``make`` returns it): what it imports loads
    only when someone opens it. ``page`` is the built page, None until then."""

    def __init__(self, title: str, make: Callable[[], QWidget]) -> None:
        super().__init__()
        self._title = title
        self._make: Callable[[], QWidget] | None = make
        self.page: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def build(self) -> QWidget:
        """The page, built now if it was not yet."""
        make, self._make = self._make, None
        if make is not None:
            try:
                self.page = make()
            except Exception:  # like a page that fails at the window's start: not the app
                _log.exception("the %s page failed to build", self._title)
                text = _tr("MainWindow", "The {0} page could not be opened.")
                self.page = placeholder(text.format(_tr("MainWindow", self._title)))
            layout = self.layout()
            assert layout is not None
            layout.addWidget(self.page)
            self.page.show()  # now, not on the next turn of the event loop: no blank tab
        assert self.page is not None
        return self.page

    def showEvent(self, event: QShowEvent) -> None:
        self.build()
        super().showEvent(event)


def placeholder(text: str) -> QWidget:
    page = QWidget()
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setEnabled(False)
    QVBoxLayout(page).addWidget(label)
    return page


def registration_text(event: ev.RegistrationChanged, now: float | None = None) -> str:
    """'Registered', 'Retrying in 8 s', 'Not registered: 403 Forbidden'…"""
    state = event.state
    if state is RegState.REGISTERED:
        return _tr("StatusStrip", "Registered")
    if state is RegState.REGISTERING:
        return _tr("StatusStrip", "Registering…")
    if state is RegState.RETRYING:
        elapsed = 0.0 if now is None else max(0.0, now - event.at)
        left = max(1, math.ceil(event.retry_in_s - elapsed))
        return _tr("StatusStrip", "Retrying in {0} s").format(left)
    why = " ".join(p for p in (str(event.code) if event.code else "", event.reason) if p)
    if why:
        return _tr("StatusStrip", "Not registered: {0}").format(why)
    return _tr("StatusStrip", "Not registered")


def firewall_text(event: FirewallLeaseChanged) -> str:
    text = event.describe()
    return text[:1].upper() + text[1:]


class StatusStrip(QWidget):
    """Registration state (hidden while registered), firewall lease and the session's trouble,
    kept current from the bus; counts a retry down each second."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusStrip")
        self.registration = QLabel(self.tr("Signed out"))
        self.registration.setObjectName("registration")
        self.firewall = QLabel("")
        self.firewall.setObjectName("firewall")
        self.note = QLabel("")
        self.note.setObjectName("sessionNote")
        self._dot = QLabel("●")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._dot)
        layout.addWidget(self.registration)
        layout.addSpacing(16)
        layout.addWidget(self.firewall)
        layout.addStretch(1)
        layout.addWidget(self.note)
        self._last_reg: ev.RegistrationChanged | None = None
        self._note_until = 0.0
        self._note_state: SessionState | None = None
        self._signed_in = False
        self.unregistered_text = ""  # demo without a registrar: what to say instead of waiting
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh)
        self._paint(RegState.UNREGISTERED)
        bus.subscribe(ev.RegistrationChanged, self._on_registration)
        bus.subscribe(FirewallLeaseChanged, self._on_lease)
        bus.subscribe(SessionStateChanged, self._on_session)

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        if event.account_id != ACCOUNT_ID or not self._signed_in:
            return
        self._last_reg = event
        self._paint(event.state)
        self._refresh()

    def _on_lease(self, event: FirewallLeaseChanged) -> None:
        self.firewall.setText(firewall_text(event) if event.ip else "")

    def _on_session(self, event: SessionStateChanged) -> None:
        state = event.state
        self._signed_in = state in SIGNED_IN or (state is State.AWAITING_TOTP and self._signed_in)
        if state is State.SIGNED_OUT:
            self._last_reg = None
            self.registration.setText(self.tr("Signed out"))
            self.firewall.setText("")
            self._paint(RegState.UNREGISTERED)
        elif state is State.REGISTERING and self._last_reg is None:
            self.registration.setText(self.unregistered_text or self.tr("Registering…"))
        if state is State.BACKING_OFF:
            self._note_until = time.time() + event.retry_in_s
        else:
            self._note_until = 0.0
        self._note_state = state
        self._refresh()

    def _refresh(self) -> None:
        now = time.time()
        reg = self._last_reg
        if reg is not None:
            self.registration.setText(registration_text(reg, now))
        left = math.ceil(self._note_until - now)
        note_state = self._note_state
        if left > 0:
            self.note.setText(self.tr("Can't reach the server, retrying in {0} s").format(left))
        elif note_state is State.REFRESHING:
            self.note.setText(self.tr("Renewing sign-in…"))
        elif note_state is State.AWAITING_TOTP and self._signed_in:
            self.note.setText(self.tr("Enter your authenticator code to stay signed in"))
        else:
            self.note.setText("")
        counting = left > 0 or (reg is not None and reg.state is RegState.RETRYING)
        if counting and not self._tick.isActive():
            self._tick.start()
        elif not counting:
            self._tick.stop()

    def _paint(self, state: RegState) -> None:
        self._dot.setStyleSheet(f"color: {registration_color(state, self.palette())};")
        # Registered is said once, by the Phone page's header (the line over the tabs keeps its
        # dot); the strip speaks up only when something is wrong or on its way.
        registered = state is RegState.REGISTERED
        self._dot.setHidden(registered)
        self.registration.setHidden(registered)


class MainWindow(QMainWindow):
    """Shows the sign-in page until a session is up, then the tabs. Closing it hides it when
    ``hide_on_close`` (a tray icon keeps the phone running) and emits ``hiddenToTray``.
    The app says who is signed in (:meth:`set_identity`); the window follows the calls itself:
    '● In call 02:13 — VICIfast Desktop — agent2 (1002)' and a marked Phone tab."""

    hiddenToTray = Signal()
    signOutRequested = Signal()
    quitRequested = Signal()

    def __init__(
        self,
        bus: EventBus,
        signin_page: QWidget,
        pages: Sequence[tuple[str, PageFactory]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.hide_on_close = False
        self.identity: SignedInAs | None = None
        self.call_mark = CallMark(bus, self)
        self.event_log = EventLog(bus, self)
        self._event_log_dialog: EventLogDialog | None = None
        self.call_mark.changed.connect(self._show_title)
        self.sip_library = ""  # "pjsua2 2.15.1 (PJSIP 2.15.1)" once the engine says, for About
        self.signin_page = signin_page
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._pages: dict[str, QWidget] = {}
        self.stack = QStackedWidget()
        self.stack.addWidget(signin_page)
        self.stack.addWidget(self.tabs)
        self.status = StatusStrip(bus)
        self.identity_line = IdentityLine(bus)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.identity_line)
        column.addWidget(self.stack, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        column.addWidget(line)
        column.addWidget(self.status)
        self.setCentralWidget(central)
        self._build_menu()
        self.resize(fitting_size(self, QSize(720, 560)))
        self.add_pages(pages)
        unsubscribe = [
            bus.subscribe(SessionStateChanged, self._on_session),
            bus.subscribe(ev.Capabilities, self._on_capabilities),
        ]
        self.destroyed.connect(lambda *_: [u() for u in unsubscribe])  # the bus outlives it

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Phone"))
        self.sign_out_action = QAction(self.tr("Sign out"), self)
        self.sign_out_action.setEnabled(False)
        self.sign_out_action.triggered.connect(self.signOutRequested.emit)
        quit_action = QAction(self.tr("Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quitRequested.emit)
        menu.addAction(self.sign_out_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        # The menu bar stays visible whatever the tab, so the call keys work from every tab
        # and the menu shows them.
        self.call_menu = self.menuBar().addMenu(self.tr("&Call"))
        self.go_menu = self.menuBar().addMenu(self.tr("&Go"))
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.about_action = QAction(self.tr("&About VICIfast Desktop"), self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        self.event_log_action = QAction(self.tr("Connection &log…"), self)
        self.event_log_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.event_log_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.event_log_action.triggered.connect(self.show_event_log)
        help_menu.addAction(self.event_log_action)
        help_menu.addAction(self.about_action)

    def add_pages(self, pages: Sequence[tuple[str, PageFactory]]) -> None:
        """Build ``pages`` (name, factory) and add them as tabs, their call actions to the Call
        menu. The window can be shown before it has any: the sign-in page is what shows first,
        and the tabs only once signed in."""
        for title, make in pages:
            self.mount_page(title, self.build_page(title, make))
        if not pages:
            self._show_title()

    def build_page(self, title: str, make: PageFactory) -> QWidget:
        """The page ``make`` builds, not yet a tab (:meth:`mount_page`): a start builds and
        mounts a page in separate turns of the event loop, each a shorter hold of the GUI
        thread."""
        try:
            return make()
        except Exception:  # one broken page must not keep the phone from opening
            _log.exception("the %s page failed to build", title)
            return placeholder(
                self.tr("The {0} page could not be opened.").format(self._title(title))
            )

    def mount_page(self, title: str, page: QWidget) -> None:
        """``page`` as the tab ``title``, its call actions in the Call menu."""
        self.tabs.addTab(page, self._title(title))
        self._pages[title] = page
        if isinstance(page, OffersCallActions):
            self.call_menu.addActions(page.call_actions())
        if not self.isVisible():
            self.resize(self.size().expandedTo(self.minimumSizeHint()))
        self._show_title()  # the Phone tab's mark

    def add_go_action(self, text: str, key: str, slot: Callable[[], None]) -> QAction:
        """A window-wide shortcut, listed with its key in the Go menu so it can be found."""
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.go_menu.addAction(action)
        return action

    def set_badge(self, title: str, count: int) -> None:
        """``Recents (3)``; the plain title again at 0."""
        self._mark_tab(title, f"({count})" if count > 0 else "")

    def _mark_tab(self, title: str, mark: str) -> None:
        page = self._pages.get(title)
        if page is not None:
            shown = self._title(title)
            self.tabs.setTabText(self.tabs.indexOf(page), f"{shown} {mark}" if mark else shown)

    def set_identity(self, who: SignedInAs | None) -> None:
        """Who is signed in (None: nobody), over the tabs and in the window title."""
        self.identity = who
        self.identity_line.show_identity(who)
        self._show_title()

    def _show_title(self) -> None:
        """The window title and the Phone tab's mark: who is signed in, and any call."""
        title = self.tr("VICIfast Desktop")
        if self.identity is not None:
            title = self.tr("{0} — {1}").format(title, self.identity.short())
        call = self.call_mark.text()
        if call:
            title = self.tr("● {0} — {1}").format(call, title)
        self.setWindowTitle(title)
        self._mark_tab("Phone", f"● {self.call_mark.elapsed()}".rstrip() if call else "")
        phone = self._pages.get("Phone")
        if phone is not None:
            self.tabs.setTabToolTip(self.tabs.indexOf(phone), call)

    @staticmethod
    def _title(title: str) -> str:
        return _tr("MainWindow", title)  # one of TAB_TITLES, or shown as it is

    @property
    def signed_in_view(self) -> bool:
        return self.stack.currentWidget() is self.tabs

    def page(self, title: str) -> QWidget | None:
        return self._pages.get(title)

    def show_page(self, title: str) -> None:
        page = self.page(title)
        if page is not None:
            self.tabs.setCurrentWidget(page)

    def show_event_log(self) -> EventLogDialog:
        """Help → Connection log (one at a time, not modal: it grows while the agent works)."""
        dialog = self._event_log_dialog
        if dialog is None or not shiboken6.isValid(dialog):
            dialog = EventLogDialog(self.event_log, self)
            self._event_log_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def show_about(self) -> AboutDialog:
        """Help → About, window-modal; its Diagnostics… leads to :meth:`show_diagnostics`."""
        from softphone.ui.about import AboutDialog  # when asked for: not the first window's

        dialog = AboutDialog(
            self.sip_library,
            diagnostics_reachable=self._export_button() is not None,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.diagnosticsRequested.connect(self.show_diagnostics)
        dialog.open()
        return dialog

    def _export_button(self) -> QAbstractButton | None:
        """The Settings page's "Export diagnostics…", while that page can be reached."""
        button = getattr(self.page("Settings"), "export_button", None)
        reachable = self.signed_in_view and isinstance(button, QAbstractButton)
        return button if reachable else None

    def show_diagnostics(self) -> None:
        """The Settings tab, scrolled to the diagnostics export, its button focused."""
        button = self._export_button()
        if button is None:
            return
        self.show_page("Settings")
        button.setFocus(Qt.FocusReason.OtherFocusReason)
        # once the freshly shown page is laid out, or the scroll would aim at stale geometry
        QTimer.singleShot(0, button, lambda: self._scroll_to(button))

    @staticmethod
    def _scroll_to(widget: QWidget) -> None:
        parent = widget.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(widget)

    def _on_capabilities(self, event: ev.Capabilities) -> None:
        self.sip_library = f"pjsua2 {event.pjsua2_version} (PJSIP {event.pjsip_version})"

    def bring_up(self) -> None:
        """Show, un-minimise and raise (from the tray, or a second start of the app)."""
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def _on_session(self, event: SessionStateChanged) -> None:
        signed_in = event.state in SIGNED_IN
        self.sign_out_action.setEnabled(event.state is not State.SIGNED_OUT)
        self.stack.setCurrentWidget(self.tabs if signed_in else self.signin_page)
        if event.state is State.SIGNED_OUT:
            self.call_mark.clear()
            self.set_identity(None)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close:
            event.ignore()
            self.hide()
            self.hiddenToTray.emit()
            return
        event.accept()
        self.quitRequested.emit()


def fitting_size(window: QWidget, wanted: QSize) -> QSize:
    """``wanted``, made small enough for ``window``'s screen: at most 90 % of what the screen
    leaves free (a large scale factor makes a modest window overflow a laptop screen), never
    below what the window needs to be usable."""
    free = window.screen().availableGeometry()
    room = QSize(free.width() * 9 // 10, free.height() * 9 // 10)
    return wanted.boundedTo(room).expandedTo(window.minimumSizeHint())
