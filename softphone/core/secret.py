"""A value that never shows itself in a repr, a str, a log or a traceback."""

from __future__ import annotations

import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Final, Protocol
else:
    # SecretStore below is a protocol for type checkers only (nothing checks one at run time),
    # and ``typing`` would cost every start of the phone more than this module.
    Protocol = object

_MASK: Final = "********"


class Secret:
    """Wraps a password or token; call :meth:`reveal` at the one place that needs the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the secret in clear to wherever the pickle goes.
        raise TypeError("a Secret cannot be pickled")


class SecretStore(Protocol):
    """Where credentials and tokens live (the OS keychain in the app; see softphone.storage).

    Keys are short ASCII names chosen by the caller ("vicidial.password", "session.token", …).
    Every method may raise ``softphone.storage.errors.KeychainError`` subclasses (a person-readable
    message saying what to install or unlock); a store never falls back to a plaintext file.
    """

    def get(self, key: str) -> Secret | None:
        """The stored value, or None if there is none."""
        ...

    def get_many(self, keys: Iterable[str]) -> dict[str, Secret | None]:
        """The value of each key (None where there is none); a store may read them together."""
        ...

    def set(self, key: str, value: Secret) -> None: ...

    def update(self, values: Mapping[str, Secret]) -> None:
        """Set each key to its value (a store may save them together, in fewer round trips)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the key; no error if it is not there."""
        ...

    def clear(self) -> None:
        """Remove every key this store has ever set (sign-out, revocation)."""
        ...


class MemorySecretStore:
    """A :class:`SecretStore` in this process's memory: nothing is written anywhere and all is
    gone at exit. For demo mode and benchmarks only; the app's real store is the OS keychain."""

    def __init__(self) -> None:
        self._values: dict[str, Secret] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Secret | None:
        with self._lock:
            return self._values.get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, Secret | None]:
        with self._lock:
            return {key: self._values.get(key) for key in keys}

    def set(self, key: str, value: Secret) -> None:
        with self._lock:
            self._values[key] = value

    def update(self, values: Mapping[str, Secret]) -> None:
        with self._lock:
            self._values.update(values)

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
