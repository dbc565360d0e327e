"""KeychainStore on an in-memory keyring backend: round trips, the index, refusals, errors."""

from __future__ import annotations

import json
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import keyring
import keyring.backend as keyring_backend
import keyring.core
import pytest
import secretstorage.exceptions as ss_errors
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyring.compat import properties
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
    PasswordSetError,
)

from softphone.core.errors import VicifastError
from softphone.core.secret import Secret, SecretStore
from softphone.storage.errors import (
    KeychainError,
    KeychainFailure,
    KeychainLocked,
    KeychainUnavailable,
    install_hint,
    unlock_hint,
)
from softphone.storage.keychain import (
    INDEX_ENTRY,
    KeychainStore,
    _default_backend,
    secure_backend,
    service_name,
)

PASSWORD = "p@ss'w\"ord-Ünï-1234"
INSTALL = "3f6c2a8e-1b7d-4e52-9a0f-5d2c8b7e6a41"
SERVICE = service_name(INSTALL)

Hook = Callable[[str, str, str], None]  # (operation, service, username) -> may raise
BackendClass = TypeVar("BackendClass", bound=type[KeyringBackend])


def _unregistered(cls: BackendClass) -> BackendClass:
    # keyring registers every backend class it sees and may pick one as the process's default
    # keyring; a test backend must never become that for other tests.
    KeyringBackend._classes.discard(cls)  # type: ignore[attr-defined]
    return cls


