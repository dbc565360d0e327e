"""Another X client for tests of system-wide keys: a window of its own that it gives the
keyboard to (as a browser would have it), and a keyboard (the XTest extension) that types
into whatever window the server routes keys to. Xlib and libXtst through ctypes."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest

_KEYSYMS = {"ctrl": 0xFFE3, "shift": 0xFFE1, "caps": 0xFFE5, "numlock": 0xFF7F}
_REVERT_TO_PARENT = 2


class OtherApp:
    """An X client apart from the app under test, on ``display`` (":N")."""

    def __init__(self, display: str) -> None:
        x11, xtst = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
        if x11 is None or xtst is None:
            pytest.fail("libX11 and libXtst are needed (Debian: libx11-6, libxtst6)")
        self._x = ctypes.CDLL(x11)
        self._xtst = ctypes.CDLL(xtst)
        p, ul = ctypes.c_void_p, ctypes.c_ulong
        self._x.XOpenDisplay.restype, self._x.XOpenDisplay.argtypes = p, [ctypes.c_char_p]
        self._x.XDefaultRootWindow.restype, self._x.XDefaultRootWindow.argtypes = ul, [p]
        self._x.XCreateSimpleWindow.restype = ul
        self._x.XCreateSimpleWindow.argtypes = [p, ul, ctypes.c_int, ctypes.c_int]
        self._x.XCreateSimpleWindow.argtypes += [ctypes.c_uint] * 3 + [ul, ul]
        self._x.XMapRaised.argtypes = [p, ul]
        self._x.XSetInputFocus.argtypes = [p, ul, ctypes.c_int, ul]
        self._x.XGetInputFocus.argtypes = [p, ctypes.POINTER(ul), ctypes.POINTER(ctypes.c_int)]
        self._x.XKeysymToKeycode.restype, self._x.XKeysymToKeycode.argtypes = (
            ctypes.c_ubyte,
            [p, ul],
        )
        self._x.XSync.argtypes = [p, ctypes.c_int]
        self._x.XCloseDisplay.argtypes = [p]
        self._xtst.XTestFakeKeyEvent.argtypes = [p, ctypes.c_uint, ctypes.c_int, ul]
        self._display = self._x.XOpenDisplay(display.encode())
        if not self._display:
            pytest.fail(f"cannot open X display {display}")
        root = self._x.XDefaultRootWindow(self._display)
        self.window = self._x.XCreateSimpleWindow(self._display, root, 0, 0, 400, 300, 0, 0, 0)
        self._x.XMapRaised(self._display, self.window)
        self._x.XSync(self._display, 0)

    def take_focus(self) -> None:
        """The keyboard goes to this client's window (no window manager on Xvfb: set it)."""
        self._x.XSetInputFocus(self._display, self.window, _REVERT_TO_PARENT, 0)
        self._x.XSync(self._display, 0)

    def has_focus(self) -> bool:
        focus, revert = ctypes.c_ulong(), ctypes.c_int()
        self._x.XGetInputFocus(self._display, ctypes.byref(focus), ctypes.byref(revert))
        return focus.value == self.window

    def press(self, *keys: str) -> None:
        """Hold ``keys`` in order ("ctrl", "shift", "a"), then let go in reverse."""
        codes = [self._code(key) for key in keys]
        for code in codes:
            self._xtst.XTestFakeKeyEvent(self._display, code, 1, 0)
        for code in reversed(codes):
            self._xtst.XTestFakeKeyEvent(self._display, code, 0, 0)
        self._x.XSync(self._display, 0)

    def _code(self, key: str) -> int:
        keysym = _KEYSYMS.get(key, ord(key) if len(key) == 1 else 0)
        code = int(self._x.XKeysymToKeycode(self._display, keysym))
        assert code, f"no key for {key!r}"
        return code

    def close(self) -> None:
        if self._display:
            self._x.XCloseDisplay(self._display)
            self._display = None
