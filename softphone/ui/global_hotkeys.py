"""The Qt side of the system-wide hotkeys (``softphone.desktop.global_hotkeys``): whether this
desktop can have them, said in words; on Windows, the native event filter that hands the GUI
thread's ``WM_HOTKEY`` messages to the grabber."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication
from PySide6.QtGui import QGuiApplication

from softphone.desktop.global_hotkeys import (
    Deliver,
    Hotkey,
    HotkeyGrabber,
    Unsupported,
    open_grabber,
    unsupported,
)
from softphone.desktop.windows_hotkeys import WindowsHotkeys

ANSWER = Hotkey("answer", "A")
HANGUP = Hotkey("hangup", "E")
KEYS = (ANSWER, HANGUP)


def unavailable() -> str | None:
    """Why this desktop cannot have system-wide keys, for the Settings page; None if it can."""
    reason = unsupported(QGuiApplication.platformName())
    if reason is None:
        return None
    texts = {
        Unsupported.MACOS: QCoreApplication.translate(
            "GlobalHotkeys", "macOS does not let apps take keys from other apps."
        ),
        Unsupported.WAYLAND: QCoreApplication.translate(
            "GlobalHotkeys",
            "Wayland does not let apps take keys from other apps; use your desktop's own "
            "keyboard shortcuts, or sign in to an X11 session.",
        ),
        Unsupported.NO_DISPLAY: QCoreApplication.translate(
            "GlobalHotkeys", "This needs an X11 desktop, and none was found."
        ),
        Unsupported.NO_X11_LIBRARY: QCoreApplication.translate(
            "GlobalHotkeys", "This needs the libxcb library, which is not installed."
        ),
        Unsupported.OTHER: QCoreApplication.translate(
            "GlobalHotkeys", "This system does not let apps take keys from other apps."
        ),
    }
    return texts[reason]


def taken_text(keys: Sequence[Hotkey]) -> str:
    """The keys another app already holds, and what to do."""
    names = ", ".join(key.text() for key in keys)
    return QCoreApplication.translate(
        "GlobalHotkeys",
        "{0}: already used by another app, so it works only in this window. Free it in that "
        "app (or your desktop's shortcuts), then tick this again.",
    ).format(names)


def unreachable_text() -> str:
    return QCoreApplication.translate(
        "GlobalHotkeys", "The keys could not be set up: the window system did not answer."
    )


class _WindowsFilter(QAbstractNativeEventFilter):
    def __init__(self, grabber: WindowsHotkeys) -> None:
        super().__init__()
        self._grabber = grabber

    def nativeEventFilter(
        self, eventType: QByteArray | bytes | bytearray | memoryview, message: int, /
    ) -> object:
        kind = eventType.data() if isinstance(eventType, QByteArray) else bytes(eventType)
        if kind == b"windows_generic_MSG" and self._grabber.message(int(message)):
            return True, 0
        return False, 0


class QtHotkeys:
    """A grabber for this desktop with, on Windows, its filter installed for as long as it is
    held. ``deliver`` runs on the grabber's thread: move it to the GUI thread yourself."""

    def __init__(self, deliver: Deliver) -> None:
        self.grabber: HotkeyGrabber = open_grabber(deliver)  # OSError: no window system
        self._filter: _WindowsFilter | None = None
        app = QCoreApplication.instance()
        if isinstance(self.grabber, WindowsHotkeys) and app is not None:
            self._filter = _WindowsFilter(self.grabber)
            app.installNativeEventFilter(self._filter)

    def grab(self, keys: Sequence[Hotkey] = KEYS) -> list[Hotkey]:
        return self.grabber.grab(keys)

    def release(self) -> None:
        self.grabber.release()
        app = QCoreApplication.instance()
        if self._filter is not None and app is not None:
            app.removeNativeEventFilter(self._filter)
        self._filter = None
