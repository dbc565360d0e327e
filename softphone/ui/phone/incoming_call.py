"""The incoming-call window: comes forward on top without taking the keyboard.

Agents type into VICIdial's web page or a CRM when a call arrives; the window must not take
those keystrokes. It is shown without activation (``WA_ShowWithoutActivating``, never
``activateWindow``), stays on top, and closes itself once the call is answered, rejected or
over. The tray notification (``notify``) gets the caller ID and nothing else: the privacy
policy promises incoming-call notifications carry only the caller ID / extension. Answering or
declining here, or the window closing, withdraws that notification (``withdraw``) at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QPoint, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.phone import PhoneCommands
from softphone.ui.bridge import QtBridge
from softphone.ui.command_runner import CommandRunner
from softphone.ui.look import Space, Text, message_color, muted_color, set_text, space
from softphone.ui.phone.call_actions import SHORTCUTS, native_key
from softphone.ui.phone.dialpad import TwoLineButton
from softphone.ui.phone.phone_numbers import caller_id
from softphone.ui.phone.style import ACCENT_STYLE

Notify = Callable[[str, str], None]
_CLOSING_STATES = frozenset(
    {ev.CallState.CONNECTING, ev.CallState.CONFIRMED, ev.CallState.DISCONNECTED}
)


class IncomingCallWindow(QFrame):
    """One ringing call. ``answer`` defaults to ``phone.answer``; the shell passes
    ``PhoneView.answer_call`` so that answering a waiting call holds the one in progress.
    ``withdraw`` takes down what ``notify`` sent (same title and text). ``bridge`` brings a
    command's outcome back from the engine's thread."""

    def __init__(
        self,
        phone: PhoneCommands,
        bus: EventBus,
        bridge: QtBridge,
        call: ev.IncomingCall,
        *,
        notify: Notify | None = None,
        withdraw: Notify | None = None,
        answer: Callable[[str], Future[None] | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.FramelessWindowHint
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("incomingCallWindow")
        self.call = call
        self._phone = phone
        self._notify = notify
        self._withdraw = withdraw
        self._notified: tuple[str, str] | None = None  # the notification sent, until withdrawn
        self._answer = answer or phone.answer
        self._runner = CommandRunner(bridge, self)
        self._runner.failed.connect(self._on_failed)
        self.caller_text = caller_id(call.remote_display, call.remote_number) or self.tr(
            "Unknown caller"
        )
        self.setWindowTitle(self.tr("Incoming call"))
        self.setAccessibleName(self.tr("Incoming call from {0}").format(self.caller_text))
        self._build()
        self._countdown = QTimer(self)
        self._countdown.setInterval(250)
        self._countdown.timeout.connect(self._render_countdown)
        self._unsubscribe = unsubscribe = bus.subscribe(ev.CallStateChanged, self._on_call_state)
        self.destroyed.connect(lambda *_: unsubscribe())  # also when dropped without closing
        self.setStyleSheet(ACCENT_STYLE)

    def _build(self) -> None:
        em = self.fontMetrics().height()
        root = QVBoxLayout(self)
        root.setContentsMargins(
            space(self, Space.LARGE),
            space(self, Space.LARGE),
            space(self, Space.LARGE),
            space(self, Space.LARGE),
        )
        root.setSpacing(space(self, Space.SMALL))
        if self.call.direct_from:
            # Not through the company's server: the agent should know before answering.
            kind = self.tr("Direct call from {0}").format(self.call.direct_from)
        else:
            kind = self.tr("Call waiting") if self.call.waiting else self.tr("Incoming call")
        heading = QLabel(kind)
        heading.setAccessibleName(self.tr("Incoming call"))
        root.addWidget(heading)
        name = self.call.remote_display or self.call.remote_number or self.tr("Unknown caller")
        self.name_label = QLabel(name)
        self.name_label.setAccessibleName(self.tr("Caller name"))
        set_text(self.name_label, Text.TITLE, bold=True)
        self.name_label.setWordWrap(True)
        root.addWidget(self.name_label)
        number = self.call.remote_number if self.call.remote_display else ""
        self.number_label = QLabel(number)
        self.number_label.setAccessibleName(self.tr("Caller number"))
        self.number_label.setVisible(bool(number))
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.number_label)
        self.countdown_label = QLabel()
        self.countdown_label.setAccessibleName(self.tr("Auto-answer countdown"))
        self.countdown_label.hide()
        root.addWidget(self.countdown_label)
        self.message_label = QLabel()
        self.message_label.setAccessibleName(self.tr("Message"))
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        root.addWidget(self.message_label)
        for label in (heading, self.number_label, self.countdown_label):
            palette = label.palette()
            palette.setColor(QPalette.ColorRole.WindowText, muted_color(self.palette()))
            label.setPalette(palette)

        row = QHBoxLayout()
        row.setSpacing(space(self, Space.SMALL))
        answer_text = self.tr("Answer & hold") if self.call.waiting else self.tr("Answer")
        self.answer_button = TwoLineButton(answer_text, native_key(SHORTCUTS["answer"]))
        self.answer_button.setObjectName("answerButton")
        self.answer_button.setAccessibleName(answer_text)
        self.answer_button.setToolTip(f"{answer_text} ({native_key(SHORTCUTS['answer'])})")
        self.answer_button.clicked.connect(self.answer)
        decline_text = self.tr("Decline")
        self.decline_button = TwoLineButton(decline_text, native_key(SHORTCUTS["decline"]))
        self.decline_button.setObjectName("declineButton")
        self.decline_button.setAccessibleName(decline_text)
        self.decline_button.setToolTip(f"{decline_text} ({native_key(SHORTCUTS['decline'])})")
        self.decline_button.clicked.connect(self.decline)
        # Decline left, Answer right: as on the call page and on most phones
        for button in (self.decline_button, self.answer_button):
            button.setMinimumHeight(int(em * 2.3))
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            row.addWidget(button)
        root.addLayout(row)
        # Reachable once the agent brings the window forward (click, Alt+Tab); the main
        # window's Call menu binds the same keys there, so only one of them is ever active.
        for key, slot in ((SHORTCUTS["answer"], self.answer), (SHORTCUTS["decline"], self.decline)):
            QShortcut(QKeySequence(key), self).activated.connect(slot)
        self.setMinimumWidth(em * 20)

    # -- showing ----------------------------------------------------------------------------

    def present(self) -> None:
        """Show on top without taking focus, start the countdown, send the tray notification.

        A call the engine answers at once (auto-answer with no delay) gets neither window nor
        notification: it is already being answered, and the phone page shows it.
        """
        if self.call.auto_answer_in_s is not None and self.call.auto_answer_in_s <= 0:
            self.close()
            return
        if self.call.auto_answer_in_s is not None:
            self._render_countdown()
            self._countdown.start()
        self.adjustSize()
        self.move(self._corner())
        self.show()  # no activateWindow()/raise_(): the keyboard stays where the agent is typing
        if self._notify is not None:
            self._notified = (self.tr("Incoming call"), self.caller_text)
            self._notify(*self._notified)

    def _corner(self) -> QPoint:
        screen = self.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        margin = self.fontMetrics().height()
        size = self.sizeHint().expandedTo(self.minimumSize())
        return QPoint(area.right() - size.width() - margin, area.bottom() - size.height() - margin)

    # -- actions ----------------------------------------------------------------------------

    @Slot()
    def answer(self) -> None:
        self._withdraw_notification()
        self._busy(self.tr("Answering…"))
        call_id = self.call.call_id
        self._runner.run(self.tr("Could not answer"), self._answer_future(call_id))

    @Slot()
    def decline(self) -> None:
        self._withdraw_notification()
        self._busy(self.tr("Declining…"))
        call_id = self.call.call_id
        self._runner.run(self.tr("Could not decline"), lambda: self._phone.reject(call_id, 603))

    def _answer_future(self, call_id: str) -> Callable[[], Future[None]]:
        def command() -> Future[None]:
            future = self._answer(call_id)
            if future is None:  # the answerer refused at once and has said why in its place
                done: Future[None] = Future()
                done.set_result(None)
                return done
            return future

        return command

    def _withdraw_notification(self) -> None:
        notified, self._notified = self._notified, None
        if notified is not None and self._withdraw is not None:
            self._withdraw(*notified)

    def _busy(self, text: str) -> None:
        self.answer_button.setEnabled(False)
        self.decline_button.setEnabled(False)
        self._countdown.stop()
        self.countdown_label.setText(text)
        self.countdown_label.show()

    def _on_failed(self, message: str) -> None:
        self.answer_button.setEnabled(True)
        self.decline_button.setEnabled(True)
        self.countdown_label.hide()
        palette = self.message_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, message_color(True, self.palette()))
        self.message_label.setPalette(palette)
        self.message_label.setText(message)
        self.message_label.show()
        self.adjustSize()

    # -- events -----------------------------------------------------------------------------

    def _on_call_state(self, event: ev.CallStateChanged) -> None:
        if event.call_id == self.call.call_id and event.state in _CLOSING_STATES:
            self.close()

    @Slot()
    def _render_countdown(self) -> None:
        delay = self.call.auto_answer_in_s
        if delay is None:
            return
        left = max(0, math.ceil(self.call.at + delay - time.time()))
        self.countdown_label.setText(self.tr("Answering automatically in {0} s").format(left))
        self.countdown_label.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._withdraw_notification()
        self._unsubscribe()
        self._countdown.stop()
        super().closeEvent(event)
