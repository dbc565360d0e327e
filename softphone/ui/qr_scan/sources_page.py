"""The scan dialog's first page: where to scan from (camera, image file, screen, clipboard), the
scan's status line and Cancel. It lays the page out; the dialog connects its buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from softphone.ui.qr_scan.camera_tab import CameraTab


class ScanSourcesPage(QWidget):
    """The four source tabs (the Camera tab is ``camera``, index 0), ``status`` and Cancel."""

    def __init__(self, camera: CameraTab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera = camera
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Where to scan from"))
        self.tabs.addTab(camera, self.tr("&Camera"))
        self.tabs.addTab(self._build_file_tab(), self.tr("&Image file"))
        self.tabs.addTab(self._build_screen_tab(), self.tr("&Screen"))
        self.tabs.addTab(self._build_clipboard_tab(), self.tr("C&lipboard"))
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Scan status"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 3)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setAccessibleName(self.tr("Cancel"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def _build_file_tab(self) -> QWidget:
        tab = QWidget()
        text = QLabel(
            self.tr("Open a picture or screenshot of the code (PNG, JPEG, BMP, WebP…)."), tab
        )
        text.setWordWrap(True)
        self.file_button = QPushButton(self.tr("Choose an &image…"), tab)
        self.file_button.setAccessibleName(self.tr("Choose an image file"))
        return self._simple_tab(tab, text, [self.file_button])

    def _build_screen_tab(self) -> QWidget:
        tab = QWidget()
        text = QLabel(
            self.tr(
                "For a code on this screen, e.g. one your supervisor sent in a chat: show it, "
                "then select it. This window hides while the screen is captured; the capture "
                "is not saved."
            ),
            tab,
        )
        text.setWordWrap(True)
        self.region_button = QPushButton(self.tr("Select a &region…"), tab)
        self.region_button.setAccessibleName(self.tr("Select a screen region"))
        self.whole_button = QPushButton(self.tr("&Whole screen"), tab)
        self.whole_button.setAccessibleName(self.tr("Scan the whole screen"))
        return self._simple_tab(tab, text, [self.region_button, self.whole_button])

    def _build_clipboard_tab(self) -> QWidget:
        tab = QWidget()
        text = QLabel(
            self.tr(
                "Copy the code's picture, or its vicifast:// link, then read the clipboard "
                "(or press Ctrl+V anywhere in this window)."
            ),
            tab,
        )
        text.setWordWrap(True)
        self.clipboard_button = QPushButton(self.tr("&Read the clipboard"), tab)
        self.clipboard_button.setAccessibleName(self.tr("Read the clipboard"))
        return self._simple_tab(tab, text, [self.clipboard_button])

    @staticmethod
    def _simple_tab(tab: QWidget, text: QLabel, buttons: list[QPushButton]) -> QWidget:
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addStretch(1)
        return tab
