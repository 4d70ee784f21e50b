"""Friendly checks for the notebooks' test cells.

Every check either returns quietly or raises :class:`CheckFailed` with a message written for the student:
what was checked, what was expected, what came instead, and where (which shape, which entry).

Two rules keep grading honest under nbgrader:

* nbgrader scores a test cell 0 when it writes anything to stderr, warnings included. Student functions are
  therefore always called through :func:`call`, which silences warnings (a textbook ``1 / (1 + np.exp(-x))``
  overflows harmlessly for x = -1000 and must still earn its marks) while letting real errors through.
* A hidden test compares the student's function with the reference on copies of the inputs, checks the inputs
  were not modified, and compares types and shapes exactly, so a rank-1 ``(n,)`` array is not a ``(n, 1)`` column.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "CheckFailed",
    "call",
    "close",
    "equal",
    "shape",
    "is_type",
    "unchanged",
    "passed",
    "matches_reference",
    "describe",
]


class CheckFailed(AssertionError):
    """A test found a mistake; the message says what was expected and what came instead."""


def _fail(message: str) -> None:
    # Raising from here keeps the student's traceback short: the last frame is the check that failed.
    raise CheckFailed("\n" + message.strip() + "\n")


def call(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function with warnings silenced and floating-point errors ignored.

    Real exceptions still propagate (and fail the test); warnings such as ``RuntimeWarning: overflow`` do not
    reach stderr, where nbgrader would count them as a failure.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)


def describe(value: Any) -> str:
    """A short description of a value for messages: type, shape and dtype for arrays."""
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {value!r}"
    if isinstance(value, numbers.Number):
        return f"the {type(value).__name__} {value!r}"
    if value is None:
        return "None (did the function forget to `return`?)"
    if isinstance(value, Mapping):
        return f"a {type(value).__name__} with keys {sorted(map(str, value))}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"an object of type {type(value).__name__}"


def _format(value: Any) -> str:
    with np.printoptions(precision=8, suppress=False, threshold=40, edgeitems=3, linewidth=100):
        return np.array2string(value) if isinstance(value, np.ndarray) else repr(value)


def is_type(got: Any, expected_type: type | tuple[type, ...], name: str) -> None:
    """Check that ``got`` is an instance of ``expected_type``."""
    if not isinstance(got, expected_type):
        names = (
            " or ".join(t.__name__ for t in expected_type)
            if isinstance(expected_type, tuple)
            else expected_type.__name__
        )
        _fail(f"{name} should be a {names}, but it is {describe(got)}.")


def shape(got: Any, expected_shape: tuple[int, ...], name: str) -> None:
    """Check that ``got`` is a NumPy array of exactly ``expected_shape``."""
    if not isinstance(got, np.ndarray):
        _fail(f"{name} should be a NumPy array of shape {expected_shape}, but it is {describe(got)}.")
    if got.shape != tuple(expected_shape):
        hint = ""
        if got.ndim == 1 and len(expected_shape) == 2:
            hint = "\nHint: this is a rank-1 array; use reshape or keepdims=True to keep a column or row."
        elif got.shape == tuple(reversed(expected_shape)):
            hint = "\nHint: the shape is transposed."
        _fail(f"{name} has the wrong shape.\n  expected shape: {tuple(expected_shape)}\n  got shape:      {got.shape}{hint}")


def _is_real_scalar(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))


def close(got: Any, expected: Any, name: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Check that ``got`` matches ``expected`` numerically, with the same kind and shape.

    * ``expected`` a real scalar: ``got`` must be a real scalar (a Python or NumPy number, not an array).
    * ``expected`` an array (or a nested list): ``got`` must be a floating or integer NumPy array of the same shape.
    """
    # A 0-d array and a scalar are the same number: NumPy returns either, depending on how it was computed.
    if isinstance(expected, np.ndarray) and expected.ndim == 0:
        expected = expected[()]
    if _is_real_scalar(expected):
        if isinstance(got, np.ndarray) and got.ndim == 0 and got.dtype.kind in "fiu":
            got = got[()]
        if not _is_real_scalar(got):
            _fail(f"{name} should be a number, like {expected!r}, but it is {describe(got)}.")
        if not math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol):
            _fail(f"{name} has the wrong value.\n  expected: {float(expected)!r}\n  got:      {float(got)!r}")
        return
    expected = np.asarray(expected)
    shape(got, expected.shape, name)
    # Booleans stand for 0/1 labels (say, predictions); anything else must be numeric.
    zero_one = expected.dtype.kind in "fiub" and np.isin(expected, (0, 1)).all()
    if got.dtype.kind not in ("fiub" if zero_one else "fiu"):
        _fail(f"{name} should hold numbers, but its dtype is {got.dtype}.")
    with np.errstate(all="ignore"):
        ok = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=False)
    if not ok.all():
        bad = np.argwhere(~ok)
        first = tuple(int(i) for i in bad[0])
        nan_note = " (NaN: an overflow or a 0/0 somewhere?)" if np.isnan(got[first]) else ""
        _fail(
            f"{name} has {len(bad)} wrong entr{'y' if len(bad) == 1 else 'ies'} out of {expected.size}.\n"
            f"  first wrong entry at index {first}: expected {expected[first].item()!r}, got {got[first].item()!r}{nan_note}\n"
            f"  expected:\n{_format(expected)}\n  got:\n{_format(got)}"
        )


