"""Frozen value classes without ``dataclasses``: what the events and models are made of.

``@dataclass`` imports ``inspect``, ``ast`` and ``dis`` and compiles an ``__init__`` (and a
frozen class's ``__setattr__`` and ``__delattr__``) from source for each class when its module
is imported: for the events and models, on every start of the headless agent before its first
REGISTER. :func:`value_class` makes the same classes from one table of fields per class and
methods shared by all of them; mypy checks them as dataclasses (``dataclass_transform``).

What a class gets, as ``@dataclass(frozen=True, slots=True)`` gives it: ``__init__`` (positional
or keyword, ``kw_only``, defaults, default factories, ``__post_init__``), ``__slots__``,
``__match_args__``, ``__eq__`` and ``__hash__`` over the compared fields, ``__repr__`` without
the ``repr=False`` fields, :class:`~softphone.core.errors.FrozenInstanceError` on assignment,
pickling. :func:`replace`, :func:`fields` and :func:`asdict` work on them, and so do
``dataclasses.replace``, ``fields``, ``asdict`` and ``@dataclass`` subclasses: a class's
``__dataclass_fields__`` is built (importing ``dataclasses``) the first time it is read.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping

from softphone.core.errors import FrozenInstanceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform, overload

    _T = TypeVar("_T")
else:
    # These two speak only to type checkers, and ``typing`` would cost the agent's start more
    # than this whole module: at run time both leave the function as it is (an overload's stub
    # is then replaced by the definition after it).
    def overload(function):
        return function

    def dataclass_transform(**_options):
        return overload


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """One field of a value class; ``name`` and ``type`` are set when its class is made."""

    __slots__ = (
        "compare",
        "default",
        "default_factory",
        "hash",
        "init",
        "kw_only",
        "metadata",
        "name",
        "repr",
        "type",
    )  # fmt: skip

    def __init__(
        self,
        *,
        default: Any,
        default_factory: Any,
        init: bool,
        repr: bool,
        hash: bool | None,
        compare: bool,
        kw_only: Any,
        metadata: Mapping[Any, Any] | None,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init, self.repr, self.hash, self.compare = init, repr, hash, compare
        self.kw_only = kw_only
        self.metadata: Mapping[Any, Any] = metadata or {}

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, kw_only={self.kw_only!r})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | Any = MISSING,
    init: bool = True,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    kw_only: bool | Any = MISSING,
    metadata: Mapping[Any, Any] | None = None,
) -> Any:
    """A field with options, as ``dataclasses.field``."""
    return Field(
        default=default, default_factory=default_factory, init=init, repr=repr, hash=hash,
        compare=compare, kw_only=kw_only, metadata=metadata,
    )  # fmt: skip


class _Spec:
    """A value class's field table and what its shared methods read from it."""

    __slots__ = (
        "compared",
        "fields",
        "frozen",
        "hashed",
        "init_names",
        "plan",
        "positional",
        "post_init",
        "shown",
    )  # fmt: skip

    def __init__(self, cls: type, fields: tuple[Field, ...], frozen: bool) -> None:
        self.fields = fields
        self.frozen = frozen
        # what __init__ sets, in field order: (name, default, default_factory, keyword-only);
        # an init=False field without a default is left unset, as @dataclass leaves it
        self.plan = tuple(
            (f.name, f.default, f.default_factory, f.kw_only)
            for f in fields
            if f.init or f.default is not MISSING or f.default_factory is not MISSING
        )
        self.positional = tuple(f.name for f in fields if f.init and not f.kw_only)
        self.init_names = frozenset(f.name for f in fields if f.init)
        self.compared = tuple(f.name for f in fields if f.compare)
        self.hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
        self.shown = tuple(f.name for f in fields if f.repr)
        self.post_init = getattr(cls, "__post_init__", None)


_SPECS: dict[type, _Spec] = {}


def _spec(cls: type) -> _Spec | None:
    """The field table of a value class, or of a plain subclass of one; None for others (a
    ``@dataclass`` subclass of one has its own ``__dataclass_fields__``)."""
    spec = _SPECS.get(cls)
    if spec is None:
        for base in cls.__mro__:
            spec = _SPECS.get(base)
            if spec is not None or "__dataclass_fields__" in base.__dict__:
                break
    return spec


def _is_classvar(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))


