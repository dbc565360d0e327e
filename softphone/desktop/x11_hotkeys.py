"""System-wide hotkeys on X11: passive key grabs on the root window, through libxcb (ctypes).

A connection of its own (xcb is thread-safe, and Xlib's error handler is process-wide: Qt's
own connection is left alone) and a thread, "x11-hotkeys", that waits on it and hands each
press to ``deliver``. Every key is grabbed four times, with and without Caps Lock and Num Lock,
so a lit lock light does not turn it off. A key another client holds makes the server answer
BadAccess to the grab: that key is reported taken, and its other grabs let go.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import select
import threading
from collections.abc import Sequence

from softphone.desktop.global_hotkeys import Deliver, Hotkey

_log = logging.getLogger(__name__)

_KEY_PRESS = 2
_BAD_ACCESS = 10
_SHIFT, _LOCK, _CONTROL = 1 << 0, 1 << 1, 1 << 2
_MOD_MASKS = tuple(1 << i for i in range(8))  # Shift, Lock, Control, Mod1 … Mod5
_GRAB_MODE_ASYNC = 1
_NUM_LOCK_KEYSYM = 0xFF7F


class _Cookie(ctypes.Structure):
    _fields_ = [("sequence", ctypes.c_uint)]


class _Setup(ctypes.Structure):
    _fields_ = [
        ("status", ctypes.c_uint8),
        ("pad0", ctypes.c_uint8),
        ("protocol_major_version", ctypes.c_uint16),
        ("protocol_minor_version", ctypes.c_uint16),
        ("length", ctypes.c_uint16),
        ("release_number", ctypes.c_uint32),
        ("resource_id_base", ctypes.c_uint32),
        ("resource_id_mask", ctypes.c_uint32),
        ("motion_buffer_size", ctypes.c_uint32),
        ("vendor_len", ctypes.c_uint16),
        ("maximum_request_length", ctypes.c_uint16),
        ("roots_len", ctypes.c_uint8),
        ("pixmap_formats_len", ctypes.c_uint8),
        ("image_byte_order", ctypes.c_uint8),
        ("bitmap_format_bit_order", ctypes.c_uint8),
        ("bitmap_format_scanline_unit", ctypes.c_uint8),
        ("bitmap_format_scanline_pad", ctypes.c_uint8),
        ("min_keycode", ctypes.c_uint8),
        ("max_keycode", ctypes.c_uint8),
    ]


class _ScreenIterator(ctypes.Structure):
    # data points at an xcb_screen_t, whose first field is the root window
    _fields_ = [
        ("data", ctypes.POINTER(ctypes.c_uint32)),
        ("rem", ctypes.c_int),
        ("index", ctypes.c_int),
    ]


class _Reply(ctypes.Structure):
    """The head of the keyboard- and modifier-mapping replies."""

    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("per_item", ctypes.c_uint8),  # keysyms per keycode / keycodes per modifier
        ("sequence", ctypes.c_uint16),
        ("length", ctypes.c_uint32),
    ]


class _Error(ctypes.Structure):
    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("error_code", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
    ]


class _KeyEvent(ctypes.Structure):
    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("detail", ctypes.c_uint8),  # the keycode
        ("sequence", ctypes.c_uint16),
        ("time", ctypes.c_uint32),
        ("root", ctypes.c_uint32),
        ("event", ctypes.c_uint32),
        ("child", ctypes.c_uint32),
        ("root_x", ctypes.c_int16),
        ("root_y", ctypes.c_int16),
        ("event_x", ctypes.c_int16),
        ("event_y", ctypes.c_int16),
        ("state", ctypes.c_uint16),
    ]


def _load() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    name = ctypes.util.find_library("xcb")
    if name is None:
        raise OSError("libxcb is not installed")
    xcb = ctypes.CDLL(name)
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    p, u8, u16, u32 = ctypes.c_void_p, ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint32
    sigs: dict[str, tuple[object, list[object]]] = {
        "xcb_connect": (p, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
        "xcb_connection_has_error": (ctypes.c_int, [p]),
        "xcb_disconnect": (None, [p]),
        "xcb_flush": (ctypes.c_int, [p]),
        "xcb_get_file_descriptor": (ctypes.c_int, [p]),
        "xcb_get_setup": (ctypes.POINTER(_Setup), [p]),
        "xcb_setup_roots_iterator": (_ScreenIterator, [ctypes.POINTER(_Setup)]),
        "xcb_screen_next": (None, [ctypes.POINTER(_ScreenIterator)]),
        "xcb_grab_key_checked": (_Cookie, [p, u8, u32, u16, u8, u8, u8]),
        "xcb_ungrab_key_checked": (_Cookie, [p, u8, u32, u16]),
        "xcb_request_check": (ctypes.POINTER(_Error), [p, _Cookie]),
        "xcb_get_keyboard_mapping": (_Cookie, [p, u8, u8]),
        "xcb_get_keyboard_mapping_reply": (ctypes.POINTER(_Reply), [p, _Cookie, p]),
        "xcb_get_keyboard_mapping_keysyms": (ctypes.POINTER(u32), [ctypes.POINTER(_Reply)]),
        "xcb_get_keyboard_mapping_keysyms_length": (ctypes.c_int, [ctypes.POINTER(_Reply)]),
        "xcb_get_modifier_mapping": (_Cookie, [p]),
        "xcb_get_modifier_mapping_reply": (ctypes.POINTER(_Reply), [p, _Cookie, p]),
        "xcb_get_modifier_mapping_keycodes": (ctypes.POINTER(u8), [ctypes.POINTER(_Reply)]),
        "xcb_poll_for_event": (ctypes.POINTER(_KeyEvent), [p]),
    }
    for fn, (restype, argtypes) in sigs.items():
        func = getattr(xcb, fn)
        func.restype, func.argtypes = restype, argtypes
    libc.free.argtypes, libc.free.restype = [ctypes.c_void_p], None
    return xcb, libc


class X11Hotkeys:
    """A :class:`~softphone.desktop.global_hotkeys.HotkeyGrabber` on X11. ``deliver(name)`` is
    called on the "x11-hotkeys" thread, once per press (not per auto-repeat key press held
    down: the server repeats presses, and each is delivered; the app acts idempotently)."""

    def __init__(self, deliver: Deliver, display: str | None = None) -> None:
        self._deliver = deliver
        self._xcb, self._libc = _load()
        screen = ctypes.c_int(0)
        name = display.encode() if display else None
        self._conn: int | None = self._xcb.xcb_connect(name, ctypes.byref(screen))
        if not self._conn or self._xcb.xcb_connection_has_error(self._conn):
            self._close_connection()
            raise OSError("cannot reach the X server")
        setup = self._xcb.xcb_get_setup(self._conn)
        roots = self._xcb.xcb_setup_roots_iterator(setup)
        for _ in range(screen.value):
            self._xcb.xcb_screen_next(ctypes.byref(roots))
        self._root: int = roots.data[0]
        self._min_code: int = setup.contents.min_keycode
        self._max_code: int = setup.contents.max_keycode
        self._lock = threading.Lock()
        self._held: dict[tuple[int, int], str] = {}  # (keycode, modifiers) → name
        self._ignored = _LOCK  # Caps Lock, and Num Lock once found
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()

    # -- grabbing (GUI thread) ------------------------------------------------------------

    def grab(self, keys: Sequence[Hotkey]) -> list[Hotkey]:
        self._ungrab_all()
        if self._conn is None:
            return list(keys)
        num_lock = self._num_lock_mask()
        self._ignored = _LOCK | num_lock
        locks = sorted({0, _LOCK, num_lock, _LOCK | num_lock})
        codes = self._keycodes()
        taken: list[Hotkey] = []
        for key in keys:
            code = codes.get(ord(key.letter.lower()))
            if code is None:
                _log.warning("global hotkeys: no key for %s on this keyboard", key.text())
                taken.append(key)
                continue
            grabs = [(code, _CONTROL | _SHIFT | lock) for lock in locks]
            errors = [self._check(self._grab_cookie(*grab)) for grab in grabs]
            if any(errors):
                for (code_, mods), error in zip(grabs, errors, strict=True):
                    if error == 0:
                        self._check(self._ungrab_cookie(code_, mods))
                if any(e != _BAD_ACCESS for e in errors):
                    _log.warning("global hotkeys: the X server refused %s", key.text())
                taken.append(key)
                continue
            with self._lock:
                self._held.update(dict.fromkeys(grabs, key.name))
        self._xcb.xcb_flush(self._conn)
        if self._held and self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="x11-hotkeys", daemon=True)
            self._thread.start()
        return taken

    def release(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            os.write(self._wake_w, b"x")
            thread.join(timeout=5)
        self._ungrab_all()
        self._close_connection()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):  # closed by an earlier release
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def _ungrab_all(self) -> None:
        with self._lock:
            held, self._held = list(self._held), {}
        if self._conn is None:
            return
        for code, mods in held:
            self._check(self._ungrab_cookie(code, mods))

    def _grab_cookie(self, code: int, mods: int) -> _Cookie:
        return self._xcb.xcb_grab_key_checked(  # type: ignore[no-any-return]
            self._conn, 1, self._root, mods, code, _GRAB_MODE_ASYNC, _GRAB_MODE_ASYNC
        )

    def _ungrab_cookie(self, code: int, mods: int) -> _Cookie:
        return self._xcb.xcb_ungrab_key_checked(self._conn, code, self._root, mods)  # type: ignore[no-any-return]

    def _check(self, cookie: _Cookie) -> int:
        """0 when the request went through, else the X error's code."""
        error = self._xcb.xcb_request_check(self._conn, cookie)
        if not error:
            return 0
        code = int(error.contents.error_code)
        self._libc.free(error)
        return code

    def _keycodes(self) -> dict[int, int]:
        """Keysym → the first keycode that types it (any column)."""
        count = self._max_code - self._min_code + 1
        cookie = self._xcb.xcb_get_keyboard_mapping(self._conn, self._min_code, count)
        reply = self._xcb.xcb_get_keyboard_mapping_reply(self._conn, cookie, None)
        if not reply:
            return {}
        try:
            per = reply.contents.per_item
            syms = self._xcb.xcb_get_keyboard_mapping_keysyms(reply)
            total = self._xcb.xcb_get_keyboard_mapping_keysyms_length(reply)
            codes: dict[int, int] = {}
            for i in range(total):
                if syms[i]:
                    codes.setdefault(syms[i], self._min_code + i // max(per, 1))
            return codes
        finally:
            self._libc.free(reply)

    def _num_lock_mask(self) -> int:
        """The modifier Num Lock sets (Mod2 on nearly every keyboard)."""
        num_lock = self._keycodes().get(_NUM_LOCK_KEYSYM)
        cookie = self._xcb.xcb_get_modifier_mapping(self._conn)
        reply = self._xcb.xcb_get_modifier_mapping_reply(self._conn, cookie, None)
        if not reply:
            return 1 << 4
        try:
            per = reply.contents.per_item
            codes = self._xcb.xcb_get_modifier_mapping_keycodes(reply)
            for index, mask in enumerate(_MOD_MASKS):
                if num_lock is not None and any(
                    codes[index * per + j] == num_lock for j in range(per)
                ):
                    return mask
            return 1 << 4
        finally:
            self._libc.free(reply)

    # -- listening (the "x11-hotkeys" thread) ---------------------------------------------

    def _listen(self) -> None:
        fd = self._xcb.xcb_get_file_descriptor(self._conn)
        while True:
            try:
                ready, _, _ = select.select([fd, self._wake_r], [], [])
            except (OSError, ValueError):
                return
            if self._wake_r in ready:
                return
            while self._conn is not None and (event := self._xcb.xcb_poll_for_event(self._conn)):
                self._on_event(event.contents)
                self._libc.free(event)
            if self._conn is None or self._xcb.xcb_connection_has_error(self._conn):
                _log.warning("global hotkeys: the connection to the X server was lost")
                return

    def _on_event(self, event: _KeyEvent) -> None:
        if event.response_type & 0x7F != _KEY_PRESS:
            return
        mods = event.state & 0xFF & ~self._ignored
        with self._lock:
            name = self._held.get((event.detail, mods))
        if name is not None:
            try:
                self._deliver(name)
            except Exception as err:  # a failing receiver must not end the listener
                _log.error("global hotkeys: delivering %s failed (%s)", name, type(err).__name__)

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn:
            self._xcb.xcb_disconnect(conn)
