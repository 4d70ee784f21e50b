"""The comparisons behind the checks, on snapshots: what the student's kernel and the grader both run.

Every function here takes ``got`` already snapshotted (see :mod:`._snapshot`), so the values compared are plain
data; :func:`verdict` is the whole judgement of one hidden case, and the grader runs exactly this code outside the
sandbox on the results a kernel sent it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._diagnose import PREFIX as DIAGNOSIS
from ._diagnose import (
    case_mistake,
    dtype_mistake,
    modified_input,
    not_an_array,
    order_mistake,
    shape_mistake,
    value_mistake,
)
from ._errors import CheckFailed, fail
from ._pristine import (
    NUMPY_SCALARS,
    PLAIN_SCALARS,
    Exception,
    OverflowError,
    absolute,
    argwhere,
    array_all,
    asarray,
    bool,
    dict,
    dict_items,
    enumerate,
    errstate,
    float,
    int,
    isclose_math,
    isfinite,
    isinstance,
    isnan,
    len,
    list,
    logical_not,
    ndarray,
    repr,
    result_type,
    set,
    sorted,
    str,
    tuple,
    type,
    type_name,
    zip,
)
from ._snapshot import describe, format_value, is_array, is_real_scalar


def shape(got: Any, expected_shape: Sequence[int], name: str, expected: Any = None) -> None:
    """``got`` must be a NumPy array of exactly ``expected_shape`` (``expected``, the values, when they are known)."""
    expected_shape = tuple(expected_shape)
    if not is_array(got):
        mistake = not_an_array(got, expected_shape)
        fail(f"{name} should be a NumPy array of shape {expected_shape}, but it is {describe(got)}.{_line(mistake)}")
    if got.shape != expected_shape:
        mistake = shape_mistake(got.shape, expected_shape, got, expected)
        fail(f"{name} has the wrong shape.\n  expected shape: {expected_shape}\n  got shape:      {got.shape}"
             f"{_line(mistake)}")


def _line(diagnosis: str) -> str:
    """A diagnosis as the last line of a message (nothing when there is none)."""
    return f"\n{diagnosis}" if diagnosis else ""


def isclose(got: ndarray, expected: ndarray, rtol: float, atol: float) -> ndarray:
    """``np.isclose(got, expected, rtol, atol)``, on exact ndarrays (their operators are NumPy's own C code)."""
    if expected.dtype.kind != "m":
        expected = asarray(expected, dtype=result_type(expected, 1.0))
    with errstate(all="ignore"):
        within = absolute(got - expected) <= atol + rtol * absolute(expected)
        return (within & isfinite(expected)) | (got == expected)


def close(got: Any, expected: Any, name: str, rtol: float, atol: float) -> None:
    """``got`` must match ``expected`` numerically, with the same kind (number or array) and shape."""
    # A 0-d array and a scalar are the same number: NumPy returns either, depending on how it was computed.
    if is_array(expected) and expected.ndim == 0:
        expected = expected[()]
    if is_real_scalar(expected):
        if is_array(got) and got.ndim == 0 and got.dtype.kind in "fiu":
            got = got[()]
        if not is_real_scalar(got):
            mistake = shape_mistake(got.shape, ()) if is_array(got) else ""
            fail(f"{name} should be a number, like {expected!r}, but it is {describe(got)}.{_line(mistake)}")
        try:
            got_value, expected_value = float(got), float(expected)
        except OverflowError:
            fail(f"{name} is too large to be a float: {got!r}.")
        if not isclose_math(got_value, expected_value, rel_tol=rtol, abs_tol=atol):
            fail(f"{name} has the wrong value.\n  expected: {expected_value!r}\n  got:      {got_value!r}"
                 f"{_line(value_mistake(got, expected, name, rtol, atol))}")
        return
    expected = asarray(expected)
    shape(got, expected.shape, name, expected)
    # Booleans stand for 0/1 labels (say, predictions); anything else must be numeric.
    zero_one = expected.dtype.kind in "fiub" and array_all((expected == 0) | (expected == 1))
    if got.dtype.kind not in ("fiub" if zero_one else "fiu"):
        fail(f"{name} should hold numbers, but its dtype is {got.dtype}.{_line(dtype_mistake(got, expected))}")
    ok = isclose(got, expected, rtol, atol)
    if not array_all(ok):
        bad = argwhere(logical_not(ok))
        first = tuple(int(i) for i in bad[0])
        nan_note = " (NaN: an overflow or a 0/0 somewhere?)" if isnan(got[first]) else ""
        fail(
            f"{name} has {len(bad)} wrong entr{'y' if len(bad) == 1 else 'ies'} out of {expected.size}.\n"
            f"  first wrong entry at index {first}: expected {expected[first].item()!r}, "
            f"got {got[first].item()!r}{nan_note}\n"
            f"  expected:\n{format_value(expected)}\n  got:\n{format_value(got)}"
            f"{_line(modified_input(name) or value_mistake(got, expected, name, rtol, atol))}"
        )


def arrays_equal(a: ndarray, b: ndarray, equal_nan: bool = False) -> bool:
    if a.shape != b.shape:
        return False
    with errstate(all="ignore"):
        same = a == b
        if type(same) is not ndarray:  # comparing text with numbers: NumPy says False once
            return False
        if equal_nan and a.dtype.kind in "fc" and b.dtype.kind in "fc":
            same = same | (isnan(a) & isnan(b))
    return bool(array_all(same))


def plain_equal(got: Any, expected: Any) -> bool:
    """Exact equality of snapshots: same classes all the way down, then the builtins' own comparison."""
    cls = type(expected)
    if type(got) is not cls:
        if is_real_scalar(got) and is_real_scalar(expected):
            return float(got) == float(expected)
        return False
    if cls is ndarray:
        return arrays_equal(got, expected)
    if cls is tuple or cls is list:
        return len(got) == len(expected) and all_true(plain_equal(g, e) for g, e in zip(got, expected))
    if cls is dict:
        if len(got) != len(expected):
            return False
        for key, value in dict_items(expected):
            if key not in got or not plain_equal(got[key], value):
                return False
        return True
    if cls in PLAIN_SCALARS or cls in NUMPY_SCALARS:
        return bool(got == expected)
    return bool(expected == got)  # a class from the test itself: its own comparison decides


def all_true(values) -> bool:
    for value in values:
        if not value:
            return False
    return True


def equal(got: Any, expected: Any, name: str) -> None:
    """``got`` must equal ``expected`` exactly (ints, strings, tuples and other plain values), of the same type."""
    if type(got) is not type(expected) and not (is_real_scalar(got) and is_real_scalar(expected)):
        fail(f"{name} should be {format_value(expected)} ({type_name(type(expected))}), but it is {describe(got)}."
             f"{_line(order_mistake(got, expected))}")
    if is_array(expected):
        shape(got, expected.shape, name)
        if not arrays_equal(got, expected):
            fail(f"{name} is wrong.\n  expected:\n{format_value(expected)}\n  got:\n{format_value(got)}")
    elif not plain_equal(got, expected):
        fail(f"{name} is wrong.\n  expected: {format_value(expected)}\n  got:      {format_value(got)}"
             f"{_line(order_mistake(got, expected) or value_mistake(got, expected, name))}")


def unchanged(before: Any, after: Any, name: str) -> None:
    """An input argument, ``before`` the call and (snapshotted) ``after`` it, must not have changed."""
    if is_array(before):
        if not (is_array(after) and arrays_equal(before, after, equal_nan=True)):
            fail(
                f"Your function modified its input {name}. Work on a copy (or build a new array) "
                "instead of changing the caller's data in place.\nLikely mistake: an in-place update of the "
                "caller's array (w -= ..., A[A < 0] = 0, np.maximum(Z, 0, out=Z)): copy it first (w = w.copy())."
            )
    elif isinstance(before, Mapping):
        if type(after) is not dict or set(before) != set(after):
            fail(f"Your function added or removed keys of its input {name}: keep the caller's dictionary as it was.")
        for key in before:
            unchanged(before[key], after[key], f"{name}[{key!r}]")
    elif isinstance(before, (list, tuple)):
        if type(after) not in (list, tuple) or len(before) != len(after):
            fail(f"Your function changed the length of its input {name}.\nLikely mistake: the caller's list changed "
                 "in place (pop, append, del, remove): read it by index, or work on a copy (list(...)).")
        for i, (b, a) in enumerate(zip(before, after)):
            unchanged(b, a, f"{name}[{i}]")


def compare(got: Any, expected: Any, name: str, rtol: float, atol: float) -> None:
    """A (snapshotted) result against the reference's, recursing into dicts, tuples and lists."""
    if isinstance(expected, Mapping):
        if type(got) is not dict:
            fail(f"{name} should be a dictionary with keys {sorted(expected)}, but it is {describe(got)}.")
        missing = sorted(set(expected) - set(got))
        if missing:
            fail(f"{name} is missing the key(s) {missing}.")
        for key in expected:
            compare(got[key], expected[key], f"{name}[{key!r}]", rtol, atol)
    elif type(expected) is tuple:
        if type(got) is not tuple or len(got) != len(expected):
            fail(f"{name} should be a tuple of {len(expected)} values, but it is {describe(got)}.")
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, f"{name}[{i}]", rtol, atol)
    elif type(expected) is list:
        if type(got) is not list or len(got) != len(expected):
            fail(f"{name} should be a list of {len(expected)} values, but it is {describe(got)}.")
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, f"{name}[{i}]", rtol, atol)
    elif is_array(expected) or is_real_scalar(expected):
        close(got, expected, name, rtol, atol)
    else:
        equal(got, expected, name)


