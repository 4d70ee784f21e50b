"""Friendly checks for the notebooks' test cells.

Every check either returns quietly or raises :class:`CheckFailed` with a message written for the student: what was
checked, what was expected, what came instead, and where (which shape, which entry)::

    from helpers import checks as check
    check.close(sigmoid(np.array([0, 2])), [0.5, 0.88079708], "sigmoid(np.array([0, 2]))")
    check.passed("sigmoid")

Two rules keep grading honest under nbgrader:

* nbgrader scores a test cell 0 when it writes anything to stderr, warnings included. Student functions are
  therefore always called through :func:`call`, which silences warnings (a textbook ``1 / (1 + np.exp(-x))``
  overflows harmlessly for x = -1000 and must still earn its marks) while letting real errors through, and a test
  cell (from :func:`exercise` on) shows what student code writes to stderr as ordinary output: a tqdm progress bar
  or a debug print is not a failure.
* A hidden test compares the student's function with the reference on copies of the inputs, checks the inputs were
  not modified, and compares types and shapes exactly, so a rank-1 ``(n,)`` array is not a ``(n, 1)`` column.

The checks run in the same Python process as the student's code, so they trust nothing that code can change: what
they rely on is captured when they are imported (:mod:`._pristine`), which the grader does before any student code
runs; a value under test is first copied into plain data (:mod:`._snapshot`) and compared there (:mod:`._compare`);
the student's function is called before the reference, so no expected value exists while student code runs. While
a submission is graded inside the sandbox, the reference solutions are not in the kernel at all: the grader checks
the hidden cases itself (:mod:`._grader`, :mod:`._protocol`), and the checks' modules are read-only (:mod:`._seal`).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from . import _compare, _diagnose, _friendly, _grader, _isolation, _pristine, _protocol, _seal, _snapshot
from ._errors import CheckFailed, ReferenceUnavailable, fail
from ._pristine import (
    TRUSTED_TYPES,
    BaseException,
    Exception,
    catch_warnings,
    deepcopy,
    dict,
    dict_items,
    enumerate,
    errstate,
    isinstance,
    object_getattribute,
    print,
    repr,
    simplefilter,
    str,
    tuple,
    type,
    type_mro,
    type_name,
)
from ._snapshot import snapshot

__all__ = [
    "CheckFailed",
    "ReferenceUnavailable",
    "call",
    "close",
    "describe",
    "equal",
    "exercise",
    "is_type",
    "matches_reference",
    "mistakes",
    "passed",
    "score",
    "shape",
    "unchanged",
]


def call(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function with warnings silenced and floating-point errors ignored.

    Real exceptions still propagate (and fail the test), of the same class but with a message that names the
    function and hints at the usual NumPy causes (:mod:`._friendly`); warnings such as ``RuntimeWarning: overflow`` do not
    reach stderr, where nbgrader would count them as a failure. A function that calls ``sys.exit()`` or raises
    ``KeyboardInterrupt`` fails the test like any other error.
    """
    with catch_warnings():
        simplefilter("ignore")
        with errstate(all="ignore"):
            try:
                return function(*args, **kwargs)
            except Exception as error:
                friendly = _friendly.friendly_error(_function_name(function), error)
                if friendly is error:
                    raise
                raise friendly from error
            except BaseException as error:  # SystemExit, KeyboardInterrupt, GeneratorExit
                name = type_name(type(error))
                raise CheckFailed(
                    f"\nThe function {_function_name(function)} raised {name} instead of returning a value"
                    + (" (did it call sys.exit() or exit()?)" if name == "SystemExit" else "") + ".\n") from None


def describe(value: Any) -> str:
    """A short description of a value for messages: type, shape and dtype for arrays."""
    return _snapshot.describe(snapshot(value))


def is_type(got: Any, expected_type: Any, name: str) -> None:
    """Check that ``got`` is an instance of ``expected_type`` (a class, or a tuple of classes).

    Where a ``float`` is asked, any real number is one (an ``int``, a NumPy scalar, a 0-d array such as
    ``np.squeeze(np.array(cost))``): its value is what the other checks judge. Otherwise the check looks at the
    real class of ``got`` (``type(got)``, which no object can fake) and accepts subclasses
    only from Python and NumPy themselves (``np.float64`` is a ``float``, ``bool`` an ``int``): a subclass defined
    in the notebook, or one of ``numpy.ndarray``, is not the type asked for.
    """
    wanted = expected_type if type(expected_type) is tuple else (expected_type,)
    cls = type(got)
    ok = _pristine.float in wanted and _is_number(got)
    for t in wanted:
        if cls is t:
            ok = True
        elif t is not _pristine.ndarray and cls in TRUSTED_TYPES and type(t) is type and t in type_mro(cls):
            ok = True
    if not ok:
        names = " or ".join(type_name(t) if isinstance(t, type) else repr(t) for t in wanted)
        mistake = _diagnose.type_mistake(got, wanted)
        fail(f"{name} should be a {names}, but it is {describe(got)}." + (f"\n{mistake}" if mistake else ""))


def _is_number(value: Any) -> bool:
    """A real number in any of the forms NumPy and Python give it (never a bool, never an array of several)."""
    cls = type(value)
    if cls is _pristine.ndarray:
        return value.ndim == 0 and value.dtype.kind in "fiu"
    return cls in _pristine.REAL_TYPES


def shape(got: Any, expected_shape: Sequence[int], name: str) -> None:
    """Check that ``got`` is a NumPy array of exactly ``expected_shape``."""
    _compare.shape(snapshot(got), expected_shape, name)


