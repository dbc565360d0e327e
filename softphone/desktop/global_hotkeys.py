"""System-wide hotkeys (Ctrl+Shift+letter) that reach the app whatever window has the keyboard.

Qt-free: which platforms can, and the grabbers that hold the keys. X11 (``x11_hotkeys``) grabs
on the root window from a connection and thread of its own; Windows (``windows_hotkeys``) asks
``RegisterHotKey`` and is told through the GUI thread's messages (the Qt side forwards them).
macOS and Wayland give an app no such keys: :func:`unsupported` says so, and why.
"""

from __future__ import annotations

import ctypes.util
import enum
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Hotkey:
    """``name`` ("answer") is what a press delivers; ``letter`` ("A") is held with Ctrl+Shift."""

    name: str
    letter: str

    def __post_init__(self) -> None:
        if len(self.letter) != 1 or not ("A" <= self.letter <= "Z"):
            raise ValueError("a hotkey's letter is one of A to Z")

    def text(self) -> str:
        return f"Ctrl+Shift+{self.letter}"


Deliver = Callable[[str], None]  # the pressed hotkey's name


class Unsupported(enum.Enum):
    """Why this desktop gives no system-wide keys."""

    MACOS = "macos"
    WAYLAND = "wayland"
    NO_DISPLAY = "no-display"  # not on an X server (e.g. offscreen, a console)
    NO_X11_LIBRARY = "no-x11-library"  # libxcb is not installed
    OTHER = "other"


class HotkeyGrabber(Protocol):
    """Holds system-wide keys for one app; ``grab`` and ``release`` run on the GUI thread."""

    def grab(self, keys: Sequence[Hotkey]) -> list[Hotkey]:
        """Hold ``keys`` (after releasing any held); returns those another app already holds
        (those are not held)."""
        ...

    def release(self) -> None:
        """Let go of every key held; idempotent."""
        ...


def unsupported(
    windowing: str, platform: str | None = None, env: Mapping[str, str] | None = None
) -> Unsupported | None:
    """None when this desktop can have system-wide keys; else why not. ``windowing`` is the
    toolkit's window-system name (Qt's ``platformName``: "xcb", "wayland", "windows", …)."""
    platform = sys.platform if platform is None else platform
    env = os.environ if env is None else env
    if platform == "win32":
        return None
    if platform == "darwin":
        return Unsupported.MACOS
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return Unsupported.OTHER
    # Under Wayland an X11 grab (XWayland) sees keys only while an X11 window has the keyboard
    if windowing == "wayland" or env.get("XDG_SESSION_TYPE") == "wayland":
        return Unsupported.WAYLAND
    if env.get("WAYLAND_DISPLAY"):
        return Unsupported.WAYLAND
    if windowing != "xcb" or not env.get("DISPLAY"):
        return Unsupported.NO_DISPLAY
    if ctypes.util.find_library("xcb") is None:
        return Unsupported.NO_X11_LIBRARY
    return None


def open_grabber(deliver: Deliver, display: str | None = None) -> HotkeyGrabber:
    """The grabber for this platform (call only when :func:`unsupported` said None); on X11
    ``deliver`` is called on the grabber's own thread, on Windows on the GUI thread. Raises
    ``OSError`` if the window system cannot be reached."""
    if sys.platform == "win32":
        from softphone.desktop.windows_hotkeys import WindowsHotkeys

        return WindowsHotkeys(deliver)
    from softphone.desktop.x11_hotkeys import X11Hotkeys

    return X11Hotkeys(deliver, display)
