"""KeychainStore on a locked gnome-keyring whose unlock prompt cannot show (a prompter on the
private bus that never answers, as on a desktop without a display for ``gcr-prompter``): every
call ends with KeychainLocked within the store's bound instead of waiting for ever."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from softphone.core.secret import Secret
from softphone.storage.errors import KeychainLocked
from softphone.storage.keychain import UNLOCK_ANSWER_S, KeychainStore
from tests.support.secret_service import SecretService, serving_this_process
from tests.support.silent_prompter import silent_prompter

pytestmark = pytest.mark.integration

INSTALL = "no-prompter-test"
ANSWER_S = 1.0


@pytest.fixture
def unanswered(tmp_path: Path) -> Iterator[SecretService]:
    with serving_this_process(tmp_path / "secret-service") as service:
        KeychainStore.open(INSTALL, SecretServiceKeyring()).set("sip.password", Secret("kept"))
        service.lock_login()
        with silent_prompter(service.address, tmp_path):
            yield service


def test_the_bound_is_the_apps() -> None:
    assert UNLOCK_ANSWER_S == 30.0


def test_every_call_gives_up_within_the_bound(unanswered: SecretService) -> None:
    store = KeychainStore.open(INSTALL, SecretServiceKeyring(), answer_s=ANSWER_S)
    calls: list[Callable[[], object]] = [
        lambda: store.get("sip.password"),
        lambda: store.set("sip.password", Secret("new-value")),
        lambda: store.delete("sip.password"),
        store.keys,
        store.clear,
    ]
    for call in calls:
        began = time.monotonic()
        with pytest.raises(KeychainLocked, match="did not answer within 1 s") as caught:
            call()
        assert time.monotonic() - began < ANSWER_S + 5.0
        assert "Unlock your login keyring" in str(caught.value)
        assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert unanswered.login_locked()

    unanswered.restart_keyring()  # unlocked again: nothing was lost or changed
    assert KeychainStore.open(INSTALL, SecretServiceKeyring()).get("sip.password") == Secret("kept")
