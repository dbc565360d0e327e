"""The sign-in form: company code, username, password, and an authenticator code when asked.

Every answer of the sign-in contract is shown in place, in one message area under the form (no
dialogs): the session's own message for people, a live countdown for a rate limit, and an
automatic retry with a countdown when the server cannot be reached. The view never holds the
session: it emits :attr:`SignInView.submitted` and listens to ``SessionStateChanged`` on the bus.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from softphone.core.bus import EventBus
from softphone.core.retry import Backoff
from softphone.core.secret import Secret
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.ui.look import Text, Tone, set_text, tone_color

Reason = SessionReason
State = SessionState

_SIGNED_IN = frozenset({State.REGISTERING, State.REGISTERED, State.REFRESHING, State.BACKING_OFF})
_BUSY = frozenset({State.SIGNING_IN, State.PROVISIONING})
_SIGNED_OUT_INFO = frozenset({Reason.USER_SIGN_OUT})


@dataclass(frozen=True, slots=True)
class SignInRequest:
    """What the person typed; ``control_plane`` empty means the default one."""

    company: str
    username: str
    password: Secret = field(repr=False)
    control_plane: str = ""
    ca_file: str = ""


class MessageKind:
    INFO = "info"
    BUSY = "busy"
    ERROR = "error"


def _confirm_nothing(text: str) -> bool:
    return False


class SignInView(QWidget):
    """Emits on the GUI thread: ``submitted(SignInRequest)``, ``totpSubmitted(str)``,
    ``scanRequested()``, ``provisioningRequested()`` (a supervisor making codes for agents
    needs no agent sign-in)."""

    submitted = Signal(object)
    totpSubmitted = Signal(str)
    scanRequested = Signal()
    provisioningRequested = Signal()

    def __init__(
        self,
        bus: EventBus,
        parent: QWidget | None = None,
        *,
        confirm: Callable[[str], bool] = _confirm_nothing,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(parent)
        self._confirm = confirm
        self._backoff = backoff or Backoff(first_s=4.0, cap_s=60.0)
        self._last: SignInRequest | None = None
        self._awaiting_totp = False
        self._countdown_left = 0
        self._countdown_kind = ""  # "retry": sign in again at 0; "wait": re-enable at 0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._build()
        bus.subscribe(SessionStateChanged, self._on_session)

    # ---- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.setObjectName("signInView")
        title = QLabel(self.tr("Sign in to VICIfast"))
        title.setObjectName("title")
        set_text(title, Text.TITLE, bold=True)
        hint = QLabel(
            self.tr("Use the company code from your administrator and your VICIdial login.")
        )
        hint.setWordWrap(True)

        self.company = QLineEdit(placeholderText=self.tr("e.g. ACME"))
        self.username = QLineEdit(placeholderText=self.tr("VICIdial username"))
        self.password = QLineEdit(placeholderText=self.tr("VICIdial password"))
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        # a worded button, not an eye icon: icon themes are missing on some desktops
        self.show_password = QToolButton()
        self.show_password.setObjectName("showPassword")
        self.show_password.setCheckable(True)
        self.show_password.setAutoRaise(True)
        self.show_password.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.show_password.toggled.connect(self._show_password)
        self._show_password(False)
        self.totp = QLineEdit(placeholderText=self.tr("6-digit code"))
        self.totp.setMaxLength(10)
        self.totp.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        company, username, password = (
            self.tr("Company code"),
            self.tr("Username"),
            self.tr("Password"),
        )
        self.company.setAccessibleName(company)
        self.username.setAccessibleName(username)
        self.password.setAccessibleName(password)
        self.totp.setAccessibleName(self.tr("Authenticator code"))
        self._totp_label = QLabel(self.tr("Authenticator code"))

        form = QFormLayout()
        form.addRow(company, self.company)
        form.addRow(username, self.username)
        password_row = QHBoxLayout()
        password_row.setSpacing(2)
        password_row.addWidget(self.password, 1)
        password_row.addWidget(self.show_password)
        form.addRow(password, password_row)
        form.addRow(self._totp_label, self.totp)
        self._form = form
        self._set_totp_visible(False)

        self.message = QLabel()
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setMinimumHeight(self.message.fontMetrics().height() * 3)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.sign_in_button = QPushButton(self.tr("Sign in"))
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self.submit)
        for edit in (self.company, self.username, self.password, self.totp):
            edit.returnPressed.connect(self.submit)

        self._advanced_toggle = QToolButton()
        self._advanced_toggle.setText(self.tr("Advanced"))
        self._advanced_toggle.setCheckable(True)
        self._advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self._advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._advanced_toggle.setAutoRaise(True)
        self._advanced_toggle.toggled.connect(self._show_advanced)
        self.advanced = self._build_advanced()
        self.advanced.setVisible(False)
        self.provisioning_button = QPushButton(self.tr("Make QR codes for agents…"))
        self.provisioning_button.setObjectName("provisioningButton")
        # a link, not a second call to action beside "Sign in": most people never need it
        self.provisioning_button.setFlat(True)
        self.provisioning_button.setCursor(Qt.CursorShape.PointingHandCursor)
        link_font = self.provisioning_button.font()
        link_font.setUnderline(True)
        self.provisioning_button.setFont(link_font)
        palette = self.provisioning_button.palette()
        palette.setColor(QPalette.ColorRole.ButtonText, palette.color(QPalette.ColorRole.Link))
        self.provisioning_button.setPalette(palette)
        self.provisioning_button.setToolTip(
            self.tr("For supervisors: sign-in codes for your agents, without signing in here")
        )
        self.provisioning_button.clicked.connect(self.provisioningRequested.emit)

        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(hint)
        column.addSpacing(8)
        column.addLayout(form)
        column.addWidget(self.message)
        column.addWidget(self.sign_in_button)
        column.addSpacing(8)
        column.addWidget(self._advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.advanced)
        column.addWidget(self.provisioning_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(1)
        box = QWidget()
        box.setLayout(column)
        box.setMaximumWidth(440)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 3)
        outer.addStretch(1)

    def _build_advanced(self) -> QWidget:
        panel = QWidget()
        panel.setObjectName("advanced")
        self.scan_button = QPushButton(self.tr("Scan QR code…"))
        self.scan_button.setToolTip(self.tr("Fill in the company code from a sign-in QR code"))
        self.scan_button.clicked.connect(self.scanRequested.emit)
        self.custom_plane = QCheckBox(self.tr("Use a custom control plane"))
        self.control_plane = QLineEdit(placeholderText=self.tr("https://control.example.com"))
        self.ca_file = QLineEdit(placeholderText=self.tr("CA certificate (PEM), if not public"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        self.custom_plane.toggled.connect(self._custom_toggled)
        self._custom_toggled(False)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(16, 0, 0, 0)
        layout.addWidget(self.scan_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.custom_plane)
        layout.addWidget(self.control_plane)
        layout.addLayout(ca_row)
        return panel

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        arrow = Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        self._advanced_toggle.setArrowType(arrow)

    def _custom_toggled(self, on: bool) -> None:
        self.control_plane.setEnabled(on)
        self.ca_file.setEnabled(on)

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("CA certificate"),
            "",
            self.tr("Certificates (*.pem *.crt);;All files (*)"),
        )
        if path:
            self.ca_file.setText(path)

    def _set_totp_visible(self, shown: bool) -> None:
        self._totp_label.setVisible(shown)
        self.totp.setVisible(shown)

    def _set_totp_step(self, asked: bool) -> None:
        self._awaiting_totp = asked
        self._set_totp_visible(asked)
        if self._countdown_kind != "wait":  # that one shows its seconds on the button
            self.sign_in_button.setText(self._button_text())

    def _button_text(self) -> str:
        return self.tr("Verify") if self._awaiting_totp else self.tr("Sign in")

    def _show_password(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.password.setEchoMode(mode)
        self.show_password.setText(self.tr("Hide") if shown else self.tr("Show"))
        name = self.tr("Hide password") if shown else self.tr("Show password")
        self.show_password.setAccessibleName(name)
        self.show_password.setToolTip(name)

    # ---- what the app sets ---------------------------------------------------------------------

    def prefill(self, company: str, username: str) -> None:
        """The remembered company code and username (from the keychain); typed text wins."""
        if company and not self.company.text():
            self.company.setText(company)
        if username and not self.username.text():
            self.username.setText(username)
        if self.company.text() and self.username.text():
            self.password.setFocus()

    def set_control_plane(self, custom: bool, url: str, ca_file: str) -> None:
        self.custom_plane.setChecked(custom)
        self.control_plane.setText(url)
        self.ca_file.setText(ca_file)
        if custom:
            self._advanced_toggle.setChecked(True)

    def offer_signin_code(self, company: str, username: str = "", api: str = "") -> bool:
        """A scanned sign-in code: fill the form once the person confirms. True if filled."""
        lines = [self.tr("Company code: {0}").format(company)]
        if username:
            lines.append(self.tr("Username: {0}").format(username))
        if api:
            lines.append(self.tr("Control plane: {0}").format(api))
        question = self.tr("Fill in the sign-in form with this code?")
        if not self._confirm(question + "\n\n" + "\n".join(lines)):
            return False
        self.apply_signin_code(company, username, api)
        return True

    def apply_signin_code(self, company: str, username: str = "", api: str = "") -> None:
        """Fill the form from a sign-in code the person already confirmed (the scan dialog)."""
        self.company.setText(company)
        if username:
            self.username.setText(username)
        if api:
            self.set_control_plane(True, api, self.ca_file.text())
        self.password.clear()
        self.password.setFocus()
        self.show_message(self.tr("Enter your password to sign in."), MessageKind.INFO)

    def show_message(self, text: str, kind: str = MessageKind.ERROR) -> None:
        self.message.setText(text)
        self.message.setProperty("kind", kind)
        red = tone_color(Tone.BAD, self.palette()).name()
        self.message.setStyleSheet(f"color: {red};" if kind == MessageKind.ERROR else "")

    @property
    def message_text(self) -> str:
        return self.message.text()

    @property
    def totp_visible(self) -> bool:
        return not self.totp.isHidden()

    # ---- submitting ----------------------------------------------------------------------------

    def submit(self) -> None:
        """Sign in (or send the authenticator code) with what the form holds."""
        if self._countdown_kind == "wait" or not self.sign_in_button.isEnabled():
            return
        if self._awaiting_totp:
            code = "".join(self.totp.text().split())
            if not code:
                self.show_message(self.tr("Enter the code from your authenticator app."))
                self.totp.setFocus()
                return
            self._stop_countdown()
            self.totpSubmitted.emit(code)
            return
        missing = [
            (edit, what)
            for edit, what in (
                (self.company, self.tr("Enter your company code.")),
                (self.username, self.tr("Enter your username.")),
                (self.password, self.tr("Enter your password.")),
            )
            if not edit.text().strip()
        ]
        if missing:
            missing[0][0].setFocus()
            self.show_message(missing[0][1])
            return
        custom = self.custom_plane.isChecked()
        if custom and not self.control_plane.text().strip():
            self.show_message(self.tr("Enter the custom control plane's address, or untick it."))
            self.control_plane.setFocus()
            return
        request = SignInRequest(
            company=self.company.text().strip(),
            username=self.username.text().strip(),
            password=Secret(self.password.text()),
            control_plane=self.control_plane.text().strip() if custom else "",
            ca_file=self.ca_file.text().strip() if custom else "",
        )
        self._stop_countdown()
        self._backoff.reset()
        self._send(request)

    def _send(self, request: SignInRequest) -> None:
        self.show_password.setChecked(False)  # not left on screen while signing in
        self._last = request
        self.submitted.emit(request)

    # ---- the session's answers -----------------------------------------------------------------

    def _on_session(self, event: SessionStateChanged) -> None:
        state = event.state
        if state in _BUSY:
            self._stop_countdown()
            if event.reason is Reason.RESUMED:
                text = self.tr("Signing you back in…")
            elif state is State.SIGNING_IN:
                text = self.tr("Signing in…")
            else:
                text = self.tr("Getting your phone settings from your company's server…")
            self._set_busy(True)
            self.show_message(text, MessageKind.BUSY)
        elif state is State.AWAITING_TOTP:
            self._set_busy(False)
            self._set_totp_step(True)
            self.totp.clear()
            self.totp.setFocus()
            kind = MessageKind.ERROR if event.reason is Reason.TOTP_INVALID else MessageKind.INFO
            self.show_message(event.message, kind)
        elif state in _SIGNED_IN:
            self._signed_in()
        elif state is State.SIGNED_OUT:
            self._signed_out(event)

    def _signed_in(self) -> None:
        self._stop_countdown()
        self._last = None
        self._backoff.reset()
        self.password.clear()  # the keychain has it now; the widget need not
        self.totp.clear()
        self._set_totp_step(False)
        self._set_busy(False)
        self.show_message("", MessageKind.INFO)

    def _signed_out(self, event: SessionStateChanged) -> None:
        self._set_totp_step(False)
        if event.wiping:  # the session takes no sign-in until its wipe is done
            self._stop_countdown()
            self._set_busy(True)
            self.show_message(event.message, MessageKind.BUSY)
            return
        self._set_busy(False)
        reason = event.reason
        if event.left_behind:  # what the wipe left, and where: for the person to act on
            self.show_message(event.message, MessageKind.ERROR)
        elif reason is Reason.NONE:
            self.show_message("", MessageKind.INFO)
        elif reason is Reason.TRANSIENT and self._last is not None:
            self._start_countdown("retry", math.ceil(self._backoff.next_delay()))
        elif reason is Reason.RATE_LIMITED:
            self.show_message(event.message)
            self._start_countdown("wait", math.ceil(event.retry_in_s or 60))
        else:
            self.show_message(
                event.message,
                MessageKind.INFO if reason in _SIGNED_OUT_INFO else MessageKind.ERROR,
            )
            if reason is Reason.INVALID_CREDENTIALS:
                self.password.clear()
                self.password.setFocus()
            elif reason is Reason.UNKNOWN_COMPANY:
                self.company.setFocus()
                self.company.selectAll()

    def _set_busy(self, busy: bool) -> None:
        widgets = (self.company, self.username, self.password, self.show_password)
        for widget in (*widgets, self.totp, self.advanced):
            widget.setEnabled(not busy)
        self.sign_in_button.setEnabled(not busy)

    # ---- countdowns ----------------------------------------------------------------------------

    def _start_countdown(self, kind: str, seconds: int) -> None:
        self._countdown_kind = kind
        self._countdown_left = max(1, seconds)
        if kind == "wait":
            self.sign_in_button.setEnabled(False)
        self._render_countdown()
        self._countdown.start()

    def _stop_countdown(self) -> None:
        self._countdown.stop()
        if self._countdown_kind == "wait":
            self.sign_in_button.setEnabled(True)
        self._countdown_kind = ""
        self.sign_in_button.setText(self._button_text())

    def _tick(self) -> None:
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self._render_countdown()
            return
        kind, request = self._countdown_kind, self._last
        self._stop_countdown()
        if kind == "retry" and request is not None:
            self._send(request)
        elif kind == "wait":
            self.show_message(self.tr("You can try signing in again now."), MessageKind.INFO)

    def _render_countdown(self) -> None:
        left = self._countdown_left
        if self._countdown_kind == "retry":
            text = self.tr("Can't reach the server. Check your internet connection.")
            retry = self.tr("Retrying in {0} s…").format(left)
            self.show_message(f"{text} {retry}", MessageKind.BUSY)
        else:
            self.sign_in_button.setText(self.tr("Sign in (wait {0} s)").format(left))

    @property
    def countdown_left(self) -> int:
        return self._countdown_left if self._countdown_kind else 0
