"""The keychain store: credentials and tokens in the OS keychain (through `keyring`), nowhere else.

Every entry lives under one service name per install, ``vicifast-desktop/<install-id>``. keyring
cannot list entries, so the store keeps an index entry (``@index``, a JSON list of key *names*, no
values) in the keychain too; ``clear()`` works from it, also after a restart.

Invariant: every key that has a value in the keychain is in the index. ``set`` and ``update``
write the index before the values (and take out again the names whose value could not be
written); ``delete`` and ``clear`` remove values before names. A failure half-way can leave a
name without a value (which ``clear`` handles), never a value without a name.

Every method blocks, and may wait for a person to answer an unlock prompt (a Secret Service's,
at most ``answer_s``: a prompter that cannot show never answers): call them from a worker
thread, never from the GUI thread. The store logs nothing.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Final, TypeVar

import keyring
import keyring.core
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import InitError, KeyringLocked, NoKeyringError, PasswordDeleteError

from softphone.core.secret import Secret
from softphone.storage.errors import (
    KeychainError,
    KeychainFailure,
    KeychainLocked,
    KeychainUnavailable,
)

try:  # only on Linux: keyring's Secret Service backend talks D-Bus through it
    import secretstorage
    from keyring.backends.SecretService import Keyring as _SecretServiceKeyring
    from secretstorage import exceptions as _secretstorage
    from secretstorage.collection import DEFAULT_COLLECTION as _SS_DEFAULT
    from secretstorage.util import open_session as _ss_open_session
except ImportError:  # pragma: no cover - macOS, Windows
    _SS_LOCKED: tuple[type[Exception], ...] = ()
    _SS_UNAVAILABLE: tuple[type[Exception], ...] = ()
    _SS_BACKENDS: tuple[type[KeyringBackend], ...] = ()
else:
    _SS_LOCKED = (_secretstorage.LockedException, _secretstorage.PromptDismissedException)
    _SS_UNAVAILABLE = (_secretstorage.SecretServiceNotAvailableException,)
    _SS_BACKENDS = (_SecretServiceKeyring,)

__all__ = ["INDEX_ENTRY", "SERVICE_PREFIX", "KeychainStore", "secure_backend", "service_name"]

SERVICE_PREFIX: Final = "vicifast-desktop/"
INDEX_ENTRY: Final = "@index"  # cannot collide with a key: keys start with a letter or digit
MIN_PRIORITY: Final = 1.0  # keyring's own rule: below 1 a backend is "not recommended"
# How long a Secret Service's unlock prompt may stay unanswered (a prompter that cannot show)
UNLOCK_ANSWER_S: Final = 30.0

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_INDEX_VERSION = 1
_MAX_DETAIL = 200
# D-Bus error names (jeepney's DBusErrorResponse.name) that mean locked / no service.
_DBUS_LOCKED = frozenset({"org.freedesktop.Secret.Error.IsLocked"})
_DBUS_UNAVAILABLE = frozenset(
    {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NoServer"}
)
_REFUSED_MODULES: Final = {
    "keyring.backends.fail": "no keychain was found on this computer",
    "keyring.backends.null": "keychain use is switched off (keyring's 'null' backend is set)",
    "keyrings.alt": "{name} keeps passwords in a file, not in a keychain",
}

# One lock for every store in the process: the index is read-modify-write.
_LOCK = threading.RLock()

T = TypeVar("T")


def service_name(install_id: str) -> str:
    """The keychain service name of one install."""
    if not _NAME.fullmatch(install_id):
        raise ValueError("an install id is 1-64 letters, digits, '.', '_' or '-'")
    return SERVICE_PREFIX + install_id


def secure_backend(backend: KeyringBackend) -> KeyringBackend:
    """`backend` if it is a secure keychain; for keyring's chainer, its best secure member.

    Raises KeychainUnavailable (saying what to install) for the fail and null backends, anything
    from keyrings.alt, a backend that cannot run here, or one keyring rates below 1.
    """
    if isinstance(backend, ChainerBackend):
        members: list[KeyringBackend] = list(backend.backends)
        refusals = []
        for member in members:
            refusal = _refusal(member)
            if refusal is None:
                return member
            refusals.append(refusal)
        if not refusals:
            raise KeychainUnavailable.because("no keychain was found on this computer")
        raise KeychainUnavailable.because("none of its keychains is secure: " + "; ".join(refusals))
    refusal = _refusal(backend)
    if refusal is not None:
        raise KeychainUnavailable.because(refusal)
    return backend


def _refusal(backend: KeyringBackend) -> str | None:
    cls = type(backend)
    name = f"{cls.__module__}.{cls.__qualname__}"
    for module, reason in _REFUSED_MODULES.items():
        if cls.__module__ == module or cls.__module__.startswith(module + "."):
            return reason.format(name=name)
    try:
        priority = float(backend.priority)
    except Exception as exc:  # keyring's convention: a backend that cannot run raises here
        return f"{name} cannot run here ({_describe(exc, ())})"
    if priority < MIN_PRIORITY:
        return f"{name} is not a secure keychain (keyring rates it {priority:g}, below 1)"
    return None


class KeychainStore:
    """A ``SecretStore`` on the OS keychain; see the module docstring for the index."""

    def __init__(
        self, install_id: str, backend: KeyringBackend, *, answer_s: float = UNLOCK_ANSWER_S
    ) -> None:
        """Use `backend` (checked with :func:`secure_backend`) for the install `install_id`; a
        Secret Service's unlock prompt gets `answer_s` seconds (then: KeychainLocked)."""
        self._service = service_name(install_id)
        self._backend = secure_backend(backend)
        self._answer_s = answer_s

    @classmethod
    def open(
        cls,
        install_id: str,
        backend: KeyringBackend | None = None,
        *,
        answer_s: float = UNLOCK_ANSWER_S,
    ) -> KeychainStore:
        """The store of `install_id` on `backend`, by default the one configured for keyring,
        else this system's keychain; raises KeychainUnavailable if that is not a secure one."""
        if backend is None:
            backend = _default_backend()
        return cls(install_id, backend, answer_s=answer_s)

    @property
    def service(self) -> str:
        return self._service

    @property
    def backend(self) -> KeyringBackend:
        return self._backend

    def __repr__(self) -> str:
        cls = type(self._backend)
        return f"<KeychainStore service={self._service!r} backend={cls.__module__}.{cls.__name__}>"

    # ---- SecretStore -------------------------------------------------------------------------

    def get(self, key: str) -> Secret | None:
        """The stored value, or None if there is none."""
        _check_key(key)
        value = self._call("read a secret", lambda: self._backend.get_password(self._service, key))
        return None if value is None else Secret(value)

    def get_many(self, keys: Iterable[str]) -> dict[str, Secret | None]:
        """The stored value of each key (None where there is none), read together."""
        keys = list(keys)
        for key in keys:
            _check_key(key)
        if not (isinstance(self._backend, _SS_BACKENDS) and len(keys) > 1):
            return {key: self.get(key) for key in keys}
        found = self._call(
            "read a secret", lambda: _secret_service_read(self._backend, self._service, keys)
        )
        return {key: None if (value := found[key]) is None else Secret(value) for key in keys}

    def set(self, key: str, value: Secret) -> None:
        """Store `value` under `key` (again: same result)."""
        self.update({key: value})

    def update(self, values: Mapping[str, Secret]) -> None:
        """Store each value under its key, reading and writing the index once for all of them
        (each keychain call is a round trip, and a Secret Service's a key exchange too)."""
        for key, value in values.items():
            _check_key(key)
            if not isinstance(value, Secret):
                raise TypeError("the keychain stores Secret values only")
        with _LOCK:
            names = self._read_index()
            added = [key for key in values if key not in names]
            if added:
                self._write_index([*names, *added])
            saved: list[str] = []
            try:
                self._save_all(values, saved)
            except KeychainError:
                if added:  # best effort; if this fails too, the names stay (see the invariant)
                    with contextlib.suppress(KeychainError):
                        self._write_index([*names, *(key for key in added if key in saved)])
                raise

    def delete(self, key: str) -> None:
        """Remove `key`; no error if it is not there."""
        _check_key(key)
        with _LOCK:
            self._delete_entry(key)
            names = self._read_index()
            if key in names:
                self._write_index([name for name in names if name != key])

    def clear(self) -> None:
        """Remove every key this install has stored, then the index itself."""
        with _LOCK:
            for name in self._read_index():
                self._delete_entry(name)
            self._delete_entry(INDEX_ENTRY)

    def keys(self) -> frozenset[str]:
        """The names of the keys stored (from the index; no values are read)."""
        return frozenset(self._read_index())

    # ---- the index ---------------------------------------------------------------------------

    def _read_index(self) -> list[str]:
        raw = self._call(
            "read its list of VICIfast entries",
            lambda: self._backend.get_password(self._service, INDEX_ENTRY),
        )
        if raw is None:
            return []
        names = _parse_index(raw)
        if names is None:
            raise KeychainFailure.during(
                "read its list of VICIfast entries",
                f"the entry '{INDEX_ENTRY}' of '{self._service}' is damaged; delete the entries "
                f"of '{self._service}' in your keychain manager and sign in again",
            )
        return names

    def _write_index(self, names: Iterable[str]) -> None:
        names = sorted(set(names))
        if not names:
            self._delete_entry(INDEX_ENTRY)
            return
        text = json.dumps({"version": _INDEX_VERSION, "keys": names})
        self._call(
            "save its list of VICIfast entries",
            lambda: self._backend.set_password(self._service, INDEX_ENTRY, text),
        )

    # ---- backend calls -----------------------------------------------------------------------

    def _save_all(self, values: Mapping[str, Secret], saved: list[str]) -> None:
        """Write each value, appending its key to `saved` once written."""
        if isinstance(self._backend, _SS_BACKENDS) and len(values) > 1:
            # one connection, one unlock check and one key exchange for all of them, where
            # keyring would open a connection and a session for each
            secrets = tuple(value.reveal() for value in values.values())
            self._call(
                "save a secret",
                lambda: _secret_service_save(self._backend, self._service, values, saved),
                *secrets,
            )
            return
        for key, value in values.items():
            self._save(key, value)
            saved.append(key)

    def _save(self, key: str, value: Secret) -> None:
        self._call(
            "save a secret",
            lambda: self._backend.set_password(self._service, key, value.reveal()),
            value.reveal(),
        )

    def _delete_entry(self, name: str) -> None:
        refusal = self._call(
            "remove a secret", lambda: _delete_or_refusal(self._backend, self._service, name)
        )
        if refusal is None:
            return
        # most backends refuse to delete a missing entry this way, which is not an error here
        still_there = self._call(
            "remove a secret", lambda: self._backend.get_password(self._service, name)
        )
        if still_there is not None:
            raise KeychainFailure.during("remove a secret", refusal)

    def _call(self, action: str, operation: Callable[[], T], *secrets: str) -> T:
        """Run one backend call; its errors become KeychainErrors (raised unchained: the
        original exception's arguments or frames may hold the secrets)."""
        try:
            _unlock_within(self._backend, self._answer_s)
            return operation()
        except Exception as exc:
            error = _translate(exc, action, secrets)
        raise error


