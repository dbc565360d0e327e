"""The main window's pages: the factories it mounts them with (each page optional: a page whose
module does not load is left out), and their wiring to the app — the Go menu's keys, the
missed-calls badge, the Settings page's changes and audio events, demo mode's "Ring me" (and
its control plane, the emulator, shown read-only in Settings)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from softphone.app.diagnostics import app_diagnostics
from softphone.app.options import AppOptions
from softphone.audio.controller import AudioController
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.engine import EnginePhone
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import Lane, QtBridge
from softphone.ui.main_window import FirstShownPage, MainWindow, PageFactory, optional_page
from softphone.ui.phone.view import PhoneView
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.view import RecentsView
from softphone.ui.settings.sound import has_microphone
from softphone.ui.tray import Tray

if TYPE_CHECKING:
    from softphone.app.root import App

T = TypeVar("T")
FOCUS_DIALPAD_KEY = "Ctrl+L"
SEARCH_RECENTS_KEY = "Ctrl+F"
RING_ME_KEY = "Ctrl+Shift+G"
RING_ME_GIVE_UP_KEY = "Ctrl+Shift+J"


def dialpad_hint() -> str:
    """The number field's placeholder, with the key that focuses it."""
    text = QCoreApplication.translate("App", "Number or SIP address ({key})")
    return text.format(key=FOCUS_DIALPAD_KEY)


def has_speaker(audio: AudioController) -> bool:
    """The sound stream is open with a speaker (none while closed or recovering)."""
    stream = audio.stream
    return stream is not None and stream.output_device is not None


def page_factories(
    *,
    phone: EnginePhone,
    bus: EventBus,
    bridge: QtBridge,
    history: HistoryModel,
    call_back: Callable[[str], None],
    audio: AudioController,
    settings: AppSettings,
    audio_ops: Lane,
    options: AppOptions,
) -> Sequence[tuple[str, PageFactory]]:
    """The pages, by name, made from the app's parts when the window mounts them."""
    return (
        (
            "Phone",
            optional_page(
                "phone.view",
                lambda m: m.PhoneView(
                    phone,
                    bus,
                    bridge,
                    microphone=partial(has_microphone, audio),
                    speaker=partial(has_speaker, audio),
                    recents=history,
                ),
            ),
        ),
        (
            "Recents",
            optional_page("recents.view", lambda m: m.RecentsView(history, bridge, call_back)),
        ),
        (
            "Settings",
            optional_page(
                "settings.view",
                lambda m: m.SettingsView(
                    audio,
                    settings,
                    bridge,
                    sound=phone,
                    audio_ops=audio_ops,
                    settings_path=options.settings_path,
                    diagnostics=app_diagnostics(options.log_dir, options.store, bus),
                ),
            ),
        ),
        (
            "Provisioning",  # the QR-making stack loads when the tab is first opened
            lambda: FirstShownPage(
                "Provisioning",
                optional_page("provisioning.view", lambda m: m.ProvisioningView(bridge)),
            ),
        ),
    )


def typed(page: QWidget | None, kind: type[T]) -> T | None:
    """``page`` if it is a ``kind`` (the page mounted and is what the app expects)."""
    return page if isinstance(page, kind) else None


class Navigation:
    """The Go menu's destinations and the missed-calls badge (on the Recents tab and the tray,
    cleared once Recents is looked at). GUI thread only."""

    def __init__(
        self,
        window: MainWindow,
        tray: Tray | None,
        phone: PhoneView | None,
        recents: RecentsView | None,
    ) -> None:
        self._window = window
        self._tray = tray
        self._phone = phone
        self._recents = recents
        window.tabs.currentChanged.connect(self._tab_changed)

    def focus_dialpad(self) -> None:
        if self._phone is not None and self._window.signed_in_view:
            self._window.show_page("Phone")
            self._phone.focus_number_field()

    def search_recents(self) -> None:
        if self._recents is not None and self._window.signed_in_view:
            self._window.show_page("Recents")
            self._recents.focus_search()

    def show_missed(self, count: int) -> None:
        self._window.set_badge("Recents", count)
        if self._tray is not None:
            self._tray.set_missed(count)

    def _tab_changed(self, index: int) -> None:
        page = self._window.tabs.widget(index)
        if page is self._window.page("Recents") and self._tray is not None:
            self._tray.clear_missed()


class ProvisioningWindow(QObject):
    """The Provisioning pane in a window of its own, opened from the sign-in page: a supervisor
    makes codes for agents without signing in as one. Closing it forgets its PINs (the pane's
    ``shutdown``); opening it again starts afresh. GUI thread only."""

    def __init__(self, bridge: QtBridge, window: QWidget) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._window = window
        self.dialog: QDialog | None = None

    def open(self) -> None:
        dialog = self.dialog
        if dialog is None:
            dialog = self.dialog = QDialog(self._window)
            dialog.setWindowTitle(QCoreApplication.translate("App", "Provisioning"))
            from softphone.ui.provisioning.view import ProvisioningView  # on first use

            view = ProvisioningView(self._bridge, dialog)
            layout = QVBoxLayout(dialog)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(view)
            dialog.finished.connect(view.shutdown)
            dialog.finished.connect(self._closed)
            dialog.resize(self._window.size())
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.reject()

    def _closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None


def wire_pages(app: App) -> None:
    """Connect the mounted pages to the app and put their keys in the Go menu."""
    window, tray, go = app.window, app.tray, app.navigation
    phone, recents, settings = app.phone_view, app.recents_view, app.settings_view
    if settings is not None:
        app.bus.subscribe(
            ev.UntrustedRequestsRefused, lambda e: settings.show_refused(e.count, e.sources)
        )
        app.bus.subscribe(ev.Capabilities, settings.set_capabilities)
    if phone is not None:
        text = QCoreApplication.translate("App", "Dial pad")
        window.add_go_action(text, FOCUS_DIALPAD_KEY, go.focus_dialpad)
        phone.number_field.setPlaceholderText(dialpad_hint())  # the key, where it is used
    if recents is not None:
        recents.find_shortcut.setEnabled(False)  # the window's Ctrl+F works from any tab
        text = QCoreApplication.translate("App", "Search recent calls")
        window.add_go_action(text, SEARCH_RECENTS_KEY, go.search_recents)
        recents.missedCountChanged.connect(go.show_missed)
    if settings is not None:
        settings.settingsChanged.connect(app.settings_sync.apply)
        settings.scanQrRequested.connect(app.qr_codes.scan)
        app.bridge.other.connect(settings.on_audio_event)
    if phone is not None:
        app.bridge.other.connect(phone.on_audio_event)  # the call page's "No microphone"
    if app.options.demo_env is not None:
        ring_me = QCoreApplication.translate("App", "Ring me like VICIdial")
        window.add_go_action(ring_me, RING_ME_KEY, app.ring_me)
        # the same ring without the auto-answer request, given up on: a missed call to see
        give_up = QCoreApplication.translate("App", "Ring me and give up")
        window.add_go_action(give_up, RING_ME_GIVE_UP_KEY, lambda: app.ring_me(auto_answer=False))
        if tray is not None:
            tray.add_action(ring_me, app.ring_me)
            tray.add_action(give_up, lambda: app.ring_me(auto_answer=False))
        if settings is not None:  # the control plane in use is the emulator, not a choice
            signin = app.options.signin
            settings.show_demo_control_plane(signin.control_plane, signin.ca_file or "")
