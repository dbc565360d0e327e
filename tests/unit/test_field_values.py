"""softphone.core.values.FieldValues: the equality, hashing and repr the events and models take
instead of the generated ones behave as ``@dataclass`` generates them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from softphone.core import events as ev
from softphone.core.models import SipAccountConfig
from softphone.core.secret import Secret
from softphone.core.values import FieldValues


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Cheap(FieldValues):
    name: str
    count: int = 0
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)
    salt: int = field(default=0, hash=False)


@dataclass(frozen=True, slots=True)
class Generated:
    name: str
    count: int = 0
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)
    salt: int = field(default=0, hash=False)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class CheapChild(Cheap):
    extra: int = 0


VALUES = [
    ("a", 1, "", "", 0),
    ("a", 1, "other note", "", 0),  # equal: the note is not compared
    ("a", 1, "", "s3cret", 0),
    ("a", 1, "", "", 7),  # equal hash, unequal values: salt is compared, not hashed
    ("b", 2, "n", "x", 1),
]


@pytest.mark.parametrize("left", VALUES)
@pytest.mark.parametrize("right", VALUES)
def test_equality_and_hash_are_the_generated_ones(
    left: tuple[str, int, str, str, int], right: tuple[str, int, str, str, int]
) -> None:
    cheap = (Cheap(*left), Cheap(*right))
    generated = (Generated(*left), Generated(*right))
    assert (cheap[0] == cheap[1]) is (generated[0] == generated[1])
    assert (cheap[0] != cheap[1]) is (generated[0] != generated[1])
    assert hash(cheap[0]) == hash(generated[0])  # the same tuple of the same fields


@pytest.mark.parametrize("values", VALUES)
def test_repr_is_the_generated_one_less_the_hidden_fields(
    values: tuple[str, int, str, str, int],
) -> None:
    generated = repr(Generated(*values)).replace("Generated(", "Cheap(", 1)
    assert repr(Cheap(*values)) == generated
    assert "s3cret" not in repr(Cheap(*values))


def test_another_class_with_the_same_fields_is_not_equal() -> None:
    assert Cheap("a") != CheapChild("a")
    assert Cheap("a").__eq__(Generated("a")) is NotImplemented
    assert dataclasses.replace(Cheap("a", 1), count=2) == Cheap("a", 2)


def test_the_events_and_models_keep_their_value_semantics() -> None:
    one = ev.EngineStopped(clean=True, at=1.0)
    assert one == ev.EngineStopped(clean=True, at=1.0) != ev.EngineStopped(clean=False, at=1.0)
    assert len({one, ev.EngineStopped(clean=True, at=1.0)}) == 1
    assert repr(one) == "EngineStopped(at=1.0, clean=True)"
    match one:
        case ev.EngineStopped(clean=True):
            pass
        case _:
            pytest.fail("pattern matching on the event's fields")
    account = SipAccountConfig(
        extension="1001", password=Secret("hunter2"), domain="pbx.example", port=5060
    )
    assert "hunter2" not in repr(account)
    assert account == dataclasses.replace(account)
