"""The app's system-wide answer and hang-up keys (Settings → Calls, off by default): held while
the setting is on, let go when it is turned off and on quitting. A press runs the same action
as the window's own Ctrl+Shift+A / Ctrl+Shift+E (the phone page's), so it does what they do:
answer answers the call ringing in (a waiting one first), hang up ends the call on screen
(a call still ringing in is declined)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.global_hotkeys import KEYS, QtHotkeys, taken_text, unavailable, unreachable_text

if TYPE_CHECKING:
    from softphone.app.root import App

_log = logging.getLogger(__name__)


class GlobalHotkeys(QObject):
    """GUI thread only. ``actions`` maps a hotkey's name ("answer", "hangup") to what it runs;
    ``report(text)`` shows a problem under the setting ("" clears it)."""

    def __init__(
        self,
        bridge: QtBridge,
        actions: dict[str, Callable[[], object]],
        report: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._actions = actions
        self._report = report
        self._held: QtHotkeys | None = None

    @property
    def active(self) -> bool:
        """Some of the keys are held."""
        return self._held is not None

    def apply(self, settings: AppSettings) -> None:
        """Hold the keys if ``settings`` asks for them and this desktop can; else let go."""
        reason = unavailable()
        if not settings.global_hotkeys or reason is not None:
            self.close()
            self._report(reason or "")
            return
        if self._held is not None:
            return
        try:
            held = QtHotkeys(self._deliver)
        except OSError as err:
            _log.warning("global hotkeys: %s", err)
            self._report(unreachable_text())
            return
        taken = held.grab(KEYS)
        if len(taken) == len(KEYS):
            held.release()
        else:
            self._held = held
        if taken:
            _log.warning("global hotkeys: taken by another app: %s", [k.text() for k in taken])
        self._report(taken_text(taken) if taken else "")

    def close(self) -> None:
        """Let go of every key (quitting, or the setting turned off)."""
        held, self._held = self._held, None
        if held is not None:
            held.release()

    def _deliver(self, name: str) -> None:
        # the grabber's thread (X11) or the GUI thread (Windows): run it on the GUI thread
        self._bridge.post_call(lambda: self._pressed(name), self)

    def _pressed(self, name: str) -> None:
        action = self._actions.get(name)
        if self._held is not None and action is not None:
            action()


def for_app(app: App) -> GlobalHotkeys:
    """The keys of ``app``: the phone page's answer and hang-up, problems shown under the
    setting on the Settings page, applied again whenever that page saves a change."""
    phone, settings = app.phone_view, app.settings_view
    actions: dict[str, Callable[[], object]] = {}
    if phone is not None:
        actions = {"answer": phone.answer_shortcut, "hangup": phone.hangup}
    report = settings.show_global_hotkeys_problem if settings is not None else lambda _t: None
    hotkeys = GlobalHotkeys(app.bridge, actions, report, app)
    if settings is not None:
        settings.settingsChanged.connect(hotkeys.apply)
    return hotkeys
