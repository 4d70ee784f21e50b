"""Messages of failed checks: the likely mistake, friendly errors from student code, equivalent forms of numbers."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks as check
from helpers.checks import CheckFailed
from helpers.checks._diagnose import PREFIX, value_mistake

X = np.random.default_rng(0).normal(size=(3, 4))
SOFTMAX = np.exp(X) / np.exp(X).sum(axis=0, keepdims=True)


def _diagnosis(got, expected, name="result") -> str:
    with pytest.raises(CheckFailed) as failure:
        check.close(got, expected, name)
    lines = [line for line in str(failure.value).splitlines() if line.startswith(PREFIX)]
    assert len(lines) <= 1
    return lines[0] if lines else ""


@pytest.mark.parametrize("got, expected, words", [
    (7 * X, X, "exactly 7 times"),
    (X / 5, X, "exactly 1/5"),
    (-X, X, "sign is flipped"),
    (np.exp(X) / np.exp(X).sum(axis=1, keepdims=True), SOFTMAX, "normalised over the rows"),
    (np.exp(X) / np.exp(X).sum(), SOFTMAX, "normalised over the whole array"),
    (X.reshape(4, 3).T, X, "wrong places"),
    (X.T, X, "transpose"),
    (X[0], X[:1].T, "rank-1"),
    (1 - SOFTMAX, SOFTMAX, "1 minus"),
    (np.array([[np.nan, 1.0]]), X[:1, :2], "NaN"),
    (np.array([[-np.inf, 1.0]]), X[:1, :2], "inf where"),
    ((10 * X).astype(int), 10 * X, "integers"),
    (3.0, 0.5, "exactly 6 times"),
    (np.array([[0.5]]), 0.5, "where one number is asked"),
    (X + 2, X, "off by the same amount"),
    (X.sum(axis=0, keepdims=True), X.sum(axis=1, keepdims=True), "other axis"),
    (X.sum(), X.sum(axis=1, keepdims=True), "whole array"),
    (1 / SOFTMAX, SOFTMAX, "1 divided by"),
    (np.log10(SOFTMAX), np.log(SOFTMAX), "np.log10"),
    (np.array([[0.2, 0.7, 0.9]]), np.array([[0.0, 1.0, 1.0]]), "values between 0 and 1 where the answer holds only 0s"),
    (np.abs(X), np.maximum(X, 0), "wrong only where it is 0"),
    (np.minimum(np.abs(X), 1.0), np.abs(X), "capped at 1"),
    (X > 0, X, "booleans"),
    (np.tanh(X), 1 / (1 + np.exp(-X)), "tanh(Z) where sigmoid(Z) is asked"),
    (np.sinh(X), np.tanh(X), "sinh(Z) where tanh(Z) is asked"),
    (X[:, :1], np.zeros((3, 1)), "the answer is all zeros"),
    (np.where(X > 0, X / 0.8, 0.0), X, "zeroed and the others multiplied by 1.25"),
    ([[1.0, 0.0]], np.array([[1.0, 0.0]]), "a Python list where a NumPy array is asked"),
])
def test_a_wrong_result_names_its_likely_mistake(got, expected, words):
    assert words in _diagnosis(got, expected)


def test_unrelated_values_get_no_diagnosis():
    other = np.random.default_rng(1).normal(size=X.shape)
    assert _diagnosis(other, X) == ""
    assert value_mistake(0.7, 0.5) == ""  # two numbers always have a ratio: that is no diagnosis


def test_a_right_result_gets_no_message_at_all():
    check.close(X.copy(), X, "result")
    check.close(np.float32(0.5), 0.5, "result", rtol=1e-6)


@pytest.mark.parametrize("value", [0.25, np.float64(0.25), np.float32(0.25), np.squeeze(np.array(0.25)),
                                   np.array(0.25), 0, np.int64(3)])
def test_every_real_number_is_a_float_where_a_number_is_asked(value):
    check.is_type(value, float, "cost")


@pytest.mark.parametrize("value, words", [(True, ""), (np.zeros((1, 1)), "float(...) or .item()"),
                                          (np.zeros(3), "missing reduction"), ("0.5", ""), (None, "missing return")])
def test_what_is_not_a_number_still_fails(value, words):
    with pytest.raises(CheckFailed, match="should be a float") as failure:
        check.is_type(value, float, "cost")
    assert words in str(failure.value)


def test_an_error_in_student_code_keeps_its_class_names_the_function_and_hints():
    def forward(W, X):
        return W @ X

    with pytest.raises(ValueError) as failure:
        check.call(forward, np.ones((2, 3)), np.ones((2, 3)))
    message = str(failure.value)
    assert message.strip().startswith("Your function forward stopped with an error: ValueError: matmul")
    assert "Likely mistake: a matrix product whose inner dimensions differ" in message
    assert isinstance(failure.value, CheckFailed)
    shown = failure.value._render_traceback_()
    assert any(line.strip().startswith("in forward, line") and "return W @ X" in line for line in shown)
    assert not any("helpers" in line for line in shown)


@pytest.mark.parametrize("error, words", [
    (lambda: np.ones((2, 3)) + np.ones(2), "incompatible shapes"),
    (lambda: np.ones(3).shape[1], "fewer axes"),
    (lambda: np.subtract(np.zeros(2, dtype=int), 0.5, out=np.zeros(2, dtype=int)), "integer array"),
    (lambda: __import__("math").exp(np.ones(3)), "math"),
    (lambda: 1 // 0, "division by zero"),
])
def test_the_common_numpy_errors_get_a_hint(error, words):
    with pytest.raises(Exception) as failure:
        check.call(error)
    assert words in str(failure.value)


def test_a_student_defined_error_is_left_as_it_was():
    class Mine(Exception):
        pass

    def f():
        raise Mine("mine")

    with pytest.raises(Mine) as failure:
        check.call(f)
    assert type(failure.value) is Mine


def test_a_changed_input_names_the_in_place_update():
    with pytest.raises(CheckFailed, match="Likely mistake: an in-place update"):
        check.close(np.zeros(3), np.ones(3), "your Z after relu(Z) (it must not change)")


def test_tuples_in_the_wrong_order_or_of_the_wrong_kind():
    with pytest.raises(CheckFailed, match="wrong order"):
        check.equal((1, 4, 2), (2, 4, 1), "layer_sizes(X, Y)")
    with pytest.raises(CheckFailed, match="a list where a tuple is asked"):
        check.equal([2, 4, 1], (2, 4, 1), "layer_sizes(X, Y)")


def test_a_hidden_case_names_a_known_wrong_activation_and_a_catalogued_mistake():
    Z = np.random.default_rng(2).normal(size=(3, 5))
    with pytest.raises(CheckFailed, match="Likely mistake: your function computes the absolute value"):
        check.matches_reference(np.abs, lambda z: np.maximum(z, 0), [(Z,)], name="relu")

    def softmax(z):
        return np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)

    check.mistakes("softmax_demo", {"softmax of the rows, times 2": lambda z: 2 * np.exp(z) / np.exp(z).sum(axis=1,
                                                                                                          keepdims=True)})
    with pytest.raises(CheckFailed, match="Likely mistake: softmax of the rows, times 2"):
        check.matches_reference(lambda z: 2 * np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), softmax, [(Z,)],
                                name="softmax_demo")


def test_an_error_from_a_function_a_visible_test_calls_directly_is_told_in_words_only_in_test_cells():
    """In the student's kernel: ``relu(Z)`` in a test cell crashes inside relu; the cell shows the friendly words
    and the student's line; the same call in an ordinary cell, a failed check and a syntax error show as usual."""
    import nbclient
    import nbformat

    crash = "relu(np.zeros((2, 2)))"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "import numpy as np\nfrom helpers import checks as check",
        "def relu(Z):\n    return np.maximum(0, Z) + np.zeros(3)",
        f"check.exercise('03_shallow_network', 'relu')\n{crash}",
        crash,
        "check.exercise('03_shallow_network', 'relu')\ncheck.close(1.0, 2.0, 'x')",
        "def f(:\n    pass")])
    nbclient.NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=60).execute()
    errors = [next(o for o in cell.outputs if o.output_type == "error") for cell in notebook.cells[2:]]
    test_cell, plain_cell, failed_check, syntax = ("\n".join(e.traceback) for e in errors)
    assert [e.ename for e in errors] == ["ValueError", "ValueError", "CheckFailed", "SyntaxError"]
    assert "Your function relu stopped with an error" in test_cell and "line 2: return np.maximum" in test_cell
    assert "Likely mistake:" in test_cell and "helpers" not in test_cell
    assert "Your function relu" not in plain_cell and "Traceback" in plain_cell
    assert "x has the wrong value" in failed_check and "Your function" not in failed_check
    assert "invalid syntax" in syntax


