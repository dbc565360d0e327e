"""Picking a region of the screen: grab the screen once, freeze it in a full-screen overlay and
let the user drag a rectangle around a QR code (e.g. one a supervisor sent in a chat).

The screenshot lives only in memory, only until the user has chosen (or cancelled); nothing is
saved. Runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QScreen,
)
from PySide6.QtWidgets import QWidget

ScreenGrabber = Callable[[], QImage]
MIN_SIDE = 12  # logical pixels; a smaller drag is taken as a stray click


def grab_screen() -> QImage:
    """The primary screen as it is now (a null image where the platform forbids it: Wayland)."""
    screen: QScreen | None = QGuiApplication.primaryScreen()
    if screen is None:  # no display at all
        return QImage()
    return screen.grabWindow(0).toImage()


class RegionSelector(QWidget):
    """A frozen screenshot over the whole screen; drag a rectangle, Enter for all, Esc cancels.

    Emits ``regionSelected(QImage)`` (the chosen part at the screenshot's full resolution) or
    ``cancelled()``, on the GUI thread, then closes itself.
    """

    regionSelected = Signal(QImage)
    cancelled = Signal()

    def __init__(self, shot: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self._shot = shot
        self._origin: QPoint | None = None
        self._selection = QRect()
        self._done = False
        self.setWindowTitle(self.tr("Select the QR code"))
        self.setAccessibleName(self.tr("Screen region selector"))
        self.setAccessibleDescription(
            self.tr("Drag a rectangle around the QR code. Enter uses the whole screen.")
        )
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def show_over(self, screen_geometry: QRect | None = None) -> None:
        screen: QScreen | None = QGuiApplication.primaryScreen()
        geometry = screen_geometry or (screen.geometry() if screen else QRect(0, 0, 800, 600))
        self.setGeometry(geometry)
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()

    def to_image_rect(self, rect: QRect) -> QRect:
        """A rectangle in widget (logical) coordinates, in the screenshot's pixels."""
        if self.width() <= 0 or self.height() <= 0:
            return QRect()
        sx = self._shot.width() / self.width()
        sy = self._shot.height() / self.height()
        mapped = QRectF(rect.x() * sx, rect.y() * sy, rect.width() * sx, rect.height() * sy)
        return mapped.toAlignedRect().intersected(self._shot.rect())

    # ---- events --------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawImage(self.rect(), self._shot)
        shade = QColor(0, 0, 0, 110)
        if self._selection.isNull():
            painter.fillRect(self.rect(), shade)
        else:
            outside = self.rect()
            sel = self._selection
            painter.fillRect(QRect(0, 0, outside.width(), sel.top()), shade)
            painter.fillRect(
                QRect(0, sel.bottom() + 1, outside.width(), outside.height() - sel.bottom() - 1),
                shade,
            )
            painter.fillRect(QRect(0, sel.top(), sel.left(), sel.height()), shade)
            painter.fillRect(
                QRect(sel.right() + 1, sel.top(), outside.width() - sel.right() - 1, sel.height()),
                shade,
            )
            pen = QPen(self.palette().highlight().color(), 2)
            painter.setPen(pen)
            painter.drawRect(sel.adjusted(0, 0, -1, -1))
        hint = self.tr("Drag around the QR code · Enter: the whole screen · Esc: cancel")
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(hint).adjusted(-14, -8, 14, 8)
        box.moveTopLeft(QPoint((self.width() - box.width()) // 2, 24))
        painter.fillRect(box, QColor(0, 0, 0, 200))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, hint)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._origin = event.position().toPoint()
            self._selection = QRect(self._origin, self._origin)
            self.update()
        elif event.button() == Qt.MouseButton.RightButton:
            self._cancel()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._origin is not None:
            self._selection = QRect(self._origin, event.position().toPoint()).normalized()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._origin is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._selection = QRect(self._origin, event.position().toPoint()).normalized()
        self._origin = None
        if self._selection.width() < MIN_SIDE or self._selection.height() < MIN_SIDE:
            self._selection = QRect()
            self.update()
            return
        self._choose(self.to_image_rect(self._selection))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._choose(self._shot.rect())
        else:
            super().keyPressEvent(event)

    def _choose(self, rect: QRect) -> None:
        if self._done:
            return
        self._done = True
        region = self._shot.copy(rect)
        self._shot = QImage()
        self.close()
        self.regionSelected.emit(region)

    def _cancel(self) -> None:
        if self._done:
            return
        self._done = True
        self._shot = QImage()
        self.close()
        self.cancelled.emit()
