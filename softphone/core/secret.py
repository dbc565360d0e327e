"""A value that never shows itself in a repr, a str, a log or a traceback."""

from __future__ import annotations

from typing import Final

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
