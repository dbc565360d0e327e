"""The in-call half of the phone page: who, how long, and the call's controls.

``CallPage`` only draws the ``CallBook`` it is given and reports what the agent asked for
through its signals; ``PhoneView`` turns those into commands. Digits typed while the page has
the keyboard are DTMF.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.core import events as ev
from softphone.core.quality import verdict
from softphone.ui.look import (
    Space,
    Text,
    Tone,
    message_color,
    muted_color,
    set_text,
    space,
    text_font,
    tone_color,
)
from softphone.ui.phone.call_actions import native_key
from softphone.ui.phone.call_book import CallBook, TrackedCall
from softphone.ui.phone.dialpad import DTMF_KEYS, Dialpad, NumberField, TwoLineButton
from softphone.ui.phone.phone_numbers import caller_id, format_duration


class CallPage(QWidget):
    answerRequested = Signal(str)  # call id
    declineRequested = Signal(str)
    hangupRequested = Signal()
    muteRequested = Signal()
    holdRequested = Signal()
    dtmfRequested = Signal(str)
    blindTransferRequested = Signal(str)  # target as typed
    consultRequested = Signal(str)
    completeTransferRequested = Signal()
    cancelConsultRequested = Signal()
    switchRequested = Signal(str)  # call id

    def __init__(self, shortcuts: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callPage")
        self.setAccessibleName(self.tr("Call"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._keys = shortcuts
        self._waiting_id = ""
        self._ringing_id = ""
        self._other_id = ""
        self._other: TrackedCall | None = None
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(space(self, Space.SMALL))
        root.addWidget(self._build_waiting_bar())

        self.name_label = QLabel()
        self.name_label.setAccessibleName(self.tr("Caller name"))
        self.name_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name_label.setWordWrap(True)
        set_text(self.name_label, Text.TITLE, bold=True)
        self.number_label = QLabel()
        self.number_label.setAccessibleName(self.tr("Caller number"))
        self.number_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_label = QLabel()
        self.state_label.setAccessibleName(self.tr("Call state"))
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timer_label = QLabel()
        self.timer_label.setAccessibleName(self.tr("Call duration"))
        self.timer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        timer_font = text_font(self.font(), Text.DISPLAY)
        timer_font.setStyleHint(QFont.StyleHint.Monospace)
        timer_font.setFeature(QFont.Tag("tnum"), 1)
        self.timer_label.setFont(timer_font)
        self.quality_label = QLabel()
        self.quality_label.setAccessibleName(self.tr("Call quality"))
        self.quality_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_text(self.quality_label, Text.CAPTION)
        self.quality_label.hide()
        root.addSpacing(space(self, Space.SMALL))
        labels = (self.name_label, self.number_label, self.state_label, self.timer_label)
        for label in (*labels, self.quality_label):
            root.addWidget(label)
        self.mic_warning = QLabel(
            self.tr("No microphone: the other party cannot hear you. Check Settings → Sound.")
        )
        self.mic_warning.setObjectName("micWarning")
        self.mic_warning.setAccessibleName(self.tr("Microphone warning"))
        self.mic_warning.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.mic_warning.setWordWrap(True)
        self.mic_warning.hide()
        root.addWidget(self.mic_warning)
        root.addSpacing(space(self, Space.SMALL))

        self.controls = QWidget()
        grid = QGridLayout(self.controls)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(space(self, Space.SMALL))
        self.mute_button = self._toggle(self.tr("Mute"), "mute", self.muteRequested.emit)
        self.hold_button = self._toggle(self.tr("Hold"), "hold", self.holdRequested.emit)
        self.keypad_button = self._toggle(self.tr("Keypad"), "keypad", self.toggle_keypad)
        self.transfer_button = self._toggle(self.tr("Transfer"), "transfer", self.toggle_transfer)
        grid.addWidget(self.mute_button, 0, 0)
        grid.addWidget(self.hold_button, 0, 1)
        grid.addWidget(self.keypad_button, 1, 0)
        grid.addWidget(self.transfer_button, 1, 1)
        root.addWidget(self.controls)

        self.keypad_box = QWidget()
        self.keypad_box.setAccessibleName(self.tr("Keypad"))
        box = QVBoxLayout(self.keypad_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.sent_label = QLabel()
        self.sent_label.setAccessibleName(self.tr("Tones sent"))
        self.sent_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sent_label.hide()
        box.addWidget(self.sent_label)
        self.keypad = Dialpad()
        self.keypad.setAccessibleName(self.tr("Keypad (DTMF)"))
        self.keypad.digitPressed.connect(self.dtmfRequested.emit)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.keypad, 100)
        centred.addStretch(1)
        box.addLayout(centred)
        self.keypad_box.hide()
        root.addWidget(self.keypad_box)

        root.addWidget(self._build_transfer_panel())
        root.addWidget(self._build_other_row())
        root.addStretch(1)
        root.addLayout(self._build_end_row())

    # -- building -------------------------------------------------------------------------

    def _button(self, text: str, name: str, key: str | None = None) -> QPushButton:
        button: QPushButton
        if key:
            button = TwoLineButton(text, native_key(self._keys[key]))
            button.setToolTip(f"{text} ({native_key(self._keys[key])})")
        else:
            button = QPushButton(text.replace("&", "&&"))
        button.setAccessibleName(text)
        button.setObjectName(name)
        return button

    def _toggle(self, text: str, key: str, slot: object) -> TwoLineButton:
        button = TwoLineButton(text, native_key(self._keys[key]))
        button.setObjectName(f"{key}Button")
        button.setToolTip(f"{text} ({native_key(self._keys[key])})")
        button.setCheckable(True)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setMinimumHeight(int(self.fontMetrics().height() * 2.2))
        button.clicked.connect(slot)
        return button

    def _build_waiting_bar(self) -> QFrame:
        self.waiting_bar = QFrame()
        self.waiting_bar.setObjectName("waitingBar")
        self.waiting_bar.setAccessibleName(self.tr("Call waiting"))
        self.waiting_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.waiting_bar.setAutoFillBackground(True)
        self.waiting_bar.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        layout = QVBoxLayout(self.waiting_bar)
        self.waiting_label = QLabel()
        self.waiting_label.setAccessibleName(self.tr("Waiting caller"))
        self.waiting_label.setWordWrap(True)
        layout.addWidget(self.waiting_label)
        row = QHBoxLayout()
        self.answer_waiting_button = self._button(
            self.tr("Answer & hold"), "answerWaitingButton", "answer"
        )
        self.answer_waiting_button.clicked.connect(
            lambda: self.answerRequested.emit(self._waiting_id)
        )
        self.decline_waiting_button = self._button(
            self.tr("Decline"), "declineWaitingButton", "decline"
        )
        self.decline_waiting_button.clicked.connect(
            lambda: self.declineRequested.emit(self._waiting_id)
        )
        row.addWidget(self.decline_waiting_button)  # Decline left, Answer right, as below
        row.addWidget(self.answer_waiting_button, 1)
        layout.addLayout(row)
        return self.waiting_bar

    def _build_transfer_panel(self) -> QFrame:
        self.transfer_panel = QFrame()
        self.transfer_panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.transfer_panel.setAccessibleName(self.tr("Transfer"))
        layout = QVBoxLayout(self.transfer_panel)
        self.transfer_field = NumberField()
        self.transfer_field.setFont(self.font())
        self.transfer_field.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.transfer_field.setAccessibleName(self.tr("Transfer to"))
        self.transfer_field.setPlaceholderText(self.tr("Transfer to: number or SIP address"))
        self.transfer_field.returnPressed.connect(
            lambda: self.consultRequested.emit(self.transfer_field.text())
        )
        layout.addWidget(self.transfer_field)
        self.transfer_start = QWidget()
        row = QHBoxLayout(self.transfer_start)
        row.setContentsMargins(0, 0, 0, 0)
        self.blind_button = self._button(self.tr("Transfer now"), "blindTransferButton")
        self.blind_button.setToolTip(self.tr("Blind transfer: send the caller there at once"))
        self.blind_button.clicked.connect(
            lambda: self.blindTransferRequested.emit(self.transfer_field.text())
        )
        self.consult_button = self._button(self.tr("Talk first"), "consultButton")
        self.consult_button.setToolTip(
            self.tr("Attended transfer: hold the caller, call the number, then complete (Enter)")
        )
        self.consult_button.clicked.connect(
            lambda: self.consultRequested.emit(self.transfer_field.text())
        )
        row.addWidget(self.blind_button)
        row.addWidget(self.consult_button)
        layout.addWidget(self.transfer_start)

        self.consult_box = QWidget()
        box = QVBoxLayout(self.consult_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.consult_label = QLabel()
        self.consult_label.setAccessibleName(self.tr("Transfer status"))
        self.consult_label.setWordWrap(True)
        box.addWidget(self.consult_label)
        row = QHBoxLayout()
        self.complete_button = self._button(self.tr("Complete transfer"), "completeButton")
        self.complete_button.clicked.connect(self.completeTransferRequested.emit)
        self.cancel_consult_button = self._button(self.tr("Cancel"), "cancelConsultButton")
        self.cancel_consult_button.setToolTip(self.tr("Hang up the consultation call"))
        self.cancel_consult_button.clicked.connect(self.cancelConsultRequested.emit)
        row.addWidget(self.complete_button, 1)
        row.addWidget(self.cancel_consult_button)
        box.addLayout(row)
        layout.addWidget(self.consult_box)
        self.transfer_panel.hide()
        return self.transfer_panel

    def _build_other_row(self) -> QWidget:
        self.other_row = QWidget()
        row = QHBoxLayout(self.other_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.other_label = QLabel()
        self.other_label.setAccessibleName(self.tr("Other call"))
        self.other_label.setWordWrap(True)
        self.switch_button = self._button(self.tr("Switch"), "switchButton")
        self.switch_button.setToolTip(self.tr("Hold this call and go back to the other one"))
        self.switch_button.clicked.connect(lambda: self.switchRequested.emit(self._other_id))
        row.addWidget(self.other_label, 1)
        row.addWidget(self.switch_button)
        return self.other_row

    def _build_end_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        height = int(self.fontMetrics().height() * 2.4)
        self.decline_button = self._button(self.tr("Decline"), "declineButton", "decline")
        self.decline_button.clicked.connect(lambda: self.declineRequested.emit(self._ringing_id))
        self.answer_button = self._button(self.tr("Answer"), "answerButton", "answer")
        self.answer_button.clicked.connect(lambda: self.answerRequested.emit(self._ringing_id))
        key = native_key(self._keys["hangup"])
        self.hangup_button = TwoLineButton(self.tr("Hang up"), self.tr("Esc or {0}").format(key))
        self.hangup_button.setObjectName("hangupButton")
        # Esc only while this screen has the keyboard (it closes menus and dialogs first).
        self.hangup_button.setToolTip(
            self.tr("Hang up: {0} from anywhere in the window, Esc on this screen").format(key)
        )
        self.hangup_button.clicked.connect(self.hangupRequested.emit)
        for button in (self.decline_button, self.answer_button, self.hangup_button):
            button.setMinimumHeight(height)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            row.addWidget(button)
        return row

    # -- what PhoneView asks --------------------------------------------------------------

    def toggle_keypad(self) -> None:
        show = self.keypad_box.isHidden()
        self.keypad_box.setVisible(show)
        self.keypad_button.setChecked(show)
        if show:
            self.transfer_panel.hide()
            self.transfer_button.setChecked(False)
            self.setFocus(Qt.FocusReason.OtherFocusReason)  # typed digits are DTMF

    def toggle_transfer(self) -> None:
        show = self.transfer_panel.isHidden()
        self.transfer_panel.setVisible(show)
        self.transfer_button.setChecked(show)
        if show:
            self.keypad_box.hide()
            self.keypad_button.setChecked(False)
            self.transfer_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_panels(self) -> bool:
        """Close the keypad or transfer panel; False when neither was open."""
        was_open = not self.keypad_box.isHidden() or not self.transfer_panel.isHidden()
        if was_open:
            self.reset_panels(keep_digits=True)
            self.setFocus(Qt.FocusReason.OtherFocusReason)
        return was_open

    def reset_panels(self, *, keep_digits: bool = False) -> None:
        self.keypad_box.hide()
        self.transfer_panel.hide()
        self.keypad_button.setChecked(False)
        self.transfer_button.setChecked(False)
        if not keep_digits:
            self.transfer_field.clear()
            self.sent_label.clear()
            self.sent_label.hide()

    def show_sent_digits(self, digits: str) -> None:
        self.sent_label.setText(self.tr("Sent: {0}").format(digits))
        self.sent_label.setVisible(bool(digits))

    def set_microphone_missing(self, missing: bool) -> None:
        """Warn, under the call's time, that no microphone is open (the page shows only while a
        call is up)."""
        self.mic_warning.setVisible(missing)

    def restyle(self) -> None:
        palette = self.number_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, muted_color(self.palette()))
        for label in (self.number_label, self.state_label, self.sent_label, self.other_label):
            label.setPalette(palette)
        warning = self.mic_warning.palette()
        warning.setColor(QPalette.ColorRole.WindowText, message_color(True, self.palette()))
        self.mic_warning.setPalette(warning)

    def show_calls(
        self, book: CallBook, pending_mute: Mapping[str, bool], pending_hold: Mapping[str, bool]
    ) -> None:
        call = book.current
        if call is None:
            return
        who = call.display or call.number or self.tr("Unknown caller")
        self.name_label.setText(who)
        self.number_label.setText(call.number if call.display and call.number else "")
        self.number_label.setVisible(bool(self.number_label.text()))
        ringing = call.ringing_in
        self._ringing_id = call.call_id if ringing else ""
        self.controls.setVisible(not ringing)
        self.answer_button.setVisible(ringing)
        self.decline_button.setVisible(ringing)
        self.hangup_button.setVisible(not ringing)

        muted = pending_mute.get(call.call_id, call.muted)
        held = pending_hold.get(call.call_id, call.held_here)
        self.mute_button.setChecked(muted)
        self.mute_button.set_lines(self.tr("Unmute") if muted else self.tr("Mute"))
        self.hold_button.setChecked(held)
        self.hold_button.set_lines(self.tr("Resume") if held else self.tr("Hold"))
        connected = call.connected_at is not None
        self.hold_button.setEnabled(connected)
        self.keypad_button.setEnabled(call.state is ev.CallState.CONFIRMED)
        self.transfer_button.setEnabled(connected)
        if not self.keypad_button.isEnabled():
            self.keypad_box.hide()
            self.keypad_button.setChecked(False)

        waiting = book.waiting
        self._waiting_id = waiting.call_id if waiting else ""
        self.waiting_bar.setVisible(waiting is not None)
        if waiting is not None:
            self.waiting_label.setText(
                self.tr("Call waiting: {0}").format(
                    caller_id(waiting.display, waiting.number) or self.tr("Unknown caller")
                )
            )

        consult = book.consult
        self.transfer_start.setVisible(consult is None)
        self.transfer_field.setVisible(consult is None)
        self.consult_box.setVisible(consult is not None)
        if consult is not None:
            self.transfer_panel.show()
            self.transfer_button.setChecked(True)
            original = book.get(consult.original)
            target = book.get(consult.target or "")
            self.consult_label.setText(
                self.tr("Talking to {0}; {1} waits on hold.").format(
                    _who(target, self.tr("the transfer target")),
                    _who(original, self.tr("the caller")),
                )
            )
            self.complete_button.setEnabled(target is not None)

        others = book.others()
        if consult is not None:
            others = [c for c in others if c.call_id != consult.original]
        other = others[0] if others else None
        self._other_id = other.call_id if other else ""
        self.other_row.setVisible(other is not None)
        self._other = other
        self._show_quality(call.quality if call.state is ev.CallState.CONFIRMED else None)
        self.render_time(call, None)

    def _show_quality(self, quality: ev.CallQuality | None) -> None:
        """How the call sounds, in a word coloured by it, with the figures on hover."""
        self.quality_label.setVisible(quality is not None)
        if quality is None:
            return
        word = verdict(quality.mos)
        words = {"good": self.tr("good"), "fair": self.tr("fair"), "poor": self.tr("poor")}
        self.quality_label.setText(self.tr("Call quality: {0}").format(words[word]))
        tone = {"good": Tone.OK, "fair": Tone.BUSY, "poor": Tone.BAD}[word]
        palette = self.quality_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, tone_color(tone, self.palette()))
        self.quality_label.setPalette(palette)
        self.quality_label.setToolTip(
            self.tr(
                "MOS {0:.1f} (E-model estimate) · {1} · lost {2:.1f} % · jitter {3:.0f} ms · "
                "round trip {4:.0f} ms"
            ).format(
                quality.mos, quality.codec, quality.rx_loss_pct, quality.rx_jitter_ms,
                quality.rtt_ms,
            )
        )  # fmt: skip

    def render_time(self, call: TrackedCall, now: float | None) -> None:
        now = time.time() if now is None else now
        if call.connected_at is not None:
            # A hair of slack so a tick a few ms early still shows the second that is due.
            self.timer_label.setText(format_duration(now - call.connected_at + 0.05))
        else:
            self.timer_label.setText("")
        self.timer_label.setVisible(call.connected_at is not None)
        self.state_label.setText(self._state_text(call, now))
        other = self._other
        if other is not None:
            state = self.tr("on hold") if other.held_here else self._state_text(other, now)
            self.other_label.setText(
                self.tr("Other call: {0} · {1}").format(
                    caller_id(other.display, other.number) or self.tr("Unknown caller"), state
                )
            )

    def _state_text(self, call: TrackedCall, now: float) -> str:
        state = call.state
        if state is ev.CallState.INCOMING:
            if call.auto_answer_at is not None:
                left = max(0, round(call.auto_answer_at - now))
                return self.tr("Incoming call · answering automatically in {0} s").format(left)
            if call.direct_from:
                return self.tr("Direct call from {0}").format(call.direct_from)
            return self.tr("Incoming call")
        if state is ev.CallState.CALLING:
            return self.tr("Calling…")
        if state in (ev.CallState.RINGING, ev.CallState.EARLY_MEDIA):
            return self.tr("Ringing…")
        if state is ev.CallState.CONNECTING:
            return self.tr("Connecting…")
        if state is ev.CallState.DISCONNECTED:
            return self.tr("Call ended")
        if call.hold is ev.HoldState.BOTH:
            return self.tr("On hold (both sides)")
        if call.hold is ev.HoldState.LOCAL:
            return self.tr("On hold")
        if call.hold is ev.HoldState.REMOTE:
            return self.tr("Held by the other side")
        if call.auto_answered:
            return self.tr("Connected · answered automatically")
        return self.tr("Connected")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        plain = not event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        )
        if plain and len(text) == 1 and text in DTMF_KEYS:
            self.dtmfRequested.emit(text)
            event.accept()
            return
        super().keyPressEvent(event)


def _who(call: TrackedCall | None, fallback: str) -> str:
    if call is None:
        return fallback
    return caller_id(call.display, call.number) or fallback
