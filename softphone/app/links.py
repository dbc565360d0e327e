"""Links to dial (sip:, tel:, callto:) and what the app dials: :class:`OpenedLinks` takes the
ones macOS opens the bundle with, :class:`Dialler` asks before dialling a link and dials once
registered."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent

from softphone.core.engine import EnginePhone
from softphone.core.links import dial_target, is_link
from softphone.ui.command_runner import log_failure
from softphone.ui.main_window import MainWindow
from softphone.ui.phone.view import PhoneView
from softphone.ui.signin.view import SignInView

_log = logging.getLogger(__name__)


class Dialler:
    """Dials a link (once the person confirms it), or a call-back from Recents, on the Phone
    page; asked before registration, the last target waits for it. GUI thread only."""

    def __init__(
        self,
        window: MainWindow,
        signin_view: SignInView,
        phone_view: PhoneView | None,
        phone: EnginePhone,
        confirm: Callable[[str], bool],
    ) -> None:
        self._window = window
        self._signin_view = signin_view
        self._phone_view = phone_view
        self._phone = phone
        self._confirm = confirm
        self.registered = False
        self._pending = ""

    def offer(self, argv: list[str]) -> None:
        """Ask before dialling each link in ``argv``."""
        for arg in argv:
            target = dial_target(arg) if is_link(arg) else None
            if target and self._confirm(
                QCoreApplication.translate("App", "Call {target}?").format(target=target)
            ):
                self.dial(target)

    def dial(self, target: str) -> None:
        if not self.registered:
            self._pending = target  # dialled once registered
            message = QCoreApplication.translate("App", "Sign in to call {target}.")
            self._signin_view.show_message(message.format(target=target), "info")
            return
        self._window.show_page("Phone")
        if self._phone_view is not None:
            self._phone_view.dial(target)  # its errors are shown on the phone page
        else:
            self._phone.make_call(target).add_done_callback(log_failure("make_call"))

    def set_registered(self, registered: bool) -> None:
        """The account's registration changed: a target that waited for it is dialled now."""
        self.registered = registered
        if self.registered and self._pending:
            target, self._pending = self._pending, ""
            self.dial(target)


class OpenedLinks(QObject):
    """Links macOS opens with the app bundle (its Info.plist declares sip:, tel: and callto:):
    Launch Services hands them to the running app as ``QFileOpenEvent``s on the application,
    not as a second start's argv. Each goes to the handler as a one-link argv, after the event
    has been handled (a confirmation box must not run inside an event filter); links that come
    before :meth:`deliver_to` (a click that started the app) wait for it. GUI thread only."""

    def __init__(self, qapp: QCoreApplication) -> None:
        super().__init__(qapp)
        self._handler: Callable[[list[str]], None] | None = None
        self._waiting: list[str] = []
        qapp.installEventFilter(self)

    def deliver_to(self, handler: Callable[[list[str]], None]) -> None:
        self._handler = handler
        waiting, self._waiting = self._waiting, []
        for link in waiting:
            QTimer.singleShot(0, self, lambda link=link: handler([link]))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        url = event.url()
        link = url.toString()
        if not is_link(link):
            return False
        if url.scheme().lower() in ("tel", "callto") and _is_ipv4(url.host()):
            # Qt parsed callto://5551234 as a host and rewrote it as an IPv4 address
            # (0.84.191.2): the number is lost, and dialling what is left would call another.
            _log.warning("a %s:// link arrived rewritten by Qt; not dialled", url.scheme())
            return True
        QTimer.singleShot(0, self, lambda: self._deliver(link))
        return True

    def _deliver(self, link: str) -> None:
        if self._handler is None:
            self._waiting.append(link)
        else:
            self._handler([link])


def _is_ipv4(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv4Address)
    except ValueError:
        return False
