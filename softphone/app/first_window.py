"""The window as a start shows it first: the saved settings' theme, the event bus and the Qt
bridge, and the main window with only its sign-in page. :func:`softphone.app.process.run` shows
it straight after Qt's set-up, before the rest of the app (the SIP engine's side, audio, call
history, the Phone, Recents and Settings pages) is imported; :class:`softphone.app.root.App`
then takes it over and adds the rest. Only what this first screen needs is imported here."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QCoreApplication, QObject, SignalInstance
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from softphone.app.options import AppOptions
from softphone.core.bus import EventBus
from softphone.desktop.deployment import initial_control_plane
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.main_window import MainWindow
from softphone.ui.signin.view import SignInView
from softphone.ui.theme import apply_theme


def ask(parent: QWidget, text: str) -> bool:
    """A Yes/No question; Yes is the default."""
    from PySide6.QtWidgets import QMessageBox  # each Qt class is made on first use: not here

    title = QCoreApplication.translate("App", "VICIfast Desktop")
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


def uses_tray(options: AppOptions) -> bool:
    """The app keeps a tray icon (the options say, or else the desktop has a tray)."""
    return QSystemTrayIcon.isSystemTrayAvailable() if options.tray is None else options.tray


class FirstWindow(QObject):
    """The sign-in window before the app behind it is built. GUI thread only.

    A quit asked for meanwhile (closing the window, the Quit key) is remembered in
    ``quit_asked`` and carried out by the app once it is there; so is the sign-in page's last
    link clicked meanwhile ("Scan a code", "Make QR codes for agents…"), in ``asked``: the
    signal to emit again once the app's own handlers are connected."""

    def __init__(self, options: AppOptions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.options = options
        self.settings = AppSettings.load(options.settings_path)
        apply_theme(self.settings.theme)  # before the first window is drawn
        self.bus = EventBus()
        self.bridge = QtBridge(self.bus, self)
        confirm = options.confirm or ask
        self.signin_view = SignInView(self.bus, confirm=lambda text: confirm(self.window, text))
        self.signin_view.set_control_plane(
            *initial_control_plane(
                self.settings.custom_control_plane,
                self.settings.ca_file,
                options.deployment,
                options.signin.control_plane,
            )
        )
        self.signin_view.sign_in_button.setEnabled(False)  # until the app behind it can sign in
        self.window = MainWindow(self.bus, self.signin_view, ())
        self.quit_asked = False
        self.window.quitRequested.connect(self._ask_quit)
        self.asked: SignalInstance | None = None
        self._stand_ins = [
            (link, partial(self._remember, link))
            for link in (self.signin_view.scanRequested, self.signin_view.provisioningRequested)
        ]
        for link, stand_in in self._stand_ins:
            link.connect(stand_in)

    def show(self) -> None:
        """Show the window, unless the app starts minimised to a tray (never to no way in)."""
        if not (self.settings.start_minimised and uses_tray(self.options)):
            self.window.show()

    def hand_over(self) -> None:
        """The app is built and has its own handlers: stop standing in for them."""
        self.window.quitRequested.disconnect(self._ask_quit)
        for link, stand_in in self._stand_ins:
            link.disconnect(stand_in)

    def _remember(self, link: SignalInstance) -> None:
        self.asked = link

    def _ask_quit(self) -> None:
        self.quit_asked = True
