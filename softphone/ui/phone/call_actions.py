"""The window-wide keys of the call actions, and the actions that bind them.

``PhoneView`` owns the actions (the main window lists them in its Call menu); the call page
and the incoming-call window print the keys on their buttons. The shell should not bind these
keys elsewhere. All take Ctrl+Shift so typing in a field never fires one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from softphone.core import events as ev
from softphone.ui.phone.call_book import TrackedCall

SHORTCUTS: Final = {
    "answer": "Ctrl+Shift+A",
    "decline": "Ctrl+Shift+D",
    "hangup": "Ctrl+Shift+E",
    "mute": "Ctrl+Shift+M",
    "hold": "Ctrl+Shift+H",
    "keypad": "Ctrl+Shift+K",
    "transfer": "Ctrl+Shift+T",
    "redial": "Ctrl+Shift+R",
}


def native_key(key: str) -> str:
    """``key`` as this platform writes it (e.g. "⇧⌘A" on macOS)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


class CallActions(QObject):
    """One action per :data:`SHORTCUTS` key, added to ``page`` and running ``slots[name]``."""

    def __init__(self, page: QWidget, slots: Mapping[str, Callable[[], object]]) -> None:
        super().__init__(page)
        names = {
            "answer": self.tr("Answer"),
            "decline": self.tr("Decline"),
            "hangup": self.tr("Hang up"),
            "mute": self.tr("Mute"),
            "hold": self.tr("Hold"),
            "keypad": self.tr("Keypad"),
            "transfer": self.tr("Transfer…"),
            "redial": self.tr("Redial"),
        }
        self._page = page
        self._actions: dict[str, QAction] = {}
        for name, key in SHORTCUTS.items():
            action = QAction(names[name], page)
            action.setShortcut(QKeySequence(key))
            # Window-wide, so the keys also work while Recents or Settings is shown (the main
            # window puts the same actions in its menu bar, which stays visible).
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slots[name])
            page.addAction(action)
            self._actions[name] = action

    def menu_items(self) -> list[QAction]:
        """Answer, decline, hang up, mute, hold, keypad, transfer, redial: each with its key,
        enabled only when it can act; separators between the groups. For the window's Call
        menu."""
        grouped: list[QAction] = []
        for group in (("answer", "decline", "hangup"), ("mute", "hold", "keypad", "transfer")):
            grouped += [self._actions[name] for name in group]
            separator = QAction(self._page)
            separator.setSeparator(True)
            grouped.append(separator)
        return [*grouped, self._actions["redial"]]

    def render(
        self, call: TrackedCall | None, *, ringing: bool, muted: bool, held: bool, redial: bool
    ) -> None:
        """Enable what can act on ``call`` (the one on screen, None when idle); ``ringing``: a
        call waits to be answered; ``muted``/``held``: as shown; ``redial``: a number to
        call again."""
        actions = self._actions
        actions["answer"].setEnabled(ringing)
        actions["decline"].setEnabled(ringing)
        actions["hangup"].setEnabled(call is not None)
        actions["mute"].setEnabled(call is not None and not call.ringing_in)
        # As the call page's buttons: what cannot act yet is greyed out in the menu too.
        connected = call is not None and call.connected_at is not None
        actions["hold"].setEnabled(connected)
        actions["transfer"].setEnabled(connected)
        actions["keypad"].setEnabled(call is not None and call.state is ev.CallState.CONFIRMED)
        actions["redial"].setEnabled(call is None and redial)
        if call is not None:
            actions["mute"].setText(self.tr("Unmute") if muted else self.tr("Mute"))
            actions["hold"].setText(self.tr("Resume") if held else self.tr("Hold"))
