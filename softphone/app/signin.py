"""Sign-in's side of the app: the network watch (with the wildcard bind, a new route to the
control plane re-authenticates) and QR codes (:class:`QrCodes`: a sign-in code fills the form,
a SIP account code replaces the signed-in session's account)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QAbstractNativeEventFilter, QCoreApplication, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

from softphone.app.engine import AccountChoice, AppEngine
from softphone.core.models import SipAccountConfig
from softphone.core.session_events import ACCOUNT_ID
from softphone.signin.netwatch import NetWatch
from softphone.signin.service import WILDCARD, SignInService
from softphone.signin.wake import SleepWakeWatch
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.command_runner import log_failure
from softphone.ui.signin.view import SignInView


def watch_network(
    current: Callable[[], SignInService], bridge: QtBridge, parent: QObject
) -> tuple[NetWatch, QTimer] | None:
    """With the wildcard bind, the ``current`` service re-authenticates when the route to the
    control plane changes: the watch and the timer that drives it, running; None for a fixed
    bind."""
    from softphone.signin.netwatch import local_address_towards

    service = current()
    if service.bind_address not in WILDCARD:
        return None
    url = urlsplit(service.config.control_plane)
    host, port = url.hostname or "", url.port or 443
    # the DNS lookup and route probe run on the pool (a dead resolver blocks for seconds,
    # exactly when the network changes); the first result is the baseline
    watch = NetWatch(
        lambda: local_address_towards(host, port),
        lambda _old, _new: current().on_ip_changed(),
        probe_now=False,
    )
    watch.check_in(bridge.run_in_pool)
    timer = QTimer(parent)
    timer.setInterval(int(watch.interval_s * 1000))
    timer.timeout.connect(lambda: watch.check_in(bridge.run_in_pool))
    timer.start()
    return watch, timer


def watch_sleep(
    current: Callable[[], SignInService | None],
    hangup: Callable[[str], Any],
    mark_ending: Callable[[str, str], None],
    bridge: QtBridge,
    parent: QObject,
) -> tuple[SleepWakeWatch, QTimer]:
    """Sleep hangs up the calls (their history says why), wake registers the ``current``
    service (None: not made yet) again at once: the watch and the timer that ticks its clock,
    running. logind is reached on a thread (a system bus that does not answer blocks); on
    Windows the window's power messages say it too."""
    bus = bridge.bus
    watch = SleepWakeWatch(
        post=bridge.post_call,
        subscribe=bus.subscribe,
        emit=bus.publish,
        hangup=hangup,
        on_wake=lambda: _on_wake(current()),
        mark_ending=mark_ending,
    )
    bridge.run_in_thread("sleep-watch-start", watch.start, lambda _outcome: None)
    timer = QTimer(parent)
    timer.setInterval(int(watch.interval_s * 1000))
    timer.timeout.connect(watch.tick)
    timer.start()
    if sys.platform == "win32":
        power = _WindowsPower(watch)
        QCoreApplication.instance().installNativeEventFilter(power)
        _POWER_FILTERS.append(power)  # Qt does not keep it alive
    return watch, timer


def _on_wake(service: SignInService | None) -> None:
    if service is not None:  # None: not made yet, so not signed in either
        service.on_wake()


_POWER_FILTERS: list[QAbstractNativeEventFilter] = []


class _WindowsPower(QAbstractNativeEventFilter):
    """WM_POWERBROADCAST: suspend (PBT_APMSUSPEND) and resume (PBT_APMRESUMEAUTOMATIC). Not
    tested here (no Windows); the clock's wake detector covers a resume it misses."""

    def __init__(self, watch: SleepWakeWatch) -> None:
        super().__init__()
        self._watch = watch

    def nativeEventFilter(self, event_type: Any, message: Any) -> Any:
        if bytes(event_type) == b"windows_generic_MSG":
            import ctypes.wintypes

            msg = ctypes.wintypes.MSG.from_address(int(message))
            if msg.message == 0x0218 and msg.wParam in (0x4, 0x12):
                self._watch.sleep_wake.changed(msg.wParam == 0x4, "windows")
        return False, 0


class QrCodes:
    """What a scanned QR code does: the scan dialog (it confirms the code itself), then a
    sign-in code fills the form and a SIP account code replaces the signed-in session's
    account (see :meth:`apply_sip_account`). GUI thread only."""

    def __init__(
        self,
        *,
        window: QWidget,
        bridge: QtBridge,
        signin_view: SignInView,
        settings: Callable[[], AppSettings],
        signed_in: Callable[[], bool],
        accounts: AccountChoice,
        engine: AppEngine,
        inform: Callable[[str], None],
    ) -> None:
        self._window = window
        self._bridge = bridge
        self._signin_view = signin_view
        self._settings = settings
        self._signed_in = signed_in
        self._accounts = accounts
        self._engine = engine
        self._inform = inform

    def scan(self) -> None:
        from softphone.ui.qr_scan.dialog import QrScanDialog

        view = self._signin_view
        custom = view.custom_plane.isChecked() or bool(self._settings().custom_control_plane)
        dialog = QrScanDialog(self._bridge, self._window, allow_custom_control_planes=custom)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.signInCodeAccepted.connect(self._apply_signin_code)
        dialog.sipAccountAccepted.connect(self.apply_sip_account)
        self.scan_dialog = dialog
        dialog.open()

    def _apply_signin_code(self, code: Any) -> None:
        if self._signed_in():
            self._inform(
                QCoreApplication.translate(
                    "App", "You are signed in. Sign out first to sign in with another code."
                )
            )
            return
        self._signin_view.apply_signin_code(code.company, code.username, code.api)

    def apply_sip_account(self, config: SipAccountConfig) -> None:
        """A confirmed SIP account code: it takes the place of the provisioned account until
        sign-out or quit (it is never saved). The session keeps its sign-in and firewall lease;
        any later re-install of the account (server change, IP move) goes through
        :meth:`AccountChoice.adapt`, which keeps the code's account. Signed out there is no
        session to attach it to, so the person is told to sign in first."""
        if not self._signed_in():
            self._signin_view.show_message(
                QCoreApplication.translate(
                    "App",
                    "Sign in first. A SIP account from a QR code replaces the one your sign-in "
                    "provides, until you sign out or quit.",
                ),
                "info",
            )
            return
        self._accounts.qr_account = config
        self._engine.remove_account(ACCOUNT_ID).add_done_callback(log_failure("remove"))
        self._engine.add_account(config, ACCOUNT_ID).add_done_callback(log_failure("add"))
        self._inform(
            QCoreApplication.translate(
                "App", "Using the SIP account {extension} at {domain}."
            ).format(extension=config.extension, domain=config.domain)
        )
