"""check.exercise and check.score: one exercise judged at a time, and points in proportion to the cases passed.

Each test runs a few cells in a fresh IPython shell in a subprocess (the notebook's globals are the shell's),
as a student's kernel (no ``NBGRADER_EXECUTION``) or as a plain ``nbgrader autograde`` in this checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from helpers.reference import cell_points, partial_credit

A = "02_logistic_regression"
WRONG_PROPAGATE = '''def propagate(w, b, X, Y):
    return {"dw": w * 0, "db": 0.0}, -1.0
'''
RIGHT_PROPAGATE = '''def propagate(w, b, X, Y):
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(w.T @ X + b)))
    cost = float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
    return {"dw": X @ (A - Y).T / m, "db": float(np.sum(A - Y) / m)}, cost
'''
TEST_PROPAGATE = f'''check.exercise("{A}", "propagate")
grads, cost = propagate(np.array([[1.0], [2.0]]), 2.0, np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]),
                        np.array([[1, 0, 1]]))
check.close(cost, 5.801545319394553, "cost for the worked example", rtol=1e-9)
check.passed("propagate")
'''
OPTIMIZE = '''def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
    return {"w": w, "b": b}, grads, costs
'''
TEST_OPTIMIZE = f'''check.exercise("{A}", "optimize", uses=["propagate"])
params, grads, costs = optimize(np.array([[1.0], [2.0]]), 2.0, np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]),
                                np.array([[1, 0, 1]]))
check.close(np.array(costs), [5.801545319394553], "costs", rtol=1e-9)
check.passed("optimize")
'''


def _run(cells: list[str], grading: bool) -> list[dict]:
    """Each cell's error (its class name and message, or None) and last value, in one fresh shell."""
    program = textwrap.dedent(f"""
        import json
        import numpy as np
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance(colors="nocolor")
        shell.run_cell("import numpy as np\\nfrom helpers import checks as check", store_history=True)
        out = []
        for cell in {cells!r}:
            result = shell.run_cell(cell, store_history=True)
            error = result.error_in_exec
            out.append({{"error": type(error).__name__ if error else None, "message": str(error) if error else "",
                         "value": result.result if isinstance(result.result, (int, float, str)) else None}})
        print("RESULT", json.dumps(out))
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_GRADER_SOCKET",
                                                             "COURSE_REFERENCE_RECORD")}
    if grading:
        env["NBGRADER_EXECUTION"] = "autograde"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300, env=env,
                          check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def test_in_the_students_kernel_a_failing_prerequisite_is_named():
    out = _run([WRONG_PROPAGATE, TEST_PROPAGATE, OPTIMIZE, TEST_OPTIMIZE], grading=False)
    assert out[1]["error"] == "CheckFailed"
    assert out[3]["error"] == "PrerequisiteFailed"
    assert out[3]["message"].strip() == ("optimize calls your propagate, which does not pass its own test yet: "
                                         "fix test_propagate first.")


def test_in_the_students_kernel_a_passing_prerequisite_lets_the_exercise_be_tested():
    out = _run([RIGHT_PROPAGATE, TEST_PROPAGATE, OPTIMIZE, TEST_OPTIMIZE], grading=False)
    assert [o["error"] for o in out] == [None, None, None, None]


def test_while_grading_the_cell_sees_the_reference_and_the_next_cell_the_students_own():
    bind = f'import helpers.reference\ncheck.exercise("{A}", "optimize", uses=["propagate"])\n'
    out = _run([WRONG_PROPAGATE, TEST_PROPAGATE, OPTIMIZE, bind + TEST_OPTIMIZE.split("\n", 1)[1],
                "propagate(np.zeros((2, 1)), 0.0, np.ones((2, 3)), np.ones((1, 3)))[1]"], grading=True)
    assert out[1]["error"] == "CheckFailed"          # propagate's own test fails
    assert out[3]["error"] is None                   # optimize is judged with the reference propagate
    assert out[4]["value"] == -1.0                   # and afterwards propagate is the student's again


def test_while_grading_a_cell_earns_points_in_proportion_to_its_hidden_cases():
    cell = f'''import helpers.reference
check.exercise("{A}", "flatten_images")
def wrong_for_13(images):
    m = images.shape[0]
    return images.reshape(-1, m) / 255.0 if m == 13 else images.reshape(m, -1).T / 255.0
rng = np.random.default_rng(0)
cases = [(rng.integers(0, 256, (m, 2, 2, 3), dtype=np.uint8),) for m in (7, 5, 13, 2, 9)]
check.matches_reference(wrong_for_13, helpers.reference.solutions("{A}").flatten_images, cases)
check.score()
'''
    (out,) = _run([cell], grading=True)
    assert out["error"] is None
    assert out["value"] == partial_credit().points("test_flatten_images", cell_points(A, "test_flatten_images"), 4, 5)


def test_while_grading_a_cell_that_passes_no_case_scores_0():
    cell = f'''import helpers.reference
check.exercise("{A}", "sigmoid")
check.matches_reference(lambda z: 0 * z, helpers.reference.solutions("{A}").sigmoid, [(np.ones((1, 2)),)])
check.score()
'''
    (out,) = _run([cell], grading=True)
    if partial_credit().partial("test_sigmoid"):
        assert (out["error"], out["value"]) == (None, 0.0)
    else:
        assert out["error"] == "CheckFailed"