@_unregistered
class MemoryKeyring(KeyringBackend):
    """A keychain in a dict; `hook` can make any operation fail."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.hook: Hook | None = None
        self.calls: list[tuple[str, str]] = []

    def _enter(self, operation: str, service: str, username: str) -> None:
        self.calls.append((operation, username))
        if self.hook is not None:
            self.hook(operation, service, username)

    def get_password(self, service: str, username: str) -> str | None:
        self._enter("get", service, username)
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._enter("set", service, username)
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._enter("delete", service, username)
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("No such password!")

    def names(self, service: str = SERVICE) -> set[str]:
        return {user for (svc, user) in self.entries if svc == service}


@_unregistered
class LowPriorityKeyring(MemoryKeyring):
    priority = 0.5  # type: ignore[assignment]


@_unregistered
class BrokenPriorityKeyring(MemoryKeyring):
    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("The Secret Service daemon is neither running nor activatable")


# What keyrings.alt's file backends look like to the store (keyrings.alt is not installed).
PlaintextKeyring = _unregistered(
    type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
)


def chainer(*members: KeyringBackend) -> ChainerBackend:
    cls = _unregistered(type("TestChainer", (ChainerBackend,), {"backends": list(members)}))
    return cls()


def fails_on(operation: str, username: str | None, error: Exception) -> Hook:
    def hook(op: str, service: str, user: str) -> None:
        if op == operation and (username is None or user == username):
            raise error

    return hook


@pytest.fixture
def backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def store(backend: MemoryKeyring) -> KeychainStore:
    return KeychainStore.open(INSTALL, backend)


def index_of(backend: MemoryKeyring, service: str = SERVICE) -> list[str]:
    raw = backend.entries.get((service, INDEX_ENTRY))
    return [] if raw is None else list(json.loads(raw)["keys"])


def assert_no_secret_in(error: BaseException) -> None:
    text = "".join(traceback.format_exception(error))
    assert PASSWORD not in text
    assert PASSWORD not in repr(error)
    assert error.__cause__ is None
    assert error.__context__ is None


class TestRoundTrips:
    def test_set_get_delete(self, store: KeychainStore, backend: MemoryKeyring) -> None:
        store.set("vicidial.password", Secret(PASSWORD))
        assert store.get("vicidial.password") == Secret(PASSWORD)
        assert backend.entries[(SERVICE, "vicidial.password")] == PASSWORD
        store.delete("vicidial.password")
        assert store.get("vicidial.password") is None
        assert backend.names() == set()  # the index goes with its last name

    def test_missing_key_reads_none_and_deletes_quietly(self, store: KeychainStore) -> None:
        assert store.get("session.token") is None
        store.delete("session.token")
        store.delete("session.token")

    def test_writes_are_idempotent(self, store: KeychainStore, backend: MemoryKeyring) -> None:
        store.set("sip.password", Secret("one"))
        store.set("sip.password", Secret("two"))
        store.set("sip.password", Secret("two"))
        assert store.get("sip.password") == Secret("two")
        assert index_of(backend) == ["sip.password"]

    def test_values_are_secrets_both_ways(self, store: KeychainStore) -> None:
        with pytest.raises(TypeError):
            store.set("sip.password", PASSWORD)  # type: ignore[arg-type]
        store.set("sip.password", Secret(""))
        assert store.get("sip.password") == Secret("")

    def test_is_a_secret_store(self, store: KeychainStore) -> None:
        def sign_out(secrets: SecretStore) -> None:
            secrets.clear()

        sign_out(store)

    @pytest.mark.parametrize("key", ["", "@index", "a b", "x" * 65, "../etc", "ü"])
    def test_refuses_odd_key_names(self, store: KeychainStore, key: str) -> None:
        with pytest.raises(ValueError, match="keychain key"):
            store.set(key, Secret("x"))
        with pytest.raises(ValueError, match="keychain key"):
            store.get(key)

    def test_refuses_odd_install_ids(self, backend: MemoryKeyring) -> None:
        with pytest.raises(ValueError, match="install id"):
            KeychainStore.open("a/b", backend)

    def test_service_name_per_install(self, store: KeychainStore) -> None:
        assert store.service == f"vicifast-desktop/{INSTALL}"


class TestIndex:
    def test_lists_names_only(self, store: KeychainStore, backend: MemoryKeyring) -> None:
        store.set("vicidial.username", Secret("agent7"))
        store.set("vicidial.password", Secret(PASSWORD))
        raw = backend.entries[(SERVICE, INDEX_ENTRY)]
        assert PASSWORD not in raw
        assert "agent7" not in raw
        assert store.keys() == {"vicidial.username", "vicidial.password"}

    def test_survives_a_new_store(self, backend: MemoryKeyring) -> None:
        first = KeychainStore.open(INSTALL, backend)
        for key in ("vicidial.username", "vicidial.password", "company.code", "session.token"):
            first.set(key, Secret(f"{key}-{PASSWORD}"))
        restarted = KeychainStore.open(INSTALL, backend)  # e.g. after the app restarts
        assert restarted.keys() == first.keys()
        restarted.clear()
        assert backend.entries == {}
        assert first.get("session.token") is None

    def test_clear_removes_everything_and_is_repeatable(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        store.set("sip.extension", Secret("1001"))
        store.set("sip.password", Secret(PASSWORD))
        store.clear()
        assert backend.entries == {}
        store.clear()
        assert store.keys() == frozenset()

    def test_installs_do_not_share(self, backend: MemoryKeyring) -> None:
        mine = KeychainStore.open(INSTALL, backend)
        other = KeychainStore.open("other-install", backend)
        mine.set("sip.password", Secret("mine"))
        other.set("sip.password", Secret("theirs"))
        mine.clear()
        assert other.get("sip.password") == Secret("theirs")
        assert backend.names() == set()

    def test_concurrent_writers_lose_no_name(self, backend: MemoryKeyring) -> None:
        store = KeychainStore.open(INSTALL, backend)
        start = threading.Barrier(8)

        def writer(n: int) -> None:
            start.wait(timeout=10)
            for i in range(10):
                store.set(f"key{n}.{i}", Secret(str(i)))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert len(store.keys()) == 80

    def test_a_batch_reads_and_writes_the_index_once(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        batch = {f"session.k{i}": Secret(f"{i}-{PASSWORD}") for i in range(5)}
        store.update(batch)
        index = [(op, name) for op, name in backend.calls if name == INDEX_ENTRY]
        assert index == [("get", INDEX_ENTRY), ("set", INDEX_ENTRY)]
        assert {name: store.get(name) for name in batch} == batch
        assert store.keys() == set(batch)
        backend.calls.clear()
        store.update(batch)  # the names are there already: the index is read, not written
        assert [(op, name) for op, name in backend.calls if name == INDEX_ENTRY] == [
            ("get", INDEX_ENTRY)
        ]

    def test_many_are_read_at_once_missing_ones_as_none(self, store: KeychainStore) -> None:
        store.update({"a.one": Secret("1"), "b.two": Secret("2")})
        assert store.get_many(["b.two", "c.three", "a.one"]) == {
            "b.two": Secret("2"),
            "c.three": None,
            "a.one": Secret("1"),
        }
        with pytest.raises(ValueError):
            store.get_many(["a.one", "../x"])

    def test_damaged_index_is_reported_not_ignored(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        store.set("sip.password", Secret(PASSWORD))
        backend.entries[(SERVICE, INDEX_ENTRY)] = "{not json"
        with pytest.raises(KeychainFailure, match="damaged") as caught:
            store.clear()
        assert SERVICE in str(caught.value)
        assert store.get("sip.password") == Secret(PASSWORD)  # nothing was removed blindly


class TestNothingHalfWritten:
    def test_value_write_fails(self, store: KeychainStore, backend: MemoryKeyring) -> None:
        store.set("vicidial.username", Secret("agent7"))
        backend.hook = fails_on("set", "vicidial.password", PasswordSetError("disk full"))
        with pytest.raises(KeychainFailure, match="disk full"):
            store.set("vicidial.password", Secret(PASSWORD))
        assert index_of(backend) == ["vicidial.username"]
        assert backend.names() == {"vicidial.username", INDEX_ENTRY}

    def test_first_value_write_fails(self, store: KeychainStore, backend: MemoryKeyring) -> None:
        backend.hook = fails_on("set", "vicidial.password", PasswordSetError("disk full"))
        with pytest.raises(KeychainFailure):
            store.set("vicidial.password", Secret(PASSWORD))
        assert backend.entries == {}  # the index it had to create is gone again

    def test_index_write_fails(self, store: KeychainStore, backend: MemoryKeyring) -> None:
        backend.hook = fails_on("set", INDEX_ENTRY, PasswordSetError("disk full"))
        with pytest.raises(KeychainFailure):
            store.set("vicidial.password", Secret(PASSWORD))
        assert backend.entries == {}  # the value is never written without its name

    def test_rollback_fails_too_and_clear_still_cleans(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        store.set("vicidial.username", Secret("agent7"))
        # the index is written, then the value fails, then putting the index back fails
        calls = iter([None, PasswordSetError("value"), PasswordSetError("rollback")])

        def hook(op: str, service: str, user: str) -> None:
            if op == "set" and (error := next(calls)) is not None:
                raise error

        backend.hook = hook
        with pytest.raises(KeychainFailure, match="value"):
            store.set("vicidial.password", Secret(PASSWORD))
        # a name without a value, never a value without a name
        assert index_of(backend) == ["vicidial.password", "vicidial.username"]
        assert (SERVICE, "vicidial.password") not in backend.entries
        backend.hook = None
        store.clear()
        assert backend.entries == {}

    def test_a_batch_that_fails_half_way_keeps_the_names_of_what_it_saved(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        store.set("vicidial.username", Secret("agent7"))
        backend.hook = fails_on("set", "session.token", PasswordSetError("disk full"))
        with pytest.raises(KeychainFailure, match="disk full"):
            store.update(
                {
                    "vicidial.password": Secret(PASSWORD),
                    "session.token": Secret("token"),
                    "sip.account": Secret("account"),
                }
            )
        assert index_of(backend) == ["vicidial.password", "vicidial.username"]
        assert backend.names() == {"vicidial.password", "vicidial.username", INDEX_ENTRY}
        backend.hook = None
        store.clear()
        assert backend.entries == {}

    def test_a_batch_checks_every_value_before_writing_any(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        with pytest.raises(TypeError):
            store.update({"a.one": Secret("1"), "b.two": "plain"})  # type: ignore[dict-item]
        assert backend.entries == {}

    def test_delete_that_fails_keeps_the_name(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        store.set("sip.password", Secret(PASSWORD))
        backend.hook = fails_on("delete", "sip.password", PasswordDeleteError("denied"))
        with pytest.raises(KeychainFailure, match="remove"):
            store.delete("sip.password")
        assert index_of(backend) == ["sip.password"]

    def test_clear_that_fails_half_way_can_be_repeated(
        self, store: KeychainStore, backend: MemoryKeyring
    ) -> None:
        for key in ("a.one", "b.two", "c.three"):
            store.set(key, Secret(PASSWORD))
        backend.hook = fails_on("delete", "b.two", KeyringError("bus hiccup"))
        with pytest.raises(KeychainFailure):
            store.clear()
        assert set(index_of(backend)) == {"a.one", "b.two", "c.three"}
        backend.hook = None
        store.clear()
        assert backend.entries == {}


class TestRefusedBackends:
    @pytest.mark.parametrize(
        ("refused", "reason"),
        [
            (fail.Keyring(), "no keychain was found"),
            (null.Keyring(), "switched off"),
            (PlaintextKeyring(), "keeps passwords in a file"),
            (LowPriorityKeyring(), "not a secure keychain"),
            (BrokenPriorityKeyring(), "cannot run here"),
            (chainer(), "no keychain was found"),
            (chainer(PlaintextKeyring(), null.Keyring()), "none of its keychains is secure"),
        ],
        ids=["fail", "null", "keyrings.alt", "low-priority", "not-viable", "empty-chain", "chain"],
    )
    def test_refused_with_what_to_install(self, refused: KeyringBackend, reason: str) -> None:
        with pytest.raises(KeychainUnavailable) as caught:
            KeychainStore.open(INSTALL, refused)
        message = str(caught.value)
        assert reason in message
        assert install_hint() in message
        assert "gnome-keyring" in install_hint("linux")
        assert "KWallet" in install_hint("linux")
        assert "Keychain" in install_hint("darwin")
        assert "Credential Manager" in install_hint("win32")

    def test_the_default_backend_is_checked_too(self, default_backend: pytest.MonkeyPatch) -> None:
        default_backend.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        with pytest.raises(KeychainUnavailable, match="no keychain was found"):
            KeychainStore.open(INSTALL)

    def test_a_chain_is_narrowed_to_its_secure_member(self) -> None:
        secure = MemoryKeyring()
        chain = chainer(secure, PlaintextKeyring())
        assert secure_backend(chain) is secure
        store = KeychainStore.open(INSTALL, chain)
        store.set("sip.password", Secret(PASSWORD))
        assert store.backend is secure
        assert secure.entries[(SERVICE, "sip.password")] == PASSWORD


@pytest.fixture
def default_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No keyring configuration (variable, keyringrc.cfg), and keyring's detection poisoned: it
    loads every backend, and its macOS one makes ctypes run gcc with the environment."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def detection(*_: object) -> None:
        raise AssertionError("keyring's backend detection ran")

    monkeypatch.setattr(keyring_backend, "get_all_keyring", detection)
    monkeypatch.setattr(keyring.core, "init_backend", detection)
    return monkeypatch


class TestDefaultBackend:
    @pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux keychain")
    def test_is_the_secret_service_opened_directly(self, default_backend: object) -> None:
        from keyring.backends.SecretService import Keyring as SecretServiceKeyring

        assert type(_default_backend()) is SecretServiceKeyring

    def test_the_variable_is_honoured(self, default_backend: pytest.MonkeyPatch) -> None:
        default_backend.setenv("PYTHON_KEYRING_BACKEND", f"{__name__}.MemoryKeyring")
        store = KeychainStore.open(INSTALL)
        assert type(store.backend) is MemoryKeyring

    def test_keyringrc_is_honoured(self, default_backend: object, tmp_path: Path) -> None:
        config = tmp_path / "config" / "python_keyring" / "keyringrc.cfg"
        config.parent.mkdir(parents=True)
        config.write_text("[backend]\ndefault-keyring=keyring.backends.null.Keyring\n")
        with pytest.raises(KeychainUnavailable, match="switched off"):
            KeychainStore.open(INSTALL)

    def test_a_broken_configuration_is_reported(self, default_backend: pytest.MonkeyPatch) -> None:
        default_backend.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.NoSuchBackend.Keyring")
        with pytest.raises(KeychainUnavailable, match="could not open a keychain"):
            KeychainStore.open(INSTALL)


class TestErrors:
    def test_hierarchy(self) -> None:
        for cls in (KeychainUnavailable, KeychainLocked, KeychainFailure):
            assert issubclass(cls, KeychainError)
        assert issubclass(KeychainError, VicifastError)

    @pytest.mark.parametrize("operation", ["get", "set", "delete", "clear"])
    def test_locked_keychain(
        self, store: KeychainStore, backend: MemoryKeyring, operation: str
    ) -> None:
        store.set("sip.password", Secret(PASSWORD))
        backend.hook = _all_ops(KeyringLocked("Failed to unlock the collection!"))
        with pytest.raises(KeychainLocked) as caught:
            _run(store, operation)
        assert unlock_hint() in str(caught.value)
        assert "unlock your login keyring" in unlock_hint("linux").lower()
        assert_no_secret_in(caught.value)
        backend.hook = None  # unlocked again: nothing was lost
        assert store.get("sip.password") == Secret(PASSWORD)
        assert store.keys() == {"sip.password"}

    @pytest.mark.parametrize(
        ("raised", "expected"),
        [
            (KeyringLocked("locked"), KeychainLocked),
            (ss_errors.LockedException("Item is locked!"), KeychainLocked),
            (ss_errors.PromptDismissedException("Prompt dismissed."), KeychainLocked),
            (NoKeyringError("No recommended backend"), KeychainUnavailable),
            (InitError("Failed to create the collection"), KeychainUnavailable),
            (ss_errors.SecretServiceNotAvailableException("gone"), KeychainUnavailable),
            (ConnectionRefusedError(111, "Connection refused"), KeychainUnavailable),
            (PasswordSetError("Can't store password"), KeychainFailure),
            (KeyringError("odd"), KeychainFailure),
            (RuntimeError("something else"), KeychainFailure),
        ],
    )
    def test_backend_errors_are_mapped(
        self,
        store: KeychainStore,
        backend: MemoryKeyring,
        raised: Exception,
        expected: type[KeychainError],
    ) -> None:
        backend.hook = fails_on("get", None, raised)
        with pytest.raises(expected) as caught:
            store.get("sip.password")
        assert type(raised).__name__ in str(caught.value)
        assert_no_secret_in(caught.value)

    @pytest.mark.parametrize(
        "leaky",
        [
            PasswordSetError(f"could not store {PASSWORD}"),
            ValueError("bad value", PASSWORD),  # repr of args escapes the quotes
            RuntimeError(PASSWORD.encode()),
            RuntimeError(json.dumps({"secret": PASSWORD})),
        ],
    )
    def test_a_backend_error_never_carries_the_secret(
        self, store: KeychainStore, backend: MemoryKeyring, leaky: Exception
    ) -> None:
        backend.hook = fails_on("set", "sip.password", leaky)
        with pytest.raises(KeychainFailure) as caught:
            store.set("sip.password", Secret(PASSWORD))
        assert_no_secret_in(caught.value)
        assert "********" in str(caught.value)

    def test_repr_and_str_show_no_value(self, store: KeychainStore) -> None:
        store.set("sip.password", Secret(PASSWORD))
        for text in (repr(store), str(store)):
            assert PASSWORD not in text
            assert SERVICE in text


def _all_ops(error: Exception) -> Hook:
    def hook(op: str, service: str, user: str) -> None:
        raise error

    return hook


def _run(store: KeychainStore, operation: str) -> None:
    if operation == "get":
        store.get("sip.password")
    elif operation == "set":
        store.set("sip.password", Secret("new"))
    elif operation == "delete":
        store.delete("sip.password")
    else:
        store.clear()
