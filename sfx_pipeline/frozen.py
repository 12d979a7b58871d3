"""Frozen dataclasses rebuilt from values already checked, without their generated __init__.

A frozen dataclass's __init__ sets every field through `object.__setattr__` (the Python
docs, dataclasses, "Frozen instances": "There is a tiny performance penalty when using
frozen=True: __init__() cannot use simple assignment to initialize fields, and must use
object.__setattr__()"). A changed run rebuilds several such objects for every sound in the
project: lock entries, recalled specs and targets, actions. Filling the new instance's
`__dict__` in field order gives the same object (same fields in the same order, so equal,
same repr, same `vars()`) at about a tenth of the cost.

Only for plain dataclasses: no `__post_init__`, no `__slots__`, no `init=False` field
(`fast_fields` refuses any other), and only when every field is given; anything else goes
through the class itself, so a damaged memo row fails exactly as it did before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")

_NAMES: dict[type, tuple[str, ...]] = {}
_BLANKS: dict[type, dict[str, None]] = {}  # every field name, in order: the order a filled __dict__ keeps
_new = object.__new__


def fast_fields(cls: type) -> tuple[str, ...]:
    """The field names of `cls`, in order, once it is known that filling `__dict__` is equal
    to calling it; TypeError for a class where it would not be."""
    names = _NAMES.get(cls)
    if names is None:
        if (not is_dataclass(cls) or hasattr(cls, "__post_init__") or "__slots__" in vars(cls)
                or not all(f.init for f in fields(cls))):
            raise TypeError(f"{cls.__name__} cannot be built without its __init__")
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
        _BLANKS[cls] = dict.fromkeys(names)
    return names


def from_row(cls: type[T], row: Sequence[Any]) -> T:
    """cls(*row), for a row that gives every field."""
    names = _NAMES.get(cls) or fast_fields(cls)
    if len(row) != len(names):
        return cls(*row)  # defaults to fill in, or a TypeError to raise: the class's own way
    made: T = _new(cls)
    made.__dict__.update(zip(names, row))
    return made


def from_mapping(cls: type[T], values: Mapping[str, Any]) -> T:
    """cls(**values), for values that name every field."""
    names = _NAMES.get(cls) or fast_fields(cls)
    if len(values) == len(names):
        made: T = _new(cls)
        filled = made.__dict__
        filled.update(_BLANKS[cls])  # the names first, so the values land in field order
        filled.update(values)
        if len(filled) == len(names):  # no name besides the fields: so every field was given
            return made
    return cls(**values)  # defaults to fill in, or a TypeError to raise: the class's own way