def verdict(got, after_args, after_kwargs, args, kwargs, expected, name, where, rtol, atol, mistakes=None) -> None:
    """The judgement of one hidden case (raises :class:`~._errors.CheckFailed`); also what the grader runs outside.

    ``got`` is the student's snapshotted result, ``after_args``/``after_kwargs`` the snapshotted inputs after the
    student's call, ``args``/``kwargs`` the inputs as the test made them, ``expected`` the reference's result;
    ``mistakes`` the exercise's known mistakes computed on these inputs when the grader recorded them.
    """
    try:
        compare(got, expected, where, rtol, atol)
    except CheckFailed as failure:
        # A mistake recognised from the case's inputs is more precise than one guessed from the values alone.
        mistake = case_mistake(name, args, kwargs, got, expected, mistakes)
        if not mistake:
            raise
        lines = [line for line in str(failure).strip("\n").splitlines() if not line.startswith(DIAGNOSIS)]
        fail("\n".join(lines) + "\n" + mistake)
    for i, (before, after) in enumerate(zip(args, after_args)):
        unchanged(before, after, f"argument {i + 1} of {name}")
    for key in kwargs:
        unchanged(kwargs[key], after_kwargs.get(key) if type(after_kwargs) is dict else None,
                  f"argument {key!r} of {name}")