def equal(got: Any, expected: Any, name: str) -> None:
    """Check exact equality for ints, strings, tuples and other plain values (and exact type)."""
    if type(got) is not type(expected) and not (_is_real_scalar(got) and _is_real_scalar(expected)):
        _fail(f"{name} should be {_format(expected)} ({type(expected).__name__}), but it is {describe(got)}.")
    if isinstance(expected, np.ndarray):
        shape(got, expected.shape, name)
        if not np.array_equal(got, expected):
            _fail(f"{name} is wrong.\n  expected:\n{_format(expected)}\n  got:\n{_format(got)}")
    elif got != expected:
        _fail(f"{name} is wrong.\n  expected: {_format(expected)}\n  got:      {_format(got)}")


def unchanged(before: Any, after: Any, name: str) -> None:
    """Check that an input argument was not modified by the function under test."""
    if isinstance(before, np.ndarray):
        if not (isinstance(after, np.ndarray) and after.shape == before.shape and np.array_equal(before, after, equal_nan=True)):
            _fail(
                f"Your function modified its input {name}. Work on a copy (or build a new array) "
                "instead of changing the caller's data in place."
            )
    elif isinstance(before, Mapping):
        if set(before) != set(after):
            _fail(f"Your function added or removed keys of its input {name}: keep the caller's dictionary as it was.")
        for key in before:
            unchanged(before[key], after[key], f"{name}[{key!r}]")
    elif isinstance(before, (list, tuple)):
        if len(before) != len(after):
            _fail(f"Your function changed the length of its input {name}.")
        for i, (b, a) in enumerate(zip(before, after)):
            unchanged(b, a, f"{name}[{i}]")


def _compare(got: Any, expected: Any, name: str, rtol: float, atol: float) -> None:
    """Compare a result with the reference's, recursing into dicts, tuples and lists."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            _fail(f"{name} should be a dictionary with keys {sorted(expected)}, but it is {describe(got)}.")
        missing = sorted(set(expected) - set(got))
        if missing:
            _fail(f"{name} is missing the key(s) {missing}.")
        for key in expected:
            _compare(got[key], expected[key], f"{name}[{key!r}]", rtol, atol)
    elif isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            _fail(f"{name} should be a tuple of {len(expected)} values, but it is {describe(got)}.")
        for i, (g, e) in enumerate(zip(got, expected)):
            _compare(g, e, f"{name}[{i}]", rtol, atol)
    elif isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            _fail(f"{name} should be a list of {len(expected)} values, but it is {describe(got)}.")
        for i, (g, e) in enumerate(zip(got, expected)):
            _compare(g, e, f"{name}[{i}]", rtol, atol)
    elif isinstance(expected, (np.ndarray,)) or _is_real_scalar(expected):
        close(got, expected, name, rtol=rtol, atol=atol)
    else:
        equal(got, expected, name)


def matches_reference(
    student: Callable,
    reference: Callable,
    cases: Iterable[Sequence[Any] | Mapping[str, Any]],
    name: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Check ``student`` against ``reference`` on every case, and that no input was modified.

    Each case is a tuple of positional arguments or a dict of keyword arguments. Both functions get their own
    deep copies, so neither can affect the other, and the student's copy is compared with the original afterwards.
    """
    name = name or getattr(reference, "__name__", "your function")
    for number, case in enumerate(cases, start=1):
        args, kwargs = ((), dict(case)) if isinstance(case, Mapping) else (tuple(case), {})
        expected = call(reference, *copy.deepcopy(args), **copy.deepcopy(kwargs))
        student_args, student_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
        got = call(student, *student_args, **student_kwargs)
        where = f"{name}(...) on hidden case {number} (inputs: {_describe_inputs(args, kwargs)})"
        _compare(got, expected, where, rtol, atol)
        for i, (before, after) in enumerate(zip(args, student_args)):
            unchanged(before, after, f"argument {i + 1} of {name}")
        for key in kwargs:
            unchanged(kwargs[key], student_kwargs[key], f"argument {key!r} of {name}")


def _describe_inputs(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) and len(value) > 4:
        return f"{type(value).__name__} of {len(value)}"
    return repr(value)


def passed(what: str) -> None:
    """Print the verdict students look for after a test cell."""
    print(f"\u2705 {what}: all visible tests passed.")
