"""Snapshots: the value under test, copied into plain data that no student code can affect.

A snapshot is made of trusted types only: exact ``numpy.ndarray`` of a numeric, boolean or text dtype, exact Python
and NumPy scalars, and exact ``tuple``, ``list`` and ``dict`` of those. Anything else (an ndarray subclass that lies
about its shape, an object whose ``__eq__`` always says True, a ``float`` subclass...) becomes an :class:`Opaque`
marker that equals nothing, so no code of the student's runs while a verdict is made.
"""

from __future__ import annotations

from typing import Any

from ._pristine import (
    BOOL_TYPES,
    DICT_TYPES,
    NUMPY_SCALARS,
    PLAIN_SCALARS,
    REAL_TYPES,
    Exception,
    array2string,
    array_copy,
    complex,
    dict,
    dict_items,
    float,
    int,
    len,
    list,
    list_append,
    ndarray,
    printoptions,
    repr,
    sorted,
    str,
    tuple,
    type,
    type_mro,
    type_name,
)

#: dtype kinds kept by a snapshot: booleans, numbers, dates, bytes and text (not objects or records).
ARRAY_KINDS = "biufcmMSU"
MAX_DEPTH = 32
MAX_ITEMS = 100_000


class Opaque:
    """Stands for a value the checks do not trust (or cannot copy): it equals nothing."""

    __slots__ = ("description",)

    def __init__(self, description: str):
        self.description = description

    def __repr__(self) -> str:
        return f"<{self.description}>"

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = object.__hash__


def type_description(cls: type) -> str:
    """What a value of class ``cls`` is, in words; a subclass of a plain type says how to return the plain one."""
    name = type_name(cls)
    for base, what in ((ndarray, "NumPy array"), (float, "float"), (int, "int"), (dict, "dict"),
                       (list, "list"), (tuple, "tuple"), (str, "str")):
        try:
            if base in type_mro(cls) and cls is not base:
                return (f"an object of type {name} (a subclass of {what}, not a plain {what}: return a plain "
                        f"{what}, e.g. np.asarray(result) or float(result))")
        except Exception:
            break
    return f"an object of type {name}"


def snapshot(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` made of trusted types only; anything else becomes an :class:`Opaque` marker."""
    cls = type(value)
    if cls in PLAIN_SCALARS or cls in NUMPY_SCALARS:
        return value  # immutable
    if cls is ndarray:
        kind = value.dtype
        if kind.kind in ARRAY_KINDS and kind.fields is None and kind.subdtype is None:
            return array_copy(value, order="C")
        return Opaque(f"a NumPy array of shape {value.shape} and dtype {kind}")
    if cls is Opaque:
        return value
    if depth >= MAX_DEPTH:
        return Opaque("a value nested too deeply")
    if cls is tuple or cls is list:
        if len(value) > MAX_ITEMS:
            return Opaque(f"a {type_name(cls)} of {len(value)} items (too many to check)")
        items: list = []
        for item in value:
            list_append(items, snapshot(item, depth + 1))
        return tuple(items) if cls is tuple else items
    if cls in DICT_TYPES:
        if len(value) > MAX_ITEMS:
            return Opaque(f"a dict of {len(value)} items (too many to check)")
        return {snapshot(k, depth + 1): snapshot(v, depth + 1) for k, v in dict_items(value)}
    return Opaque(type_description(cls))


def is_real_scalar(value: Any) -> bool:
    return type(value) in REAL_TYPES


def is_array(value: Any) -> bool:
    return type(value) is ndarray


def describe(value: Any) -> str:
    """A snapshot in words: type, shape and dtype for arrays."""
    cls = type(value)
    if cls is Opaque:
        return value.description
    if cls is ndarray:
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    if cls in BOOL_TYPES:
        return f"the boolean {value!r}"
    if cls in REAL_TYPES or cls is complex or cls in NUMPY_SCALARS:
        return f"the {type_name(cls)} {value!r}"
    if value is None:
        return "None (did the function forget to `return`?)"
    if cls is dict:
        return f"a {type_name(cls)} with keys {sorted(str(k) for k in value)}"
    if cls is list or cls is tuple:
        return f"a {type_name(cls)} of length {len(value)}"
    return f"an object of type {type_name(cls)}"


def format_value(value: Any) -> str:
    """A snapshot as it prints in a message (arrays abridged)."""
    try:
        if type(value) is ndarray:
            with printoptions(precision=8, suppress=False, threshold=40, edgeitems=3, linewidth=100):
                return array2string(value)
        return repr(value)
    except Exception:  # NumPy's printing is Python code that student code can break: still say what failed
        return f"<{describe(value)}>"
