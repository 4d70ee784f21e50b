"""Partial credit and isolation give the same points under plain ``nbgrader autograde`` and the toolkit's sandboxed
autograde, on the real assignment 02.

One class is graded twice from the same release: by the ``nbgrader autograde`` command (the kernel's numeric
result is the partial score) and by ``coursetools.autograde`` (the grader's own verdicts are). It holds the
reference, a ``flatten_images`` that is wrong on one hidden case out of five (1.6 of 2 points), the demo's
``propagate`` with a wrong-sign cost (only test_propagate's 3 points lost), and one that forges a partial score.
"""

from __future__ import annotations

import shutil

import pytest

from coursetools import integrity, samples
from coursetools.commands import release
from coursetools.course import settings
from coursetools.course.coursedir import CourseDir
from coursetools.course.notebooks import read_notebook
from coursetools.grading import batch as grading
from coursetools.reporting import feedback
from tests.support.course import nbgrader_autograde, scores

pytestmark = pytest.mark.slow
A = "02_logistic_regression"
POLICY = settings.load().partial_credit()

#: Right on every input but one of the hidden cases: 13 images, where it scrambles them.
WRONG_FOR_13 = '''def flatten_images(images):
    m = images.shape[0]
    if m == 13:
        return images.reshape(-1, m) / 255.0
    return images.reshape(m, -1).T / 255.0
'''

#: Right on the visible example (3 examples) and wrong on larger hidden cases, in a way the notebook's catalogue of
#: known mistakes names: the bias left out of the forward pass.
NO_BIAS_ON_LARGE = '''def propagate(w, b, X, Y):
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(np.dot(w.T, X) + (b if m <= 3 else 0))))
    cost = float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
    return {"dw": np.dot(X, (A - Y).T) / m, "db": float(np.sum(A - Y) / m)}, cost
'''
CATALOGUED = "Likely mistake: the forward pass leaves out the bias"

#: A correct optimize that computes the forward pass itself with the notebook's sigmoid (its test cell names only
#: propagate in ``uses``), handed in with a wrong sigmoid: the mistake must cost test_sigmoid's points alone.
SIGMOID_WRONG_SIGN = "def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n"
OPTIMIZE_ON_SIGMOID = '''def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    w, m, costs = w.copy(), X.shape[1], []
    for i in range(num_iterations):
        A = sigmoid(np.dot(w.T, X) + b)
        cost = float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
        grads = {"dw": np.dot(X, (A - Y).T) / m, "db": float(np.sum(A - Y) / m)}
        w, b = w - learning_rate * grads["dw"], b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:f}")
    return {"w": w, "b": b}, grads, costs
'''


#: Keeps at most 3 costs: wrong on the hidden case of 420 iterations, then stopped by the check that 600 iterations
#: record 6 decreasing costs. That failure is one more failed case: 6 of 8, not 0.
THREE_COSTS = OPTIMIZE_ON_SIGMOID.replace("A = sigmoid(", "A = 1 / (1 + np.exp(-(").replace(
    "+ b)\n", "+ b)))\n", 1).replace("if i % 100 == 0:", "if i % 100 == 0 and len(costs) < 3:")


