"""KeychainStore against a real Secret Service: gnome-keyring-daemon on a private D-Bus bus.

Each test gets its own bus, daemon, HOME and XDG dirs (tests/support/secret_service.py), with
this process pointed at them; a second Python process with the same environment proves the
values really live in the Secret Service, not in this process.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from softphone.core.secret import Secret
from softphone.storage.errors import KeychainLocked, KeychainUnavailable, install_hint
from softphone.storage.keychain import INDEX_ENTRY, KeychainStore
from tests.support.secret_service import SecretService, available, dead_bus_address

pytestmark = [
    pytest.mark.integration,
    # keyring's SecretService backend leaves its D-Bus connection to the garbage collector when
    # a call fails (locked, service gone: jaraco/keyring#380); the fixtures collect it here, so
    # that the warning cannot surface in a later test.
    pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*/bus>:ResourceWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "0b9d7c1e-5a4f-4c3b-8e2d-1f0a9b8c7d6e"
KEYS = ("vicidial.username", "vicidial.password", "vicidial.company", "sip.password")

# Runs in a second process: opens the store on keyring's *default* backend for the environment
# and prints what it finds as JSON (values included: they are this test's throwaway secrets).
_CHILD = """
import json, sys
import keyring
from softphone.core.errors import VicifastError
from softphone.storage.keychain import KeychainStore
install, action, *keys = sys.argv[1:]
try:
    store = KeychainStore.open(install)
    if action == "set":
        from softphone.core.secret import Secret
        for key in keys:
            store.set(key, Secret(key + "-written-by-child"))
    found = {key: (None if (v := store.get(key)) is None else v.reveal()) for key in keys}
    result = {"backend": type(store.backend).__module__, "values": found}
except VicifastError as exc:
    result = {"error": type(exc).__name__, "message": str(exc)}
print(json.dumps(result))
"""


def in_child(service_env: dict[str, str], action: str, *keys: str) -> dict[str, object]:
    """Run _CHILD with this process's environment plus `service_env`; its JSON result."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, INSTALL, action, *keys],
        env={**os.environ, **service_env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def new_secret() -> str:
    return f"vf-secret-{secrets.token_hex(12)}"


def files_containing(root: Path, text: str) -> list[Path]:
    needle = text.encode()
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretService:
    if not available():
        pytest.fail("dbus-daemon or gnome-keyring-daemon is missing: run scripts/bootstrap.sh test")
    service = SecretService(tmp_path / "secret-service")
    for key, value in service.env.items():
        monkeypatch.setenv(key, value)
    return service


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretService]:
    """A running bus + gnome-keyring ("login" unlocked), this process pointed at it."""
    service = _service(tmp_path, monkeypatch)
    try:
        yield service.start()
    finally:
        service.stop()
        gc.collect()


@pytest.fixture
def bus_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretService]:
    """A running session bus with no Secret Service on it."""
    service = _service(tmp_path, monkeypatch)
    try:
        service.start_bus()
        yield service
    finally:
        service.stop()
        gc.collect()


def open_store() -> KeychainStore:
    return KeychainStore.open(INSTALL, SecretServiceKeyring())


def test_values_live_in_the_secret_service(secret_service: SecretService) -> None:
    store = open_store()
    values = {key: new_secret() for key in KEYS}
    for key, value in values.items():
        store.set(key, Secret(value))

    seen = in_child(secret_service.env, "get", *KEYS)
    assert seen == {"backend": "keyring.backends.SecretService", "values": values}
    stored = {entry["username"] for entry in secret_service.entries(store.service)}
    assert stored == {*KEYS, INDEX_ENTRY}

    # and the other way: what a second process writes, this one reads (index included)
    in_child(secret_service.env, "set", "session.token")
    assert store.get("session.token") == Secret("session.token-written-by-child")
    assert store.keys() == {*KEYS, "session.token"}


def test_a_batch_writes_what_keyring_writes_one_by_one(secret_service: SecretService) -> None:
    store = open_store()
    store.set("vicidial.username", Secret(new_secret()))  # keyring's own set_password
    values = {key: new_secret() for key in KEYS}
    store.update({key: Secret(value) for key, value in values.items()})  # one connection

    # keyring, in another process, finds them (the username replaced, not added beside)
    assert in_child(secret_service.env, "get", *KEYS)["values"] == values
    # the attributes keyring gives, without those the Secret Service may add of its own
    # (gnome-keyring added 'xdg:schema' to some items in one run, to none in others)
    entries = [
        {name: value for name, value in entry.items() if not name.startswith("xdg:")}
        for entry in secret_service.entries(store.service)
    ]
    assert sorted(entry["username"] for entry in entries) == sorted([*KEYS, INDEX_ENTRY])
    written_by_keyring = next(e for e in entries if e["username"] == INDEX_ENTRY)
    for entry in entries:  # the same attributes as the index entry keyring itself wrote
        assert {**entry, "username": INDEX_ENTRY} == written_by_keyring


