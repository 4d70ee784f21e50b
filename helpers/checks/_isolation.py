"""One exercise judged at a time: what :func:`helpers.checks.exercise` and :func:`helpers.checks.score` do.

A test cell starts with ``check.exercise(assignment, name, uses=[...])``; ``uses`` names the other graded
functions the exercise calls. A student's function may also build on any earlier exercise the text does not name
(Xavier's initialization on He's, a derivative on its activation): those count as used too.

* While a notebook is graded and the reference is at hand, each name in ``uses``, and each earlier exercise that is
  a function of the notebook, is bound, for this cell only, to the reference: inside the grading sandbox to a proxy
  the grader answers live (:class:`._grader.RemoteFunction`), under a plain ``nbgrader autograde`` in the
  instructor's checkout to the reference function itself. After the cell the student's own functions are put back,
  so each cell sees exactly its own bindings, and a mistake costs points in its own exercise only.
* In the student's own kernel the reference is not there: each function in ``uses``, and each earlier exercise the
  function under test calls (read from its code), is run on its own visible test (the test cell of that exercise,
  as last run in this kernel), and if that fails, the cell stops with a message that names it instead of blaming
  the exercise under test.

The cell's hidden cases are tallied (:func:`count`); ``check.score()``, the test cell's last expression, gives a
plain ``nbgrader autograde`` the partial points as a numeric result. Inside the sandbox it gives nothing: the grader
decides the points from its own verdicts.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable
from typing import Any

from ._errors import CheckFailed, ReferenceUnavailable
from ._friendly import show_direct_errors
from ._grader import GRADER_SOCKET, RECORD_FILE, RemoteFunction, append_record, report_stopped
from ._pristine import Exception, callable, dict, getattr, isinstance, len, list, print, str, type
from ._protocol import STOPPED

#: Set by nbgrader while it grades (``autograde``), in the sandbox and out of it. Read once, at import.
GRADING = os.environ.get("NBGRADER_EXECUTION", "")

_MISSING = object()
#: The test cell running now: its exercise, its hidden cases (key -> passed) and the names bound for it.
_STATE: dict[str, Any] = {"assignment": "", "name": "", "cases": {}, "bound": {}, "tables": [], "hooked": False,
                          "checking": 0, "seen": []}
#: A table of functions (``ACTIVATIONS = {"relu": relu, ...}``) is swapped too, when it is no larger than this.
MAX_TABLE = 100
#: exercise name -> the visible tests of its test cell, as last run in this kernel.
_VISIBLE: dict[str, str] = {}


class PrerequisiteFailed(CheckFailed):
    """An exercise calls another graded function that does not pass its own visible test."""


def _namespace() -> dict:
    """The notebook's globals: where the student's functions look up the functions they call."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    import __main__

    return __main__.__dict__


def _hook() -> None:
    """After every cell: the student's functions back in place (registered once per kernel)."""
    if _STATE["hooked"]:
        return
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        shell.events.register("post_run_cell", _after_cell)
        if not GRADING:  # in the student's kernel, an error from a function a visible test calls, in words
            show_direct_errors(shell, lambda: bool(_STATE["name"]))
        elif not shell.custom_exceptions:  # while grading: a failure after the hidden cases began is one more case
            shell.set_custom_exc((Exception,), _stopped_handler)
        _STATE["hooked"] = True


def _stderr_to_stdout() -> None:
    """For the rest of the test cell, what the student's code writes to stderr is shown as ordinary output.

    nbgrader scores a test cell 0 when anything reaches stderr, and a correct function may write there without a
    fault: a tqdm progress bar, ``print(..., file=sys.stderr)``, a logging message. Errors still fail the cell.
    Only in a notebook's kernel, where the cell's end puts stderr back (:func:`_after_cell`).
    """
    import sys

    if _STATE["hooked"] and "stderr" not in _STATE:
        _STATE["stderr"] = sys.stderr
        sys.stderr = sys.stdout


def _after_cell(result: Any = None) -> None:
    stopped_on = _STATE.pop("stopped_on", None)
    if stopped_on is not None and result is not None and getattr(result, "error_in_exec", None) is stopped_on:
        # The cell's failure was counted as a failed hidden case (:func:`stopped`): the cell ends without an error,
        # so that its reply does not say "error" (nbgrader would score that cell 0).
        result.error_in_exec = None
    if "stderr" in _STATE:
        import sys

        sys.stderr = _STATE.pop("stderr")
    name = _STATE["name"]
    if name and result is not None:
        code = str(getattr(getattr(result, "info", None), "raw_cell", "") or "")
        if code:
            _VISIBLE[name] = code
    restore()
    _STATE["name"] = ""