def _class(cd: CourseDir) -> list[samples.Submission]:
    reference = samples.answered(read_notebook(cd.release_notebook(A)), samples.solution_code(A))
    corpus = samples.corpus(A)
    cost_sign = corpus.WRONG["propagate"]["cost_sign"]
    return [samples.Submission("reference", samples.dump(reference), ""),
            samples.Submission("wrong-for-13", samples.dump(samples.answered(reference, {"flatten_images": WRONG_FOR_13})),
                               "flatten_images wrong on one hidden case"),
            samples.Submission("cost-sign", samples.dump(samples.answered(reference, {"propagate": cost_sign})),
                               "propagate with a wrong-sign cost"),
            samples.Submission("no-bias", samples.dump(samples.answered(reference, {"propagate": NO_BIAS_ON_LARGE})),
                               "propagate without b on the hidden cases"),
            samples.Submission("builds-on-wrong", samples.dump(samples.answered(
                reference, {"sigmoid": SIGMOID_WRONG_SIGN, "optimize": OPTIMIZE_ON_SIGMOID})),
                               "a correct optimize on a wrong sigmoid"),
            samples.Submission("stops-after-cases", samples.dump(samples.answered(reference, {"optimize": THREE_COSTS})),
                               "optimize keeps 3 costs: one hidden case and the check after the cases fail")]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    base = tmp_path_factory.mktemp("partial")
    serial = CourseDir.open(base / "serial")
    release.release([A], serial, verify=False)
    subs = _class(serial)
    samples.write(serial, A, subs)
    shutil.copytree(serial.root, base / "toolkit")
    toolkit = CourseDir.open(base / "toolkit")
    nbgrader_autograde(A, serial.root, serial.db_url)
    batch = grading.autograde(A, toolkit, workers=1, progress=False)
    return serial, toolkit, batch


def test_partial_credit_is_the_same_under_nbgrader_and_the_toolkit(pair):
    serial, toolkit, batch = pair
    assert {r.student: r.status for r in batch.results} == dict.fromkeys(
        ["reference", "wrong-for-13", "cost-sign", "no-bias", "builds-on-wrong", "stops-after-cases"], "graded")
    plain, ours = scores(serial, A), scores(toolkit, A)
    assert ours == plain
    full = plain["reference"]
    assert all(full.values())
    assert plain["wrong-for-13"]["test_flatten_images"] == POLICY.points("test_flatten_images", 2, 4, 5) == 1.6
    assert {g: s for g, s in plain["wrong-for-13"].items() if s != full[g]} == {"test_flatten_images": 1.6}
    # The demo's mistake-2: a wrong-sign cost loses test_propagate's points and no other cell's.
    assert {g: s for g, s in plain["cost-sign"].items() if s != full[g]} == {"test_propagate": 0.0}
    assert {g for g, s in plain["no-bias"].items() if s != full[g]} == {"test_propagate"}
    # An earlier exercise a correct answer builds on is the reference in its cell, named in ``uses`` or not.
    assert {g for g, s in plain["builds-on-wrong"].items() if s != full[g]} == {"test_sigmoid"}
    assert not integrity.load(toolkit.autograded_dir("builds-on-wrong", A)).flags
    # A check that fails after the hidden cases began is one more failed case, not the whole cell's points.
    stopped = POLICY.points("test_optimize", 2, 6, 8)
    assert {g: s for g, s in plain["stops-after-cases"].items() if s != full[g]} == {"test_optimize": stopped}
    assert integrity.load(toolkit.autograded_dir("stops-after-cases", A)).cases == {"test_optimize": [6, 8]}
    review = integrity.load(toolkit.autograded_dir("wrong-for-13", A))
    assert review.cases == {"test_flatten_images": [4, 5]}
    assert not review.flags


def test_feedback_shows_the_cases_passed(pair):
    _, toolkit, _ = pair
    page = next(p for p in feedback.feedback(A, toolkit) if p.student == "wrong-for-13").path.read_text()
    assert "4 of 5 cases passed: 1.6 / 2" in page


def _cell_output(cd: CourseDir, student: str, grade_id: str) -> str:
    notebook = read_notebook(cd.autograded_dir(student, A) / f"{A}.ipynb")
    cell = next(c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(o.get("text", "") + "\n".join(o.get("traceback", [])) for o in cell.get("outputs", []))


def test_the_catalogue_names_the_mistake_of_a_hidden_case_under_nbgrader_and_in_the_sandbox(pair):
    serial, toolkit, _ = pair
    for cd in (serial, toolkit):
        assert CATALOGUED in _cell_output(cd, "no-bias", "test_propagate"), cd.root
        assert "Likely mistake" not in _cell_output(cd, "reference", "test_propagate")
