"""The grader's side of the hidden tests: what it answers, what it refuses, and what its review flags."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from coursetools import integrity
from coursetools.course import settings
from coursetools.integrity.record import CellRecord
from coursetools.integrity.review import _grade_id
from coursetools.samples.corpus import corpora
from helpers.checks import _protocol as checks

SOURCE = '''# Visible tests: f
check.close(f(2), 4, "f(2)")
### BEGIN HIDDEN TESTS
from helpers.reference import solutions
ref = solutions("toy")
check.matches_reference(f, ref.f, [(3,)])
### END HIDDEN TESTS'''


@pytest.fixture
def server(monkeypatch):
    """A server for a made-up assignment "toy": test_f judges f(3) = 6 and calls g(3) once; h is a live tool."""
    key_f = checks.case_key("toy", "f", (3,), {})
    key_g = checks.case_key("toy", "g", (3,), {})
    key_f5 = checks.case_key("toy", "f", (5,), {})
    cell = CellRecord("test_f", SOURCE, subjects=["f"], called=["g", "h"], judge={key_f: {
        "key": key_f, "function": "f", "name": "f", "where": "f(...) on hidden case 1 (inputs: 3)", "rtol": 1e-6,
        "atol": 1e-9, "args": checks.wire((3,)), "kwargs": checks.wire({}), "expected": checks.wire(6), "count": 1}},
        calls={key_g: {"function": "g", "value": checks.wire(9), "count": 1},
               key_f5: {"function": "f", "value": checks.wire(10), "count": 1}})
    record = integrity.Record("toy", "digest", {"test_f": cell})
    reference = types.SimpleNamespace(h=lambda x: x + 100, f=lambda x: 2 * x)
    monkeypatch.setattr("helpers.reference.solutions", lambda assignment: reference)
    state = {"code": None}
    s = integrity.AttestationServer(record, path="unused.sock", current_code=lambda: state["code"])
    return s, state, key_f, key_g, record


def _judge(key, got):
    return {"op": "judge", "assignment": "toy", "function": "f", "key": key, "got": checks.wire(got),
            "after_args": checks.wire((3,)), "after_kwargs": checks.wire({})}


def _call(function, *args):
    return {"op": "call", "assignment": "toy", "function": function, "key": checks.case_key("toy", function, args, {}),
            "args": checks.wire(args), "kwargs": checks.wire({})}


def test_nothing_is_answered_outside_the_hidden_tests(server):
    s, state, key_f, key_g, record = server
    assert s.handle(_judge(key_f, 6))["status"] == "refused"
    assert s.handle(_call("g", 3))["status"] == "refused"
    assert s.report()["refused"][0]["cell"] is None


def test_judging_and_a_failure_is_final(server):
    s, state, key_f, _, _ = server
    state["code"] = "# This cell (id:test_f) was missing from the submission. It was added back by nbgrader.\n\n" + SOURCE
    reply = s.handle(_judge(key_f, 7))
    assert reply["status"] == "fail" and "expected: 6.0" in reply["message"]
    assert s.handle(_judge(key_f, 6))["status"] == "fail"  # probing with a wrong answer burnt the case
    assert s.report()["verdicts"] == {"test_f": {key_f: [False, True]}}
    assert s.handle(_judge(checks.case_key("toy", "f", (4,), {}), 8))["status"] == "refused"  # not a hidden case


def test_recorded_calls_are_served_as_often_as_the_test_makes_them(server):
    s, state, _, key_g, _ = server
    state["code"] = SOURCE
    reply = s.handle(_call("g", 3))
    assert reply["status"] == "value" and checks.unwire(reply["value"]) == 9
    assert s.handle(_call("g", 3))["status"] == "value"     # a tool of the test: as often as asked
    assert checks.unwire(s.handle(_call("f", 5))["value"]) == 10
    assert s.handle(_call("f", 5))["status"] == "refused"   # the exercise under test: asked again, by student code
    assert s.handle(_call("f", 6))["status"] == "refused"   # the exercise under test is never computed live
    assert s.handle(_call("k", 5))["status"] == "refused"   # not used by this test
    live = s.handle(_call("h", 5))                            # a tool of this test, on inputs of the student's
    assert live["status"] == "value" and checks.unwire(live["value"]) == 105


def test_malformed_requests_are_refused(server):
    s, state, _, _, _ = server
    state["code"] = SOURCE
    for message in ({}, {"op": "judge"}, {"op": "call", "assignment": "../etc", "function": "g", "key": "k"},
                    {"op": "judge", "assignment": "toy", "function": "f", "key": 5}):
        assert s.handle(message)["status"] == "refused"


def test_review_zeroes_tests_the_grader_did_not_see_pass(server, monkeypatch):
    s, state, key_f, key_g, record = server
    report = {"sandboxed": True, "events": [], "attestation": {"verdicts": {}, "served": {}, "live": {},
                                                                  "refused": [], "tampering": ["numpy:allclose"]}}
    import nbformat

    empty = nbformat.v4.new_notebook()
    review = integrity.review(record=record, scores={"test_f": 1.0}, report=report, source=empty, release=empty)
    assert "test_f" in review.overrides
    assert {f.code for f in review.flags} == {"hidden_checks_bypassed", "tampering"}
    report["attestation"]["verdicts"] = {"test_f": {key_f: [True]}}
    report["attestation"]["tampering"] = []
    assert [f.code for f in integrity.review(record=record, scores={"test_f": 1.0}, report=report, source=empty,
                                             release=empty).flags] == ["hidden_calls_missing"]
    report["attestation"]["served"] = {"test_f": {key_g: 1, checks.case_key("toy", "f", (5,), {}): 1}}
    assert not integrity.review(record=record, scores={"test_f": 1.0}, report=report, source=empty, release=empty).flags


def _two_case_record():
    keys = [checks.case_key("toy", "f", (x,), {}) for x in (3, 4)]
    judge = {k: {"key": k, "function": "f", "name": "f", "where": "", "rtol": 1e-6, "atol": 1e-9, "count": 1,
                 "args": checks.wire((x,)), "kwargs": checks.wire({}), "expected": checks.wire(2 * x)}
             for k, x in zip(keys, (3, 4))}
    cell = CellRecord("test_f", SOURCE, subjects=["f"], judge=judge)
    return integrity.Record("toy", "digest", {"test_f": cell}), keys


def _verdicts_report(verdicts: dict) -> dict:
    return {"sandboxed": True, "events": [], "attestation": {"verdicts": {"test_f": verdicts}, "served": {}, "live": {},
                                                             "refused": [], "tampering": []}}


def test_a_clean_cell_that_passed_some_hidden_cases_is_scored_by_the_graders_verdicts():
    import nbformat

    from coursetools.course.notebooks import read_notebook

    record, (k3, k4) = _two_case_record()
    empty = nbformat.v4.new_notebook()
    review = integrity.review(record=record, scores={"test_f": 2.0}, report=_verdicts_report({k3: [True], k4: [False]}),
                              source=empty, release=empty)
    assert review.cases == {"test_f": [1, 2]} and not review.overrides and not review.flags
    executed = read_notebook(settings.ROOT / "release" / "01_numpy_basics" / "01_numpy_basics.ipynb")
    cell = next(c for c in executed.cells if _grade_id(c) == "test_sigmoid")
    cell.metadata["nbgrader"]["points"] = 2
    forged = nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)
    cell.outputs = [forged]
    review.cases = {"test_sigmoid": [1, 2]}
    policy = settings.load().partial_credit()
    integrity.apply_partial_credit(review, executed, policy)
    from nbgrader.utils import determine_grade

    assert determine_grade(cell)[0] == policy.points("test_sigmoid", 2, 1, 2)
    assert [o.output_type for o in cell.outputs] == ["execute_result"]   # the kernel's number is gone


def test_a_cell_that_stopped_after_its_hidden_cases_counts_one_more_failed_case():
    """The kernel says a check failed after the hidden cases began: one more failed case, and a case it never
    reached failed too (not a bypass); a case judged twice is still probing."""
    import nbformat

    from helpers.checks._protocol import STOPPED

    record, (k3, k4) = _two_case_record()
    empty = nbformat.v4.new_notebook()
    for verdicts, cases in (({k3: [True], k4: [True], STOPPED: [False]}, [2, 3]),
                            ({k3: [True], STOPPED: [False]}, [1, 3])):
        review = integrity.review(record=record, scores={"test_f": 2.0}, report=_verdicts_report(verdicts),
                                  source=empty, release=empty)
        assert review.cases == {"test_f": cases} and not review.overrides and not review.flags
    review = integrity.review(record=record, scores={"test_f": 2.0},
                              report=_verdicts_report({k3: [False, True], STOPPED: [False]}), source=empty, release=empty)
    assert "test_f" in review.overrides and [f.code for f in review.flags] == ["hidden_checks_bypassed"]


def test_a_result_shown_by_the_kernel_in_a_test_cell_never_scores():
    """``sys.displayhook(2.0)`` from a student function puts a number first in a failed test cell, which nbgrader
    would read as its points (ahead of the error): under the sandbox it becomes a plain display, and is flagged."""
    import nbformat
    from nbgrader.utils import determine_grade

    from coursetools.course.notebooks import read_notebook

    executed = read_notebook(settings.ROOT / "release" / "01_numpy_basics" / "01_numpy_basics.ipynb")
    test = next(c for c in executed.cells if _grade_id(c) == "test_softmax")
    test.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2.0"}, execution_count=3),
                    nbformat.v4.new_output("error", ename="CheckFailed", evalue="wrong", traceback=[])]
    clean = next(c for c in executed.cells if _grade_id(c) == "test_sigmoid")
    clean.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok")]
    assert determine_grade(test)[0] == 2.0   # what nbgrader alone would give
    review = integrity.Review()
    integrity.drop_kernel_results(executed, review)
    assert determine_grade(test)[0] == 0 and [o.output_type for o in test.outputs] == ["display_data", "error"]
    assert determine_grade(clean)[0] == determine_grade(clean)[1]
    assert [(f.code, f.cells) for f in review.flags] == [("kernel_result", ["test_softmax"])]


def test_a_clean_cell_whose_cases_were_probed_or_skipped_is_flagged():
    import nbformat

    record, (k3, k4) = _two_case_record()
    empty = nbformat.v4.new_notebook()
    for verdicts in ({k3: [False, True], k4: [True]}, {k3: [False]}):
        review = integrity.review(record=record, scores={"test_f": 2.0}, report=_verdicts_report(verdicts),
                                  source=empty, release=empty)
        assert "test_f" in review.overrides and not review.cases
        assert [f.code for f in review.flags] == ["hidden_checks_bypassed"]


def _solution_code() -> list[str]:
    from nbgrader.utils import is_grade, is_solution

    from coursetools.course.notebooks import read_notebook

    code = []
    for path in sorted((settings.ROOT / "source").glob("*/*.ipynb")):
        code += [c.source for c in read_notebook(path).cells if is_solution(c) and not is_grade(c)]
    return code


def test_scan_finds_nothing_in_honest_code():
    honest = _solution_code()
    for corpus in corpora():
        for variants in (*corpus.WRONG.values(), *getattr(corpus, "CORRECT", {}).values()):
            honest += list(variants.values())
    flagged = {code[:60]: integrity.scan_code(code) for code in honest if integrity.scan_code(code)}
    assert not flagged


@pytest.mark.parametrize("code, finding", [
    ("np.allclose = lambda *a, **k: True", "replaces np.allclose"),
    ("import builtins\nbuiltins.isinstance = lambda *a: True", "imports builtins"),
    ("vars(check)['close'] = None", "reaches an object's attributes"),
    ("from helpers.reference import solutions", "imports helpers.reference"),
    ("import sys\nf = sys._getframe(1).f_locals", "uses ._getframe"),
    ("class A(np.ndarray):\n    pass", "based on ndarray"),
    ("class A:\n    def __eq__(self, o):\n        return True", "overrides __eq__"),
    ("!curl http://example.org", "shell commands"),
    ("import os\nos._exit(0)", "uses ._exit"),
    ("def f(x):\n    raise SystemExit", "raises SystemExit"),
    ("get_ipython().showtraceback = None", "reaches the IPython kernel"),
    ("open('../../gradebook.db', 'w')", "opens files"),
    ("def softmax(x):\n    return ref.softmax(x)", "reference object (ref)"),
    ("weights = np.load('weights.npy', allow_pickle=True)", "loads pickled data"),
    ("w = getattr(np, 'lo' + 'ad')('w.npy', **{'allow_' + 'pickle': True})", "loads pickled data"),
    ("import joblib\nw = joblib.load('w.pkl')", "imports joblib"),
])
def test_scan_finds_hostile_code(code, finding):
    assert any(finding in f for f in integrity.scan_code(code)), integrity.scan_code(code)


def test_structure_changes():
    import json

    from coursetools.course.notebooks import read_notebook

    source = read_notebook(settings.ROOT / "source" / "01_numpy_basics" / "01_numpy_basics.ipynb")
    submitted = json.loads(json.dumps(source))
    cells = submitted["cells"]
    ids = [_grade_id(c) for c in cells]
    del cells[ids.index("test_L1")]
    ids = [_grade_id(c) for c in cells]
    cells[ids.index("test_L2")]["source"] = "pass"
    cells[ids.index("test_softmax")]["cell_type"] = "markdown"
    cells.insert(ids.index("sigmoid"), cells.pop(ids.index("test_sigmoid")))
    changes = integrity.structure_changes(submitted, source)
    assert changes["deleted"] == ["test_L1"] and changes["edited"] == ["test_L2"]
    assert changes["retyped"] == ["test_softmax"] and "test_sigmoid" in changes["moved"]
    assert integrity.structure_changes(json.loads(json.dumps(source)), source) == {}
    assert np.isfinite(1.0)


def test_a_live_reference_call_silences_only_its_own_thread(capsys):
    """The reference solutions may print; the grading process's other threads (other workers' services, the
    progress display) go on printing, and the streams are the same again however the calls' ends interleave."""
    import threading

    from coursetools.integrity import attestation

    before = sys.stdout, sys.stderr
    inside, leave_first, leave_second = threading.Barrier(3), threading.Event(), threading.Event()

    def live(name: str, leave: threading.Event) -> None:
        with attestation._quiet_thread():
            print(f"reference {name} prints")
            inside.wait()
            leave.wait()

    first = threading.Thread(target=live, args=("A", leave_first))
    second = threading.Thread(target=live, args=("B", leave_second))
    first.start()
    second.start()
    inside.wait()
    print("the progress display")
    print("a warning", file=sys.stderr)
    leave_first.set()  # the first to enter leaves first: redirect_stdout would restore the second's buffer
    first.join()
    print("still shown")
    leave_second.set()
    second.join()
    assert (sys.stdout, sys.stderr) == before
    out, err = capsys.readouterr()
    assert out == "the progress display\nstill shown\n" and err == "a warning\n"
