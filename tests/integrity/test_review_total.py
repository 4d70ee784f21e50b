"""The review cannot be crashed and forgets nothing; the scan sees hooks however they are reached; the grader's
server does only the work the course defines for the one assignment it is bound to."""

from __future__ import annotations

import importlib
import types

import nbformat
import pytest

from coursetools import integrity
from coursetools.integrity.record import CellRecord
from helpers.checks import _protocol as checks

# The modules, not the functions of the same name that coursetools.integrity exports.
review_module = importlib.import_module("coursetools.integrity.review")
record_module = importlib.import_module("coursetools.integrity.record")

def _record() -> integrity.Record:
    judge_key = checks.case_key("toy", "f", (3,), {})
    cells = {
        "test_f": CellRecord("test_f", "check.matches_reference(f, ref.f, [(3,)])", subjects=["f"], called=["h"],
                             judge={judge_key: {"key": judge_key}}),
        "test_g": CellRecord("test_g", "check.matches_reference(g, ref.g, [(3,)])", subjects=["g"],
                             judge={"k-g": {"key": "k-g"}}),
    }
    return integrity.Record("toy", "digest", cells)


def _report(verdicts: dict) -> dict:
    return {"sandboxed": True, "events": [], "attestation": {"verdicts": verdicts, "served": {}, "live": {},
                                                             "refused": [], "tampering": []}}


def _notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_a_crash_in_one_part_keeps_every_override_and_flags_it(monkeypatch):
    record = _record()
    key = next(iter(record.cells["test_f"].judge))
    report = _report({"test_f": {key: [True]}})  # test_f verified; test_g passed in the kernel, never judged

    def explode(source):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(review_module, "scan_code", explode)
    found = integrity.review(submitted=_notebook("x = 1"), executed=_notebook("x = 1"),
                             scores={"test_f": 1.0, "test_g": 2.0}, report=report, record=record)
    assert found.overrides.keys() == {"test_g"}, "the faked cell stays at 0 although a later part failed"
    codes = [f.code for f in found.flags]
    assert "hidden_checks_bypassed" in codes and "suspicious_code" in codes  # the unscannable cell is a finding

    monkeypatch.setattr(review_module, "_judge_verdicts", lambda *a: (_ for _ in ()).throw(MemoryError()))
    found = integrity.review(executed=_notebook("x = 1"), scores={"test_f": 1.0, "test_g": 2.0}, report=report,
                             record=record)
    assert found.overrides.keys() == {"test_f", "test_g"}, "cells the failed part did not clear score 0"
    assert any(f.code == "integrity_error" and "MemoryError" in f.message for f in found.flags)


def test_the_review_reads_the_code_that_ran():
    submitted = _notebook("x = 1")
    executed = _notebook("import ctypes\nx = 1")
    found = integrity.review(submitted=submitted, executed=executed)
    assert any("imports ctypes" in f.message for f in found.flags)


def test_reading_a_version_3_notebook_takes_its_worksheets_not_a_decoy():
    import json

    from coursetools.grading.worker import read_submission

    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "import ctypes", "language": "python",
                                     "outputs": [], "metadata": {}}], "metadata": {}}],
          "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": None}]}
    notebook = read_submission(json.dumps(v3).encode())
    assert [c.source for c in notebook.cells] == ["import ctypes"]
    assert "imports ctypes" in integrity.review(submitted=notebook, executed=notebook).flags[0].message


@pytest.mark.parametrize("code", [
    "import IPython\nIPython.get_ipython().events.register('post_run_cell', print)",
    "from IPython import get_ipython as g\ng().events.callbacks['post_run_cell'].append(print)",
    "ip = getattr(__import__('IPy' + 'thon'), 'get_' + 'ipython')()\n",
    "import sys\nsys.modules['IPython'].get_ipython()",
    "__builtins__['get_ipython']()",
    "getattr(shell, 'llec_nur_tsop'[::-1])",
    "getattr(shell, ''.join(['e', 'v', 'e', 'n', 't', 's']))",
    "getattr(shell, chr(101) + 'vents')",
    "getattr(shell, name)",
    "type(x).__mro__[1].__subclasses__()",
    "y = " + "-" * 100_000 + "1",
    "a = " + "+".join(["'x'"] * 20_000),
    "x = 1\n" * 100_000,
])
def test_the_scan_sees_hooks_however_they_are_reached_and_never_raises(code):
    assert integrity.scan_code(code), code[:80]


def test_the_scan_leaves_honest_notebook_habits_alone():
    for code in ("%matplotlib inline\nimport numpy as np", "%timeit np.ones(3)",
                 "from IPython.display import display, Markdown\ndisplay(Markdown('**ok**'))",
                 "def count(events):\n    '''How many events.'''\n    return len(events)"):
        assert integrity.scan_code(code) == [], code


# --- the server does only the work the course defines for its one assignment ----------------------------------------
@pytest.fixture
def bound(monkeypatch):
    calls: list[str] = []

    def solutions(assignment):
        calls.append(assignment)
        return types.SimpleNamespace(h=lambda x: x + 100, f=lambda x: 2 * x)

    monkeypatch.setattr("helpers.reference.solutions", solutions)

    def no_lookup(*args, **kwargs):
        raise AssertionError("the server looked up a record")

    monkeypatch.setattr(record_module, "record", no_lookup)
    monkeypatch.setattr(record_module, "_run_source", no_lookup)
    state = {"code": "check.matches_reference(f, ref.f, [(3,)])"}
    server = integrity.AttestationServer(_record(), path="unused.sock", current_code=lambda: state["code"])
    return server, calls


def _live(assignment: str, function: str):
    args = (5,)
    return {"op": "call", "assignment": assignment, "function": function,
            "key": checks.case_key(assignment, function, args, {}), "args": checks.wire(args),
            "kwargs": checks.wire({})}


def test_no_request_makes_the_grader_run_another_assignment(bound):
    server, calls = bound
    for other in ("01_numpy_basics", "02_logistic_regression", "../toy", "toy/../04_deep_network", ""):
        assert server.handle(_live(other, "h"))["status"] == "refused"
        assert server.handle({**_live(other, "h"), "op": "judge"})["status"] == "refused"
    assert calls == [], "nothing was computed for another assignment"
    assert server.handle(_live("toy", "sigmoid"))["status"] == "refused"  # not a function this test uses
    assert server.handle(_live("toy", "f"))["status"] == "refused"        # the exercise under test: never live
    assert calls == []
    reply = server.handle(_live("toy", "h"))                               # a tool of this test: live, bound one
    assert reply["status"] == "value" and checks.unwire(reply["value"]) == 105
    assert calls == ["toy"]
    server.bind(None)
    assert server.handle(_live("toy", "h"))["status"] == "refused" and calls == ["toy"]