def close(got: Any, expected: Any, name: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Check that ``got`` matches ``expected`` numerically, with the same kind and shape.

    * ``expected`` a real scalar: ``got`` must be a real scalar (a Python or NumPy number, not an array).
    * ``expected`` an array (or a nested list): ``got`` must be a floating or integer NumPy array of the same shape.
    """
    _compare.close(snapshot(got), expected, name, rtol, atol)


def equal(got: Any, expected: Any, name: str) -> None:
    """Check exact equality for ints, strings, tuples and other plain values (and exact type)."""
    _compare.equal(snapshot(got), expected, name)


def unchanged(before: Any, after: Any, name: str) -> None:
    """Check that an input argument was not modified by the function under test."""
    _compare.unchanged(before, snapshot(after), name)


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
    ref: Any = reference  # a reference function, or the grader's proxy of one
    remote = type(ref) is _grader.RemoteFunction
    recording = type(ref) is _grader.RecordingFunction
    name = name or (ref.name if remote or recording else _function_name(ref))
    if name == "under test":
        name = "your function"
    assignment = ref.assignment if remote or recording else _isolation.running()
    for number, case in enumerate(cases, start=1):
        args, kwargs = ((), dict(case)) if isinstance(case, Mapping) else (tuple(case), {})
        key = _protocol.case_key(assignment, name, args, kwargs)
        where = f"{name}(...) on hidden case {number} (inputs: {_compare.describe_inputs(args, kwargs)})"
        student_args, student_kwargs = deepcopy(args), deepcopy(kwargs)
        try:
            got = snapshot(call(student, *student_args, **student_kwargs))
        except Exception as error:
            # While grading, a case that raises is one failed case, not a crashed cell (an error scores 0).
            if not _isolation.GRADING:
                raise
            message = str(error).strip() if type(error) is CheckFailed else (
                f"{where}: your function raised {type_name(type(error))}: {error}")
            if remote:  # the grader keeps its own verdict: a failed case
                _judge_quietly(ref, args, kwargs)
            _isolation.count(key, False, message)
            continue
        after_args, after_kwargs = snapshot(student_args), snapshot(student_kwargs)
        try:
            if remote:
                ref.judge(args, kwargs, got, after_args, after_kwargs)
            else:
                function = ref.function if recording else ref
                expected = call(function, *deepcopy(args), **deepcopy(kwargs))
                if recording:
                    ref.record_case(args, kwargs, expected, name=name, where=where, rtol=rtol, atol=atol)
                _compare.verdict(got, after_args, after_kwargs, args, kwargs, expected, name, where, rtol, atol)
        except CheckFailed as failure:
            if not _isolation.GRADING:
                raise
            _isolation.count(key, False, str(failure))
            continue
        _isolation.count(key, True)


def _judge_quietly(ref: Any, args: Any, kwargs: Any) -> None:
    """Tell the grader that a hidden case raised in the student's function (it records a failed verdict)."""
    try:
        ref.judge(args, kwargs, _snapshot.Opaque("an exception"), (), {})
    except CheckFailed:
        pass


def exercise(assignment: str, name: str, uses: Iterable[str] = ()) -> None:
    """Begin the test cell of exercise ``name`` of ``assignment``, which calls the graded functions ``uses``.

    While grading, those functions are the reference for this cell, so only ``name`` is judged. In your own
    kernel, each of them is first run on its own visible test: if one fails, this cell says which to fix first.
    """
    _isolation.start(assignment, name, uses)


def score() -> float | None:
    """The test cell's last expression: its partial points while nbgrader grades (None: full marks)."""
    return _isolation.score()


def mistakes(function_name: str, catalogue: Mapping[str, Callable]) -> None:
    """Name the known mistakes of an exercise: ``{description: function computing the wrong result}``.

    When a hidden case of ``function_name`` fails, each mistake is computed on the same inputs; if the student's
    result is one of them, the message ends with ``Likely mistake: <description>``. The descriptions are written
    for students (what went wrong and what is right), for instance::

        check.mistakes("softmax", {
            "softmax normalises over the whole matrix; each column must sum to 1 (axis=0, keepdims=True)":
                lambda Z: np.exp(Z) / np.sum(np.exp(Z)),
        })
    """
    if type(function_name) is not str:
        raise TypeError("check.mistakes takes the function's name (a string) and a dict of mistakes")
    _diagnose.CATALOGUE[function_name] = {str(k): v for k, v in dict_items(dict(catalogue))}


def passed(what: str) -> None:
    """Print the verdict students look for after a test cell."""
    print(f"\u2705 {what}: all visible tests passed.")


def _function_name(function: Any) -> str:
    try:
        name = object_getattribute(function, "__name__")
        return name if type(name) is str else "under test"
    except Exception:
        return "under test"


# --- while grading: these modules are read-only, and what they rely on is watched ---------------------------------
_MODULES = {m.__name__: m for m in (sys.modules[__name__], _compare, _diagnose, _friendly, _grader, _isolation,
                                    _protocol, _pristine, _seal, _snapshot, sys.modules[f"{__name__}._errors"])}
_seal.capture(
    sys.modules[__name__], tuple(__all__),
    functions={"call": call, "close": close, "equal": equal, "shape": shape, "is_type": is_type,
               "unchanged": unchanged, "matches_reference": matches_reference, "describe": describe,
               "passed": passed, "exercise": exercise, "score": score, "mistakes": mistakes, "fail": fail,
               "snapshot": snapshot, "compare": _compare.compare,
               "close_values": _compare.close, "verdict": _compare.verdict, "request": _protocol.request,
               "wire": _protocol.wire_snapshot},
    modules=_MODULES)
if _grader.GRADER_SOCKET:
    _seal.seal()
del types
