"""The numbers the number field suggests: the recent calls' numbers, taken from the Recents
history model (newest first, one per number), matched against what is typed.

``RecentNumbers`` lives on the GUI thread and reads only what the model has loaded; it follows
the model's changes (a new call, a deletion, the history wiped at sign-out). While Recents shows
a search its rows are that search's, so the last full list is kept meanwhile; its other filters
(missed calls only, say) do narrow the suggestions.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QObject

from softphone.ui.phone.phone_numbers import clean_dial_text, dialable
from softphone.ui.recents.model import HistoryModel

MAX_SUGGESTIONS: Final = 8


class RecentNumbers(QObject):
    def __init__(self, history: HistoryModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._entries: list[tuple[str, str]] = []  # (name, number), newest first
        for signal in (
            history.modelReset,
            history.rowsInserted,
            history.rowsRemoved,
            history.dataChanged,
        ):
            signal.connect(self._reload)
        self._reload()

    def _reload(self) -> None:
        history = self._history
        if history.search_text:
            return
        seen: set[str] = set()
        entries: list[tuple[str, str]] = []
        # Newest first whatever column Recents is sorted by (an entry's id is its start time).
        rows = sorted(
            (history.entry(row) for row in range(history.rowCount())),
            key=lambda entry: entry.id,
            reverse=True,
        )
        for entry in rows:
            number = dialable(entry.remote_number)  # "+1 555 0100" is offered as dialled
            if number and number not in seen:
                seen.add(number)
                entries.append((entry.remote_name.strip(), number))
        self._entries = entries

    def matching(self, typed: str) -> list[tuple[str, str]]:
        """(name, number) of the recent calls whose number or name holds ``typed``, newest
        first, at most :data:`MAX_SUGGESTIONS`; none for an empty field or the number itself."""
        wanted = clean_dial_text(typed).lower()
        if not wanted:
            return []
        found: list[tuple[str, str]] = []
        for name, number in self._entries:
            if number.lower() == wanted:
                continue
            # The field drops spaces, so "alicesm" is how "Alice Smith" is typed.
            squeezed = "".join(name.split()).lower()
            if wanted in number.lower() or wanted in squeezed:
                found.append((name, number))
                if len(found) == MAX_SUGGESTIONS:
                    break
        return found
