"""The hidden tests' side of the grader: what ``solutions(...)`` gives them while a submission is graded.

* Inside the grading sandbox (``COURSE_GRADER_SOCKET`` is set), the reference solutions are not in the kernel:
  :func:`remote_solutions` returns proxies. ``matches_reference(student, ref.f, cases)`` sends the student's results
  for each case (:meth:`RemoteFunction.judge`) and the grader answers pass or fail; a direct call ``ref.g(x)`` gets
  the grader's answer.
* While the grader records the source notebook's hidden tests (``COURSE_REFERENCE_RECORD`` is set, a trusted run),
  :func:`recording_solutions` wraps the reference module so that every hidden case and call is written down.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable

from ._diagnose import catalogue_results
from ._errors import ReferenceUnavailable, fail
from ._pristine import (
    Exception,
    OSError,
    ValueError,
    callable,
    dict,
    getattr,
    isinstance,
    json_dumps,
    open,
    str,
    tuple,
    type,
    type_name,
)
from ._protocol import STOPPED, case_key, key_of_wires, request, unwire, wire, wire_snapshot
from ._seal import tampering

#: Set only inside the grading sandbox: the grader's socket. Read once, at import.
GRADER_SOCKET = os.environ.get("COURSE_GRADER_SOCKET", "")
#: Set only while the grader records the hidden cases of the source notebook (a trusted run, outside any sandbox).
RECORD_FILE = os.environ.get("COURSE_REFERENCE_RECORD", "")


class RemoteFunction:
    """In the sandbox, a reference function the hidden tests name: the grader answers for it."""

    __slots__ = ("assignment", "name")

    def __init__(self, assignment: str, name: str):
        self.assignment, self.name = assignment, name

    def __repr__(self) -> str:
        return f"<reference {self.name} of {self.assignment}, checked by the grader>"

    def judge(self, args, kwargs, got, after_args, after_kwargs) -> None:
        """Send the student's (snapshotted) result of one hidden case; raises CheckFailed unless the grader passes it."""
        message = {"op": "judge", "assignment": self.assignment, "function": self.name,
                   "key": case_key(self.assignment, self.name, args, kwargs),
                   "got": wire_snapshot(got), "after_args": wire_snapshot(after_args),
                   "after_kwargs": wire_snapshot(after_kwargs), "tampering": tampering()}
        try:
            reply = request(GRADER_SOCKET, message)
        except (OSError, ValueError) as error:
            fail(f"The grader could not check this hidden case ({type_name(type(error))}: {error}).")
        if type(reply) is dict and reply.get("status") == "pass":
            return
        fail(str(reply.get("message") or "This hidden case did not pass.") if type(reply) is dict
             else "This hidden case did not pass.")

    def __call__(self, *args, **kwargs):
        args_wire, kwargs_wire = wire(tuple(args)), wire(dict(kwargs))
        message = {"op": "call", "assignment": self.assignment, "function": self.name,
                   "key": key_of_wires(self.assignment, self.name, args_wire, kwargs_wire),
                   "args": args_wire, "kwargs": kwargs_wire, "tampering": tampering()}
        try:
            reply = request(GRADER_SOCKET, message)
        except (OSError, ValueError) as error:
            raise ReferenceUnavailable(f"the grader could not be reached: {error}") from None
        if type(reply) is dict and reply.get("status") == "value":
            return unwire(reply.get("value"))
        reason = str(reply.get("message", "")) if type(reply) is dict else ""
        raise ReferenceUnavailable(
            f"The reference solution {self.name} is not available here: {reason or 'refused by the grader'}")


def report_stopped(assignment: str, name: str) -> None:
    """Tell the grader that the running test cell stopped on a failure after its hidden cases began: one more failed
    case (see :func:`._isolation.stopped_after_hidden_cases`). Only ever lowers the cell's points."""
    try:
        request(GRADER_SOCKET, {"op": "stopped", "assignment": assignment, "function": name, "key": STOPPED,
                                "tampering": tampering()})
    except (OSError, ValueError):
        pass  # the cell is then scored by the cases the grader judged; nothing is gained by it


class RemoteSolutions(types.ModuleType):
    """What ``solutions(assignment)`` returns inside the sandbox: a proxy per reference function."""

    def __init__(self, assignment: str):
        super().__init__(f"reference_{assignment}", "Reference solutions, checked by the grader outside the sandbox")
        self.__dict__["_assignment"] = assignment

    def __getattr__(self, name: str) -> RemoteFunction:
        if name.startswith("__"):
            raise AttributeError(name)
        return RemoteFunction(self.__dict__["_assignment"], name)


def remote_solutions(assignment: str) -> RemoteSolutions:
    """``solutions(assignment)`` inside the grading sandbox (what the sandbox's stub of the reference module calls)."""
    if type(assignment) is not str:
        raise ReferenceUnavailable("solutions() takes the assignment's name")
    return RemoteSolutions(assignment)


class RecordingFunction:
    """While the grader records the source notebook: a reference function whose hidden cases are written down."""

    __slots__ = ("assignment", "name", "function")

    def __init__(self, assignment: str, name: str, function: Callable):
        self.assignment, self.name, self.function = assignment, name, function

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        append_record({"kind": "call", "key": case_key(self.assignment, self.name, args, kwargs),
                       "function": self.name, "result": wire(result)})
        return result

    def record_case(self, args, kwargs, expected, *, name, where, rtol, atol) -> None:
        # The exercise's known mistakes on these inputs, so that the grader can name one outside the sandbox.
        mistakes = []
        for description, result in catalogue_results(self.name, args, kwargs):
            try:
                mistakes.append([description, wire(result)])
            except Exception:  # noqa: BLE001 - a wrong result that is not plain data cannot be compared anyway
                continue
        append_record({"kind": "case", "key": case_key(self.assignment, self.name, args, kwargs),
                       "function": self.name, "name": name, "where": where, "rtol": rtol, "atol": atol,
                       "args": wire(tuple(args)), "kwargs": wire(dict(kwargs)), "expected": wire(expected),
                       "mistakes": mistakes})

    def __getattr__(self, name):
        return getattr(self.function, name)


def append_record(entry: dict) -> None:
    with open(RECORD_FILE, "a", encoding="utf-8") as f:
        f.write(json_dumps(entry, separators=(",", ":")) + "\n")


class RecordingSolutions(types.ModuleType):
    def __init__(self, assignment: str, module: types.ModuleType):
        super().__init__(module.__name__, module.__doc__)
        self.__dict__["_assignment"] = assignment
        self.__dict__["_module"] = module

    def __getattr__(self, name: str):
        value = getattr(self.__dict__["_module"], name)
        if callable(value) and not isinstance(value, type):
            return RecordingFunction(self.__dict__["_assignment"], name, value)
        return value


def recording_solutions(assignment: str, module: types.ModuleType) -> types.ModuleType:
    """The reference module, with every hidden case written to ``COURSE_REFERENCE_RECORD`` (the grader's record)."""
    return RecordingSolutions(assignment, module) if RECORD_FILE else module