def test_the_catalogue_travels_with_the_record_and_the_grader_names_the_mistake(tmp_path, monkeypatch):
    """Inside the sandbox the grader judges a hidden case outside the kernel, from the record of the source
    notebook: the record run writes each known mistake's result on the case's inputs, and the grader's verdict on
    those recorded results names the mistake (and names nothing when the answer is right)."""
    import json

    from helpers.checks import _compare, _grader, _protocol

    def reference(z):
        return np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)

    def rows(z):
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)

    record = tmp_path / "record.jsonl"
    monkeypatch.setattr(_grader, "RECORD_FILE", str(record))
    check.mistakes("softmax_recorded", {"each row sums to 1; each column must": rows})
    Z = np.random.default_rng(4).normal(size=(3, 4))
    _grader.RecordingFunction("demo", "softmax_recorded", reference).record_case(
        (Z,), {}, reference(Z), name="softmax_recorded", where="softmax_recorded on hidden case 1", rtol=1e-6,
        atol=1e-9)
    case = json.loads(record.read_text().splitlines()[0])
    known = [(description, _protocol.unwire(result)) for description, result in case["mistakes"]]
    assert [description for description, _ in known] == ["each row sums to 1; each column must"]
    args, expected = _protocol.unwire(case["args"]), _protocol.unwire(case["expected"])
    with pytest.raises(CheckFailed, match="Likely mistake: each row sums to 1; each column must"):
        _compare.verdict(check.snapshot(rows(Z)), (Z,), {}, args, {}, expected, "softmax_recorded", "case 1",
                         1e-6, 1e-9, known)
    _compare.verdict(check.snapshot(reference(Z)), (Z,), {}, args, {}, expected, "softmax_recorded", "case 1",
                     1e-6, 1e-9, known)