def test_many_are_read_on_one_connection_as_keyring_reads_them(
    secret_service: SecretService,
) -> None:
    in_child(secret_service.env, "set", *KEYS[:3])  # written by keyring, one by one
    store = open_store()
    found = store.get_many([*KEYS, "session.token"])
    assert found == {
        **{key: Secret(f"{key}-written-by-child") for key in KEYS[:3]},
        KEYS[3]: None,
        "session.token": None,
    }


def test_the_default_keychain_opens_without_starting_a_process(
    secret_service: SecretService, tmp_path: Path
) -> None:
    # keyring's own backend detection loads every backend, and loading its macOS one makes
    # ctypes run ldconfig, gcc and ld, gcc with the whole environment (a password in it, too)
    strace = shutil.which("strace")
    assert strace, "strace is missing: scripts/bootstrap.sh test installs it"
    trace = tmp_path / "child.strace"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON_KEYRING")}
    done = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=execve", "-o", str(trace),
         sys.executable, "-c", _CHILD, INSTALL, "set", "sip.password"],
        env={**env, **secret_service.env}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {
        "backend": "keyring.backends.SecretService",
        "values": {"sip.password": "sip.password-written-by-child"},
    }
    execs = [line for line in trace.read_text().splitlines() if "execve(" in line]
    assert len(execs) == 1, "\n".join(execs)  # Python itself, and nothing it started


def test_clear_removes_every_entry(secret_service: SecretService) -> None:
    store = open_store()
    for key in KEYS:
        store.set(key, Secret(new_secret()))
    store.delete("vicidial.company")
    store.delete("vicidial.company")

    KeychainStore.open(INSTALL, SecretServiceKeyring()).clear()  # a fresh store: index only

    assert secret_service.entries(store.service) == []
    assert in_child(secret_service.env, "get", *KEYS)["values"] == dict.fromkeys(KEYS)


def test_a_locked_keychain_is_reported_and_loses_nothing(secret_service: SecretService) -> None:
    store = open_store()
    value = new_secret()
    store.set("sip.password", Secret(value))
    secret_service.lock_login()

    # gnome-keyring asks a prompter to unlock; there is none on this bus, so the prompt is
    # dismissed at once, as when the person dismisses it
    for attempt in (
        lambda: store.get("sip.password"),
        lambda: store.get_many(["sip.password", "a.b"]),
        lambda: store.set("sip.password", Secret(new_secret())),
        lambda: store.update({"sip.password": Secret(new_secret()), "a.b": Secret("c")}),
        lambda: store.delete("sip.password"),
        store.clear,
    ):
        with pytest.raises(KeychainLocked, match=r"(?i)unlock your login keyring") as caught:
            attempt()
        assert value not in str(caught.value)
    assert secret_service.login_locked()

    secret_service.restart_keyring()  # a new daemon unlocks "login" from disk
    assert store.get("sip.password") == Secret(value)
    assert store.keys() == {"sip.password"}


def test_no_secret_service_on_the_bus(bus_only: SecretService) -> None:
    with pytest.raises(KeychainUnavailable) as caught:
        open_store()
    assert install_hint() in str(caught.value)
    child = in_child(bus_only.env, "set", "sip.password")
    assert child["error"] == "KeychainUnavailable"
    assert "gnome-keyring" in str(child["message"])


def test_a_dead_bus_writes_nothing_anywhere(
    bus_only: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = dead_bus_address(bus_only.runtime_dir)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dead)
    with pytest.raises(KeychainUnavailable, match="gnome-keyring"):
        open_store()

    # the child would write "sip.password-written-by-child" if anything let it
    child = in_child({**bus_only.env, "DBUS_SESSION_BUS_ADDRESS": dead}, "set", "sip.password")
    assert child["error"] == "KeychainUnavailable"
    for root in (bus_only.home, bus_only.runtime_dir):
        assert files_containing(root, "written-by-child") == []


def test_the_service_going_away_is_reported(secret_service: SecretService) -> None:
    store = open_store()
    store.set("sip.password", Secret(new_secret()))
    secret_service.stop_keyring()
    with pytest.raises(KeychainUnavailable, match="not reachable"):
        store.get("sip.password")
    with pytest.raises(KeychainUnavailable):
        store.set("session.token", Secret(new_secret()))


def test_only_the_encrypted_keyring_holds_anything(secret_service: SecretService) -> None:
    store = open_store()
    values = {key: new_secret() for key in KEYS}
    login = secret_service.keyrings_dir / "login.keyring"
    before = login.read_bytes()
    for key, value in values.items():
        store.set(key, Secret(value))
    assert {key: store.get(key) for key in KEYS} == {k: Secret(v) for k, v in values.items()}
    assert login.read_bytes() != before  # the values did reach gnome-keyring's store on disk

    written = sorted(p.relative_to(secret_service.home) for p in _files(secret_service.home))
    assert all(p.parts[:3] == (".local", "share", "keyrings") for p in written), written
    for value in values.values():
        for root in (secret_service.home, secret_service.runtime_dir, secret_service.workdir):
            assert files_containing(root, value) == []

    store.clear()
    for value in values.values():
        assert files_containing(secret_service.workdir, value) == []
    assert secret_service.entries(store.service) == []


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]