def _secret_service_read(
    backend: KeyringBackend, service: str, keys: list[str]
) -> dict[str, str | None]:
    """keyring's ``get_password`` for each key, on one connection and one session."""
    collection = backend.get_preferred_collection()  # type: ignore[attr-defined]
    query = backend._query  # type: ignore[attr-defined]
    with contextlib.closing(collection.connection):
        collection.session = _ss_open_session(collection.connection)  # its items share it
        found: dict[str, str | None] = {}
        for key in keys:
            found[key] = None
            for item in collection.search_items(query(service, key)):
                backend.unlock(item)  # type: ignore[attr-defined]
                found[key] = item.get_secret().decode("utf-8")
                break
        return found


def _secret_service_save(
    backend: KeyringBackend, service: str, values: Mapping[str, Secret], saved: list[str]
) -> None:
    """keyring's ``set_password`` for each value, on one connection and one session: the same
    items (label, attributes, replacing an existing one) on the collection it would choose."""
    collection = backend.get_preferred_collection()  # type: ignore[attr-defined]
    # the attributes keyring's set_password gives (its scheme, its application id)
    query, appid = backend._query, backend.appid  # type: ignore[attr-defined]
    with contextlib.closing(collection.connection):
        for key, value in values.items():
            attributes = query(service, key, application=appid)
            label = f"Password for '{key}' on '{service}'"
            collection.create_item(label, attributes, value.reveal(), replace=True)
            saved.append(key)


