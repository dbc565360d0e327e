"""Recents: the encrypted call history with search as you type, filters that combine (a
direction and a result), the totals of what they show, a sortable table, the selected call's
details, call back and delete.

Export… saves the calls shown (search and filters applied) as a CSV file only its owner can read.

Keyboard: Ctrl+F focuses the search (Esc there clears it), Alt+A/I/O/N/M/E/F toggle a filter,
Enter or a double-click on a row shows its details (opening the pane if it was closed),
Ctrl+Enter or Alt+C calls back, Del deletes the selected row, Ctrl+Shift+Del asks to clear
everything. The view emits ``missedCountChanged`` (GUI thread) for the tab's and the tray's
badge, and marks missed calls as seen when it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from itertools import pairwise
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from softphone.storage.history import CallEntry, Outcome
from softphone.ui.bridge import QtBridge
from softphone.ui.phone.phone_numbers import format_duration
from softphone.ui.recents.details import CallDetails
from softphone.ui.recents.filters import FILTERS, CallFilters
from softphone.ui.recents.model import ENTRY_ROLE, HistoryModel
from softphone.ui.recents.table import (
    COL_NAME,
    COL_RESULT,
    COL_WHEN,
    VISUAL_ORDER,
    PaddedDelegate,
    PaddedHeader,
    RecentsProxy,
)

__all__ = ["FILTERS", "RecentsView"]


class RecentsView(QWidget):
    """The Recents page over a ``HistoryModel``; ``on_call_back`` is given the number to dial.
    What the history's thread reports (an export done, a deletion failed) reaches the status
    line through ``bridge``.

    Signals are emitted on the GUI thread."""

    missedCountChanged = Signal(int)

    def __init__(
        self,
        model: HistoryModel,
        bridge: QtBridge,
        on_call_back: Callable[[str], None],
        parent: QWidget | None = None,
        *,
        clear_all: Callable[[], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recentsView")
        self.setAccessibleName(self.tr("Recent calls"))
        self._model = model
        self._bridge = bridge
        self._on_call_back = on_call_back
        self._clear_all = clear_all or model.clear_all
        self._proxy = RecentsProxy(self)
        self._proxy.setSourceModel(model)
        self.clear_dialog: QMessageBox | None = None

        # -- search and filters
        self.search = QLineEdit(self)
        self.search.setObjectName("recentsSearch")
        self.search.setPlaceholderText(self.tr("Search names and numbers (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search recent calls"))
        self.search.textChanged.connect(self._on_search)
        for button in self.search.findChildren(QToolButton):  # the clear button
            button.setAccessibleName(self.tr("Clear the search"))
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self.search.clear).setContext(
            Qt.ShortcutContext.WidgetShortcut
        )
        self.filter_bar = CallFilters(self)
        self.filters = self.filter_bar.group  # by id: filters.ALL, MISSED, INCOMING, …
        self.filter_bar.changed.connect(self._on_filter)
        self.totals = QLabel(self)
        self.totals.setObjectName("recentsTotals")
        self.totals.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        chips = QHBoxLayout()
        chips.addWidget(self.filter_bar)
        chips.addStretch(1)
        chips.addWidget(self.totals)

        # -- the table and its empty state
        self.table = QTableView(self)
        self.table.setObjectName("recentsTable")
        self.table.setAccessibleName(self.tr("Call list"))
        self.table.setModel(self._proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setCornerButtonEnabled(False)
        self.table.setItemDelegate(PaddedDelegate(self.table))
        header = PaddedHeader(Qt.Orientation.Horizontal, self.table)
        self.table.setHorizontalHeader(header)
        header.setSectionsClickable(True)  # as the table's own header was
        header.setHighlightSections(False)
        for visual, logical in enumerate(VISUAL_ORDER):
            header.moveSection(header.visualIndex(logical), visual)
        for column in range(6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # name and result share what is left: a narrow window elides both, not only the name
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_RESULT, QHeaderView.ResizeMode.Stretch)
        # a header click sorts (the arrow shows by what); newest first to begin with
        header.setSortIndicator(COL_WHEN, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.doubleClicked.connect(lambda _index: self.show_details())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            QShortcut(QKeySequence(key), self.table, self.show_details).setContext(
                Qt.ShortcutContext.WidgetShortcut
            )
            QShortcut(QKeySequence(Qt.Modifier.CTRL | key), self.table, self.call_back).setContext(
                Qt.ShortcutContext.WidgetShortcut
            )
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.delete_selected).setContext(
            Qt.ShortcutContext.WidgetShortcut
        )
        self.empty = QLabel(self)
        self.empty.setObjectName("recentsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)  # the palette's disabled text: quiet on light and dark
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.details = CallDetails(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("recentsSplitter")
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.details)
        self.splitter.setCollapsible(0, False)  # the pane folds away (drag it down), the list not
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)

        # -- actions
        self.call_back_button = QPushButton(self.tr("&Call back"), self)
        self.call_back_button.setAccessibleName(self.tr("Call back the selected number"))
        self.call_back_button.setToolTip(self.tr("Call back the selected number (Ctrl+Enter)"))
        self.call_back_button.clicked.connect(self.call_back)
        self.delete_button = QPushButton(self.tr("&Delete"), self)
        self.delete_button.setAccessibleName(self.tr("Delete the selected call"))
        self.delete_button.setToolTip(self.tr("Delete the selected call (Del)"))
        self.delete_button.clicked.connect(self.delete_selected)
        self.clear_button = QPushButton(self.tr("C&lear all…"), self)
        self.clear_button.setAccessibleName(self.tr("Clear all recent calls"))
        self.clear_button.setToolTip(self.tr("Delete every call in Recents (Ctrl+Shift+Del)"))
        self.clear_button.clicked.connect(self.ask_clear_all)
        self.export_button = QPushButton(self.tr("E&xport…"), self)
        self.export_button.setObjectName("exportRecents")
        self.export_button.setAccessibleName(self.tr("Export the calls shown as CSV"))
        self.export_button.setToolTip(
            self.tr("Save the calls shown (with the search and filter) as a CSV file")
        )
        self.export_button.clicked.connect(self.choose_export_file)
        self.export_dialog: QFileDialog | None = None
        clear_keys = QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_Delete)
        QShortcut(clear_keys, self, self.ask_clear_all).setContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        # The app's window binds Ctrl+F itself (from any tab) and turns this one off.
        self.find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        self.find_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.status = QLabel(self)
        self.status.setObjectName("recentsStatus")
        self.status.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.status, 1)
        actions.addWidget(self.call_back_button)
        actions.addWidget(self.delete_button)
        actions.addWidget(self.export_button)
        actions.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addLayout(chips)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(actions)
        chip_order = self.filter_bar.chips()
        self.setTabOrder(self.search, chip_order[0])
        for a, b in pairwise(chip_order):
            self.setTabOrder(a, b)
        self.setTabOrder(chip_order[-1], self.table)
        self.setTabOrder(self.table, self.details.number)
        self.setTabOrder(self.details.number, self.call_back_button)
        self.setTabOrder(self.call_back_button, self.delete_button)
        self.setTabOrder(self.delete_button, self.export_button)
        self.setTabOrder(self.export_button, self.clear_button)

        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update_state)
        self.table.selectionModel().selectionChanged.connect(self._update_state)
        model.missedCountChanged.connect(self._on_missed)
        model.totalsChanged.connect(self._show_totals)
        model.failed.connect(self._show_error)
        self._update_state()
        self._show_totals()

    # -- actions ----------------------------------------------------------------------------

    @property
    def missed_count(self) -> int:
        return self._model.missed_count

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def selected_entry(self) -> CallEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            current = self.table.currentIndex()
            if not current.isValid():
                return None
            rows = [current]
        entry = rows[0].data(ENTRY_ROLE)
        return entry if isinstance(entry, CallEntry) else None

    @Slot()
    def show_details(self) -> None:
        """The selected call's details, in the pane (opened again if it was folded away)."""
        self.details.show_entry(self.selected_entry())
        sizes = self.splitter.sizes()
        if len(sizes) == 2 and sizes[1] == 0:
            wanted = self.details.sizeHint().height()
            self.splitter.setSizes([max(sizes[0] - wanted, 0), wanted])

    def show_missed_calls(self) -> None:
        """Missed calls only, whatever the direction (for the missed-call badge)."""
        self.filter_bar.show_only(outcome=Outcome.MISSED)

    @Slot()
    def call_back(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.remote_number:
            self._on_call_back(entry.remote_number)

    @Slot()
    def delete_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        row = self.table.currentIndex().row()
        if 0 <= row < self._model.rowCount() and self._model.entry(row).id == entry.id:
            self._watch(self._model.delete_row(row), self.tr("The call could not be deleted"))

    @Slot()
    def ask_clear_all(self) -> None:
        """Ask first (Cancel is the default button); only "Clear all" deletes."""
        box = QMessageBox(self)
        box.setObjectName("clearAllDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Clear all recent calls?"))
        box.setText(self.tr("Delete every call in Recents?"))
        box.setInformativeText(
            self.tr("The history on this computer is erased. This cannot be undone.")
        )
        clear = box.addButton(self.tr("Clear all"), QMessageBox.ButtonRole.DestructiveRole)
        clear.setObjectName("confirmClearAll")
        clear.setAccessibleName(self.tr("Clear all recent calls"))
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Keep the recent calls"))
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)

        def done() -> None:
            if box.clickedButton() is clear:
                self._watch(self._clear_all(), self.tr("Recents could not be cleared"))
            self.clear_dialog = None
            box.deleteLater()

        box.finished.connect(done)
        self.clear_dialog = box
        box.open()

    @Slot()
    def choose_export_file(self) -> None:
        """Ask where to save (``export_dialog`` while open), then :meth:`export_csv` there."""
        dialog = QFileDialog(self, self.tr("Export recent calls"))
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("CSV files (*.csv)"))
        dialog.setDefaultSuffix("csv")
        dialog.selectFile("vicifast-calls.csv")
        dialog.fileSelected.connect(lambda name: self.export_csv(Path(name)))
        dialog.finished.connect(lambda _r: self._export_closed(dialog))
        self.export_dialog = dialog
        dialog.open()

    def _export_closed(self, dialog: QFileDialog) -> None:
        self.export_dialog = None
        dialog.deleteLater()

    def export_csv(self, path: Path) -> Future[int]:
        """Write the calls the view shows to ``path`` (0600) on the history's thread; the status
        line says how many, or why not."""
        self.status.setText(self.tr("Exporting…"))
        done_text = self.tr("%1 call(s) exported to %2.").replace("%2", str(path))
        failed_text = self.tr("The calls could not be exported: %1")

        def done(future: Future[int]) -> None:  # the history thread
            error = future.exception()
            if error is None:
                self._post_status(done_text.replace("%1", str(future.result())))
            else:
                reason = error.strerror if isinstance(error, OSError) else None
                self._post_status(failed_text.replace("%1", str(reason or error)))

        result = self._model.export_csv(path)
        result.add_done_callback(done)
        return result

    # -- plumbing -----------------------------------------------------------------------------

    def _watch(self, result: object, what: str) -> None:
        if not isinstance(result, Future):
            return

        def done(future: Future[Any]) -> None:  # the history thread
            error = future.exception()
            if error is not None:
                self._post_status(f"{what}: {error}")

        result.add_done_callback(done)

    def _post_status(self, message: str) -> None:
        """From any thread: ``message`` goes on the status line, on the GUI thread."""
        self._bridge.post_call(lambda: self._show_error(message), owner=self)

    @Slot(str)
    def _show_error(self, message: str) -> None:
        self.status.setText(message)

    @Slot(str)
    def _on_search(self, text: str) -> None:
        self._model.set_search(text.strip())

    @Slot()
    def _on_filter(self) -> None:
        self._model.set_filter(outcome=self.filter_bar.outcome, direction=self.filter_bar.direction)

    @Slot()
    def _show_totals(self) -> None:
        totals = self._model.totals
        if totals is None:
            self.totals.clear()
            return
        calls, talk = totals
        count = self.tr("1 call") if calls == 1 else self.tr("%n calls", "", calls)
        time = self.tr("talk time %1").replace("%1", format_duration(talk))
        self.totals.setText(self.tr("%1 · %2").replace("%1", count).replace("%2", time))
        self.totals.setAccessibleName(self.tr("Calls shown and their talk time"))

    @Slot(int)
    def _on_missed(self, count: int) -> None:
        self.missedCountChanged.emit(count)
        if count and self.isVisible() and self.window().isActiveWindow():
            self._model.mark_viewed()

    @Slot()
    def _update_state(self) -> None:
        rows = self._model.rowCount()
        filtered = bool(self.search.text().strip()) or self.filter_bar.active
        self.empty.setText(self.tr("No calls match.") if filtered else self.tr("No calls yet."))
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        if rows and not self.table.currentIndex().isValid():
            # a row is always current, so Enter and Del work straight after Tab or a deletion
            self.table.setCurrentIndex(self._proxy.index(0, COL_NAME))
        entry = self.selected_entry() if rows else None
        self.details.setVisible(rows > 0)
        self.details.show_entry(entry)
        self.call_back_button.setEnabled(entry is not None and bool(entry.remote_number))
        self.delete_button.setEnabled(entry is not None)
        self.clear_button.setEnabled(rows > 0 or filtered)
        self.export_button.setEnabled(rows > 0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._model.missed_count:
            self._model.mark_viewed()
