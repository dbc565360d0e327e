"""The sign-in form: every contract outcome in place, the TOTP field on demand, countdowns, and
the remembered company code and username (driven by the session's events on the bus), and the
supervisors' way to the provisioning pane without signing in."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from softphone.core.bus import EventBus
from softphone.core.retry import Backoff
from softphone.core.secret import Secret
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.provisioning import errors as e
from softphone.ui.provisioning.view import ProvisioningView
from softphone.ui.signin.controller import SignInController
from softphone.ui.signin.view import SignInRequest, SignInView
from tests.ui.app_kit import QuietEngine, app_maker

R, S = SessionReason, SessionState


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def view(qtbot: QtBot, bus: EventBus) -> SignInView:
    widget = SignInView(bus, backoff=Backoff(first_s=1.0, factor=1.0, cap_s=1.0))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def fill(view: SignInView) -> None:
    view.company.setText("DEMO")
    view.username.setText("agent1")
    view.password.setText("demo-pass-1")


def ended(reason: SessionReason, message: str, retry_in_s: float = 0.0) -> SessionStateChanged:
    return SessionStateChanged(
        state=S.SIGNED_OUT, reason=reason, message=message, retry_in_s=retry_in_s
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (R.INVALID_CREDENTIALS, str(e.InvalidCredentials())),
        (R.UNKNOWN_COMPANY, str(e.UnknownCompany())),
        (R.ADDON_INACTIVE, "Ask your administrator: the add-on is off (server's own words)."),
        (R.ACCOUNT_REVOKED, str(e.AccountRevoked())),
        (R.TLS, str(e.TlsError())),
        (R.INSECURE_ADDRESS, str(e.InsecureAddress())),
        (R.MALFORMED_RESPONSE, str(e.MalformedResponse())),
        (R.KEYCHAIN, "The keychain is locked. Unlock it and try again."),
    ],
)
def test_each_refusal_is_shown_in_place_with_the_sessions_words(
    view: SignInView, bus: EventBus, reason: SessionReason, message: str
) -> None:
    fill(view)
    view.submit()
    bus.publish(SessionStateChanged(state=S.SIGNING_IN))
    assert view.message_text == "Signing in…"
    assert not view.sign_in_button.isEnabled()
    bus.publish(ended(reason, message))
    assert view.message_text == message
    assert view.message.property("kind") == "error"
    assert view.sign_in_button.isEnabled() and view.company.isEnabled()
    assert view.isVisible()  # no dialog took over: the text is in the form
    if reason is R.INVALID_CREDENTIALS:
        assert view.password.text() == ""  # retyped, not resent
    else:
        assert view.password.text() == "demo-pass-1"


def test_totp_field_appears_when_asked_and_sends_the_code(
    qtbot: QtBot, view: SignInView, bus: EventBus
) -> None:
    assert not view.totp_visible
    fill(view)
    with qtbot.waitSignal(view.submitted) as sent:
        view.submit()
    request: SignInRequest = sent.args[0]
    assert (request.company, request.username) == ("DEMO", "agent1")
    assert request.password == Secret("demo-pass-1") and "demo-pass-1" not in repr(request)
    bus.publish(
        SessionStateChanged(
            state=S.AWAITING_TOTP, reason=R.TOTP_REQUIRED, message=str(e.TotpRequired())
        )
    )
    assert view.totp_visible
    assert view.message_text == str(e.TotpRequired())
    view.totp.setText("123 456")
    with qtbot.waitSignal(view.totpSubmitted) as code:
        view.submit()
    assert code.args == ["123456"]
    bus.publish(
        SessionStateChanged(
            state=S.AWAITING_TOTP, reason=R.TOTP_INVALID, message=str(e.TotpInvalid())
        )
    )
    assert view.message_text == str(e.TotpInvalid())
    assert view.message.property("kind") == "error"
    assert view.totp.text() == ""
    bus.publish(SessionStateChanged(state=S.REGISTERING))
    assert not view.totp_visible
    assert view.password.text() == ""  # signed in: the keychain holds it, not the widget


def test_missing_fields_are_named_before_anything_is_sent(qtbot: QtBot, view: SignInView) -> None:
    with qtbot.assertNotEmitted(view.submitted):
        view.submit()
    assert view.message_text == "Enter your company code."
    view.company.setText("DEMO")
    view.username.setText("agent1")
    view.submit()
    assert view.message_text == "Enter your password."


def test_rate_limit_shows_the_wait_and_holds_the_button(
    qtbot: QtBot, view: SignInView, bus: EventBus
) -> None:
    fill(view)
    view.submit()
    message = str(e.RateLimited(45))
    bus.publish(ended(R.RATE_LIMITED, message, retry_in_s=45))
    assert view.message_text == message and "45 seconds" in message
    assert not view.sign_in_button.isEnabled()
    assert view.sign_in_button.text() == "Sign in (wait 45 s)"
    with qtbot.assertNotEmitted(view.submitted):
        view.submit()


def test_unreachable_server_counts_down_then_tries_again(
    qtbot: QtBot, view: SignInView, bus: EventBus
) -> None:
    fill(view)
    view.submit()
    bus.publish(ended(R.TRANSIENT, str(e.TransientError())))
    assert view.message_text.startswith("Can't reach the server.")
    assert "Retrying in 1 s" in view.message_text
    with qtbot.waitSignal(view.submitted, timeout=3000) as again:
        pass
    assert again.args[0].company == "DEMO"


def test_signed_out_by_the_user_is_information_not_an_error(
    view: SignInView, bus: EventBus
) -> None:
    bus.publish(ended(R.USER_SIGN_OUT, "You signed out."))
    assert view.message_text == "You signed out."
    assert view.message.property("kind") == "info"


def test_while_the_wipe_runs_the_form_waits_and_then_says_how_it_went(
    view: SignInView, bus: EventBus
) -> None:
    fill(view)
    bus.publish(
        SessionStateChanged(
            state=S.SIGNED_OUT,
            reason=R.USER_SIGN_OUT,
            message="Deleting your saved sign-in and your call history…",
            wiping=True,
        )
    )
    assert view.message_text.startswith("Deleting")
    assert view.message.property("kind") == "busy"
    assert not view.sign_in_button.isEnabled() and not view.password.isEnabled()
    left = (
        "You signed out, but the call history at /data/calls.db could not be deleted: "
        "Is a directory. Delete it by hand, or sign in and sign out again."
    )
    bus.publish(
        SessionStateChanged(
            state=S.SIGNED_OUT,
            reason=R.USER_SIGN_OUT,
            message=left,
            left_behind=("the call history at /data/calls.db",),
        )
    )
    assert view.message_text == left
    assert view.message.property("kind") == "error"  # something for the person to do
    assert view.sign_in_button.isEnabled() and view.password.isEnabled()


def test_custom_control_plane_goes_with_the_request(qtbot: QtBot, view: SignInView) -> None:
    fill(view)
    view.set_control_plane(True, "https://cp.example.com", "certs/ca.pem")
    assert view.advanced.isVisible()
    with qtbot.waitSignal(view.submitted) as sent:
        view.submit()
    assert sent.args[0].control_plane == "https://cp.example.com"
    assert sent.args[0].ca_file == "certs/ca.pem"
    view.custom_plane.setChecked(False)
    with qtbot.waitSignal(view.submitted) as sent:
        view.submit()
    assert (sent.args[0].control_plane, sent.args[0].ca_file) == ("", "")


def test_scan_button_and_confirmed_code_fill_the_form(qtbot: QtBot, bus: EventBus) -> None:
    answers = [False, True]
    asked: list[str] = []

    def confirm(text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    view = SignInView(bus, confirm=confirm)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.scanRequested):
        view.scan_button.click()
    assert not view.offer_signin_code("ACME", "bob")
    assert view.company.text() == ""
    assert view.offer_signin_code("ACME", "bob")
    assert "Company code: ACME" in asked[-1] and "Username: bob" in asked[-1]
    assert (view.company.text(), view.username.text()) == ("ACME", "bob")


class FakeSession:
    def __init__(self) -> None:
        self.state = S.SIGNED_OUT
        self.remembered_company = ""
        self.remembered_username = ""
        self.calls: list[tuple[str, ...]] = []

    def sign_in(
        self, company_code: str, username: str, password: Secret, totp: str | None = None
    ) -> bool:
        self.calls.append(("sign_in", company_code, username, password.reveal()))
        return True

    def submit_totp(self, code: str) -> bool:
        self.calls.append(("totp", code))
        return True


def test_controller_prefills_what_the_keychain_remembered_and_signs_in(
    view: SignInView, bus: EventBus
) -> None:
    session = FakeSession()
    planes: list[tuple[str, str]] = []

    def session_for(url: str, ca: str) -> FakeSession:
        planes.append((url, ca))
        return session

    SignInController(view, bus, session_for, lambda: session)
    session.remembered_company, session.remembered_username = "DEMO", "agent1"
    bus.publish(SessionStateChanged(state=S.SIGNED_OUT))  # resume found no password
    assert (view.company.text(), view.username.text()) == ("DEMO", "agent1")
    assert view.password.text() == ""
    view.password.setText("pw")
    view.submit()
    assert session.calls == [("sign_in", "DEMO", "agent1", "pw")]
    assert planes == [("", "")]
    bus.publish(SessionStateChanged(state=S.AWAITING_TOTP, reason=R.TOTP_REQUIRED))
    view.totp.setText("654321")
    view.submit()
    assert session.calls[-1] == ("totp", "654321")


def test_controller_shows_a_refused_control_plane_in_place(view: SignInView, bus: EventBus) -> None:
    def refuse(url: str, ca: str) -> FakeSession:
        raise e.InsecureAddress()

    session = FakeSession()
    SignInController(view, bus, refuse, lambda: session)
    fill(view)
    view.set_control_plane(True, "http://cp.example.com", "")
    view.submit()
    assert view.message_text == str(e.InsecureAddress())
    assert session.calls == []


def test_a_supervisor_makes_agent_codes_from_the_sign_in_page_without_signing_in(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with app_maker(qtbot, tmp_path, cast(Any, QuietEngine), tray=False) as make:
        app = make()
        app.window.show()
        qtbot.waitExposed(app.window)
        button = app.signin_view.provisioning_button
        assert button.isVisible() and button.text() == "Make QR codes for agents…"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        dialog = app.provisioning.dialog
        assert dialog is not None
        qtbot.waitExposed(dialog)
        pane = dialog.findChild(ProvisioningView)
        assert pane is not None and pane.isVisible()
        qtbot.keyClicks(pane.one.company, "acme")
        qtbot.keyClicks(pane.one.username, "jdoe")
        qtbot.waitUntil(lambda: not pane.one.preview.pixmap().isNull(), timeout=5000)
        assert pane.one.current_uri() == "vicifast://signin?v=1&c=acme&u=jdoe"
        assert pane.one.save_png.isEnabled()
        assert not app.window.signed_in_view  # nobody signed in for any of it
        assert app.service.session.state is S.SIGNED_OUT
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # closing forgets the pane
        qtbot.waitUntil(lambda: app.provisioning.dialog is None, timeout=5000)


def test_show_password_toggle_reveals_it_and_hides_it_again_on_sign_in(
    qtbot: QtBot, view: SignInView
) -> None:
    view.company.setText("DEMO")
    view.username.setText("agent1")
    qtbot.keyClicks(view.password, "demo-pass-1")
    toggle = view.show_password
    assert view.password.echoMode() == QLineEdit.EchoMode.Password
    assert toggle.accessibleName() == "Show password"
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert view.password.echoMode() == QLineEdit.EchoMode.Normal
    assert toggle.accessibleName() == "Hide password"
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert view.password.echoMode() == QLineEdit.EchoMode.Password
    assert toggle.accessibleName() == "Show password"
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert view.password.echoMode() == QLineEdit.EchoMode.Normal
    with qtbot.waitSignal(view.submitted):
        qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    assert view.password.echoMode() == QLineEdit.EchoMode.Password
    assert not toggle.isChecked() and toggle.accessibleName() == "Show password"


def test_the_button_says_verify_while_the_authenticator_code_is_asked(
    qtbot: QtBot, view: SignInView, bus: EventBus
) -> None:
    fill(view)
    assert view.sign_in_button.text() == "Sign in"
    with qtbot.waitSignal(view.submitted):
        qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    bus.publish(SessionStateChanged(state=S.SIGNING_IN))
    bus.publish(
        SessionStateChanged(
            state=S.AWAITING_TOTP, reason=R.TOTP_REQUIRED, message=str(e.TotpRequired())
        )
    )
    assert view.sign_in_button.text() == "Verify"
    qtbot.keyClicks(view.totp, "123456")
    with qtbot.waitSignal(view.totpSubmitted):
        qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    assert view.sign_in_button.text() == "Verify"  # still the code's step until answered
    bus.publish(
        SessionStateChanged(
            state=S.AWAITING_TOTP, reason=R.TOTP_INVALID, message=str(e.TotpInvalid())
        )
    )
    assert view.sign_in_button.text() == "Verify"
    bus.publish(ended(R.INVALID_CREDENTIALS, str(e.InvalidCredentials())))
    assert not view.totp_visible
    assert view.sign_in_button.text() == "Sign in"