def _unlock_within(backend: KeyringBackend, answer_s: float) -> None:
    """A locked Secret Service collection: ask to unlock it, waiting at most `answer_s`
    (then KeychainLocked). keyring's backend asks with no time limit, and a prompter that cannot
    show (no display, a hung ``gcr-prompter``) never answers: the call would never return.
    Nothing to do for other keychains, or an unlocked (or missing) collection."""
    if not isinstance(backend, _SS_BACKENDS):
        return
    connection = secretstorage.dbus_init()
    with contextlib.closing(connection):
        path = getattr(backend, "preferred_collection", None) or _SS_DEFAULT
        try:
            collection = secretstorage.Collection(connection, path)
        except _secretstorage.ItemNotFoundException:
            return  # keyring creates it (or says why not)
        if not collection.is_locked():
            return
        answered = True
        try:
            dismissed = collection.unlock(timeout=answer_s)
        except TimeoutError:
            answered = dismissed = False
        if not answered:  # raised here, unchained, like every KeychainError of the store
            reason = f"it did not answer within {answer_s:g} s; its unlock prompt cannot show"
            raise KeychainLocked.because(reason)
        if dismissed:  # said here, or keyring would prompt the person a second time
            raise KeychainLocked.because("its unlock prompt was dismissed")


def _delete_or_refusal(backend: KeyringBackend, service: str, name: str) -> str | None:
    try:
        backend.delete_password(service, name)
    except PasswordDeleteError as exc:
        return _describe(exc, ())
    return None


