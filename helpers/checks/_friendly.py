"""An error raised inside a student's function, told in words: which function, what went wrong, a hint.

:func:`~helpers.checks.call` turns such an error into :class:`StudentCodeError` (a :class:`~._errors.CheckFailed`,
so a test cell fails as before) whose message starts with a friendly line naming the function, adds a hint for the
NumPy errors every course meets (broadcasting, matrix products, rank-1 arrays, integer arrays) and ends with the
original error. Jupyter shows the message and the student's own line, never the checks' internals.
"""

from __future__ import annotations

import linecache
import os
import re
import sys

from ._errors import CheckFailed, student_frames
from ._pristine import TRUSTED_TYPES

#: (pattern of the error's text, hint): the first match gives the hint.
HINTS: tuple[tuple[str, str], ...] = (
    (r"operands could not be broadcast together",
     "two arrays of incompatible shapes meet in an element-wise operation. Print their .shape: a rank-1 (n,) "
     "array where an (n, 1) column is meant, or a transposed matrix, is the usual culprit."),
    (r"matmul: Input operand|shapes \(.*\) and \(.*\) not aligned|mismatch in its core dimension",
     "a matrix product whose inner dimensions differ: in A @ B (or np.dot(A, B)) the columns of A must equal the "
     "rows of B. Print both shapes; one of them is probably transposed (W.T?)."),
    (r"tuple index out of range",
     "a shape has fewer axes than the code expects: X.shape[1] of a rank-1 array fails. Keep 2-D arrays "
     "(keepdims=True, reshape(-1, 1))."),
    (r"too many indices for array",
     "an array has fewer axes than the indexing expects: probably a rank-1 (n,) array where a 2-D one is meant."),
    (r"Cannot cast ufunc .* output from dtype\('float.*'\) to dtype\('u?int",
     "an integer array is updated in place with floats (w -= ... on an int array): create it with floats "
     "(np.zeros(shape), 0.0, dtype=float)."),
    (r"integer division or modulo by zero|division by zero",
     "a division by zero: is a count (m, the number of examples) zero, or an integer division (//) rounding "
     "to 0?"),
    (r"cannot reshape array of size",
     "the new shape does not hold the same number of values as the array: check the sizes you reshape to."),
    (r"only (length-1|size-1|0-dimensional) arrays can be converted to Python scalars",
     "a function from math (math.exp, math.log) or float() was given a whole array: use NumPy's (np.exp, np.log)."),
    (r"truth value of an array with more than one element is ambiguous",
     "an if, and, or, or not on a whole array: compare element-wise with np.where, np.maximum, & or |."),
    (r"unsupported operand type\(s\)|can't multiply sequence|can only concatenate",
     "arithmetic on a Python list or None: convert with np.array(...), and check every branch returns a value."),
)


def hint_for(error_text: str) -> str:
    """The hint for an error's text (``"ValueError: operands could not..."``), or ``""``."""
    for pattern, hint in HINTS:
        if re.search(pattern, error_text):
            return hint
    if error_text.startswith("NameError"):
        return "a name is not defined yet: run the cells above (the one that defines it first)."
    if error_text.startswith("KeyError"):
        return "a dictionary has no such key: print its keys (sorted(d)) and compare with the names asked for."
    return ""


class StudentCodeError(CheckFailed):
    """A student's function raised: the message names it and hints at the cause; the traceback shows their line.

    The class :func:`friendly_error` raises also derives from the original error's class, so a test that expects
    a ``ValueError`` from a student's function (``except ValueError``) still catches it.
    """

    def __str__(self) -> str:  # KeyError's own __str__ would show the message as a quoted repr
        return BaseException.__str__(self)

    def _render_traceback_(self) -> list[str]:
        lines = super()._render_traceback_()
        where = _student_line(self.__cause__)
        return lines[:2] + ([where] if where else []) + lines[2:]


_CLASSES: dict[type, type] = {}


