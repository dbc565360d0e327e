"""The call bar: a small bar on top of other windows during a call.

Agents work in VICIdial's agent screen (a browser) while they talk; the bar keeps who they talk
to, the call's time, Mute and Hang up in sight, as Twinkle's and Zoiper's do. Like the
incoming-call window it is a frameless tool window on top that never takes the keyboard
(``WA_ShowWithoutActivating``, ``WindowDoesNotAcceptFocus``). It only draws the Phone page's
:class:`~softphone.ui.phone.call_tracker.CallTracker` and reports clicks through its signals;
the app turns those into the Phone page's own commands and decides when the bar shows
(``softphone.app.call_bar``).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHideEvent,
    QMouseEvent,
    QMoveEvent,
    QPalette,
    QScreen,
    QShowEvent,
)
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from softphone.ui.look import Space, muted_color, space
from softphone.ui.phone.call_book import CallBook, TrackedCall
from softphone.ui.phone.call_tracker import CallTracker
from softphone.ui.phone.phone_numbers import format_duration
from softphone.ui.phone.style import ACCENT_STYLE

_FRAME_STYLE = "QFrame#callBar { background: palette(window); border: 1px solid palette(mid); }"


def bar_call(book: CallBook) -> TrackedCall | None:
    """The call the bar is for: the Phone page's, once it is up (connected, or held since)."""
    call = book.current
    return call if call is not None and call.connected_at is not None else None


