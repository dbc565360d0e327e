"""The Settings page's Calls group: auto-answer (as the server provisions it, or the agent's own
choice with a delay), accepting direct calls, bringing the window up when a call rings, the
small call bar on top of other windows, and how many direct calls were refused."""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel

from softphone.core.models import AutoAnswerMode
from softphone.storage.settings import AS_PROVISIONED
from softphone.ui.global_hotkeys import KEYS, unavailable
from softphone.ui.settings.page import SettingsPage

_MODES: Final = (
    None,  # as the server provisions the account
    AutoAnswerMode.HEADER,
    AutoAnswerMode.OFF,
    AutoAnswerMode.ALWAYS,
    AutoAnswerMode.AFTER,
)


def _mode_data(mode: AutoAnswerMode | None) -> str:
    return AS_PROVISIONED if mode is None else mode.value


class CallsSection(SettingsPage):
    """The Calls group; the app applies its settings (the engine's auto-answer) on
    ``settingsChanged`` and reports refused direct calls to :meth:`show_refused`."""

    def _calls_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Calls"), self)
        form = QFormLayout(group)
        self.auto_answer = self._combo("autoAnswer", self.tr("Auto-answer"))
        labels = {
            None: self.tr("As your company's server sets it"),
            AutoAnswerMode.HEADER: self.tr("When the server asks (VICIdial)"),
            AutoAnswerMode.OFF: self.tr("Off"),
            AutoAnswerMode.ALWAYS: self.tr("Always, at once"),
            AutoAnswerMode.AFTER: self.tr("Always, after a delay"),
        }
        for mode in _MODES:
            self.auto_answer.addItem(labels[mode], _mode_data(mode))
        self.auto_answer.setCurrentIndex(
            self.auto_answer.findData(_mode_data(self._settings.auto_answer))
        )
        self.auto_answer.activated.connect(lambda _i: self._on_auto_answer())
        self.delay = QDoubleSpinBox(group)
        self.delay.setAccessibleName(self.tr("Auto-answer delay in seconds"))
        self.delay.setRange(0.0, 60.0)
        self.delay.setDecimals(0)
        self.delay.setSuffix(self.tr(" s"))
        self.delay.setValue(min(self._settings.auto_answer_delay_s, 60.0))
        self.delay.valueChanged.connect(lambda _v: self._on_auto_answer())
        label = QLabel(self.tr("&Auto-answer:"), group)
        label.setBuddy(self.auto_answer)
        row = QHBoxLayout()
        row.addWidget(self.auto_answer, 1)
        delay_label = QLabel(self.tr("&Delay:"), group)
        delay_label.setBuddy(self.delay)
        row.addWidget(delay_label)
        row.addWidget(self.delay)
        form.addRow(label, row)
        # What the chosen mode does, in a sentence: the server's delay counts only in its mode.
        self.auto_answer_note = QLabel(group)
        self.auto_answer_note.setObjectName("autoAnswerNote")
        self.auto_answer_note.setWordWrap(True)
        form.addRow(self.auto_answer_note)
        self._sync_delay()
        self.accept_direct = self._check(
            self.tr("Accept &direct calls from other addresses"),
            self.tr("Accept direct calls from other addresses"),
            self._settings.accept_direct_calls,
        )
        self.accept_direct.setToolTip(
            self.tr(
                "Calls that do not come through your company's SIP server are refused unless "
                "this is on. When it is on they ring, marked as direct calls, and are never "
                "answered automatically."
            )
        )
        self.accept_direct.toggled.connect(lambda on: self._change(accept_direct_calls=on))
        form.addRow(self.accept_direct)
        self.bring_to_front = self._check(
            self.tr("Bring the &window to the front when a call rings"),
            self.tr("Bring the window to the front when a call rings"),
            self._settings.bring_to_front_on_ring,
        )
        self.bring_to_front.setToolTip(
            self.tr(
                "The phone window opens on top, on the Phone page, and takes the keyboard, even "
                "when it was in the tray. Off: only the small call window appears."
            )
        )
        self.bring_to_front.toggled.connect(lambda on: self._change(bring_to_front_on_ring=on))
        form.addRow(self.bring_to_front)
        self._global_hotkeys_rows(form)
        self.call_bar = self._check(
            self.tr("Show a small call bar on top of other windows durin&g a call"),
            self.tr("Show a small call bar on top of other windows during a call"),
            self._settings.call_bar,
        )
        self.call_bar.setToolTip(
            self.tr(
                "While a call is up and the phone window is not in front, a small bar shows "
                "who you are talking to and the time, with Mute and Hang up."
            )
        )
        self.call_bar.toggled.connect(lambda on: self._change(call_bar=on))
        form.addRow(self.call_bar)
        self._refused = 0
        self.refused_label = QLabel(group)
        self.refused_label.setObjectName("refusedCalls")
        self.refused_label.setWordWrap(True)
        self.refused_label.hide()
        form.addRow(self.refused_label)
        return group

    def _global_hotkeys_rows(self, form: QFormLayout) -> None:
        keys = " / ".join(key.text() for key in KEYS)
        self.global_hotkeys = self._check(
            self.tr("Answer and hang up from an&y app ({0})").format(keys),
            self.tr("Answer and hang up from any app"),
            self._settings.global_hotkeys,
        )
        self.global_hotkeys.setToolTip(
            self.tr(
                "The keys answer the call that rings and hang up the call you are on, even "
                "while another app (such as the agent screen in your browser) has the keyboard. "
                "Other apps then no longer get these keys."
            )
        )
        self.global_hotkeys.toggled.connect(lambda on: self._change(global_hotkeys=on))
        form.addRow(self.global_hotkeys)
        # Muted: why the keys cannot be had here, or a problem the app met taking them.
        self.global_hotkeys_note = QLabel(self)
        self.global_hotkeys_note.setObjectName("globalHotkeysNote")
        self.global_hotkeys_note.setWordWrap(True)
        palette = self.global_hotkeys_note.palette()
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        palette.setColor(QPalette.ColorRole.WindowText, muted)
        self.global_hotkeys_note.setPalette(palette)
        form.addRow(self.global_hotkeys_note)
        reason = unavailable()
        self.global_hotkeys.setEnabled(reason is None)
        self.show_global_hotkeys_problem(reason or "")

    def show_global_hotkeys_problem(self, text: str) -> None:
        """Under the global-keys checkbox: why they cannot be had ("" hides the line)."""
        self.global_hotkeys_note.setText(text)
        self.global_hotkeys_note.setVisible(bool(text))

    def show_refused(self, count: int, sources: tuple[str, ...]) -> None:
        """Direct calls were refused (``UntrustedRequestsRefused``): say how many and from
        where, so an agent who expected one knows why it never rang."""
        self._refused += count
        text = self.tr(
            "Refused since start: {0} call(s) or request(s) from addresses that are not your "
            "company's SIP server, the last from {1}."
        )
        self.refused_label.setText(text.format(self._refused, sources[-1] if sources else "?"))
        self.refused_label.show()

    def _on_auto_answer(self) -> None:
        data = self.auto_answer.currentData()
        mode = None if data == AS_PROVISIONED else AutoAnswerMode(data)
        self._change(auto_answer=mode, auto_answer_delay_s=float(self.delay.value()))
        self._sync_delay()

    def _sync_delay(self) -> None:
        data = self.auto_answer.currentData()
        self.delay.setEnabled(data == AutoAnswerMode.AFTER.value)
        notes = {
            AS_PROVISIONED: self.tr("Your company's server chooses how calls are answered."),
            AutoAnswerMode.HEADER.value: self.tr(
                "Calls are answered when the server asks, after the time it asks for."
            ),
            AutoAnswerMode.OFF.value: self.tr("Calls ring until you answer them."),
            AutoAnswerMode.ALWAYS.value: self.tr(
                "Calls are answered at once, whatever delay the server asks for."
            ),
            AutoAnswerMode.AFTER.value: self.tr(
                "Calls are answered after {0} s, even when the server asks for sooner."
            ).format(f"{self.delay.value():g}"),
        }
        self.auto_answer_note.setText(notes.get(data, ""))