@overload
def value_class(cls: type[_T], /) -> type[_T]: ...
@overload
def value_class(  # noqa: F811 - ruff takes the run-time stand-in for ``overload``
    *, kw_only: bool = False, frozen: bool = True
) -> Callable[[type[_T]], type[_T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def value_class(  # noqa: F811
    cls: type[_T] | None = None, /, *, kw_only: bool = False, frozen: bool = True
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """``@dataclass(frozen=True, slots=True)`` for the classes every start imports (see above).

    ``frozen=False`` makes a mutable class (unhashable, as ``@dataclass`` makes it)."""

    def make(c: type[_T]) -> type[_T]:
        return _make(c, kw_only, frozen)

    return make if cls is None else make(cls)


def _make(cls: type[_T], kw_only: bool, frozen: bool) -> type[_T]:
    by_name: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        base_spec = _SPECS.get(base)
        if base_spec is not None:
            if base_spec.frozen != frozen:
                raise TypeError("cannot inherit a frozen value class from a mutable one, or back")
            by_name.update((f.name, f) for f in base_spec.fields)
        elif "__dataclass_fields__" in base.__dict__:
            raise TypeError(f"{cls.__qualname__}: a value class cannot derive from a dataclass")
    own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - not inspect: see above
    for name, annotation in own.items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else field(default=value)
        if f.default is not MISSING and type(f.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not allowed: "
                "use default_factory"
            )
        f.name, f.type = name, annotation
        if f.kw_only is MISSING:
            f.kw_only = kw_only
        by_name[name] = f
    fields = tuple(by_name.values())
    seen_default = False
    for f in fields:
        if f.init and not f.kw_only:
            has_default = f.default is not MISSING or f.default_factory is not MISSING
            if seen_default and not has_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            seen_default = seen_default or has_default

    body = dict(cls.__dict__)
    for name in (*own, "__dict__", "__weakref__"):
        body.pop(name, None)
    inherited = {s for b in cls.__mro__[1:-1] for s in b.__dict__.get("__slots__", ())}
    body["__slots__"] = tuple(f.name for f in fields if f.name not in inherited)
    methods: dict[str, Any] = {
        "__init__": _init,
        "__repr__": _repr,
        "__eq__": _eq,
        "__match_args__": tuple(f.name for f in fields if f.init and not f.kw_only),
        "__dataclass_fields__": _AS_DATACLASS_FIELDS,
        "__dataclass_params__": _AS_DATACLASS_PARAMS,
    }
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in body:
                raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
        methods.update(
            __setattr__=_frozen_setattr,
            __delattr__=_frozen_delattr,
            __hash__=_hash,
            __getstate__=_getstate,
            __setstate__=_setstate,
        )
    else:
        methods["__hash__"] = None  # as @dataclass leaves a mutable class with __eq__
    for name, method in methods.items():
        if name not in body or name.startswith("__dataclass"):
            body[name] = method
    metaclass: Any = type(cls)
    made: type[_T] = metaclass(cls.__name__, cls.__bases__, body)
    _SPECS[made] = _Spec(made, fields, frozen)
    return made


def _init(self: Any, /, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    spec = _SPECS.get(cls) or _spec(cls)
    assert spec is not None
    if args:
        if len(args) > len(spec.positional):
            raise _too_many(cls, spec, len(args))
        for name in spec.positional[: len(args)]:
            if name in kwargs:
                raise TypeError(
                    f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}"
                )
        kwargs.update(zip(spec.positional, args, strict=False))
    if not spec.init_names.issuperset(kwargs):
        name = next(n for n in kwargs if n not in spec.init_names)
        raise TypeError(
            f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}"
        )
    missing: list[tuple[str, bool]] = []
    set_ = object.__setattr__
    for name, default, factory, kw_only in spec.plan:
        value = kwargs.get(name, default)  # init=False fields are never in kwargs
        if value is MISSING:
            if factory is MISSING:
                missing.append((name, kw_only))
                continue
            value = factory()
        set_(self, name, value)
    if missing:
        raise _missing(cls, missing)
    if spec.post_init is not None:
        spec.post_init(self)


def _too_many(cls: type, spec: _Spec, given: int) -> TypeError:
    """The error Python gives a function called with too many positional arguments."""
    most = len(spec.positional) + 1
    least = 1 + sum(
        1
        for name, default, factory, kw_only in spec.plan
        if name in spec.positional and default is MISSING and factory is MISSING
    )
    takes = f"{most} positional argument{'s' if most > 1 else ''}"
    if least < most:
        takes = f"from {least} to {most} positional arguments"
    return TypeError(f"{cls.__qualname__}.__init__() takes {takes} but {given + 1} were given")


def _missing(cls: type, missing: list[tuple[str, bool]]) -> TypeError:
    """The error Python gives a function called without some of its arguments."""
    names = [name for name, kw_only in missing if not kw_only]
    kind = "positional"
    if not names:
        names, kind = [name for name, _ in missing], "keyword-only"
    quoted = [repr(n) for n in names]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    plural = "s" if len(names) > 1 else ""
    return TypeError(
        f"{cls.__qualname__}.__init__() missing {len(names)} required {kind} argument{plural}: "
        f"{listed}"
    )


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    # the same state as a frozen slotted dataclass pickles
    return [getattr(self, name) for name in _names(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(_names(self), state, strict=True):
        object.__setattr__(self, name, value)


def _names(value: Any) -> tuple[str, ...]:
    spec = _spec(type(value))
    if spec is not None:
        return tuple(f.name for f in spec.fields)
    import dataclasses

    return tuple(f.name for f in dataclasses.fields(value))


_DATACLASS_TABLES: dict[type, _Spec] = {}


def _table(value: Any) -> _Spec:
    cls = type(value)
    spec = _SPECS.get(cls) or _spec(cls) or _DATACLASS_TABLES.get(cls)
    if spec is None:  # a @dataclass subclass of a value class
        import dataclasses

        theirs = dataclasses.fields(value)
        fields = tuple(
            field(init=f.init, repr=f.repr, hash=f.hash, compare=f.compare, kw_only=f.kw_only)
            for f in theirs
        )
        for ours, their in zip(fields, theirs, strict=True):
            ours.name = their.name
        spec = _DATACLASS_TABLES[cls] = _Spec(cls, fields, frozen=False)
    return spec


def _eq(self: Any, other: object) -> Any:  # bool, or NotImplemented
    if other.__class__ is self.__class__:
        names = _table(self).compared
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in _table(self).hashed))


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in _table(self).shown)
    return f"{self.__class__.__qualname__}({shown})"


class _AsDataclass:
    """``__dataclass_fields__`` (``params`` False) or ``__dataclass_params__`` of a value class,
    both built on the first read of either: ``dataclasses`` functions and ``@dataclass``
    subclasses see a dataclass."""

    def __init__(self, *, params: bool) -> None:
        self._params = params

    def __get__(self, instance: Any, owner: type) -> Any:
        import dataclasses

        spec = _spec(owner)
        if spec is None:
            raise AttributeError("__dataclass_fields__")
        made: dict[str, dataclasses.Field[Any]] = {}
        for f in spec.fields:
            options: dict[str, Any] = {}
            if f.default is not MISSING:
                options["default"] = f.default
            if f.default_factory is not MISSING:
                options["default_factory"] = f.default_factory
            theirs: dataclasses.Field[Any] = dataclasses.field(
                init=f.init, repr=f.repr, hash=f.hash, compare=f.compare,
                metadata=f.metadata or None, kw_only=f.kw_only, **options,
            )  # fmt: skip
            theirs.name, theirs.type = f.name, f.type
            theirs._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            made[f.name] = theirs
        params = dataclasses._DataclassParams(  # type: ignore[attr-defined]
            True, True, True, False, False, spec.frozen
        )
        if owner in _SPECS:
            type.__setattr__(owner, "__dataclass_fields__", made)
            type.__setattr__(owner, "__dataclass_params__", params)
        return params if self._params else made


_AS_DATACLASS_FIELDS = _AsDataclass(params=False)
_AS_DATACLASS_PARAMS = _AsDataclass(params=True)


def fields(value: Any) -> tuple[Field, ...]:
    """The fields of a value class or instance, in order."""
    spec = _spec(value if isinstance(value, type) else type(value))
    if spec is None:
        raise TypeError("must be called with a value class or instance")
    return tuple(f for f in spec.fields)


def replace(value: _T, /, **changes: Any) -> _T:
    """A copy of ``value`` with ``changes``, made by its class's ``__init__`` (as
    ``dataclasses.replace``)."""
    spec = _spec(type(value))
    if spec is None:
        import dataclasses

        return dataclasses.replace(value, **changes)  # type: ignore[type-var]
    for f in spec.fields:
        if not f.init:
            if f.name in changes:
                raise ValueError(
                    f"field {f.name} is declared with init=False, it cannot be specified with "
                    "replace()"
                )
        elif f.name not in changes:
            changes[f.name] = getattr(value, f.name)
    return value.__class__(**changes)


_PLAIN = (str, int, float, bool, type(None))


def asdict(value: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` of a value instance (or a dataclass instance): fields in order,
    value instances inside as dicts too, other values copied deeply."""
    if _spec(type(value)) is None:  # a @dataclass, such as a subclass of a value class
        import dataclasses

        return dataclasses.asdict(value)
    result = _as_plain(value)
    assert isinstance(result, dict)
    return result


def _as_plain(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    spec = _spec(type(value))
    if spec is not None:
        return {f.name: _as_plain(getattr(value, f.name)) for f in spec.fields}
    import enum

    if isinstance(value, enum.Enum):
        return value
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_as_plain(v) for v in value])
    if isinstance(value, list | tuple):
        return type(value)(_as_plain(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_as_plain(k), _as_plain(v)) for k, v in value.items())
    import copy

    return copy.deepcopy(value)