def friendly_error(function_name: str, error: BaseException) -> BaseException:
    """The error to raise for ``error`` from a student's function: a :class:`StudentCodeError` of the same class
    with a friendly message, or ``error`` itself for errors the checks do not rewrite (their own, or a class
    defined by student code, whose behaviour they do not rely on)."""
    cls = type(error)
    if isinstance(error, CheckFailed) or (cls not in TRUSTED_TYPES and cls not in NUMPY_ERRORS):
        return error
    try:
        if cls not in _CLASSES:
            _CLASSES[cls] = type(cls.__name__, (StudentCodeError, cls), {"__module__": cls.__module__})
        message = str(error)
        if len(message) > 600:
            message = message[:600] + "..."
        text = "\n" + explain(function_name, cls.__name__, message) + "\n"
        try:
            return _CLASSES[cls](text)
        except Exception:  # noqa: BLE001 - a class whose constructor wants more (NumPy's casting errors)
            friendly: BaseException = BaseException.__new__(_CLASSES[cls], text)
            BaseException.__init__(friendly, text)
            return friendly
    except Exception:  # noqa: BLE001 - an odd error (its own constructor, its text) stays as it was raised
        return error


def _numpy_errors() -> frozenset:
    """NumPy's own exception classes (its casting and axis errors), found when the checks are imported."""
    found, todo = set(), [Exception]
    while todo:
        cls = todo.pop()
        for sub in type.__subclasses__(cls):
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return frozenset(c for c in found if type(c.__module__) is str and c.__module__.split(".")[0] == "numpy")


NUMPY_ERRORS = _numpy_errors()


def _student_line(error: BaseException | None) -> str:
    """``  in your code, line 4: return np.dot(W, X) + b`` for the last frame of the error in the notebook."""
    if error is None:
        return ""
    try:
        frames = student_frames(error.__traceback__, _library_dirs())
        if not frames:
            return ""
        filename, lineno, function = frames[-1]
        text = linecache.getline(filename, lineno).strip()
        return f"  in {function}, line {lineno}: {text}" if text else f"  in {function}, line {lineno}"
    except Exception:  # noqa: BLE001 - display only: a message without the line is better than none
        return ""


def _library_dirs() -> tuple[str, ...]:
    """Where installed code lives (Python, NumPy, the checks): frames there are not the student's."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = {here, sys.prefix, sys.base_prefix, sys.exec_prefix}
    return tuple(os.path.abspath(r) + os.sep for r in roots if r)


def explain(function_name: str, error_name: str, error_message: str) -> str:
    """The message of a :class:`StudentCodeError`: a friendly line naming the function and the error, the hint if
    one fits."""
    text = f"{error_name}: {error_message}" if error_message else error_name
    hint = hint_for(text)
    first = f"Your function {function_name} stopped with an error: {text}"
    return first + (f"\nLikely mistake: {hint}" if hint else "")


def show_direct_errors(shell, in_test_cell) -> None:
    """Show an error from a student's function that a visible test called directly (``relu(Z)``, not through
    :func:`~helpers.checks.call`) as :func:`friendly_error` words it, while ``in_test_cell()`` is true.

    Display only, in the student's own kernel: IPython's custom exception handler is set once, every other error
    is shown as IPython shows it, and nothing changes what the cell's error is (a failed test fails as before).
    """
    if shell.custom_exceptions:  # a handler of someone else's: leave it
        return

    def handler(self, etype, value, tb, tb_offset=None):
        shown = value
        if in_test_cell() and not hasattr(value, "_render_traceback_"):
            frames = student_frames(tb, _library_dirs())
            if len(frames) >= 2:  # the test cell, then the student's function it called
                shown = friendly_error(frames[1][2], value)
        if shown is value:
            self.showtraceback((etype, value, tb), tb_offset=tb_offset)
        else:
            shown.__cause__ = value
            self._showtraceback(type(shown), shown, shown._render_traceback_())
        return None

    shell.set_custom_exc((Exception,), handler)