def _default_backend() -> KeyringBackend:
    """The backend configured for keyring ($PYTHON_KEYRING_BACKEND, else keyringrc.cfg), else
    this platform's keychain, opened directly.

    Not keyring.get_keyring(): its detection loads every backend, and loading the macOS one runs
    ctypes.util.find_library, which on Linux starts ldconfig, gcc and ld, gcc with this
    process's whole environment (a password in it included)."""
    try:
        return keyring.core.load_env() or keyring.core.load_config() or _platform_backend()
    except Exception as exc:  # a broken keyring configuration (keyringrc, environment)
        reason = f"keyring could not open a keychain ({_describe(exc, ())})"
    raise KeychainUnavailable.because(reason)


def _platform_backend() -> KeyringBackend:
    # keyring's constructors are untyped: hence the ignores
    if sys.platform == "win32":
        from keyring.backends.Windows import WinVaultKeyring

        return WinVaultKeyring()  # type: ignore[no-untyped-call,unused-ignore]
    if sys.platform == "darwin":
        from keyring.backends.macOS import Keyring as MacOSKeyring

        return MacOSKeyring()  # type: ignore[no-untyped-call,unused-ignore]
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    return SecretServiceKeyring()  # type: ignore[no-untyped-call,unused-ignore]


def _check_key(key: str) -> None:
    if not _NAME.fullmatch(key):
        raise ValueError("a keychain key is 1-64 letters, digits, '.', '_' or '-'")


def _parse_index(raw: str) -> list[str] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != _INDEX_VERSION:
        return None
    names = data.get("keys")
    if not isinstance(names, list) or not all(
        isinstance(name, str) and _NAME.fullmatch(name) for name in names
    ):
        return None
    return list(names)


def _translate(exc: Exception, action: str, secrets: tuple[str, ...]) -> KeychainError:
    if isinstance(exc, KeychainError):
        return exc
    detail = _describe(exc, secrets)
    dbus_name = getattr(exc, "name", None)  # jeepney's DBusErrorResponse
    if isinstance(exc, (KeyringLocked, *_SS_LOCKED)) or dbus_name in _DBUS_LOCKED:
        return KeychainLocked.because(detail)
    if (
        isinstance(exc, (NoKeyringError, InitError, ConnectionError, *_SS_UNAVAILABLE))
        or dbus_name in _DBUS_UNAVAILABLE
    ):
        return KeychainUnavailable.because(f"the keychain service is not reachable ({detail})")
    return KeychainFailure.during(action, detail)


def _describe(exc: BaseException, secrets: tuple[str, ...]) -> str:
    """`Type: text` of an exception, without the given secrets (raw or escaped) and short."""
    text = " ".join(str(exc).split()).rstrip(".")
    for secret in secrets:
        if not secret:
            continue
        forms = {secret, repr(secret)[1:-1], repr(secret.encode())[2:-1], json.dumps(secret)[1:-1]}
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, "********")
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
