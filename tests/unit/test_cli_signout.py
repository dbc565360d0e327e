"""``agent --signout`` is the app's sign-out wipe from the command line: the keychain, the call
history (its key goes with the keychain, so its files must go too) and the SIP trace, with what
is left named and the exit code 1 (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.cli.command import main
from softphone.core.secret import Secret
from softphone.signin.service import default_state_dir
from softphone.storage import history as h
from softphone.storage.history import HistoryStore
from softphone.storage.keychain import KeychainStore
from softphone.ui.diagnostics import TRACE_FILE, default_log_dir
from tests.unit.history_kit import MemorySecrets, call


@pytest.fixture
def keychain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MemorySecrets:
    for name, folder in (("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(name, str(tmp_path / folder))
    store = MemorySecrets()
    store.set("session.token", Secret("tok"))
    monkeypatch.setattr(KeychainStore, "open", classmethod(lambda cls, *args: store))
    history = HistoryStore.open(default_state_dir(), store)
    history.add(call(1))
    history.close()
    default_log_dir().mkdir(parents=True)
    (default_log_dir() / TRACE_FILE).write_text("INVITE sip:5550102030@pbx SIP/2.0\n")
    return store


def test_signout_deletes_the_keychain_the_history_and_the_trace(
    keychain: MemorySecrets, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agent", "--signout"]) == 0
    assert keychain.values == {}
    assert not any(p.exists() for p in h.db_files(default_state_dir()))
    assert not (default_log_dir() / TRACE_FILE).exists()
    assert "the call history and the SIP trace were deleted" in capsys.readouterr().out


def test_signout_names_what_it_left(
    keychain: MemorySecrets, capsys: pytest.CaptureFixture[str]
) -> None:
    stuck = default_log_dir() / f"{TRACE_FILE}.1"
    (stuck / "inside").mkdir(parents=True)  # unlink() refuses a folder, even to root
    assert main(["agent", "--signout"]) == 1
    assert keychain.values == {}
    assert not (default_state_dir() / h.DB_NAME).exists()
    err = capsys.readouterr().err
    assert f"the SIP trace at {stuck} could not be deleted: Is a directory" in err
    assert "Delete it by hand, or run --signout again." in err
