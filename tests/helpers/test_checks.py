"""The friendly checks: they catch what they must and say what went wrong, without warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import checks as check
from helpers.checks import CheckFailed


def test_close_names_shape_and_hints_rank1():
    with pytest.raises(CheckFailed) as info:
        check.close(np.zeros(3), np.zeros((3, 1)), "A1")
    message = str(info.value)
    assert "expected shape: (3, 1)" in message and "got shape:      (3,)" in message and "rank-1" in message


def test_close_points_at_first_wrong_entry():
    expected = np.arange(6.0).reshape(2, 3)
    got = expected.copy()
    got[1, 2] = 99.0
    with pytest.raises(CheckFailed) as info:
        check.close(got, expected, "Z")
    assert "1 wrong entry out of 6" in str(info.value) and "(1, 2)" in str(info.value)
    assert "expected 5.0, got 99.0" in str(info.value)


def test_close_scalars_and_zero_d_arrays_are_interchangeable():
    check.close(np.float64(0.5), np.array(0.5), "s")
    check.close(np.array(0.5), 0.5, "s")
    with pytest.raises(CheckFailed, match="should be a number"):
        check.close(np.array([0.5]), 0.5, "cost")


def test_close_reports_nan_as_overflow_hint():
    with pytest.raises(CheckFailed, match="NaN"):
        check.close(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), "softmax")


def test_none_result_suggests_missing_return():
    with pytest.raises(CheckFailed, match="forget to `return`"):
        check.close(None, np.zeros(2), "result")


def test_call_silences_warnings_but_not_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check.call(lambda: np.exp(np.array([1000.0])))[0] == np.inf
    with pytest.raises(ZeroDivisionError):
        check.call(lambda: 1 / 0)


def test_matches_reference_catches_mutation_and_passes_equal_functions():
    def reference(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def mutating(x):
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x

    cases = [(np.random.default_rng(0).normal(size=(3, 4)),)]
    check.matches_reference(lambda x: x / np.sqrt((x**2).sum(1))[:, None], reference, cases)
    with pytest.raises(CheckFailed, match="modified its input"):
        check.matches_reference(mutating, reference, cases)


def test_matches_reference_compares_dicts_and_tuples():
    def reference(x):
        return {"a": x * 2, "b": (x.sum(), [x.shape[0]])}

    check.matches_reference(lambda x: {"a": 2 * x, "b": (np.sum(x), [len(x)])}, reference, [(np.ones(3),)])
    with pytest.raises(CheckFailed, match=r"\['a'\]"):
        check.matches_reference(lambda x: {"a": 3 * x, "b": (np.sum(x), [len(x)])}, reference, [(np.ones(3),)])
    with pytest.raises(CheckFailed, match="missing the key"):
        check.matches_reference(lambda x: {"a": 2 * x}, reference, [(np.ones(3),)])


def test_zero_one_labels_accept_booleans():
    check.close(np.array([[True, False]]), np.array([[1.0, 0.0]]), "predictions")
    with pytest.raises(CheckFailed, match="should hold numbers"):
        check.close(np.array([["a", "b"]]), np.array([[0.5, 0.2]]), "activations")
