"""Friendly checks for the notebooks' test cells.

Every check either returns quietly or raises :class:`CheckFailed` with a message written for the student:
what was checked, what was expected, what came instead, and where (which shape, which entry).

Two rules keep grading honest under nbgrader:

* nbgrader scores a test cell 0 when it writes anything to stderr, warnings included. Student functions are
  therefore always called through :func:`call`, which silences warnings (a textbook ``1 / (1 + np.exp(-x))``
  overflows harmlessly for x = -1000 and must still earn its marks) while letting real errors through.
* A hidden test compares the student's function with the reference on copies of the inputs, checks the inputs
  were not modified, and compares types and shapes exactly, so a rank-1 ``(n,)`` array is not a ``(n, 1)`` column.

The checks run in the same Python process as the student's code, so they trust nothing that code can change:

* what they rely on (builtins such as ``isinstance`` and ``type``, NumPy's ufuncs, ``copy.deepcopy``...) is captured
  when this module is imported, which the grader does before any student code runs; replacing ``np.allclose``,
  ``np.testing.assert_allclose``, ``builtins.isinstance`` or the functions of this module afterwards changes
  nothing here;
* a value under test is first copied into plain data (:func:`_snapshot`): exact ``numpy.ndarray`` of a numeric,
  boolean or text dtype, exact Python and NumPy scalars, and exact ``tuple``, ``list`` and ``dict`` of those.
  Anything else (an ndarray subclass that lies about its shape, an object whose ``__eq__`` always says True, a
  ``float`` subclass...) becomes an opaque marker that equals nothing, so no code of the student's runs while the
  verdict is made;
* the student's function is called before the reference, so no expected value exists while student code runs.

While a submission is graded inside the sandbox (see coursetools/sandbox.py), the reference solutions are not in
the kernel at all: ``solutions(...)`` returns proxies, and :func:`matches_reference` sends the student's results to
the grader, which compares them with the reference outside the sandbox and records the verdicts itself.
"""

from __future__ import annotations

import base64
import builtins
import collections
import copy
import hashlib
import json
import math
import os
import socket
import struct
import sys
import types
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

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows for a failed check: the test cell's line that failed and the message, instead of a
        traceback through the checks' own code (IPython asks exceptions for this method). Display only: the grader
        reads the error's name and message, never this."""
        here, line = os.path.dirname(os.path.abspath(__file__)), ""
        try:
            import linecache

            tb = self.__traceback__
            while tb is not None:
                code = tb.tb_frame.f_code
                if not os.path.abspath(code.co_filename).startswith(here + os.sep):
                    text = linecache.getline(code.co_filename, tb.tb_lineno).strip()
                    line = f" in line {tb.tb_lineno} of this cell: {text}" if text else ""
                tb = tb.tb_next
        except Exception:  # noqa: BLE001 - a message without its line is better than none
            pass
        return [f"\x1b[0;31mCheckFailed\x1b[0m{line}", *str(self).strip("\n").splitlines()]


class ReferenceUnavailable(RuntimeError):
    """The reference solutions can only be loaded in the instructor's checkout."""


# ---------------------------------------------------------------------------------------------------------------------
# What the checks rely on, captured at import (before any student code runs while grading)
# ---------------------------------------------------------------------------------------------------------------------

