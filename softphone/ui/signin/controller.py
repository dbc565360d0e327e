"""Connects the sign-in form to the sign-in session (both on the GUI thread).

The form says what the person typed; this turns it into session commands, rebuilding the
sign-in service first when the control plane under Advanced changed (the HTTP clients are made
for one base URL and CA), and prefills the form with the company code and username the session
read from the keychain, or the deployment's company code when nothing is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject

from softphone.core.bus import EventBus
from softphone.core.errors import VicifastError
from softphone.core.secret import Secret
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.ui.signin.view import SignInRequest, SignInView

_log = logging.getLogger(__name__)


class SessionLike(Protocol):
    """What the controller uses of :class:`softphone.core.session.Session`."""

    @property
    def state(self) -> SessionState: ...

    remembered_company: str
    remembered_username: str

    def sign_in(
        self, company_code: str, username: str, password: Secret, totp: str | None = None
    ) -> bool: ...

    def submit_totp(self, code: str) -> bool: ...


SessionFor = Callable[[str, str], SessionLike]
"""(control plane URL or "" for the default, CA file or "") → the session to sign in with;
raises VicifastError (or OSError for an unreadable CA file) when that cannot be built."""


class SignInController(QObject):
    def __init__(
        self,
        view: SignInView,
        bus: EventBus,
        session_for: SessionFor,
        current: Callable[[], SessionLike],
        parent: QObject | None = None,
        *,
        default_company: str = "",
    ) -> None:
        """``default_company``: the form's company code when the keychain has none
        (``softphone.desktop.deployment``)."""
        super().__init__(parent)
        self._view = view
        self._default_company = default_company
        self._session_for = session_for
        self._current = current
        view.submitted.connect(self._sign_in)
        view.totpSubmitted.connect(self._totp)
        bus.subscribe(SessionStateChanged, self._on_session)

    def _sign_in(self, request: SignInRequest) -> None:
        try:
            session = self._session_for(request.control_plane, request.ca_file)
        except (VicifastError, OSError, ValueError) as err:
            _log.info("custom control plane refused: %s", type(err).__name__)
            self._view.show_message(_why_not(err))
            return
        if not session.sign_in(request.company, request.username, request.password):
            self._view.show_message("Already signing in; wait a moment.")

    def _totp(self, code: str) -> None:
        self._current().submit_totp(code)

    def _on_session(self, event: SessionStateChanged) -> None:
        if event.state is SessionState.SIGNED_OUT:
            session = self._current()
            company = session.remembered_company or self._default_company
            self._view.prefill(company, session.remembered_username)


def _why_not(err: BaseException) -> str:
    if isinstance(err, VicifastError):
        return str(err)
    if isinstance(err, OSError):
        return (
            "The CA certificate file under Advanced cannot be read. Check its path, or clear it "
            "to use only the certificates this computer trusts."
        )
    return "The custom control plane under Advanced is not a valid address. Check it."
