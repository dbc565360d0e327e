"""Waiting for the sign-in form the way a person does: until it can be used.

The session's state changes on a worker thread; the form follows when the GUI thread has handled
the event. Between the two the form is still busy (its Sign in button disabled), and a click
then does nothing. So a test waits for both, not the session's state alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytestqt.qtbot import QtBot

from softphone.core.session_events import SessionState

if TYPE_CHECKING:
    from softphone.app import App


def wait_for_the_form(qtbot: QtBot, app: App, timeout_ms: int) -> None:
    """Until the app is signed out and its sign-in form takes a click."""
    view = app.signin_view
    qtbot.waitUntil(
        lambda: (
            app.service.session.state is SessionState.SIGNED_OUT and view.sign_in_button.isEnabled()
        ),
        timeout=timeout_ms,
    )
