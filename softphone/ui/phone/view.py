"""The phone page: dialpad and Call when idle; the call's controls while one is up.

``PhoneView`` puts the page together (the status header, the dial page, the call page and the
message line), binds the window-wide call keys, and acts on calls only through
``PhoneCommands``; it learns what happened from the engine's events on the ``EventBus`` (GUI
thread), which its ``CallTracker`` follows. A command's Future is read when it completes (the
``QtBridge`` brings it back from the engine's thread): its error is shown in place, in the
message line under the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.models import AutoAnswerPolicy
from softphone.core.phone import PhoneCommands
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.ui.bridge import QtBridge
from softphone.ui.command_runner import CommandRunner
from softphone.ui.look import Space, message_color, space
from softphone.ui.phone.call_actions import SHORTCUTS, CallActions
from softphone.ui.phone.call_book import TrackedCall
from softphone.ui.phone.call_page import CallPage
from softphone.ui.phone.call_tracker import CallTracker
from softphone.ui.phone.dial_page import DialPage
from softphone.ui.phone.phone_numbers import dialable
from softphone.ui.phone.recent_numbers import RecentNumbers
from softphone.ui.phone.status_header import StatusHeader
from softphone.ui.phone.style import ACCENT_STYLE
from softphone.ui.recents.model import HistoryModel


class PhoneView(QWidget):
    """The Phone tab. ``bridge`` brings a command's outcome back from the engine's thread;
    ``microphone`` and ``speaker`` say whether the sound stream has a microphone and a speaker
    (asked whenever the page is drawn and on :meth:`on_audio_event`; None: not known, no
    warning); ``recents``, the call history the number field suggests numbers from."""

    def __init__(
        self,
        phone: PhoneCommands,
        bus: EventBus,
        bridge: QtBridge,
        parent: QWidget | None = None,
        *,
        microphone: Callable[[], bool] | None = None,
        speaker: Callable[[], bool] | None = None,
        recents: HistoryModel | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("phoneView")
        self.setAccessibleName(self.tr("Phone"))
        self._phone = phone
        self._microphone = microphone
        self._speaker = speaker
        self._calls = CallTracker(bus, self)
        # The tracker's: the commands below update them as they ask for changes.
        self._book = self._calls.book
        self._pending_mute = self._calls.pending_mute
        self._pending_hold = self._calls.pending_hold
        self._last_target = ""
        self._sent_digits = ""
        self._forget_when_calls_end = False  # signed out during a call
        self._runner = CommandRunner(bridge, self)
        self._runner.failed.connect(self._on_failed)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self._on_tick)
        self._build()
        self._build_call_actions()
        if recents is not None:
            self._recents = RecentNumbers(recents, self)
            self.dial_page.set_suggestions(self._recents.matching)
        self._calls.changed.connect(self._render)
        self._calls.message.connect(self._show_message)
        self._calls.allEnded.connect(self._on_all_ended)
        unsubscribe = [
            bus.subscribe(ev.RegistrationChanged, self._on_registration),
            bus.subscribe(SessionStateChanged, self._on_session),
        ]
        # No reference to self: the bus must drop the handlers when the page goes away.
        self.destroyed.connect(lambda *_: [u() for u in unsubscribe])
        self._restyle()
        self._render()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        em = self.fontMetrics().height()
        outer = QHBoxLayout(self)
        outer.setContentsMargins(
            space(self, Space.LARGE),
            space(self, Space.MEDIUM),
            space(self, Space.LARGE),
            space(self, Space.MEDIUM),
        )
        # One column, phone-sized, centred when the window is wide.
        column = QWidget()
        column.setMaximumWidth(em * 24)
        outer.addWidget(column)
        root = QVBoxLayout(column)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(space(self, Space.MEDIUM))

        self.header = StatusHeader()
        root.addWidget(self.header)
        self.registration_label = self.header.registration_label
        self.auto_answer_label = self.header.auto_answer_label

        self.audio_warning = QLabel()
        self.audio_warning.setObjectName("audioWarning")
        self.audio_warning.setAccessibleName(self.tr("Sound device warning"))
        self.audio_warning.setWordWrap(True)
        self.audio_warning.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.audio_warning.hide()
        root.addWidget(self.audio_warning)

        self.stack = QStackedWidget()
        self.dial_page = DialPage()
        self.dial_page.callRequested.connect(self.call_from_field)
        self.dial_page.redialRequested.connect(self.redial)
        self.dial_page.textChanged.connect(self._render)
        # The dial page's parts the app and the tests reach for.
        self.number_field = self.dial_page.number_field
        self.dialpad = self.dial_page.dialpad
        self.call_button = self.dial_page.call_button
        self.redial_button = self.dial_page.redial_button
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

    def _build_call_actions(self) -> None:
        self._actions = CallActions(
            self,
            {
                "answer": self.answer_shortcut,
                "decline": self.decline_shortcut,
                "hangup": self.hangup,
                "mute": self.toggle_mute,
                "hold": self.toggle_hold,
                "keypad": self.call_page.toggle_keypad,
                "transfer": self.call_page.toggle_transfer,
                "redial": self.redial,
            },
        )

    def call_actions(self) -> list[QAction]:
        """The window's Call menu: see :meth:`CallActions.menu_items`."""
        return self._actions.menu_items()

    # -- what the app calls ---------------------------------------------------------------

    def set_auto_answer(self, policy: AutoAnswerPolicy | None) -> None:
        """Show the account's auto-answer mode (None: no account yet)."""
        self.header.set_auto_answer(policy)

    @Slot(object)
    def on_audio_event(self, _event: object) -> None:
        """The sound devices changed (an ``AudioDeviceEvent``, GUI thread): warn on the call
        page if the call has no microphone now, and on the idle page if there is no microphone
        or no speaker."""
        no_mic = self._microphone is not None and not self._microphone()
        no_speaker = self._speaker is not None and not self._speaker()
        self.call_page.set_microphone_missing(no_mic)
        if no_mic and no_speaker:
            text = self.tr("No microphone or speaker found. Check Settings → Sound.")
        elif no_mic:
            text = self.tr(
                "No microphone found: callers would not hear you. Check Settings → Sound."
            )
        elif no_speaker:
            text = self.tr("No speaker found: you would not hear callers. Check Settings → Sound.")
        else:
            text = ""
        self.audio_warning.setText(text)
        self.audio_warning.setVisible(bool(text) and self._book.current is None)

    @property
    def calls(self) -> CallTracker:
        """The calls as this page follows them (the call bar draws the same ones)."""
        return self._calls

    @property
    def in_call(self) -> bool:
        """A call is up (ringing, dialling, talking or on hold)."""
        return bool(self._book.calls)

    def focus_number_field(self) -> None:
        """Put the keyboard in the number field (the shell binds its 'focus dialpad' key here)."""
        if self._book.current is None:
            self.number_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.number_field.selectAll()
        else:
            self.call_page.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def dial(self, target: str) -> None:
        """Call ``target`` (a number or SIP address), e.g. from Recents."""
        cleaned = dialable(target)
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
        if self._last_target == dialable(text) and text:
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
        cleaned = dialable(target)
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
        cleaned = dialable(target)
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

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Esc reaches the page only when no widget inside took it (a field's suggestions, a
        # menu, a dialog close themselves first); then it hangs up, but only on the call
        # screen of the window that has the keyboard with nothing open over it.
        if event.key() == Qt.Key.Key_Escape and not event.modifiers() and self._escape_hangs_up():
            event.accept()
            self._on_escape()
            return
        super().keyPressEvent(event)

    def _escape_hangs_up(self) -> bool:
        return (
            self._book.current is not None
            and self.stack.currentWidget() is self.call_page
            and self.isVisible()
            and self.window().isActiveWindow()
            and QApplication.activePopupWidget() is None
            and QApplication.activeModalWidget() is None
        )

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
        self.header.set_registration(event)
        self._update_tick()

    def _on_session(self, event: SessionStateChanged) -> None:
        signed_out = event.state is SessionState.SIGNED_OUT
        self._forget_when_calls_end = signed_out and bool(self._book.calls)
        if signed_out:
            self._forget_agent()

    def _forget_agent(self) -> None:
        """Signed out: the next agent at this desk finds no trace of the last one's calls."""
        self._last_target = ""
        self.number_field.clear()
        self.dial_page.hide_suggestions()
        self._clear_message()
        self._render()

    def _on_all_ended(self) -> None:
        self._sent_digits = ""
        self.call_page.reset_panels()
        if self._forget_when_calls_end:  # the calls cut by the sign-out just said they ended
            self._forget_when_calls_end = False
            self._forget_agent()

    # -- drawing --------------------------------------------------------------------------

    def _render(self) -> None:
        call = self._book.current
        self.stack.setCurrentWidget(self.call_page if call is not None else self.dial_page)
        self.on_audio_event(None)
        if call is None:
            self.dial_page.update_buttons(self._last_target)
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
        self._actions.render(
            call,
            ringing=self._ringing_call_id() is not None,
            muted=call is not None and self._pending_mute.get(call.call_id, call.muted),
            held=call is not None and self._pending_hold.get(call.call_id, call.held_here),
            redial=bool(self._last_target),
        )

    def _update_tick(self) -> None:
        needed = bool(self._book.calls) or self.header.counting_down
        if needed and not self._tick.isActive():
            self._tick.start()
        elif not needed:
            self._tick.stop()

    @Slot()
    def _on_tick(self) -> None:
        self.header.refresh()
        if self._book.current is not None:
            self.call_page.render_time(self._book.current, time.time())

    def _show_message(self, text: str, error: bool = False) -> None:
        self._message_is_error = error
        self.message_label.setText(text)
        self._paint_message()

    def _clear_message(self) -> None:
        self.message_label.clear()

    def _paint_message(self) -> None:
        palette = self.message_label.palette()
        color = message_color(self._message_is_error, self.palette())
        palette.setColor(QPalette.ColorRole.WindowText, color)
        self.message_label.setPalette(palette)

    def _restyle(self) -> None:
        self.setStyleSheet(ACCENT_STYLE)
        self.header.refresh()
        if self.message_label.text():
            self._paint_message()
        warning = self.audio_warning.palette()
        warning.setColor(QPalette.ColorRole.WindowText, message_color(True, self.palette()))
        self.audio_warning.setPalette(warning)
        self.call_page.restyle()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
