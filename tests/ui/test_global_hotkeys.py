"""System-wide answer and hang-up keys (issue 18): off by default; ticked in Settings → Calls
they work while another app has the keyboard; unticked, the keys go back to the other apps.

The X11 tests run on a private Xvfb: the grabber itself in this process (it is Qt-free), the
whole app in a child process on xcb (``global_hotkeys_probe``); this process plays the other
app, with a window that has the keyboard and a keyboard of its own (XTest)."""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.app import hotkeys as app_hotkeys
from softphone.core import events as ev
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.desktop.global_hotkeys import Hotkey, Unsupported, unsupported
from softphone.desktop.windows_hotkeys import (
    MOD_CONTROL,
    MOD_NOREPEAT,
    MOD_SHIFT,
    WM_HOTKEY,
    WindowsHotkeys,
    _Msg,
)
from softphone.desktop.x11_hotkeys import X11Hotkeys
from tests.support.x11_keyboard import OtherApp
from tests.support.xvfb import xvfb_env
from tests.ui.app_kit import app_maker
from tests.ui.global_hotkeys_probe import AnsweringEngine, ring, state

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10_000
ANSWER, HANGUP = Hotkey("answer", "A"), Hotkey("hangup", "E")


def _tick(qtbot: QtBot, box: QCheckBox) -> None:
    """A click on the check box's square, where a person clicks."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=square.center())


# ---- which desktops can ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "windowing", "env", "expected"),
    [
        ("win32", "windows", {}, None),
        ("darwin", "cocoa", {}, Unsupported.MACOS),
        ("linux", "wayland", {"WAYLAND_DISPLAY": "wayland-0"}, Unsupported.WAYLAND),
        # Qt on XWayland: an X11 grab would see keys only while an X11 window has them
        ("linux", "xcb", {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, Unsupported.WAYLAND),
        ("linux", "xcb", {"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, Unsupported.WAYLAND),
        ("linux", "offscreen", {"DISPLAY": ":0"}, Unsupported.NO_DISPLAY),
        ("linux", "xcb", {}, Unsupported.NO_DISPLAY),
        ("linux", "xcb", {"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, None),
    ],
)
def test_only_x11_and_windows_can_have_system_wide_keys(
    platform: str, windowing: str, env: dict[str, str], expected: Unsupported | None
) -> None:
    assert unsupported(windowing, platform, env) is expected


# ---- Windows: what can be checked off Windows --------------------------------------------------


class FakeUser32:
    def __init__(self, refuse: set[int]) -> None:
        self.refuse = refuse
        self.held: dict[int, tuple[int, int]] = {}

    def RegisterHotKey(self, hwnd: object, hotkey_id: int, mods: int, vk: int) -> bool:
        assert hwnd is None  # the thread's queue: the GUI thread's messages
        if vk in self.refuse:
            return False
        self.held[hotkey_id] = (mods, vk)
        return True

    def UnregisterHotKey(self, hwnd: object, hotkey_id: int) -> bool:
        return self.held.pop(hotkey_id, None) is not None


def test_windows_registers_ctrl_shift_keys_reports_taken_ones_and_reads_wm_hotkey() -> None:
    user32 = FakeUser32(refuse={ord("E")})
    pressed: list[str] = []
    hotkeys = WindowsHotkeys(pressed.append, user32)
    assert hotkeys.grab([ANSWER, HANGUP]) == [HANGUP]
    [(hotkey_id, (mods, vk))] = user32.held.items()
    assert (mods, vk) == (MOD_CONTROL | MOD_SHIFT | MOD_NOREPEAT, ord("A"))
    msg = _Msg(None, WM_HOTKEY, hotkey_id)
    assert hotkeys.message(ctypes_address(msg)) and pressed == ["answer"]
    assert not hotkeys.message(ctypes_address(_Msg(None, WM_HOTKEY + 1, hotkey_id)))
    assert not hotkeys.message(ctypes_address(_Msg(None, WM_HOTKEY, hotkey_id + 7)))
    hotkeys.release()
    assert user32.held == {}
    assert not hotkeys.message(ctypes_address(msg)) and pressed == ["answer"]


def ctypes_address(msg: _Msg) -> int:
    import ctypes

    return ctypes.addressof(msg)


# ---- X11: the grabber on a real X server --------------------------------------------------------


@pytest.fixture
def display() -> Iterator[str]:
    """A private Xvfb's display, stopped by its PID at the end."""
    with xvfb_env() as env:
        yield env["DISPLAY"]


