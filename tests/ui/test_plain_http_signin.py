"""The app's sign-in form never talks plain http: a control plane typed under Advanced (or
left there by a scanned code) on this computer is refused in place, before any connection, and
nothing is saved (issue 14). The app has no test option; only the headless agent has one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.core.session_events import SessionState
from softphone.core.session_store import KEY_COMPANY, KEY_PASSWORD, KEY_USERNAME
from softphone.provisioning import errors as e
from tests.support.http_listener import RecordingHttpListener
from tests.ui.app_kit import QuietEngine, app_maker
from tests.unit.history_kit import MemorySecrets

WAIT = 5000


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    with app_maker(
        qtbot, tmp_path, cast(Any, QuietEngine), tray=False, log_dir=tmp_path / "logs"
    ) as make:
        yield make


@pytest.fixture
def listener() -> Iterator[RecordingHttpListener]:
    server = RecordingHttpListener("127.0.0.7", lambda path, url: {})
    try:
        yield server
    finally:
        server.close()


def test_a_plain_http_control_plane_in_the_form_is_refused_before_any_connection(
    qtbot: QtBot,
    make_app: Callable[..., App],
    listener: RecordingHttpListener,
) -> None:
    app = make_app()
    app.start()
    qtbot.waitUntil(lambda: app.service.session.state is SessionState.SIGNED_OUT, timeout=WAIT)
    view = app.signin_view
    view.company.setText("ACME")
    view.username.setText("agent1")
    view.password.setText("vici-pass-123")
    view.set_control_plane(True, listener.url, "")
    view.submit()
    assert view.message_text.startswith(e.InsecureAddress.default_message)
    assert view.message.property("kind") == "error"
    assert app.service.config.control_plane != listener.url  # the old service stays
    assert app.service.session.state is SessionState.SIGNED_OUT
    assert listener.seen() == []
    saved = cast(MemorySecrets, app.options.store).values
    assert not {KEY_COMPANY, KEY_USERNAME, KEY_PASSWORD} & set(saved)  # nothing of the sign-in
    assert listener.url not in app.settings.custom_control_plane