_type = builtins.type
_isinstance = builtins.isinstance
_issubclass = builtins.issubclass
_len = builtins.len
_repr = builtins.repr
_str = builtins.str
_float = builtins.float
_int = builtins.int
_tuple = builtins.tuple
_list = builtins.list
_dict = builtins.dict
_set = builtins.set
_sorted = builtins.sorted
_enumerate = builtins.enumerate
_zip = builtins.zip
_range = builtins.range
_print = builtins.print
_getattr = builtins.getattr
_id = builtins.id
_object_getattribute = object.__getattribute__
_type_name = type.__dict__["__name__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_dict_items = dict.items
_list_append = list.append
_deepcopy = copy.deepcopy
_isclose_math = math.isclose
_catch_warnings = warnings.catch_warnings
_simplefilter = warnings.simplefilter
_BaseException = BaseException
_Exception = Exception

_ndarray = np.ndarray
_generic = np.generic
_asarray = np.asarray
_errstate = np.errstate
_printoptions = np.printoptions
_array2string = np.array2string
_nd_copy = np.ndarray.copy
_nd_tobytes = np.ndarray.tobytes
_nd_all = np.ndarray.all
_nd_any = np.ndarray.any
_nd_item = np.ndarray.item
_frombuffer = np.frombuffer
_dtype = np.dtype
_argwhere = np.argwhere
# ufuncs are C objects: nothing in Python can change what they compute.
_u_abs = np.absolute
_u_sub = np.subtract
_u_add = np.add
_u_mul = np.multiply
_u_le = np.less_equal
_u_eq = np.equal
_u_and = np.logical_and
_u_or = np.logical_or
_u_not = np.logical_not
_u_isfinite = np.isfinite
_u_isnan = np.isnan
_result_type = np.result_type

#: NumPy's scalar types (np.float64, np.int32, np.bool_...), the real classes.
_NUMPY_SCALARS = frozenset(t for t in _set(np.sctypeDict.values()) if _issubclass(t, _generic))
_NUMPY_REALS = frozenset(t for t in _NUMPY_SCALARS if _issubclass(t, (np.integer, np.floating)))
_PLAIN_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})
_REAL_TYPES = frozenset({int, float}) | _NUMPY_REALS
_BOOL_TYPES = frozenset({bool, np.bool_})
#: Dicts from the standard library are copied as plain dicts; a student's dict subclass is not.
_DICT_TYPES = frozenset({dict, collections.OrderedDict, collections.defaultdict, collections.Counter})
#: Classes that is_type accepts as subclasses of what it asks for (np.float64 is a float, bool an int...): the
#: builtins' and NumPy's own, never a class defined by student code.
_TRUSTED_TYPES = frozenset(
    [t for t in vars(builtins).values() if _isinstance(t, type)] + _list(_NUMPY_SCALARS) + _list(_DICT_TYPES)
    + [collections.deque]
)
#: dtype kinds kept by a snapshot: booleans, numbers, dates, bytes and text (not objects or records).
_ARRAY_KINDS = "biufcmMSU"
_MAX_DEPTH = 32
_MAX_ITEMS = 100_000


def _fail(message: str) -> None:
    # Raising from here keeps the student's traceback short: the last frame is the check that failed.
    raise CheckFailed("\n" + message.strip() + "\n")


# ---------------------------------------------------------------------------------------------------------------------
# Snapshots: the value under test, as plain data that no student code can affect
# ---------------------------------------------------------------------------------------------------------------------


class _Opaque:
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


def _type_description(cls: type) -> str:
    name = _type_name(cls)
    for base, what in ((_ndarray, "NumPy array"), (float, "float"), (int, "int"), (dict, "dict"),
                       (list, "list"), (tuple, "tuple"), (str, "str")):
        try:
            if base in _type_mro(cls) and cls is not base:
                return (f"an object of type {name} (a subclass of {what}, not a plain {what}: return a plain "
                        f"{what}, e.g. np.asarray(result) or float(result))")
        except _Exception:
            break
    return f"an object of type {name}"


