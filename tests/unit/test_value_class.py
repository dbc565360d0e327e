"""softphone.core.values.value_class: the classes it makes behave as ``@dataclass(frozen=True,
slots=True)`` makes them (the events and models every start imports are made with it)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from typing import Any

import pytest

from softphone.core import events as ev
from softphone.core import values
from softphone.core.errors import FrozenInstanceError
from softphone.core.models import AutoAnswerPolicy, SipAccountConfig
from softphone.core.retry import Backoff
from softphone.core.secret import Secret
from softphone.core.values import field, value_class


@value_class
class Ours:
    name: str
    count: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)
    salt: int = field(default=0, hash=False)
    extra: int = field(default=0, kw_only=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Theirs:
    name: str
    count: int = 0
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)
    note: str = dataclasses.field(default="", compare=False)
    secret: str = dataclasses.field(default="", repr=False)
    salt: int = dataclasses.field(default=0, hash=False)
    extra: int = dataclasses.field(default=0, kw_only=True)


@value_class(kw_only=True)
class OursBase:
    at: float = 1.0


@value_class(kw_only=True)
class OursChild(OursBase):
    required: str
    optional: int = 2


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TheirsBase:
    at: float = 1.0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TheirsChild(TheirsBase):
    required: str
    optional: int = 2


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a",), {}),
    (("a", 1), {}),
    (("a", 1, ("x",)), {"note": "n"}),
    ((), {"name": "b", "secret": "s3cret", "salt": 7, "extra": 3}),
    (("a", 1, (), "note", "secret", 5), {"extra": 9}),
]
BAD_CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    (("a", 1, (), "", "", 0, 9), {}),  # extra is keyword-only
    (("a",), {"name": "b"}),
    (("a",), {"unknown": 1}),
]


def _both(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    return Ours(*args, **kwargs), Theirs(*args, **kwargs)


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_init_repr_and_fields_are_the_dataclass_ones(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ours, theirs = _both(args, kwargs)
    assert repr(ours) == repr(theirs).replace("Theirs(", "Ours(", 1)
    assert hash(ours) == hash(theirs)
    assert [f.name for f in values.fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    assert values.asdict(ours) == dataclasses.asdict(theirs)
    assert Ours.__match_args__ == Theirs.__match_args__
    assert Ours.__slots__ == Theirs.__slots__  # type: ignore[attr-defined]
    assert not hasattr(ours, "__dict__")


@pytest.mark.parametrize(("args", "kwargs"), BAD_CALLS)
def test_a_wrong_call_is_the_same_type_error(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError) as theirs:
        Theirs(*args, **kwargs)
    with pytest.raises(TypeError) as ours:
        Ours(*args, **kwargs)
    assert str(ours.value) == str(theirs.value).replace("Theirs", "Ours")


@pytest.mark.parametrize("left", CALLS)
@pytest.mark.parametrize("right", CALLS)
def test_equality_is_the_dataclass_one(
    left: tuple[tuple[Any, ...], dict[str, Any]], right: tuple[tuple[Any, ...], dict[str, Any]]
) -> None:
    (ours_l, theirs_l), (ours_r, theirs_r) = _both(*left), _both(*right)
    assert (ours_l == ours_r) is (theirs_l == theirs_r)
    assert (ours_l != ours_r) is (theirs_l != theirs_r)
    assert ours_l.__eq__(theirs_l) is NotImplemented


def test_keyword_only_inheritance_is_the_dataclass_one() -> None:
    ours, theirs = OursChild(required="r"), TheirsChild(required="r")
    assert repr(ours) == repr(theirs).replace("Theirs", "Ours")
    assert OursChild.__match_args__ == TheirsChild.__match_args__ == ()
    assert OursChild.__slots__ == TheirsChild.__slots__  # type: ignore[attr-defined]
    for call in ({}, {"required": "r", "at": 2.0, "bad": 1}):
        with pytest.raises(TypeError) as their_error:
            TheirsChild(**call)
        with pytest.raises(TypeError) as our_error:
            OursChild(**call)
        assert str(our_error.value) == str(their_error.value).replace("Theirs", "Ours")
    with pytest.raises(TypeError):
        OursChild("r")  # type: ignore[misc]


def test_a_frozen_value_refuses_assignment_as_a_frozen_dataclass_does() -> None:
    ours = Ours("a")
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'name'"):
        ours.name = "b"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'name'"):
        del ours.name  # type: ignore[misc]
    with pytest.raises(AttributeError):  # as dataclasses.FrozenInstanceError is one
        ours.other = 1  # type: ignore[attr-defined]
    assert ours == Ours("a")


def test_replace_as_dataclasses_replace() -> None:
    ours = Ours("a", 1, note="n")
    assert values.replace(ours, count=2) == Ours("a", 2, note="n")
    assert values.replace(ours, count=2).note == "n"
    with pytest.raises(TypeError):
        values.replace(ours, unknown=1)
    child = OursChild(required="r", at=5.0)
    assert values.replace(child, optional=3) == OursChild(required="r", at=5.0, optional=3)


def test_dataclasses_functions_still_work_on_value_classes() -> None:
    """Code elsewhere (the app, the sign-in) calls ``dataclasses.replace`` on the models."""
    ours = Ours("a", 1, ("t",), note="n")
    assert dataclasses.is_dataclass(ours)
    assert dataclasses.replace(ours, count=5) == Ours("a", 5, ("t",), note="n")
    assert dataclasses.asdict(ours) == values.asdict(ours)
    assert [f.name for f in dataclasses.fields(OursChild)] == ["at", "required", "optional"]
    account = SipAccountConfig(extension="1001", password=Secret("pw"), domain="pbx.example")
    assert dataclasses.replace(account, port=5080) == values.replace(account, port=5080)


def test_the_dataclass_parameters_read_first_are_the_parameters() -> None:
    @value_class
    class Fresh:  # nothing has read its dataclass tables yet
        x: int = 0

    @value_class(frozen=False)
    class Loose:
        x: int = 0

    assert Fresh.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert not Loose.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert list(Fresh.__dataclass_fields__) == ["x"]


def test_a_dataclass_subclass_of_a_value_class() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
    class Sub(OursChild):
        more: str = "m"

    sub = Sub(required="r")
    assert repr(sub).endswith(".Sub(at=1.0, required='r', optional=2, more='m')")
    assert sub == Sub(required="r") != Sub(required="r", more="x")
    assert values.asdict(sub) == {"at": 1.0, "required": "r", "optional": 2, "more": "m"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        sub.more = "x"  # type: ignore[misc]


def test_default_factories_post_init_and_mutable_classes() -> None:
    first, second = Ours("a"), Ours("a")
    assert first.tags == () and first.tags is second.tags
    account = SipAccountConfig(extension="1001", password=Secret("pw"), domain="pbx.example")
    assert account.auto_answer == AutoAnswerPolicy()
    with pytest.raises(Exception, match="between 0 and 600"):
        AutoAnswerPolicy(delay_s=601.0)  # __post_init__ runs
    backoff = Backoff(first_s=1.0)
    backoff.attempts = 3  # a mutable value class
    assert backoff.attempts == 3
    with pytest.raises(TypeError):
        hash(backoff)


def test_the_class_checks_of_dataclass() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @value_class
        class Mutable:
            items: list[int] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="non-default argument"):

        @value_class
        class Order:  # type: ignore[misc]
            first: int = 0
            second: int  # type: ignore[misc]


@pytest.mark.parametrize(
    "value",
    [
        Ours("a", 1, ("t",), note="n", secret="s", extra=4),
        OursChild(required="r"),
        ev.RegistrationChanged(account_id="a", state=ev.RegistrationState.REGISTERED, code=200),
        AutoAnswerPolicy(delay_s=3.0),
    ],
)
def test_pickle_and_copy_keep_the_value(value: Any) -> None:
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(value, protocol)) == value
    assert copy.copy(value) == value == copy.deepcopy(value)


def test_events_print_as_before() -> None:
    event = ev.RegistrationChanged(
        account_id="a", state=ev.RegistrationState.REGISTERED, code=200, at=1.5
    )
    assert event.to_dict() == {
        "event": "RegistrationChanged", "at": 1.5, "account_id": "a", "state": "registered",
        "code": 200, "reason": "", "expires_s": 0, "retry_in_s": 0.0, "transport": "",
    }  # fmt: skip
    match event:
        case ev.RegistrationChanged(state=ev.RegistrationState.REGISTERED, code=200):
            pass
        case _:
            pytest.fail("pattern matching on the event's fields")


def test_the_events_and_models_do_not_import_dataclasses() -> None:
    code = (
        "import sys, softphone.core.events, softphone.core.models, softphone.core.auto_answer, "
        "softphone.core.retry, softphone.core.trust; "
        "e = softphone.core.events.EngineStopped(clean=True); e.to_dict(); repr(e); hash(e); "
        "print('dataclasses' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
