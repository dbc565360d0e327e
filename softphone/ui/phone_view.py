"""The phone page: dialpad and Call when idle; the call's controls while one is up.

``PhoneView`` acts on calls only through ``PhoneCommands`` and learns what happened from the
engine's events on the ``EventBus`` (GUI thread). A command's Future is read when it completes:
its error is shown in place, in the message line under the page.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Final

from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy
from softphone.core.phone import PhoneCommands
from softphone.ui.call_book import CallBook, EndedCall, TrackedCall
from softphone.ui.call_page import CallPage
from softphone.ui.command_runner import CommandRunner
from softphone.ui.dialpad import Dialpad, NumberField
from softphone.ui.phone_numbers import caller_id, clean_dial_text, format_duration
from softphone.ui.phone_style import ACCENT_STYLE, message_color, status_color

# Window-wide keys of the call actions (the main window lists them in its Call menu); the shell
# should not bind these keys elsewhere. All take Ctrl+Shift so typing in a field never fires one.
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


def _native(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


class PhoneView(QWidget):
    def __init__(self, phone: PhoneCommands, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("phoneView")
        self.setAccessibleName(self.tr("Phone"))
        self._phone = phone
        self._book = CallBook()
        self._last_target = ""
        self._pending_mute: dict[str, bool] = {}
        self._pending_hold: dict[str, bool] = {}
        # Calls handed on by a transfer: their end is the transfer's, already said.
        self._transferred: set[str] = set()
        self._registration: ev.RegistrationChanged | None = None
        self._auto_answer: AutoAnswerPolicy | None = None
        self._sent_digits = ""
        self._runner = CommandRunner(self)
        self._runner.failed.connect(self._on_failed)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self._on_tick)
        self._build()
        self._build_call_actions()
        unsubscribe = [
            bus.subscribe(ev.RegistrationChanged, self._on_registration),
            bus.subscribe(ev.IncomingCall, self._on_incoming),
            bus.subscribe(ev.CallStateChanged, self._on_call_state),
            bus.subscribe(ev.CallMediaChanged, self._on_media),
            bus.subscribe(ev.TransferProgress, self._on_transfer),
        ]
        # No reference to self: the bus must drop the handlers when the page goes away.
        self.destroyed.connect(lambda *_: [u() for u in unsubscribe])
        self._restyle()
        self._render()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        em = self.fontMetrics().height()
        outer = QHBoxLayout(self)
        outer.setContentsMargins(em, em * 2 // 3, em, em * 2 // 3)
        # One column, phone-sized, centred when the window is wide.
        column = QWidget()
        column.setMaximumWidth(em * 24)
        outer.addWidget(column)
        root = QVBoxLayout(column)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(em * 2 // 3)

        header = QHBoxLayout()
        self.registration_dot = QLabel("●")
        self.registration_dot.setAccessibleName(self.tr("Registration status"))
        self.registration_label = QLabel()
        self.registration_label.setAccessibleName(self.tr("Registration"))
        self.auto_answer_label = QLabel()
        self.auto_answer_label.setAccessibleName(self.tr("Auto-answer"))
        self.auto_answer_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        header.addWidget(self.registration_dot)
        header.addWidget(self.registration_label, 1)
        header.addWidget(self.auto_answer_label)
        root.addLayout(header)

        self.stack = QStackedWidget()
        self.dial_page = self._build_dial_page()
        self.call_page = CallPage(SHORTCUTS)
        self._connect_call_page()
        self.stack.addWidget(self.dial_page)
        self.stack.addWidget(self.call_page)
        root.addWidget(self.stack, 1)

        self.message_label = QLabel()
        self.message_label.setObjectName("phoneMessage")
        self.message_label.setAccessibleName(self.tr("Phone message"))
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.message_label)
        self._message_is_error = False

    def _connect_call_page(self) -> None:
        page = self.call_page
        page.answerRequested.connect(self.answer_call)
        page.declineRequested.connect(self.decline_call)
        page.hangupRequested.connect(self.hangup)
        page.muteRequested.connect(self.toggle_mute)
        page.holdRequested.connect(self.toggle_hold)
        page.dtmfRequested.connect(self.send_dtmf)
        page.blindTransferRequested.connect(self.transfer_blind)
        page.consultRequested.connect(self.consult)
        page.completeTransferRequested.connect(self.complete_transfer)
        page.cancelConsultRequested.connect(self.cancel_consult)
        page.switchRequested.connect(self.switch_to)

    def _build_dial_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        em = self.fontMetrics().height()
        layout.setSpacing(em * 2 // 3)
        self.number_field = NumberField()
        self.number_field.setAccessibleName(self.tr("Number to call"))
        self.number_field.setPlaceholderText(self.tr("Number or SIP address"))
        self.number_field.returnPressed.connect(self.call_from_field)
        self.number_field.textChanged.connect(lambda _text: self._render())
        layout.addWidget(self.number_field)
        self.dialpad = Dialpad()
        self.dialpad.digitPressed.connect(self._on_dial_key)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.dialpad, 100)
        centred.addStretch(1)
        layout.addLayout(centred, 1)
        row = QHBoxLayout()
        row.setSpacing(em // 2)
        self.redial_button = QPushButton(self.tr("Redial"))
        self.redial_button.setAccessibleName(self.tr("Redial the last number"))
        self.redial_button.clicked.connect(self.redial)
        self.call_button = QPushButton(self.tr("Call"))
        self.call_button.setObjectName("callButton")
        self.call_button.setAccessibleName(self.tr("Call"))
        self.call_button.setToolTip(self.tr("Call the number (Enter)"))
        self.call_button.clicked.connect(self.call_from_field)
        self.call_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.call_button.setMinimumHeight(int(em * 2.4))
        self.redial_button.setMinimumHeight(int(em * 2.4))
        row.addWidget(self.redial_button)
        row.addWidget(self.call_button, 2)
        layout.addLayout(row)
        layout.addStretch(0)
        return page

    def _build_call_actions(self) -> None:
        names = {
            "answer": (self.tr("Answer"), self.answer_shortcut),
            "decline": (self.tr("Decline"), self.decline_shortcut),
            "hangup": (self.tr("Hang up"), self.hangup),
            "mute": (self.tr("Mute"), self.toggle_mute),
            "hold": (self.tr("Hold"), self.toggle_hold),
            "keypad": (self.tr("Keypad"), self.call_page.toggle_keypad),
            "transfer": (self.tr("Transfer…"), self.call_page.toggle_transfer),
            "redial": (self.tr("Redial"), self.redial),
        }
        self._actions: dict[str, QAction] = {}
        for name, key in SHORTCUTS.items():
            text, slot = names[name]
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            # Window-wide, so the keys also work while Recents or Settings is shown (the main
            # window puts the same actions in its menu bar, which stays visible).
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self._actions[name] = action
        # Esc hangs up only while the keyboard is on the phone page: elsewhere it closes things.
        self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._escape.activated.connect(self._on_escape)

    def call_actions(self) -> list[QAction]:
        """Answer, decline, hang up, mute, hold, keypad, transfer, redial: each with its key,
        enabled only when it can act; separators between the groups. For the window's Call
        menu."""
        grouped: list[QAction] = []
        for group in (("answer", "decline", "hangup"), ("mute", "hold", "keypad", "transfer")):
            grouped += [self._actions[name] for name in group]
            separator = QAction(self)
            separator.setSeparator(True)
            grouped.append(separator)
        return [*grouped, self._actions["redial"]]

    # -- what the app calls ---------------------------------------------------------------

    def set_auto_answer(self, policy: AutoAnswerPolicy | None) -> None:
        """Show the account's auto-answer mode (None: no account yet)."""
        self._auto_answer = policy
        self._render_header()

    def focus_number_field(self) -> None:
        """Put the keyboard in the number field (the shell binds its 'focus dialpad' key here)."""
        if self._book.current is None:
            self.number_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.number_field.selectAll()
        else:
            self.call_page.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def dial(self, target: str) -> None:
        """Call ``target`` (a number or SIP address), e.g. from Recents."""
        cleaned = clean_dial_text(target)
        if not cleaned:
            self._show_message(self.tr("Enter a number or a SIP address to call."))
            return
        self._last_target = cleaned
        self._clear_message()
        self._submit(self.tr("Call failed"), lambda: self._phone.make_call(cleaned))
        self._render()

    def answer_call(self, call_id: str) -> Future[None] | None:
        """Answer ``call_id``, first holding any call that is talking (call waiting).

        The incoming-call window answers through here so that a waiting call holds the other.
        """
        for call in list(self._book.calls.values()):
            if call.call_id != call_id and call.connected_at is not None and not call.held_here:
                self._set_hold(call, True)
        self._clear_message()
        future = self._submit(self.tr("Could not answer"), lambda: self._phone.answer(call_id))
        self._book.focus(call_id)
        self._render()
        return future

    def decline_call(self, call_id: str) -> Future[None] | None:
        return self._submit(self.tr("Could not decline"), lambda: self._phone.reject(call_id, 603))

    # -- actions --------------------------------------------------------------------------

    @Slot()
    def call_from_field(self) -> None:
        text = self.number_field.text()
        if not text and self._last_target:
            self.number_field.setText(self._last_target)  # Call on an empty field: redial
            return
        self.dial(text)
        if self._last_target == clean_dial_text(text) and text:
            self.number_field.clear()

    @Slot()
    def redial(self) -> None:
        if self._book.current is not None:
            return
        if self._last_target:
            self.dial(self._last_target)

    @Slot()
    def hangup(self) -> None:
        call = self._book.current
        if call is not None:
            self._submit(self.tr("Could not hang up"), lambda: self._phone.hangup(call.call_id))

    def _ringing_call_id(self) -> str | None:
        """The call the answer/decline keys act on: a waiting call, else the one ringing in."""
        waiting, current = self._book.waiting, self._book.current
        if waiting is not None:
            return waiting.call_id
        if current is not None and current.ringing_in:
            return current.call_id
        return None

    @Slot()
    def answer_shortcut(self) -> None:
        if (call_id := self._ringing_call_id()) is not None:
            self.answer_call(call_id)

    @Slot()
    def decline_shortcut(self) -> None:
        if (call_id := self._ringing_call_id()) is not None:
            self.decline_call(call_id)

    @Slot()
    def toggle_mute(self) -> None:
        call = self._book.current
        if call is None or call.ringing_in:
            return
        muted = not self._pending_mute.get(call.call_id, call.muted)
        self._pending_mute[call.call_id] = muted
        call_id = call.call_id
        self._submit(
            self.tr("Could not change mute"),
            lambda: self._phone.set_mute(call_id, muted),
            on_error=lambda: self._pending_mute.pop(call_id, None),
        )
        self._render()

    @Slot()
    def toggle_hold(self) -> None:
        call = self._book.current
        if call is None or call.connected_at is None:
            return
        self._set_hold(call, not self._pending_hold.get(call.call_id, call.held_here))
        self._render()

    def switch_to(self, call_id: str) -> None:
        """Put the call on screen on hold and take ``call_id`` off hold."""
        current, other = self._book.current, self._book.get(call_id)
        if other is None:
            return
        if current is not None and current.connected_at is not None and not current.held_here:
            self._set_hold(current, True)
        if other.held_here:
            self._set_hold(other, False)
        self._book.focus(call_id)
        self._render()

    def send_dtmf(self, digit: str) -> None:
        call = self._book.current
        if call is None or call.state is not ev.CallState.CONFIRMED:
            return
        self._sent_digits = (self._sent_digits + digit)[-24:]
        self._submit(
            self.tr("Could not send the tone"), lambda: self._phone.send_dtmf(call.call_id, digit)
        )
        self.call_page.show_sent_digits(self._sent_digits)

    def transfer_blind(self, target: str) -> None:
        call = self._book.current
        cleaned = clean_dial_text(target)
        if call is None or not cleaned:
            self._show_message(self.tr("Enter the number to transfer to."))
            return
        self._clear_message()
        self._submit(
            self.tr("Transfer failed"), lambda: self._phone.transfer(call.call_id, cleaned)
        )

    def consult(self, target: str) -> None:
        """Attended transfer, first step: hold this call and call the target."""
        call = self._book.current
        cleaned = clean_dial_text(target)
        if call is None or not cleaned:
            self._show_message(self.tr("Enter the number to transfer to."))
            return
        self._clear_message()
        if not call.held_here:
            self._set_hold(call, True)
        self._book.start_consult(call.call_id)

        def started(call_id: object) -> None:
            consult = self._book.consult
            if consult is not None and consult.target is None and isinstance(call_id, str):
                consult.target = call_id
                self._render()

        self._submit(
            self.tr("Call failed"),
            lambda: self._phone.make_call(cleaned),
            on_result=started,
            on_error=self._cancel_consult_state,
        )
        self._render()

    def complete_transfer(self) -> None:
        consult = self._book.consult
        if consult is None or consult.target is None:
            return
        original, target = consult.original, consult.target
        self._submit(
            self.tr("Transfer failed"), lambda: self._phone.transfer_attended(original, target)
        )

    def cancel_consult(self) -> None:
        consult = self._book.consult
        if consult is None:
            return
        if consult.target is not None:
            target = consult.target
            self._submit(self.tr("Could not hang up"), lambda: self._phone.hangup(target))
        self._book.focus(consult.original)
        self._book.consult = None
        self._render()

    def _cancel_consult_state(self) -> None:
        if self._book.consult is not None:
            self._book.focus(self._book.consult.original)
            self._book.consult = None

    def _set_hold(self, call: TrackedCall, hold: bool) -> None:
        call_id = call.call_id
        self._pending_hold[call_id] = hold
        command = self._phone.hold if hold else self._phone.unhold
        self._submit(
            self.tr("Could not put the call on hold") if hold else self.tr("Could not resume"),
            lambda: command(call_id),
            on_error=lambda: self._pending_hold.pop(call_id, None),
        )

    def _on_dial_key(self, key: str) -> None:
        self.number_field.insert_key(key)
        self.number_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_escape(self) -> None:
        if self.call_page.close_panels():
            return
        call = self._book.current
        if call is not None and call.ringing_in:
            self.decline_call(call.call_id)
        else:
            self.hangup()

    def _submit(
        self,
        failure: str,
        command: Callable[[], Future[Any]],
        on_result: Callable[[Any], object] | None = None,
        on_error: Callable[[], object] | None = None,
    ) -> Future[Any] | None:
        return self._runner.run(failure, command, on_result, on_error)

    def _on_failed(self, message: str) -> None:
        self._show_message(message, error=True)
        self._render()

    # -- events ---------------------------------------------------------------------------

    def _on_registration(self, event: ev.RegistrationChanged) -> None:
        self._registration = event
        self._render_header()
        self._update_tick()

    def _on_incoming(self, event: ev.IncomingCall) -> None:
        self._book.incoming(event)
        self._render()

    def _on_call_state(self, event: ev.CallStateChanged) -> None:
        ended = self._book.state(event)
        if ended is not None:
            self._pending_hold.pop(event.call_id, None)
            self._pending_mute.pop(event.call_id, None)
            self._report_end(ended)
            if self._book.current is None:
                self._sent_digits = ""
                self.call_page.reset_panels()
        self._render()

    def _on_media(self, event: ev.CallMediaChanged) -> None:
        self._book.media(event)
        self._pending_mute.pop(event.call_id, None)
        if event.hold is not ev.HoldState.NONE or self._pending_hold.get(event.call_id) is False:
            self._pending_hold.pop(event.call_id, None)
        self._render()

    def _on_transfer(self, event: ev.TransferProgress) -> None:
        if event.final and 200 <= event.code < 300:
            self._transferred.add(event.call_id)
            consult = self._book.consult
            if consult is not None and consult.original == event.call_id and consult.target:
                self._transferred.add(consult.target)
            self._show_message(self.tr("Transferred."))
        elif event.final:
            detail = f"{event.reason} ({event.code})" if event.reason else str(event.code)
            self._show_message(self.tr("Transfer failed: {0}").format(detail), error=True)
        else:
            self._show_message(self.tr("Transferring… {0}").format(event.reason))

    def _report_end(self, ended: EndedCall) -> None:
        if ended.call.call_id in self._transferred:
            self._transferred.discard(ended.call.call_id)
            return
        who = caller_id(ended.call.display, ended.call.number) or self.tr("the caller")
        if ended.connected and ended.call.connected_at is not None:
            length = format_duration(time.time() - ended.call.connected_at)
            self._show_message(self.tr("Call with {0} ended ({1}).").format(who, length))
        elif ended.call.direction is ev.Direction.OUTBOUND and ended.sip_code >= 400:
            self._show_message(self._failure_text(ended.sip_code, ended.reason), error=True)
        elif ended.call.direction is ev.Direction.INBOUND and ended.sip_code not in (486, 603):
            self._show_message(self.tr("Missed call from {0}.").format(who))

    def _failure_text(self, code: int, reason: str) -> str:
        if code in (486, 600):
            return self.tr("The line is busy.")
        if code in (404, 484, 604):
            return self.tr("That number does not exist ({0}).").format(code)
        if code in (408, 480):
            return self.tr("No answer.")
        if code == 487:
            return self.tr("Call cancelled.")
        if code in (403, 603):
            return self.tr("The call was refused ({0}).").format(code)
        return self.tr("The call failed: {0} ({1}).").format(reason or self.tr("error"), code)

    # -- drawing --------------------------------------------------------------------------

    def _render(self) -> None:
        call = self._book.current
        self.stack.setCurrentWidget(self.call_page if call is not None else self.dial_page)
        if call is None:
            self.call_button.setEnabled(bool(self.number_field.text() or self._last_target))
            self.redial_button.setEnabled(bool(self._last_target))
            self.redial_button.setToolTip(
                self.tr("Call {0} again ({1})").format(
                    self._last_target, _native(SHORTCUTS["redial"])
                )
                if self._last_target
                else self.tr("No number dialled yet")
            )
            if self.call_page.isAncestorOf(self.focusWidget()) or self.call_page.hasFocus():
                self.number_field.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.call_page.show_calls(self._book, self._pending_mute, self._pending_hold)
            focus = self.focusWidget()
            if focus is None or focus is self or self.dial_page.isAncestorOf(focus):
                self.call_page.setFocus(Qt.FocusReason.OtherFocusReason)
        self._render_actions(call)
        self._update_tick()
        self._on_tick()

    def _render_actions(self, call: TrackedCall | None) -> None:
        actions = self._actions
        ringing = self._ringing_call_id() is not None
        actions["answer"].setEnabled(ringing)
        actions["decline"].setEnabled(ringing)
        actions["hangup"].setEnabled(call is not None)
        self._escape.setEnabled(call is not None)
        actions["mute"].setEnabled(call is not None and not call.ringing_in)
        # As the call page's buttons: what cannot act yet is greyed out in the menu too.
        connected = call is not None and call.connected_at is not None
        actions["hold"].setEnabled(connected)
        actions["transfer"].setEnabled(connected)
        actions["keypad"].setEnabled(call is not None and call.state is ev.CallState.CONFIRMED)
        actions["redial"].setEnabled(call is None and bool(self._last_target))
        if call is not None:
            muted = self._pending_mute.get(call.call_id, call.muted)
            held = self._pending_hold.get(call.call_id, call.held_here)
            actions["mute"].setText(self.tr("Unmute") if muted else self.tr("Mute"))
            actions["hold"].setText(self.tr("Resume") if held else self.tr("Hold"))

    def _render_header(self) -> None:
        event = self._registration
        now = time.time()
        if event is None:
            text, tone = self.tr("Not registered"), "idle"
        elif event.state is ev.RegistrationState.REGISTERED:
            text, tone = self.tr("Registered"), "ok"
        elif event.state is ev.RegistrationState.REGISTERING:
            text, tone = self.tr("Registering…"), "busy"
        elif event.state is ev.RegistrationState.RETRYING:
            left = max(0, math.ceil(event.at + event.retry_in_s - now))
            text = self.tr("Retrying in {0} s").format(left) if left else self.tr("Retrying…")
            tone = "busy"
        elif event.state is ev.RegistrationState.FAILED:
            text, tone = self.tr("Not registered: {0}").format(event.reason or event.code), "bad"
        else:
            text, tone = self.tr("Not registered"), "idle"
        self.registration_label.setText(text)
        self.registration_dot.setToolTip(text)
        self.registration_dot.setAccessibleDescription(text)
        self._paint(self.registration_dot, status_color(tone, self.palette()))
        self.auto_answer_label.setText(self._auto_answer_text())
        self.auto_answer_label.setVisible(self._auto_answer is not None)

    def _auto_answer_text(self) -> str:
        policy = self._auto_answer
        if policy is None:
            return ""
        if policy.mode is AutoAnswerMode.OFF:
            return self.tr("Auto-answer: off")
        if policy.mode is AutoAnswerMode.ALWAYS or (
            policy.mode is AutoAnswerMode.AFTER and policy.delay_s <= 0
        ):
            return self.tr("Auto-answer: on")
        if policy.mode is AutoAnswerMode.AFTER:
            return self.tr("Auto-answer: after {0} s").format(f"{policy.delay_s:g}")
        return self.tr("Auto-answer: when the server asks")

    def _update_tick(self) -> None:
        retrying = (
            self._registration is not None
            and self._registration.state is ev.RegistrationState.RETRYING
        )
        needed = bool(self._book.calls) or retrying
        if needed and not self._tick.isActive():
            self._tick.start()
        elif not needed:
            self._tick.stop()

    @Slot()
    def _on_tick(self) -> None:
        self._render_header()
        if self._book.current is not None:
            self.call_page.render_time(self._book.current, time.time())

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self._message_is_error = error
        self.message_label.setText(text)
        self._paint(self.message_label, message_color(error, self.palette()))

    def _clear_message(self) -> None:
        self.message_label.clear()

    @staticmethod
    def _paint(label: QLabel, color: QColor) -> None:
        palette = label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, color)
        label.setPalette(palette)

    def _restyle(self) -> None:
        self.setStyleSheet(ACCENT_STYLE)
        self._render_header()
        if self.message_label.text():
            self._paint(self.message_label, message_color(self._message_is_error, self.palette()))
        self.call_page.restyle()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