def restore() -> None:
    """Put back the student's own functions for the names the previous test cell bound."""
    namespace = _namespace()
    for name, (original, bound) in list(_STATE["bound"].items()):
        if namespace.get(name) is bound:  # untouched since: the student's own again
            if original is _MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = original
    _STATE["bound"] = {}
    for table, key, original, bound in _STATE["tables"]:
        if table.get(key) is bound:
            table[key] = original
    _STATE["tables"] = []


def _swap_tables(namespace: dict, replacements: dict[int, tuple[Any, Any]]) -> None:
    """Bind the reference in the notebook's tables of functions too (they hold the student's function objects)."""
    for value in list(namespace.values()):
        if type(value) is not dict or len(value) > MAX_TABLE:
            continue
        for key, entry in list(value.items()):
            pair = replacements.get(id(entry))
            if pair is not None and pair[0] is entry:
                _STATE["tables"].append((value, key, entry, pair[1]))
                value[key] = pair[1]


#: What :mod:`helpers.reference` provides once imported (the hidden tests import it; it is in the instructor's
#: checkout only, and the checks never import it: it imports them).
_PROVIDER: dict[str, Any] = {}


def provide(reference_function: Any, partial_credit: Any, cell_points: Any) -> None:
    """Called by :mod:`helpers.reference` when it is imported: how to reach the reference, the course's
    partial-credit policy and a test cell's points, for a plain ``nbgrader autograde`` in the instructor's checkout."""
    _PROVIDER.update(reference_function=reference_function, partial_credit=partial_credit, cell_points=cell_points)


def _discover_reference() -> None:
    """Import :mod:`helpers.reference` where it exists (the instructor's checkout), so that it calls :func:`provide`.

    The hidden tests import it themselves, but only after their visible part: a notebook whose earlier test cells
    all failed before that line would otherwise grade this cell without the reference. It is looked up by name, at
    run time, because it imports the checks (a module-level import would be a cycle) and students' installs do not
    have it.
    """
    import importlib

    try:
        importlib.import_module("helpers.reference")
    except ImportError:
        pass


def _reference(assignment: str, name: str) -> Any:
    """The reference function ``name`` while grading, or None where it is not at hand."""
    if GRADER_SOCKET:
        return RemoteFunction(assignment, name)
    if "reference_function" not in _PROVIDER:
        _discover_reference()
    if "reference_function" not in _PROVIDER:
        return None
    try:
        return _PROVIDER["reference_function"](assignment, name)
    except ReferenceUnavailable:
        return None


def start(assignment: str, name: str, uses: Iterable[str]) -> None:
    """Begin the test cell of exercise ``name``: see the module's docstring."""
    uses = tuple(str(u) for u in uses)
    if _STATE["checking"]:  # a visible test run again to check a prerequisite: only its own prerequisites
        _check_prerequisites(name, uses)
        return
    restore()
    name = str(name)
    earlier = tuple(e for e in _STATE["seen"] if e != name and e not in uses)
    if name not in _STATE["seen"]:
        _STATE["seen"].append(name)
    _STATE.update(assignment=str(assignment), name=name, cases={})
    _hook()
    _stderr_to_stdout()
    if RECORD_FILE:  # what the grader will answer for in this cell: the declared uses and every earlier exercise
        append_record({"kind": "uses", "function": name, "uses": list(uses + earlier)})
    references = {u: _reference(assignment, u) for u in uses} if GRADING else {}
    if GRADING and all(r is not None for r in references.values()):
        namespace = _namespace()
        for used in earlier:  # an earlier exercise the student wrote as a function (not one left undone)
            if callable(namespace.get(used)):
                function = _reference(assignment, used)
                if function is not None:
                    references[used] = function
        for used, function in references.items():
            _STATE["bound"][used] = (namespace.get(used, _MISSING), function)
            namespace[used] = function
        _swap_tables(namespace, {id(original): (original, function)
                                 for original, function in _STATE["bound"].values() if original is not _MISSING})
        return
    _check_prerequisites(name, uses + tuple(u for u in _calls(name) if u not in uses))


