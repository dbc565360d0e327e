"""Equality, hashing and repr for the frozen dataclasses every start of the phone imports.

``@dataclass`` compiles an ``__eq__``, ``__hash__`` and ``__repr__`` from source for each class
when its module is imported: for the events and models, on every start of the headless agent
before its first REGISTER. A class that derives from :class:`FieldValues` and leaves ``eq`` and
``repr`` off its ``@dataclass(frozen=True, …)`` gets these instead, which behave as the
generated ones (same class only; the fields in order, those with ``compare``, ``hash`` or
``repr`` off left out as dataclasses leaves them out; ``Name(field=value, …)``).
"""

from __future__ import annotations

import reprlib
from dataclasses import Field, fields
from typing import Any


class FieldValues:
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__ and isinstance(other, FieldValues):
            return _compared(self) == _compared(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f.name) for f in _fields(self) if _hashed(f)))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in _fields(self) if f.repr)
        return f"{self.__class__.__qualname__}({shown})"


def _fields(value: Any) -> tuple[Field[Any], ...]:
    return fields(value)


def _compared(value: FieldValues) -> tuple[Any, ...]:
    return tuple(getattr(value, f.name) for f in _fields(value) if f.compare)


def _hashed(f: Field[Any]) -> bool:
    return bool(f.compare if f.hash is None else f.hash)
