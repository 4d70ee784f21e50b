"""While a submission is graded: the checks' modules are read-only, and what they captured is watched.

:func:`capture` notes, when :mod:`helpers.checks` has just been imported, the builtins, NumPy functions and the checks'
own functions (and their code) as they are; :func:`tampering` lists what was replaced since, and every request the
kernel sends the grader carries that list (the grader flags it). :func:`seal` makes the modules' attributes
impossible to assign or delete (best effort, as everything in a kernel the student controls: the grader's own
verdicts on the hidden cases are what count).
"""

from __future__ import annotations

import builtins
import sys
import types
from collections.abc import Callable

import numpy as np

from ._pristine import AttributeError, BaseException, dict_items, list_append, object_getattribute

#: Names whose current value is compared with the one captured at import.
WATCHED_BUILTINS = ("isinstance", "type", "len", "float", "int", "abs", "print", "sorted", "repr", "getattr",
                    "hasattr", "issubclass", "all", "any", "sum", "min", "max", "__import__")
WATCHED_NUMPY = ("allclose", "isclose", "array_equal", "asarray", "array", "all", "any", "abs", "sum", "ndarray")
WATCHED_TESTING = ("assert_allclose", "assert_array_equal", "assert_equal", "assert_array_almost_equal")

_PRISTINE: dict[str, object] = {}
_FUNCTIONS: dict[str, Callable] = {}
_MODULES: dict[str, types.ModuleType] = {}


def capture(public: types.ModuleType, names: tuple[str, ...], functions: dict[str, Callable],
            modules: dict[str, types.ModuleType]) -> None:
    """Note what the checks rely on: call once, right after :mod:`helpers.checks` is imported."""
    for attr in WATCHED_BUILTINS:
        if attr in builtins.__dict__:
            _PRISTINE[f"builtins:{attr}"] = builtins.__dict__[attr]
    for attr in WATCHED_NUMPY:
        if attr in np.__dict__:
            _PRISTINE[f"numpy:{attr}"] = np.__dict__[attr]
    for attr in WATCHED_TESTING:
        if attr in np.testing.__dict__:
            _PRISTINE[f"testing:{attr}"] = np.testing.__dict__[attr]
    for attr in names:
        _PRISTINE[f"checks:{attr}"] = public.__dict__[attr]
    _FUNCTIONS.update(functions)
    for attr, function in functions.items():
        _PRISTINE[f"code:{attr}"] = object_getattribute(function, "__code__")
    _MODULES.update(modules)


def tampering() -> list[str]:
    """What was replaced since :func:`capture` (best effort: the kernel is the student's)."""
    found: list[str] = []
    try:
        public = _MODULES.get("helpers.checks")
        for key, value in dict_items(_PRISTINE):
            where, _, attr = key.partition(":")
            if where == "builtins":
                current = builtins.__dict__.get(attr)
            elif where == "numpy":
                current = np.__dict__.get(attr)
            elif where == "testing":
                current = np.testing.__dict__.get(attr)
            elif where == "checks":
                current = public.__dict__.get(attr) if public is not None else None
            elif where == "code":
                current = object_getattribute(_FUNCTIONS[attr], "__code__")
            else:
                continue
            if current is not value:
                list_append(found, key)
        for name, module in dict_items(_MODULES):
            if sys.modules.get(name) is not module:
                list_append(found, f"sys.modules:{name}")
    except BaseException:
        list_append(found, "tampering-check-failed")
    return found


class SealedModule(types.ModuleType):
    """A module of :mod:`helpers.checks` while a submission is graded: its attributes cannot be assigned or deleted."""

    def __setattr__(self, name, value):
        raise AttributeError(f"{self.__name__} is read-only while a submission is graded (cannot set {name!r})")

    def __delattr__(self, name):
        raise AttributeError(f"{self.__name__} is read-only while a submission is graded (cannot delete {name!r})")


def seal() -> None:
    """Make every captured module read-only (inside the grading sandbox)."""
    for module in _MODULES.values():
        module.__class__ = SealedModule
