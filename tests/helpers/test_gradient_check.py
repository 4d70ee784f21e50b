"""The gradient check: values and shapes."""

from __future__ import annotations

import numpy as np

from helpers.gradient_check import numerical_gradients, relative_error, report, shape_mismatches


def _cost(p):
    return float(np.sum(p["W"] ** 2) + 3 * np.sum(p["b"]))


def _parameters():
    return {"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array([[0.1], [0.2]])}


def test_right_gradients_agree():
    numeric = numerical_gradients(_cost, _parameters())
    analytic = {"W": 2 * _parameters()["W"], "b": np.full((2, 1), 3.0)}
    error = relative_error(analytic, numeric)
    assert error < 1e-7
    assert report(error).startswith("\u2705")


def test_a_rank1_gradient_never_agrees_and_is_named():
    numeric = numerical_gradients(_cost, _parameters())
    analytic = {"W": 2 * _parameters()["W"], "b": np.full(2, 3.0)}  # the right values, shape (2,) for (2, 1)
    assert shape_mismatches(analytic, numeric) == ["the gradient for b has shape (2,) where b has shape (2, 1)"]
    error = relative_error(analytic, numeric)
    assert error == float("inf")
    assert "agrees" not in report(error)
    assert "b has shape (2, 1)" in report(error, analytic=analytic, numeric=numeric)


def test_a_float_gradient_for_a_float_parameter_is_the_same_shape():
    numeric = numerical_gradients(lambda p: float(p["b"]) ** 2, {"b": 1.5})
    assert relative_error({"b": 3.0}, numeric) < 1e-7