def _calls(name: str) -> list[str]:
    """The earlier exercises whose visible test ran in this kernel that the student's function ``name`` calls, read
    from its code and the code of the notebook's functions it calls in turn (no code is run)."""
    namespace = _namespace()
    found: list[str] = []
    todo, done = [namespace.get(name)], 0
    while todo and done < 100:
        code = getattr(todo.pop(), "__code__", None)
        done += 1
        codes = [code] if code is not None else []
        while codes:
            current = codes.pop()
            for const in getattr(current, "co_consts", ()):
                if type(const) is type(current):
                    codes.append(const)
            for called in getattr(current, "co_names", ()):
                if called != name and called not in found and callable(namespace.get(called)) and (
                        called in _VISIBLE or getattr(namespace.get(called), "__code__", None) is not None):
                    found.append(called)
                    todo.append(namespace.get(called))
    return [f for f in found if f in _VISIBLE]


def _check_prerequisites(name: str, uses: tuple[str, ...]) -> None:
    """Run each used function's own visible test (as last run here); name the first that fails."""
    for used in uses:
        code = _VISIBLE.get(used)
        if not code:
            continue  # its test cell has not run in this kernel: nothing to go by
        scratch = dict(_namespace())  # the visible test's variables must not overwrite the notebook's
        _STATE["checking"] += 1
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"<visible test of {used}>", "exec"), scratch)  # noqa: S102 - the notebook's own test
        except PrerequisiteFailed:
            raise
        except Exception:
            raise PrerequisiteFailed(f"\n{name} calls your {used}, which does not pass its own test yet: "
                                     f"fix test_{used} first.\n") from None
        finally:
            _STATE["checking"] -= 1


def _stopped_handler(shell: Any, etype: Any, value: Any, tb: Any, tb_offset: Any = None) -> None:
    """IPython's handler of an error that ends a cell, while a notebook is graded (see :func:`stopped`)."""
    if not stopped(value):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def stopped(error: BaseException) -> bool:
    """A test cell that fails a check after its hidden cases began (a gradient check, costs that must decrease,
    a type checked in a loop) keeps the points of the cases it passed: the failure is one more failed case, its
    message is printed, and the cell ends without an error. Before the hidden cases (a visible test), or outside a
    test cell, an error fails the cell as always. False if ``error`` is not such a failure."""
    if not _STATE["name"] or not _STATE["cases"] or _STATE["checking"] or STOPPED in _STATE["cases"]:
        return False
    name = _STATE["name"]
    _STATE["stopped_on"] = error
    text = str(error).strip("\n") if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"
    count(STOPPED, False, f"{text}\n(This check of {name} failed after its hidden cases: it counts as one more "
                          "failed case.)")
    if GRADER_SOCKET:  # the grader scores the cell from its own verdicts: it is told of this one
        report_stopped(str(_STATE["assignment"]), name)
    from IPython import get_ipython

    try:
        points = score()  # what the cell's last line, check.score(), would have given
    except CheckFailed as failure:  # all or nothing for this cell: it fails
        _STATE.pop("stopped_on", None)
        get_ipython().showtraceback((type(failure), failure, None))
        return True
    if points is not None:
        get_ipython().displayhook(points)
    return True


def count(key: str, passed: bool, message: str = "") -> None:
    """One hidden case of the running test cell, passed or not (a case seen twice passes only if both did)."""
    if _STATE["checking"]:  # a prerequisite's test run again: its cases are not this cell's
        return
    cases = _STATE["cases"]
    cases[key] = passed and cases.get(key, True)
    if not passed and message:
        print(message.strip("\n"))


def tally() -> tuple[int, int]:
    """(passed, total) hidden cases of the running test cell."""
    cases = _STATE["cases"]
    return sum(1 for ok in cases.values() if ok), len(cases)


def score() -> float | None:
    """The points of the running test cell under a plain ``nbgrader autograde``; None for full marks (or where the
    grader decides, inside the sandbox)."""
    passed, total = tally()
    if not GRADING or total == 0 or passed == total:
        return None
    print(f"{passed} of {total} hidden cases of {_STATE['name']} passed.")
    if GRADER_SOCKET:
        return None
    grade_id = f"test_{_STATE['name']}"
    try:
        policy = _PROVIDER["partial_credit"]()
        max_points = _PROVIDER["cell_points"](_STATE["assignment"], grade_id)
    except (KeyError, ReferenceUnavailable, OSError, ValueError):
        policy, max_points = None, 0.0
    if policy is None or not policy.partial(grade_id):
        raise CheckFailed(f"\n{total - passed} of {total} hidden cases of {_STATE['name']} failed.\n")
    return policy.points(grade_id, max_points, passed, total)


def running() -> str:
    """The assignment of the running test cell ("" outside one)."""
    return str(_STATE["assignment"]) if _STATE["name"] else ""