@pytest.fixture
def other_app(display: str) -> Iterator[OtherApp]:
    other = OtherApp(display)
    other.take_focus()
    assert other.has_focus()
    yield other
    other.close()


def test_x11_a_press_in_another_apps_window_is_delivered_whatever_the_lock_lights(
    qtbot: QtBot, display: str, other_app: OtherApp
) -> None:
    pressed: list[str] = []
    hotkeys = X11Hotkeys(pressed.append, display)
    try:
        assert hotkeys.grab([ANSWER, HANGUP]) == []
        other_app.press("ctrl", "shift", "a")
        qtbot.waitUntil(lambda: pressed == ["answer"], timeout=WAIT)
        other_app.press("caps")  # Caps Lock on
        other_app.press("ctrl", "shift", "e")
        qtbot.waitUntil(lambda: pressed == ["answer", "hangup"], timeout=WAIT)
        other_app.press("numlock")  # and Num Lock
        other_app.press("ctrl", "shift", "a")
        qtbot.waitUntil(lambda: pressed == ["answer", "hangup", "answer"], timeout=WAIT)
        assert other_app.has_focus()  # the other app kept the keyboard throughout
    finally:
        hotkeys.release()


def test_x11_a_key_another_app_holds_is_reported_and_releasing_frees_the_keys(
    qtbot: QtBot, display: str, other_app: OtherApp
) -> None:
    first: list[str] = []
    second: list[str] = []
    holder = X11Hotkeys(first.append, display)
    hotkeys = X11Hotkeys(second.append, display)
    try:
        assert holder.grab([ANSWER]) == []
        assert hotkeys.grab([ANSWER, HANGUP]) == [ANSWER]  # BadAccess: no crash, reported
        other_app.press("ctrl", "shift", "e")
        qtbot.waitUntil(lambda: second == ["hangup"], timeout=WAIT)  # the free one still works
        holder.release()
        hotkeys.release()
        hotkeys.release()  # twice is harmless
        again = X11Hotkeys(first.append, display)
        try:
            assert again.grab([ANSWER, HANGUP]) == []  # both were let go
        finally:
            again.release()
    finally:
        holder.release()
        hotkeys.release()


# ---- the app, offscreen, with a stand-in for the grabber ----------------------------------------


class FakeGrabber:
    """Stands in for QtHotkeys: records what is held; ``press`` delivers from another thread,
    as the X11 grabber does."""

    made: ClassVar[list[FakeGrabber]] = []
    taken: ClassVar[set[str]] = set()

    def __init__(self, deliver: Callable[[str], None]) -> None:
        self.deliver = deliver
        self.held: list[str] = []
        FakeGrabber.made.append(self)

    def grab(self, keys: Sequence[Hotkey] = ()) -> list[Hotkey]:
        taken = [k for k in keys if k.letter in FakeGrabber.taken]
        self.held = [k.name for k in keys if k not in taken]
        return taken

    def release(self) -> None:
        self.held = []

    def press(self, name: str) -> None:
        if name in self.held:
            thread = threading.Thread(target=self.deliver, args=(name,))
            thread.start()
            thread.join()


@pytest.fixture
def fake_grabber(monkeypatch: pytest.MonkeyPatch) -> type[FakeGrabber]:
    FakeGrabber.made, FakeGrabber.taken = [], set()
    monkeypatch.setattr(app_hotkeys, "QtHotkeys", FakeGrabber)
    monkeypatch.setattr(app_hotkeys, "unavailable", lambda: None)
    monkeypatch.setattr("softphone.ui.settings.calls.unavailable", lambda: None)
    return FakeGrabber


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    engines: list[AnsweringEngine] = []

    def factory(*args: Any) -> AnsweringEngine:
        engines.append(AnsweringEngine(*args))
        return engines[-1]

    with app_maker(qtbot, tmp_path, factory) as build:

        def make(**overrides: Any) -> App:
            app = build(**overrides)
            app.fake_engines = engines  # type: ignore[attr-defined]
            return app

        yield make


