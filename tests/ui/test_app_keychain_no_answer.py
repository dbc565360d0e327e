"""The app on a locked keychain whose unlock prompt cannot show (gnome-keyring on a private D-Bus,
"login" locked, a prompter that never answers): the window answers the person the whole time, a
link started with it asks before dialling, and after the keychain's bound the sign-in form says
what to do instead of waiting for ever."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from pytestqt.qtbot import QtBot

from softphone.core.secret import Secret
from softphone.core.session_store import KEY_COMPANY, KEY_PASSWORD, KEY_USERNAME
from softphone.storage.keychain import KeychainStore
from tests.support.secret_service import SecretService, serving_this_process
from tests.support.silent_prompter import silent_prompter
from tests.ui.app_kit import QuietEngine, app_maker

pytestmark = pytest.mark.integration

INSTALL = "no-answer-test"
ANSWER_S = 2.0  # the keychain's bound in this test (the app's own: 30 s)
LINK = "tel:+15551234"


@pytest.fixture
def locked_keychain(tmp_path: Path) -> Iterator[SecretService]:
    """A saved session in "login", then "login" locked, with a prompter that never answers."""
    with serving_this_process(tmp_path / "secret-service") as service:
        store = KeychainStore.open(INSTALL, SecretServiceKeyring())
        store.set(KEY_COMPANY, Secret("acme"))
        store.set(KEY_USERNAME, Secret("agent7"))
        store.set(KEY_PASSWORD, Secret("saved-password"))
        service.lock_login()
        with silent_prompter(service.address, tmp_path):
            yield service


def test_a_keychain_that_never_answers_is_reported_and_the_window_answers(
    qtbot: QtBot, tmp_path: Path, locked_keychain: SecretService
) -> None:
    asked: list[str] = []

    def confirm(parent: object, text: str) -> bool:
        asked.append(text)
        return True

    store = KeychainStore.open(INSTALL, SecretServiceKeyring(), answer_s=ANSWER_S)
    with app_maker(qtbot, tmp_path, QuietEngine, store=store, confirm=confirm) as make:
        app = make()
        app.start()
        app.handle_argv([LINK])
        assert asked == ["Call +15551234?"]
        view = app.signin_view
        # the keychain is asked on the session's worker: meanwhile the form is drawn and types
        qtbot.waitUntil(lambda: "Signing you back in" in view.message_text, timeout=5_000)
        assert app.window.isVisible()

        qtbot.waitUntil(lambda: "did not answer" in view.message_text, timeout=15_000)
        message = view.message_text
        assert "Unlock your login keyring" in message
        assert "saved-password" not in message and "Traceback" not in message
        assert locked_keychain.login_locked()  # nothing unlocked it behind the person's back

        # the form is the person's again: they can type and sign in by hand
        view.company.clear()
        qtbot.keyClicks(view.company, "acme2")
        assert view.company.text() == "acme2"
        assert view.company.isEnabled()