def _snapshot(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` made of trusted types only; anything else becomes an :class:`_Opaque` marker."""
    cls = _type(value)
    if cls in _PLAIN_SCALARS or cls in _NUMPY_SCALARS:
        return value  # immutable
    if cls is _ndarray:
        dtype = value.dtype
        if dtype.kind in _ARRAY_KINDS and dtype.fields is None and dtype.subdtype is None:
            return _nd_copy(value, order="C")
        return _Opaque(f"a NumPy array of shape {value.shape} and dtype {dtype}")
    if cls is _Opaque:
        return value
    if depth >= _MAX_DEPTH:
        return _Opaque("a value nested too deeply")
    if cls is tuple or cls is list:
        if _len(value) > _MAX_ITEMS:
            return _Opaque(f"a {_type_name(cls)} of {_len(value)} items (too many to check)")
        items = []
        for item in value:
            _list_append(items, _snapshot(item, depth + 1))
        return _tuple(items) if cls is tuple else items
    if cls in _DICT_TYPES:
        if _len(value) > _MAX_ITEMS:
            return _Opaque(f"a dict of {_len(value)} items (too many to check)")
        return {_snapshot(k, depth + 1): _snapshot(v, depth + 1) for k, v in _dict_items(value)}
    return _Opaque(_type_description(cls))


def _is_real_scalar(value: Any) -> bool:
    return _type(value) in _REAL_TYPES


def _is_array(value: Any) -> bool:
    return _type(value) is _ndarray


# ---------------------------------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------------------------------


def call(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function with warnings silenced and floating-point errors ignored.

    Real exceptions still propagate (and fail the test); warnings such as ``RuntimeWarning: overflow`` do not
    reach stderr, where nbgrader would count them as a failure. A function that calls ``sys.exit()`` or raises
    ``KeyboardInterrupt`` fails the test like any other error.
    """
    with _catch_warnings():
        _simplefilter("ignore")
        with _errstate(all="ignore"):
            try:
                return function(*args, **kwargs)
            except _Exception:
                raise
            except _BaseException as error:  # SystemExit, KeyboardInterrupt, GeneratorExit
                name = _type_name(_type(error))
                raise CheckFailed(
                    f"\nThe function {_function_name(function)} raised {name} instead of returning a value"
                    + (" (did it call sys.exit() or exit()?)" if name == "SystemExit" else "") + ".\n") from None


def _function_name(function: Any) -> str:
    try:
        name = _object_getattribute(function, "__name__")
        return name if _type(name) is str else "under test"
    except _Exception:
        return "under test"


def _describe(value: Any) -> str:
    cls = _type(value)
    if cls is _Opaque:
        return value.description
    if cls is _ndarray:
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    if cls in _BOOL_TYPES:
        return f"the boolean {value!r}"
    if cls in _REAL_TYPES or cls is complex or (cls in _NUMPY_SCALARS):
        return f"the {_type_name(cls)} {value!r}"
    if value is None:
        return "None (did the function forget to `return`?)"
    if cls is dict:
        return f"a {_type_name(cls)} with keys {_sorted(_str(k) for k in value)}"
    if cls is list or cls is tuple:
        return f"a {_type_name(cls)} of length {_len(value)}"
    return f"an object of type {_type_name(cls)}"


def describe(value: Any) -> str:
    """A short description of a value for messages: type, shape and dtype for arrays."""
    return _describe(_snapshot(value))


def _format(value: Any) -> str:
    try:
        if _type(value) is _ndarray:
            with _printoptions(precision=8, suppress=False, threshold=40, edgeitems=3, linewidth=100):
                return _array2string(value)
        return _repr(value)
    except _Exception:  # NumPy's printing is Python code that student code can break: still say what failed
        return f"<{_describe(value)}>"


def is_type(got: Any, expected_type: type | tuple[type, ...], name: str) -> None:
    """Check that ``got`` is an instance of ``expected_type``.

    The check looks at the real class of ``got`` (``type(got)``, which no object can fake) and accepts subclasses
    only from Python and NumPy themselves (``np.float64`` is a ``float``, ``bool`` an ``int``): a subclass defined
    in the notebook, or one of ``numpy.ndarray``, is not the type asked for.
    """
    wanted = expected_type if _type(expected_type) is tuple else (expected_type,)
    cls = _type(got)
    ok = False
    for t in wanted:
        if cls is t:
            ok = True
        elif t is not _ndarray and cls in _TRUSTED_TYPES and _type(t) is type and t in _type_mro(cls):
            ok = True
    if not ok:
        names = " or ".join(_type_name(t) if _isinstance(t, type) else _repr(t) for t in wanted)
        _fail(f"{name} should be a {names}, but it is {describe(got)}.")


def shape(got: Any, expected_shape: tuple[int, ...], name: str) -> None:
    """Check that ``got`` is a NumPy array of exactly ``expected_shape``."""
    got = _snapshot(got)
    expected_shape = _tuple(expected_shape)
    if not _is_array(got):
        _fail(f"{name} should be a NumPy array of shape {expected_shape}, but it is {_describe(got)}.")
    if got.shape != expected_shape:
        hint = ""
        if got.ndim == 1 and _len(expected_shape) == 2:
            hint = "\nHint: this is a rank-1 array; use reshape or keepdims=True to keep a column or row."
        elif got.shape == _tuple(reversed(expected_shape)):
            hint = "\nHint: the shape is transposed."
        _fail(f"{name} has the wrong shape.\n  expected shape: {expected_shape}\n  got shape:      {got.shape}{hint}")


def _isclose(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """``np.isclose(got, expected, rtol, atol)`` computed with ufuncs only."""
    if expected.dtype.kind != "m":
        expected = _asarray(expected, dtype=_result_type(expected, 1.0))
    with _errstate(all="ignore"):
        within = _u_le(_u_abs(_u_sub(got, expected)), _u_add(atol, _u_mul(rtol, _u_abs(expected))))
        return _u_or(_u_and(within, _u_isfinite(expected)), _u_eq(got, expected))


def close(got: Any, expected: Any, name: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Check that ``got`` matches ``expected`` numerically, with the same kind and shape.

    * ``expected`` a real scalar: ``got`` must be a real scalar (a Python or NumPy number, not an array).
    * ``expected`` an array (or a nested list): ``got`` must be a floating or integer NumPy array of the same shape.
    """
    got = _snapshot(got)
    _close(got, expected, name, rtol, atol)


def _close(got: Any, expected: Any, name: str, rtol: float, atol: float) -> None:
    # A 0-d array and a scalar are the same number: NumPy returns either, depending on how it was computed.
    if _is_array(expected) and expected.ndim == 0:
        expected = expected[()]
    if _is_real_scalar(expected):
        if _is_array(got) and got.ndim == 0 and got.dtype.kind in "fiu":
            got = got[()]
        if not _is_real_scalar(got):
            _fail(f"{name} should be a number, like {expected!r}, but it is {_describe(got)}.")
        try:
            got_value, expected_value = _float(got), _float(expected)
        except OverflowError:
            _fail(f"{name} is too large to be a float: {got!r}.")
        if not _isclose_math(got_value, expected_value, rel_tol=rtol, abs_tol=atol):
            _fail(f"{name} has the wrong value.\n  expected: {expected_value!r}\n  got:      {got_value!r}")
        return
    expected = _asarray(expected)
    shape(got, expected.shape, name)
    # Booleans stand for 0/1 labels (say, predictions); anything else must be numeric.
    zero_one = expected.dtype.kind in "fiub" and _nd_all(_u_or(_u_eq(expected, 0), _u_eq(expected, 1)))
    if got.dtype.kind not in ("fiub" if zero_one else "fiu"):
        _fail(f"{name} should hold numbers, but its dtype is {got.dtype}.")
    ok = _isclose(got, expected, rtol, atol)
    if not _nd_all(ok):
        bad = _argwhere(_u_not(ok))
        first = _tuple(_int(i) for i in bad[0])
        nan_note = " (NaN: an overflow or a 0/0 somewhere?)" if _u_isnan(got[first]) else ""
        _fail(
            f"{name} has {_len(bad)} wrong entr{'y' if _len(bad) == 1 else 'ies'} out of {expected.size}.\n"
            f"  first wrong entry at index {first}: expected {expected[first].item()!r}, "
            f"got {got[first].item()!r}{nan_note}\n"
            f"  expected:\n{_format(expected)}\n  got:\n{_format(got)}"
        )


def _arrays_equal(a: np.ndarray, b: np.ndarray, equal_nan: bool = False) -> bool:
    if a.shape != b.shape:
        return False
    with _errstate(all="ignore"):
        same = _u_eq(a, b)
        if _type(same) is not _ndarray:  # comparing text with numbers: NumPy says False once
            return False
        if equal_nan and a.dtype.kind in "fc" and b.dtype.kind in "fc":
            same = _u_or(same, _u_and(_u_isnan(a), _u_isnan(b)))
    return bool(_nd_all(same))


def _plain_equal(got: Any, expected: Any) -> bool:
    """Exact equality of snapshots: same classes all the way down, then the builtins' own comparison."""
    cls = _type(expected)
    if _type(got) is not cls:
        if _is_real_scalar(got) and _is_real_scalar(expected):
            return _float(got) == _float(expected)
        return False
    if cls is _ndarray:
        return _arrays_equal(got, expected)
    if cls is tuple or cls is list:
        return _len(got) == _len(expected) and all(_plain_equal(g, e) for g, e in _zip(got, expected))
    if cls is dict:
        if _len(got) != _len(expected):
            return False
        for key, value in _dict_items(expected):
            if key not in got or not _plain_equal(got[key], value):
                return False
        return True
    if cls in _PLAIN_SCALARS or cls in _NUMPY_SCALARS:
        return bool(got == expected)
    return bool(expected == got)  # a class from the test itself: its own comparison decides


def equal(got: Any, expected: Any, name: str) -> None:
    """Check exact equality for ints, strings, tuples and other plain values (and exact type)."""
    got = _snapshot(got)
    _equal(got, expected, name)


def _equal(got: Any, expected: Any, name: str) -> None:
    if _type(got) is not _type(expected) and not (_is_real_scalar(got) and _is_real_scalar(expected)):
        _fail(f"{name} should be {_format(expected)} ({_type_name(_type(expected))}), but it is {_describe(got)}.")
    if _is_array(expected):
        shape(got, expected.shape, name)
        if not _arrays_equal(got, expected):
            _fail(f"{name} is wrong.\n  expected:\n{_format(expected)}\n  got:\n{_format(got)}")
    elif not _plain_equal(got, expected):
        _fail(f"{name} is wrong.\n  expected: {_format(expected)}\n  got:      {_format(got)}")


def unchanged(before: Any, after: Any, name: str) -> None:
    """Check that an input argument was not modified by the function under test."""
    _unchanged(before, _snapshot(after), name)


def _unchanged(before: Any, after: Any, name: str) -> None:
    if _is_array(before):
        if not (_is_array(after) and _arrays_equal(before, after, equal_nan=True)):
            _fail(
                f"Your function modified its input {name}. Work on a copy (or build a new array) "
                "instead of changing the caller's data in place."
            )
    elif _isinstance(before, Mapping):
        if _type(after) is not dict or _set(before) != _set(after):
            _fail(f"Your function added or removed keys of its input {name}: keep the caller's dictionary as it was.")
        for key in before:
            _unchanged(before[key], after[key], f"{name}[{key!r}]")
    elif _isinstance(before, (list, tuple)):
        if _type(after) not in (list, tuple) or _len(before) != _len(after):
            _fail(f"Your function changed the length of its input {name}.")
        for i, (b, a) in _enumerate(_zip(before, after)):
            _unchanged(b, a, f"{name}[{i}]")


def _compare(got: Any, expected: Any, name: str, rtol: float, atol: float) -> None:
    """Compare a (snapshotted) result with the reference's, recursing into dicts, tuples and lists."""
    if _isinstance(expected, Mapping):
        if _type(got) is not dict:
            _fail(f"{name} should be a dictionary with keys {_sorted(expected)}, but it is {_describe(got)}.")
        missing = _sorted(_set(expected) - _set(got))
        if missing:
            _fail(f"{name} is missing the key(s) {missing}.")
        for key in expected:
            _compare(got[key], expected[key], f"{name}[{key!r}]", rtol, atol)
    elif _type(expected) is tuple:
        if _type(got) is not tuple or _len(got) != _len(expected):
            _fail(f"{name} should be a tuple of {_len(expected)} values, but it is {_describe(got)}.")
        for i, (g, e) in _enumerate(_zip(got, expected)):
            _compare(g, e, f"{name}[{i}]", rtol, atol)
    elif _type(expected) is list:
        if _type(got) is not list or _len(got) != _len(expected):
            _fail(f"{name} should be a list of {_len(expected)} values, but it is {_describe(got)}.")
        for i, (g, e) in _enumerate(_zip(got, expected)):
            _compare(g, e, f"{name}[{i}]", rtol, atol)
    elif _is_array(expected) or _is_real_scalar(expected):
        _close(got, expected, name, rtol, atol)
    else:
        _equal(got, expected, name)


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
    The student's function runs first, so the expected result does not exist yet while student code runs.
    """
    remote = _type(reference) is _RemoteFunction
    recording = _type(reference) is _RecordingFunction
    name = name or (reference.name if remote or recording else _function_name(reference))
    if name == "under test":
        name = "your function"
    for number, case in _enumerate(cases, start=1):
        args, kwargs = ((), _dict(case)) if _isinstance(case, Mapping) else (_tuple(case), {})
        student_args, student_kwargs = _deepcopy(args), _deepcopy(kwargs)
        got = _snapshot(call(student, *student_args, **student_kwargs))
        after_args, after_kwargs = _snapshot(student_args), _snapshot(student_kwargs)
        where = f"{name}(...) on hidden case {number} (inputs: {_describe_inputs(args, kwargs)})"
        if remote:
            reference._judge(args, kwargs, got, after_args, after_kwargs)
            continue
        function = reference.function if recording else reference
        expected = call(function, *_deepcopy(args), **_deepcopy(kwargs))
        if recording:
            reference._record_case(args, kwargs, expected, name=name, where=where, rtol=rtol, atol=atol)
        verdict(got, after_args, after_kwargs, args, kwargs, expected, name, where, rtol, atol)


def verdict(got, after_args, after_kwargs, args, kwargs, expected, name, where, rtol, atol) -> None:
    """The comparison of one hidden case (raises :class:`CheckFailed`); also what the grader runs outside."""
    _compare(got, expected, where, rtol, atol)
    for i, (before, after) in _enumerate(_zip(args, after_args)):
        _unchanged(before, after, f"argument {i + 1} of {name}")
    for key in kwargs:
        _unchanged(kwargs[key], after_kwargs.get(key) if _type(after_kwargs) is dict else None,
                   f"argument {key!r} of {name}")


def _describe_inputs(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _short(value: Any) -> str:
    if _isinstance(value, np.ndarray):
        return f"array{value.shape}"
    if _isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if _isinstance(value, (list, tuple)) and _len(value) > 4:
        return f"{_type_name(_type(value))} of {_len(value)}"
    return _repr(value)


def passed(what: str) -> None:
    """Print the verdict students look for after a test cell."""
    _print(f"\u2705 {what}: all visible tests passed.")


# ---------------------------------------------------------------------------------------------------------------------
# The wire format: snapshots as JSON, for the grader's record of the hidden cases and its verdicts
# ---------------------------------------------------------------------------------------------------------------------

_MAX_WIRE_BYTES = 256 << 20
_json_dumps = json.dumps
_sha256 = hashlib.sha256


def wire(value: Any) -> Any:
    """A snapshot as JSON-able data (lossless: floats as hex, arrays as their bytes)."""
    value = _snapshot(value)
    return _wire(value)


def _wire(value: Any) -> Any:
    cls = _type(value)
    if value is None:
        return ["none"]
    if cls is bool:
        return ["bool", value]
    if cls is int:
        return ["int", _str(value)]
    if cls is float:
        return ["float", value.hex()]
    if cls is complex:
        return ["complex", value.real.hex(), value.imag.hex()]
    if cls is str:
        return ["str", value]
    if cls is bytes:
        return ["bytes", base64.b64encode(value).decode("ascii")]
    if cls in _NUMPY_SCALARS:
        array = _asarray(value)
        return ["npscalar", array.dtype.str, base64.b64encode(_nd_tobytes(array)).decode("ascii")]
    if cls is _ndarray:
        return ["ndarray", value.dtype.str, _list(value.shape), base64.b64encode(_nd_tobytes(value)).decode("ascii")]
    if cls is tuple:
        return ["tuple", [_wire(v) for v in value]]
    if cls is list:
        return ["list", [_wire(v) for v in value]]
    if cls is dict:
        return ["dict", [[_wire(k), _wire(v)] for k, v in _dict_items(value)]]
    if cls is _Opaque:
        return ["opaque", value.description]
    return ["opaque", _type_description(cls)]


def unwire(data: Any, depth: int = 0) -> Any:
    """The value :func:`wire` encoded. Never runs code from the data: unknown or malformed input is opaque."""
    try:
        return _unwire(data, depth)
    except (ValueError, TypeError, KeyError, IndexError, struct.error, OverflowError, MemoryError) as error:
        return _Opaque(f"a value the grader could not read ({_type_name(_type(error))})")


def _checked_dtype(text: Any) -> np.dtype:
    if _type(text) is not str or _len(text) > 16:
        raise ValueError("dtype")
    dtype = _dtype(text)
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None or dtype.hasobject:
        raise ValueError("dtype")
    return dtype


def _unwire(data: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH or _type(data) is not list or not data:
        raise ValueError("malformed")
    tag = data[0]
    if tag == "none":
        return None
    if tag == "bool":
        return bool(data[1] is True)
    if tag == "int":
        if _type(data[1]) is not str or _len(data[1]) > 4000:
            raise ValueError("int")
        return _int(data[1])
    if tag == "float":
        return _float.fromhex(data[1])
    if tag == "complex":
        return complex(_float.fromhex(data[1]), _float.fromhex(data[2]))
    if tag == "str":
        if _type(data[1]) is not str:
            raise ValueError("str")
        return data[1]
    if tag == "bytes":
        return base64.b64decode(data[1], validate=True)
    if tag == "npscalar":
        dtype = _checked_dtype(data[1])
        raw = base64.b64decode(data[2], validate=True)
        if _len(raw) != dtype.itemsize:
            raise ValueError("size")
        return _frombuffer(raw, dtype=dtype)[0]
    if tag == "ndarray":
        dtype = _checked_dtype(data[1])
        dims = data[2]
        if _type(dims) is not list or _len(dims) > 32 or any(_type(d) is not int or d < 0 for d in dims):
            raise ValueError("shape")
        count = 1
        for d in dims:
            count *= d
        raw = base64.b64decode(data[3], validate=True)
        if _len(raw) != count * dtype.itemsize or _len(raw) > _MAX_WIRE_BYTES:
            raise ValueError("size")
        return _nd_copy(_frombuffer(raw, dtype=dtype, count=count).reshape(_tuple(dims)))
    if tag in ("tuple", "list"):
        if _type(data[1]) is not list or _len(data[1]) > _MAX_ITEMS:
            raise ValueError("items")
        items = [_unwire(v, depth + 1) for v in data[1]]
        return _tuple(items) if tag == "tuple" else items
    if tag == "dict":
        if _type(data[1]) is not list or _len(data[1]) > _MAX_ITEMS:
            raise ValueError("items")
        result = {}
        for pair in data[1]:
            key = _unwire(pair[0], depth + 1)
            if _type(key) in (list, dict, _ndarray):
                raise ValueError("key")
            result[key] = _unwire(pair[1], depth + 1)
        return result
    if tag == "opaque":
        return _Opaque(_str(data[1])[:300])
    raise ValueError("tag")


def case_key(assignment: str, function: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """The identity of one hidden case: a hash of the assignment, the reference function and the exact inputs."""
    return _key_of_wires(assignment, function, wire(_tuple(args)), wire(_dict(kwargs)))


def _key_of_wires(assignment: str, function: str, args_wire: Any, kwargs_wire: Any) -> str:
    text = _json_dumps([assignment, function, args_wire, kwargs_wire], separators=(",", ":"))
    return _sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------------------------
# The grader's side of the hidden tests
# ---------------------------------------------------------------------------------------------------------------------

#: Set only inside the grading sandbox: the grader's socket. Read once, at import.
_GRADER_SOCKET = os.environ.get("COURSE_GRADER_SOCKET", "")
#: Set only while the grader records the hidden cases of the source notebook (a trusted run, outside any sandbox).
_RECORD_FILE = os.environ.get("COURSE_REFERENCE_RECORD", "")

_socket_cls = socket.socket
_AF_UNIX = getattr(socket, "AF_UNIX", None)
_SOCK_STREAM = socket.SOCK_STREAM
_json_loads = json.loads
_pack = struct.pack
_unpack = struct.unpack


def _request(message: dict) -> dict:
    """One request to the grader over its Unix socket: length-prefixed JSON both ways."""
    payload = _json_dumps(message, separators=(",", ":")).encode("utf-8")
    sock = _socket_cls(_AF_UNIX, _SOCK_STREAM)
    try:
        sock.settimeout(600)
        sock.connect(_GRADER_SOCKET)
        sock.sendall(_pack(">I", _len(payload)) + payload)
        header = b""
        while _len(header) < 4:
            chunk = sock.recv(4 - _len(header))
            if not chunk:
                raise ConnectionError("the grader closed the connection")
            header += chunk
        (size,) = _unpack(">I", header)
        body = bytearray()
        while _len(body) < size:
            chunk = sock.recv(min(1 << 20, size - _len(body)))
            if not chunk:
                raise ConnectionError("the grader closed the connection")
            body += chunk
        return _json_loads(bytes(body).decode("utf-8"))
    finally:
        sock.close()


#: Names whose current value the grader compares with the one captured at import (tampering is flagged).
_WATCHED_BUILTINS = ("isinstance", "type", "len", "float", "int", "abs", "print", "sorted", "repr", "getattr",
                     "hasattr", "issubclass", "all", "any", "sum", "min", "max", "__import__")
_WATCHED_NUMPY = ("allclose", "isclose", "array_equal", "asarray", "array", "all", "any", "abs", "sum", "ndarray")
_PRISTINE: dict[str, Any] = {}


def _tampering() -> list[str]:
    """What was replaced since this module was imported (best effort: the kernel is the student's)."""
    found = []
    try:
        for key, value in _dict_items(_PRISTINE):
            where, _, attr = key.partition(":")
            if where == "builtins":
                current = builtins.__dict__.get(attr)
            elif where == "numpy":
                current = np.__dict__.get(attr)
            elif where == "testing":
                current = np.testing.__dict__.get(attr)
            elif where == "checks":
                current = _THIS.__dict__.get(attr)
            elif where == "code":
                current = _object_getattribute(_PRISTINE_FUNCS[attr], "__code__")
            else:
                continue
            if current is not value:
                found.append(key)
        if sys.modules.get(__name__) is not _THIS:
            found.append("sys.modules:helpers.checks")
    except _BaseException:
        found.append("tampering-check-failed")
    return found


class _RemoteFunction:
    """In the sandbox, a reference function the hidden tests name: the grader answers for it."""

    __slots__ = ("assignment", "name")

    def __init__(self, assignment: str, name: str):
        self.assignment, self.name = assignment, name

    def __repr__(self) -> str:
        return f"<reference {self.name} of {self.assignment}, checked by the grader>"

    def _judge(self, args, kwargs, got, after_args, after_kwargs) -> None:
        message = {"op": "judge", "assignment": self.assignment, "function": self.name,
                   "key": case_key(self.assignment, self.name, args, kwargs),
                   "got": _wire(got), "after_args": _wire(after_args), "after_kwargs": _wire(after_kwargs),
                   "tampering": _tampering()}
        try:
            reply = _request(message)
        except (OSError, ValueError) as error:
            _fail(f"The grader could not check this hidden case ({_type_name(_type(error))}: {error}).")
        status = reply.get("status") if _type(reply) is dict else None
        if status == "pass":
            return
        _fail(_str(reply.get("message") or "This hidden case did not pass.") if _type(reply) is dict
              else "This hidden case did not pass.")

    def __call__(self, *args, **kwargs):
        args_wire, kwargs_wire = wire(_tuple(args)), wire(_dict(kwargs))
        message = {"op": "call", "assignment": self.assignment, "function": self.name,
                   "key": _key_of_wires(self.assignment, self.name, args_wire, kwargs_wire),
                   "args": args_wire, "kwargs": kwargs_wire, "tampering": _tampering()}
        try:
            reply = _request(message)
        except (OSError, ValueError) as error:
            raise ReferenceUnavailable(f"the grader could not be reached: {error}") from None
        if _type(reply) is dict and reply.get("status") == "value":
            return unwire(reply.get("value"))
        reason = _str(reply.get("message", "")) if _type(reply) is dict else ""
        raise ReferenceUnavailable(
            f"The reference solution {self.name} is not available here: {reason or 'refused by the grader'}")


class _RemoteSolutions(types.ModuleType):
    """What ``solutions(assignment)`` returns inside the sandbox: a proxy per reference function."""

    def __init__(self, assignment: str):
        super().__init__(f"reference_{assignment}", "Reference solutions, checked by the grader outside the sandbox")
        self.__dict__["_assignment"] = assignment

    def __getattr__(self, name: str) -> _RemoteFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return _RemoteFunction(self.__dict__["_assignment"], name)


def _remote_solutions(assignment: str) -> _RemoteSolutions:
    if _type(assignment) is not str:
        raise ReferenceUnavailable("solutions() takes the assignment's name")
    return _RemoteSolutions(assignment)


class _RecordingFunction:
    """While the grader records the source notebook: a reference function whose hidden cases are written down."""

    __slots__ = ("assignment", "name", "function")

    def __init__(self, assignment: str, name: str, function: Callable):
        self.assignment, self.name, self.function = assignment, name, function

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        _append_record({"kind": "call", "key": case_key(self.assignment, self.name, args, kwargs),
                        "function": self.name, "result": wire(result)})
        return result

    def _record_case(self, args, kwargs, expected, *, name, where, rtol, atol) -> None:
        _append_record({"kind": "case", "key": case_key(self.assignment, self.name, args, kwargs),
                        "function": self.name, "name": name, "where": where, "rtol": rtol, "atol": atol,
                        "args": wire(_tuple(args)), "kwargs": wire(_dict(kwargs)), "expected": wire(expected)})

    def __getattr__(self, name):
        return _getattr(self.function, name)


def _append_record(entry: dict) -> None:
    with open(_RECORD_FILE, "a", encoding="utf-8") as f:
        f.write(_json_dumps(entry, separators=(",", ":")) + "\n")


class _RecordingSolutions(types.ModuleType):
    def __init__(self, assignment: str, module: types.ModuleType):
        super().__init__(module.__name__, module.__doc__)
        self.__dict__["_assignment"] = assignment
        self.__dict__["_module"] = module

    def __getattr__(self, name: str):
        value = _getattr(self.__dict__["_module"], name)
        if callable(value) and not _isinstance(value, type):
            return _RecordingFunction(self.__dict__["_assignment"], name, value)
        return value


def recording_solutions(assignment: str, module: types.ModuleType) -> types.ModuleType:
    """The reference module, with every hidden case written to ``COURSE_REFERENCE_RECORD`` (the grader's record)."""
    return _RecordingSolutions(assignment, module) if _RECORD_FILE else module


# ---------------------------------------------------------------------------------------------------------------------
# While grading: the module's own attributes are read-only, and what was captured is watched
# ---------------------------------------------------------------------------------------------------------------------

_THIS = sys.modules[__name__]
_PUBLIC = ("CheckFailed", "call", "close", "equal", "shape", "is_type", "unchanged", "passed", "matches_reference",
           "describe", "verdict")
_PRISTINE_FUNCS = {name: globals()[name] for name in _PUBLIC if _isinstance(globals()[name], types.FunctionType)}
_PRISTINE_FUNCS.update({"_fail": _fail, "_snapshot": _snapshot, "_compare": _compare, "_close": _close,
                        "_request": _request, "_wire": _wire})


class _SealedModule(types.ModuleType):
    """helpers.checks while a submission is graded: its attributes cannot be assigned or deleted."""

    def __setattr__(self, name, value):
        raise AttributeError(f"helpers.checks is read-only while a submission is graded (cannot set {name!r})")

    def __delattr__(self, name):
        raise AttributeError(f"helpers.checks is read-only while a submission is graded (cannot delete {name!r})")


def _capture() -> None:
    for attr in _WATCHED_BUILTINS:
        if attr in builtins.__dict__:
            _PRISTINE[f"builtins:{attr}"] = builtins.__dict__[attr]
    for attr in _WATCHED_NUMPY:
        if attr in np.__dict__:
            _PRISTINE[f"numpy:{attr}"] = np.__dict__[attr]
    for attr in ("assert_allclose", "assert_array_equal", "assert_equal", "assert_array_almost_equal"):
        if attr in np.testing.__dict__:
            _PRISTINE[f"testing:{attr}"] = np.testing.__dict__[attr]
    for attr in _PUBLIC:
        _PRISTINE[f"checks:{attr}"] = _THIS.__dict__[attr]
    for attr, function in _PRISTINE_FUNCS.items():
        _PRISTINE[f"code:{attr}"] = function.__code__


_capture()
if _GRADER_SOCKET:
    _THIS.__class__ = _SealedModule
