"""The phone page's header line: is the account registered (a coloured dot and a word, with a
countdown while the engine waits to retry), and how the account answers calls by itself."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from softphone.core import events as ev
from softphone.core.models import AutoAnswerMode, AutoAnswerPolicy
from softphone.ui.look import Tone, tone_color


class StatusHeader(QWidget):
    """Draws what it was last told; ``PhoneView`` feeds it and calls :meth:`refresh` each second
    while :attr:`counting_down`, and when the palette changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._registration: ev.RegistrationChanged | None = None
        self._auto_answer: AutoAnswerPolicy | None = None
        header = QHBoxLayout(self)
        header.setContentsMargins(0, 0, 0, 0)
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

    @property
    def counting_down(self) -> bool:
        """The engine waits to retry registering: the seconds left change every second."""
        return (
            self._registration is not None
            and self._registration.state is ev.RegistrationState.RETRYING
        )

    def set_registration(self, event: ev.RegistrationChanged) -> None:
        self._registration = event
        self.refresh()

    def set_auto_answer(self, policy: AutoAnswerPolicy | None) -> None:
        """Show the account's auto-answer mode (None: no account yet)."""
        self._auto_answer = policy
        self.refresh()

    def refresh(self) -> None:
        event = self._registration
        now = time.time()
        if event is None:
            text, tone = self.tr("Not registered"), Tone.IDLE
        elif event.state is ev.RegistrationState.REGISTERED:
            text, tone = self.tr("Registered"), Tone.OK
        elif event.state is ev.RegistrationState.REGISTERING:
            text, tone = self.tr("Registering…"), Tone.BUSY
        elif event.state is ev.RegistrationState.RETRYING:
            left = max(0, math.ceil(event.at + event.retry_in_s - now))
            text = self.tr("Retrying in {0} s").format(left) if left else self.tr("Retrying…")
            tone = Tone.BUSY
        elif event.state is ev.RegistrationState.FAILED:
            text, tone = self.tr("Not registered: {0}").format(event.reason or event.code), Tone.BAD
        else:
            text, tone = self.tr("Not registered"), Tone.IDLE
        self.registration_label.setText(text)
        self.registration_dot.setToolTip(text)
        self.registration_dot.setAccessibleDescription(text)
        palette = self.registration_dot.palette()
        palette.setColor(QPalette.ColorRole.WindowText, tone_color(tone, self.palette()))
        self.registration_dot.setPalette(palette)
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
