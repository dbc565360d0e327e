"""System-wide hotkeys on Windows: ``RegisterHotKey`` for the GUI thread (no window: Windows
posts ``WM_HOTKEY`` to the thread's queue), read back by :meth:`WindowsHotkeys.message`, which
the Qt side calls from its native event filter for every message the GUI thread takes."""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence

from softphone.desktop.global_hotkeys import Deliver, Hotkey

_log = logging.getLogger(__name__)

WM_HOTKEY = 0x0312
MOD_SHIFT, MOD_CONTROL, MOD_NOREPEAT = 0x0004, 0x0002, 0x4000
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
_FIRST_ID = 0x5643  # any id in 0x0000-0xBFFF; apart from other libraries' low ones


class _Msg(ctypes.Structure):
    """The head of a Win32 ``MSG``: hwnd, message, wParam."""

    _fields_ = [
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint),
        ("wParam", ctypes.c_size_t),
    ]


class WindowsHotkeys:
    """A :class:`~softphone.desktop.global_hotkeys.HotkeyGrabber` on Windows. Every method runs
    on the GUI thread (hotkeys belong to the thread that registered them); ``deliver`` too."""

    def __init__(self, deliver: Deliver, user32: object | None = None) -> None:
        self._deliver = deliver
        # injectable so the logic is tested off Windows
        if user32 is None:
            user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
        self._user32: object = user32
        self._held: dict[int, str] = {}  # hotkey id → name

    def grab(self, keys: Sequence[Hotkey]) -> list[Hotkey]:
        self.release()
        taken: list[Hotkey] = []
        user32 = self._user32
        for offset, key in enumerate(keys):
            hotkey_id = _FIRST_ID + offset
            mods = MOD_CONTROL | MOD_SHIFT | MOD_NOREPEAT
            if user32.RegisterHotKey(None, hotkey_id, mods, ord(key.letter)):  # type: ignore[attr-defined]
                self._held[hotkey_id] = key.name
                continue
            error = ctypes.get_last_error() if hasattr(ctypes, "get_last_error") else 0
            if error not in (0, ERROR_HOTKEY_ALREADY_REGISTERED):
                _log.warning("global hotkeys: Windows refused %s (error %d)", key.text(), error)
            taken.append(key)
        return taken

    def release(self) -> None:
        held, self._held = self._held, {}
        for hotkey_id in held:
            self._user32.UnregisterHotKey(None, hotkey_id)  # type: ignore[attr-defined]

    def message(self, address: int) -> bool:
        """The GUI thread took the ``MSG`` at ``address``: True if it was one of our keys (it
        has been delivered, and needs no other handling)."""
        if not address:
            return False
        msg = _Msg.from_address(address)
        if msg.message != WM_HOTKEY or msg.hwnd:
            return False
        name = self._held.get(int(msg.wParam))
        if name is None:
            return False
        self._deliver(name)
        return True
