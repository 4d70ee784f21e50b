"""Gradient checking: compare analytic gradients with centred finite differences.

For every parameter entry θ, the numerical gradient is (J(θ + ε) − J(θ − ε)) / 2ε, and the verdict is the relative
error ‖g − g̃‖ / (‖g‖ + ‖g̃‖) over all entries: below about 1e-7 the backward pass is right, above about 1e-4 it is
almost certainly wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def numerical_gradients(cost: Callable[[dict], float], parameters: Mapping[str, np.ndarray],
                        epsilon: float = 1e-6) -> dict[str, np.ndarray]:
    """Centred finite-difference gradients of ``cost(parameters)`` for every array in ``parameters``.

    ``cost`` receives a dict of float64 copies; ``parameters`` itself is never modified.
    """
    params = {name: np.array(value, dtype=np.float64, copy=True) for name, value in parameters.items()}
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + epsilon
            plus = float(cost(params))
            value[index] = original - epsilon
            minus = float(cost(params))
            value[index] = original
            grad[index] = (plus - minus) / (2 * epsilon)
        grads[name] = grad
    return grads


def shape_mismatches(analytic: Mapping[str, np.ndarray], numeric: Mapping[str, np.ndarray],
                     names: list[str] | None = None) -> list[str]:
    """The named gradients whose shape differs from their parameter's, in words (``db1 (8,) for b1 (8, 1)``)."""
    found = []
    for name in list(names or numeric):
        got, want = np.shape(analytic[name]), np.shape(numeric[name])
        if got != want:
            found.append(f"the gradient for {name} has shape {got} where {name} has shape {want}")
    return found


def relative_error(analytic: Mapping[str, np.ndarray], numeric: Mapping[str, np.ndarray],
                   names: list[str] | None = None) -> float:
    """‖g − g̃‖ / (‖g‖ + ‖g̃‖) over the named gradients (all of ``numeric`` by default), as one vector.

    A gradient must have the shape of its parameter: when one does not (a rank-1 ``db1`` of shape ``(8,)`` for a
    ``b1`` of shape ``(8, 1)`` broadcasts into a wrong update), the error is infinite, whatever the values, and
    :func:`report` says which.
    """
    names = list(names or numeric)
    if shape_mismatches(analytic, numeric, names):
        return float("inf")
    g = np.concatenate([np.asarray(analytic[n], dtype=np.float64).ravel() for n in names])
    g_num = np.concatenate([np.asarray(numeric[n], dtype=np.float64).ravel() for n in names])
    denominator = np.linalg.norm(g) + np.linalg.norm(g_num)
    return 0.0 if denominator == 0 else float(np.linalg.norm(g - g_num) / denominator)


def report(error: float, threshold: float = 1e-7, analytic: Mapping[str, np.ndarray] | None = None,
           numeric: Mapping[str, np.ndarray] | None = None) -> str:
    """A one-line verdict for students (with ``analytic`` and ``numeric``, the gradients of the wrong shape named)."""
    if error == float("inf"):
        wrong = shape_mismatches(analytic, numeric) if analytic is not None and numeric is not None else []
        which = "; ".join(wrong) if wrong else "a gradient does not have the shape of its parameter"
        return (f"\u274c Wrong shapes: {which}. A rank-1 (n,) gradient where the parameter is a column (n, 1) "
                "broadcasts into a wrong update: keep the axis (keepdims=True).")
    if error < threshold:
        return f"\u2705 Relative error {error:.2e} < {threshold:g}: your backward pass agrees with finite differences."
    if error < 1e-4:
        return f"\u26a0\ufe0f Relative error {error:.2e}: suspicious; look for a small mistake (a missing 1/m?)."
    return f"\u274c Relative error {error:.2e}: the backward pass does not match the forward pass."