def describe_inputs(args, kwargs) -> str:
    """A hidden case's inputs in a few words: ``array(3, 4), 0.5, learning_rate=0.1``.

    Each argument gets at most :data:`INPUT_BUDGET` characters, however deeply its arrays are nested (a ``caches``
    list of tuples of large arrays is a few words, not its repr).
    """
    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in dict_items(dict(kwargs))]
    return ", ".join(parts)


#: The most characters one argument's description takes in a message (a little more for the closing brackets).
INPUT_BUDGET = 160
#: An array this small is shown with its entries (each to 4 significant digits), a larger one by its shape.
SMALL_ARRAY = 4
#: The least room an item of a container gets (fewer items are shown rather than each as ``...``).
ITEM_BUDGET = 24


def short(value: Any, budget: int = INPUT_BUDGET) -> str:
    """``value`` in a few words, within about ``budget`` characters whatever its nesting: arrays by their shape
    (and dtype, unless float64), or their entries when there are at most :data:`SMALL_ARRAY`; containers by
    their items as long as the budget lasts, then ``...``. Brackets always balance."""
    try:
        return _short(value, budget if budget > 20 else 20)
    except Exception:  # noqa: BLE001 - a description is a courtesy: never let it hide the verdict
        return type_name(type(value))


def _short(value: Any, budget: int) -> str:
    cls = type(value)
    if cls is ndarray:
        kind = "" if value.dtype == "float64" else f", {value.dtype}"
        if 0 < value.size <= SMALL_ARRAY and value.dtype.kind in "fiub":
            text = f"array({_entries(value.tolist())}{kind})"
            if len(text) <= budget:
                return text
        return f"array{value.shape}" if not kind else f"array({_dims(value.shape)}{kind})"
    if isinstance(value, Mapping):
        items = [(f"{_leaf(k, budget)}: ", v) for k, v in value.items()]
        return _container("{", "}", items, budget)
    if cls is list or cls is tuple:
        items = [("", v) for v in value]
        if cls is tuple and len(items) == 1:
            return _container("(", ",)", items, budget)
        return _container("(" if cls is tuple else "[", ")" if cls is tuple else "]", items, budget)
    return _leaf(value, budget)


def _dims(shape: tuple) -> str:
    return ", ".join(str(d) for d in shape)


def _entries(values: Any) -> str:
    """Nested lists of numbers (an array's ``tolist()``), each number to 4 significant digits."""
    if type(values) is list:
        return "[" + ", ".join(_entries(v) for v in values) + "]"
    if type(values) is float:
        text = f"{values:.4g}"
        return text if "." in text or "e" in text or "n" in text else text + ".0"
    return repr(values)


def _leaf(value: Any, budget: int) -> str:
    """A scalar, a string or anything else by its repr, or by its type when the repr is too long (a repr cut in
    the middle could leave a bracket open)."""
    text = repr(value)
    if len(text) <= budget and "\n" not in text:
        return text
    if type(value) is str:
        return f"a str of length {len(value)}"
    return f"a {type_name(type(value))}"


def _container(opening: str, closing: str, items: list, budget: int) -> str:
    """The items of a list, a tuple or a dict (``(prefix, value)`` pairs) while ``budget`` lasts, then ``...``:
    each item gets an equal share of what is left, at least :data:`ITEM_BUDGET` (what a short one leaves goes to
    the next); a container whose first item does not fit is told by its length."""
    kind = "dict" if opening == "{" else "tuple" if opening == "(" else "list"
    if len(items) > SMALL_ARRAY and kind != "dict":
        return f"{kind} of {len(items)}"
    parts: list = []
    left = budget - len(opening) - len(closing)
    for i, (prefix, item) in enumerate(items):
        rest = len(items) - i - 1
        share = (left - 2 * rest) // (rest + 1)
        share = (share if share > ITEM_BUDGET else ITEM_BUDGET) - len(prefix)
        text = prefix + _short(item, share) if share >= 8 else ""
        room = left - (len(f", ... ({rest} more)") if rest else 0)
        if not text or len(text) > room:
            if not i:
                return f"{kind} of {len(items)}"
            parts.append(f"... ({len(items) - i} more)")
            break
        parts.append(text)
        left -= len(text) + 2
    return opening + ", ".join(parts) + closing