def _signed_in(app: App) -> None:
    app.bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
    app.bus.publish(
        ev.RegistrationChanged(
            account_id="session", state=ev.RegistrationState.REGISTERED, transport="udp"
        )
    )


def _done(app: App) -> list[tuple[Any, ...]]:
    engine = app.fake_engines[0]  # type: ignore[attr-defined]
    return [c for c in engine.calls if c[0] in ("answer", "reject", "hangup")]


def test_the_keys_are_off_by_default_and_the_setting_is_greyed_out_where_they_cannot_be(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()  # offscreen: no X11 desktop
    app.start()
    _signed_in(app)
    settings = app.settings_view
    assert settings is not None
    box = settings.global_hotkeys
    assert box.text() == "Answer and hang up from an&y app (Ctrl+Shift+A / Ctrl+Shift+E)"
    assert not box.isChecked() and not box.isEnabled()
    app.window.show_page("Settings")
    qtbot.waitExposed(app.window)
    assert settings.global_hotkeys_note.isVisible()
    assert settings.global_hotkeys_note.text() == ("This needs an X11 desktop, and none was found.")
    assert not app.hotkeys.active


def test_ticking_holds_the_keys_at_once_and_they_answer_and_hang_up_unticking_lets_go(
    qtbot: QtBot, make_app: Callable[..., App], fake_grabber: type[FakeGrabber]
) -> None:
    app = make_app()
    app.start()
    _signed_in(app)
    assert fake_grabber.made == []  # off by default: nothing held
    settings = app.settings_view
    assert settings is not None and settings.global_hotkeys.isEnabled()
    app.window.show_page("Settings")
    qtbot.waitExposed(app.window)
    _tick(qtbot, settings.global_hotkeys)
    assert settings.global_hotkeys.isChecked()
    [grabber] = fake_grabber.made
    assert grabber.held == ["answer", "hangup"]
    assert not settings.global_hotkeys_note.isVisible()

    app.window.close()  # to the tray: the agent works in another app
    app.bus.publish(ring("c1"))
    popup = app.incoming_windows["c1"]
    qtbot.waitExposed(popup)
    grabber.press("answer")
    qtbot.waitUntil(lambda: _done(app) == [("answer", "c1")], timeout=WAIT)
    qtbot.waitUntil(  # answered, as with its button: it closes (and may be deleted already)
        lambda: not shiboken6.isValid(popup) or not popup.isVisible(), timeout=WAIT
    )
    grabber.press("hangup")
    qtbot.waitUntil(lambda: _done(app)[-1] == ("hangup", "c1"), timeout=WAIT)

    app.show_window()
    app.window.show_page("Settings")
    _tick(qtbot, settings.global_hotkeys)
    assert not settings.global_hotkeys.isChecked() and grabber.held == []
    assert not app.hotkeys.active
    app.bus.publish(ring("c2"))
    grabber.deliver("answer")  # a press already on its way when the keys were let go
    qtbot.wait(0)
    assert _done(app) == [("answer", "c1"), ("hangup", "c1")]


def test_hanging_up_a_call_still_ringing_declines_it_as_the_windows_key_does(
    qtbot: QtBot, make_app: Callable[..., App], fake_grabber: type[FakeGrabber], tmp_path: Path
) -> None:
    (tmp_path / "settings.json").write_text('{"global_hotkeys": true}')
    app = make_app()
    app.start()  # held from the start
    _signed_in(app)
    [grabber] = fake_grabber.made
    assert grabber.held == ["answer", "hangup"]
    app.bus.publish(ring("c1"))
    grabber.press("hangup")
    qtbot.waitUntil(lambda: _done(app) == [("hangup", "c1")], timeout=WAIT)
    app.quit()
    assert grabber.held == []  # quitting gives the keys back at once


def test_a_key_another_app_holds_is_named_under_the_setting_and_the_other_still_works(
    qtbot: QtBot, make_app: Callable[..., App], fake_grabber: type[FakeGrabber]
) -> None:
    fake_grabber.taken = {"A"}
    app = make_app()
    app.start()
    _signed_in(app)
    settings = app.settings_view
    assert settings is not None
    app.window.show_page("Settings")
    qtbot.waitExposed(app.window)
    _tick(qtbot, settings.global_hotkeys)
    note = settings.global_hotkeys_note
    assert note.isVisible()
    assert note.text().startswith("Ctrl+Shift+A: already used by another app")
    [grabber] = fake_grabber.made
    assert grabber.held == ["hangup"]
    app.bus.publish(ring("c1"))
    app.bus.publish(state("c1", ev.CallState.CONFIRMED))
    grabber.press("hangup")
    qtbot.waitUntil(lambda: _done(app) == [("hangup", "c1")], timeout=WAIT)
    _tick(qtbot, settings.global_hotkeys)  # unticked: the note goes
    assert not note.isVisible()


# ---- the whole app on a real X server -------------------------------------------------------


def _step(probe: subprocess.Popen[str], selector: selectors.BaseSelector) -> dict[str, Any]:
    assert probe.stdout is not None
    if not selector.select(timeout=60):
        probe.kill()
        pytest.fail("the app under Xvfb did not report in time")
    line = probe.stdout.readline()
    if not line:
        errors = probe.stderr.read() if probe.stderr is not None else ""
        pytest.fail(f"the app under Xvfb ended ({probe.wait()}): {errors}")
    report: dict[str, Any] = json.loads(line)
    return report


def _next(probe: subprocess.Popen[str]) -> None:
    assert probe.stdin is not None
    probe.stdin.write("next\n")
    probe.stdin.flush()


def test_on_x11_the_keys_answer_and_hang_up_while_another_app_has_the_keyboard(
    qtbot: QtBot, tmp_path: Path
) -> None:
    (tmp_path / "settings.json").write_text('{"global_hotkeys": true}')
    with (
        xvfb_env() as env,
        subprocess.Popen(
            [sys.executable, "-m", "tests.ui.global_hotkeys_probe", str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as probe,
        selectors.DefaultSelector() as selector,
    ):
        assert probe.stdout is not None
        selector.register(probe.stdout, selectors.EVENT_READ)
        other = OtherApp(env["DISPLAY"])
        try:
            ringing = _step(probe, selector)
            assert ringing == {"step": "ringing", "platform": "xcb", "held": True}
            other.take_focus()  # the agent is typing in the browser
            assert other.has_focus()
            other.press("ctrl", "shift", "a")
            _next(probe)
            answered = _step(probe, selector)
            assert answered["answered"] and answered["done"] == [["answer", "c1"]]
            other.press("ctrl", "shift", "e")
            _next(probe)
            hung_up = _step(probe, selector)
            assert hung_up["hung_up"] and hung_up["done"][-1] == ["hangup", "c1"]
            other.take_focus()
            _next(probe)
            unticked = _step(probe, selector)
            assert unticked == {"step": "unticked", "checked": False, "held": False}
            # the keys are free again: another client takes Ctrl+Shift+A, and gets the press
            got: list[str] = []
            mine = X11Hotkeys(got.append, env["DISPLAY"])
            try:
                assert mine.grab([ANSWER]) == []
                other.press("ctrl", "shift", "a")
                qtbot.waitUntil(lambda: got == ["answer"], timeout=WAIT)
            finally:
                mine.release()
            _next(probe)
            after = _step(probe, selector)
            assert after["done"] == [["answer", "c1"], ["hangup", "c1"]]  # c2 still rings
            assert probe.wait(timeout=60) == 0, probe.stderr and probe.stderr.read()
        finally:
            other.close()
            if probe.poll() is None:
                probe.kill()
                probe.wait()
