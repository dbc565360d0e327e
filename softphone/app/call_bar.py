"""When the call bar shows: a call is up on the Phone page and the main window is not in front
(hidden to the tray, minimised, or another window is active), and the setting is on. The bar's
Mute and Hang up are the Phone page's own commands; Open brings the window up on the call."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication, QWidget

from softphone.ui.call_bar import CallBar, bar_call
from softphone.ui.phone.view import PhoneView

if TYPE_CHECKING:
    from softphone.app.root import App

# What the main window goes through when it leaves the front or comes back to it.
_WINDOW_EVENTS = frozenset(
    {
        QEvent.Type.Show,
        QEvent.Type.Hide,
        QEvent.Type.WindowStateChange,
        QEvent.Type.ActivationChange,
    }
)


class CallBarWatch(QObject):
    """Shows and hides ``bar`` (the attribute) over ``window``; ``enabled`` says whether the
    agent wants it (the setting, read each time so a change applies at once: call
    :meth:`refresh` after one). GUI thread only."""

    def __init__(
        self,
        window: QWidget,
        phone: PhoneView,
        *,
        enabled: Callable[[], bool],
        show_call: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._calls = phone.calls
        self._enabled = enabled
        self._stopped = False
        self.bar = CallBar(phone.calls)
        self.bar.muteRequested.connect(phone.toggle_mute)
        self.bar.hangupRequested.connect(phone.hangup)
        self.bar.openRequested.connect(show_call)
        self.destroyed.connect(self.bar.deleteLater)  # a window of its own: no parent takes it
        # One look once the events of a change are through (hiding or switching windows sends
        # several, and the active window passes through none on the way).
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(0)
        self._soon.timeout.connect(self.refresh)
        phone.calls.changed.connect(self._soon.start)
        window.installEventFilter(self)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self._on_focus_window)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() in _WINDOW_EVENTS:
            self._soon.start()
        return False

    @Slot(QWindow)
    def _on_focus_window(self, _window: QWindow | None) -> None:
        self._soon.start()

    def stop(self) -> None:
        """Quitting: the bar goes and never comes back."""
        self._stopped = True
        self._soon.stop()
        self.bar.hide()

    @Slot()
    def refresh(self) -> None:
        wanted = (
            not self._stopped
            and self._enabled()
            and bar_call(self._calls.book) is not None
            and not self._window_in_front()
        )
        if not wanted:
            self.bar.hide()
        elif self.bar.isHidden():
            self.bar.place(self._window.screen())
            self.bar.show()
        else:
            self.bar.refresh()

    def _window_in_front(self) -> bool:
        """The main window is shown, not minimised, and it (or a dialog of its) is active."""
        window = self._window
        if not window.isVisible() or window.isMinimized():
            return False
        active = QApplication.activeWindow()
        while active is not None:
            if active is window:
                return True
            parent = active.parentWidget()
            active = parent.window() if parent is not None else None
        return False


def watch_calls(app: App) -> CallBarWatch | None:
    """The app's call bar (None without a Phone page); a change in Settings applies at once."""
    if app.phone_view is None:
        return None
    watch = CallBarWatch(
        app.window,
        app.phone_view,
        enabled=lambda: app.settings.call_bar,
        show_call=app.show_window,
    )
    if app.settings_view is not None:  # after the app took the new settings (wire_pages)
        app.settings_view.settingsChanged.connect(lambda _settings: watch.refresh())
    return watch