class CallBar(QFrame):
    """The bar. Emits on the GUI thread: ``muteRequested``, ``hangupRequested`` and
    ``openRequested`` (show the call in the main window). The agent can drag it; where it was
    left is where :meth:`place` puts it again for the rest of the session."""

    muteRequested = Signal()
    hangupRequested = Signal()
    openRequested = Signal()

    def __init__(self, calls: CallTracker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)  # also while in Chrome
        self.setObjectName("callBar")
        self.setAccessibleName(self.tr("Call bar"))
        self.setWindowTitle(self.tr("Call"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._calls = calls
        self._left_at: QPoint | None = None  # where the agent dragged it to, this session
        self._dragging = False  # the agent pressed on the bar: moves now are theirs
        self._grab: QPoint | None = None  # a drag we move ourselves: the press, from the corner
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self.refresh)
        self._build()
        self.setStyleSheet(ACCENT_STYLE + _FRAME_STYLE)

    def _build(self) -> None:
        em = self.fontMetrics().height()
        row = QHBoxLayout(self)
        row.setContentsMargins(
            space(self, Space.MEDIUM),
            space(self, Space.SMALL),
            space(self, Space.SMALL),
            space(self, Space.SMALL),
        )
        row.setSpacing(space(self, Space.SMALL))
        info = QVBoxLayout()
        info.setSpacing(0)
        self.name_label = QLabel()
        self.name_label.setAccessibleName(self.tr("Caller"))
        bold = QFont(self.font())
        bold.setBold(True)
        self.name_label.setFont(bold)
        self._name_width = em * 11
        self.name_label.setFixedWidth(self._name_width)
        info.addWidget(self.name_label)
        line = QHBoxLayout()
        line.setSpacing(space(self, Space.SMALL))
        self.timer_label = QLabel()
        self.timer_label.setAccessibleName(self.tr("Call duration"))
        timer_font = QFont(self.font())
        timer_font.setStyleHint(QFont.StyleHint.Monospace)
        timer_font.setFeature(QFont.Tag("tnum"), 1)
        self.timer_label.setFont(timer_font)
        self.state_label = QLabel()
        self.state_label.setAccessibleName(self.tr("Call state"))
        line.addWidget(self.timer_label)
        line.addWidget(self.state_label, 1)
        info.addLayout(line)
        row.addLayout(info, 1)

        height = int(em * 2)
        self.mute_button = self._button(self.tr("Mute"), "muteButton", height)
        self.mute_button.setCheckable(True)
        # Checked, it is drawn bold (style.py): wide enough for either word, so nothing clips
        # and the bar keeps its width.
        words = (self.tr("Mute"), self.tr("Unmute"))
        metrics = QFontMetrics(bold)
        self.mute_button.setMinimumWidth(max(map(metrics.horizontalAdvance, words)) + em * 2)
        self.mute_button.clicked.connect(self._mute_clicked)
        self.hangup_button = self._button(self.tr("Hang up"), "hangupButton", height)
        self.hangup_button.clicked.connect(self.hangupRequested.emit)
        self.open_button = self._button(self.tr("Open"), "openCallButton", height)
        self.open_button.setToolTip(self.tr("Show the call in the phone window"))
        self.open_button.clicked.connect(self.openRequested.emit)
        for button in (self.mute_button, self.hangup_button, self.open_button):
            row.addWidget(button)

    def _button(self, text: str, name: str, height: int) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(text)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays where the agent types
        button.setMinimumHeight(height)
        return button

    # -- drawing ----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Draw the Phone page's call as it is now (nothing changes when there is none)."""
        call = bar_call(self._calls.book)
        if call is None or call.connected_at is None:
            return
        who = call.display or call.number or self.tr("Unknown caller")
        metrics = self.name_label.fontMetrics()
        self.name_label.setText(
            metrics.elidedText(who, Qt.TextElideMode.ElideRight, self._name_width)
        )
        self.name_label.setToolTip(who)
        # The same clock and slack as the call page's timer, so both show the same second.
        self.timer_label.setText(format_duration(time.time() - call.connected_at + 0.05))
        muted = self._calls.pending_mute.get(call.call_id, call.muted)
        held = self._calls.pending_hold.get(call.call_id, call.held_here)
        words = [self.tr("On hold")] if held else []
        if muted:
            words.append(self.tr("Muted"))
        self.state_label.setText(" · ".join(words))
        self.mute_button.setChecked(muted)
        self.mute_button.setText(self.tr("Unmute") if muted else self.tr("Mute"))
        self.mute_button.setAccessibleName(self.mute_button.text())
        palette = self.state_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, muted_color(self.palette()))
        self.state_label.setPalette(palette)

    def _mute_clicked(self) -> None:
        self.muteRequested.emit()
        self.refresh()  # the check shows what was asked for, not the click's own toggle

    # -- where it shows ---------------------------------------------------------------------

    def place(self, screen: QScreen | None) -> None:
        """Move to where the agent left it this session, else to the bottom-right corner of
        ``screen`` (the main window's); either way inside a screen's available area."""
        self.adjustSize()
        size = self.size()
        left_at = self._left_at
        if left_at is not None:
            middle = QPoint(size.width() // 2, size.height() // 2)
            screen = QGuiApplication.screenAt(left_at + middle)
        screen = screen or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        if left_at is None:
            margin = self.fontMetrics().height()
            left_at = QPoint(
                area.right() - size.width() - margin, area.bottom() - size.height() - margin
            )
        self.move(_inside(left_at, size.width(), size.height(), area))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() is not Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self._dragging = True
        event.accept()
        handle = self.windowHandle()
        # The window system moves it where it can (Wayland lets nothing else move a window).
        if handle is None or not handle.startSystemMove():
            self._grab = event.globalPosition().toPoint() - self.pos()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.move(event.globalPosition().toPoint() - self._grab)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._grab = None
        super().mouseReleaseEvent(event)

    def moveEvent(self, event: QMoveEvent) -> None:
        super().moveEvent(event)
        if self._dragging:
            self._left_at = self.pos()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self._tick.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._tick.stop()
        self._dragging = False
        self._grab = None


def _inside(corner: QPoint, width: int, height: int, area: QRect) -> QPoint:
    x = max(area.left(), min(corner.x(), area.right() + 1 - width))
    y = max(area.top(), min(corner.y(), area.bottom() + 1 - height))
    return QPoint(x, y)