def test_a_finite_value_never_matches_an_infinite_or_nan_one():
    from helpers.checks._diagnose import _same

    assert not _same(np.array([9.9]), np.array([np.inf]))
    assert not _same(np.array([np.nan]), np.array([1.0]))
    assert _same(np.array([np.nan, -np.inf]), np.array([np.nan, -np.inf]))
    assert not _same(np.array([np.inf]), np.array([-np.inf]))


@pytest.mark.parametrize("got, expected, name, absent, present", [
    (np.round(1 / (1 + np.exp(-X)), 4), 1 / (1 + np.exp(-X)), "sigmoid(z)", "wrong places", "rounded to 4 decimals"),
    (2 * X, X, "two_A_T (2Aᵀ)", "1/m", "exactly 2 times"),
    (2 * X, X, "compute_cost(A, Y)", "keep_prob", "missing 1/m"),
    (np.array([[1.0, 1.0, 1.0]]), np.array([[0.0, 1.0, 1.0]]), "predict(X, parameters)", "ReLU", "wrong only where"),
    (np.full((1, 5), 0.5), np.zeros((1, 5)), "predict(X, parameters)", "biases", "probabilities"),
    (np.array([[np.inf, 1.0]]), np.array([[0.5, 0.7]]), "sigmoid(z)", "np.log", "inf where"),
    (np.array([[0.0, 1.0, 2.0, 3.0]]), np.array([[1.0, 0.0, 3.0, 2.0]]),
     "X_train of split_data(X, Y)", "reshape", "in another order"),
])
def test_a_generic_hint_names_only_what_it_can_tell(got, expected, name, absent, present):
    hint = _diagnosis(got, expected, name)
    assert present in hint and absent not in hint, hint


def test_a_float32_result_is_told_its_precision_not_a_clip():
    sigmoid = 1 / (1 + np.exp(-X))
    hint = value_mistake(sigmoid.astype(np.float32), sigmoid, "sigmoid(z)", 1e-9, 1e-12)
    assert "float32" in hint and "capped" not in hint


def test_a_tuple_of_arrays_for_an_array_is_not_told_to_use_np_array():
    with pytest.raises(CheckFailed) as failure:
        check.close((np.ones((2, 2)), (np.ones((2, 2)),)), np.ones((2, 2)), "A of forward_layer(A_prev, W, b)")
    assert "np.array(...)" not in str(failure.value) and "another order" in str(failure.value)


def test_a_hidden_case_describes_its_inputs_in_a_few_hundred_characters():
    from helpers.checks._compare import describe_inputs

    big = np.zeros((40, 30))
    caches = [((big, big, big), big) for _ in range(4)]
    assert len(describe_inputs((big, caches, [big > 0] * 4, 0.7), {"parameters": {f"W{i}": big for i in range(9)}})) < 600
    text = describe_inputs((caches,), {})
    assert text.count("(") == text.count(")") and text.count("[") == text.count("]")
