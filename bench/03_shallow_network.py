"""Benchmark of assignment 03: the reference shallow network against scikit-learn on the same two-moons split.

Compares, in one run on this machine:

* the reference ``nn_model`` (2 -> 8 ReLU -> 1 sigmoid, full-batch gradient descent, the notebook's defaults),
* ``MLPClassifier(hidden_layer_sizes=(8,), activation="relu")`` with scikit-learn's defaults (Adam, mini-batches
  of 200, up to 200 epochs), with up to 2,000 epochs, and configured as the same algorithm as the reference
  (full-batch gradient descent, no momentum, no L2 penalty, the same learning rate and number of iterations),
* ``LogisticRegression()`` (the straight-line baseline),

reporting test and training accuracy, the best fit time over a few repeats, and ratios against the reference.

Run from the repository root: ``python bench/03_shallow_network.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _measure import best_time, machine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from helpers.datasets import load_planar_dataset
from helpers.reference import solutions

ASSIGNMENT = "03_shallow_network"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="fits per model; the best time is kept")
    args = parser.parse_args()

    ref = solutions(ASSIGNMENT)
    X_train, Y_train, X_test, Y_test = load_planar_dataset()
    y_train, y_test = Y_train.ravel(), Y_test.ravel()
    defaults = ref.nn_model.__defaults__  # (n_h, num_iterations, learning_rate, seed, print_cost)
    n_h, num_iterations, learning_rate = defaults[0], defaults[1], defaults[2]

    print(f"Assignment 03 benchmark: two moons, {X_train.shape[1]} training / {X_test.shape[1]} test points")
    print(f"machine: {machine()}")
    print(f"reference: nn_model(n_h={n_h}, num_iterations={num_iterations}, learning_rate={learning_rate}); "
          f"best of {args.repeats} fits\n")

    rows = []

    def reference_fit():
        return ref.nn_model(X_train, Y_train)[0]

    seconds, parameters = best_time(reference_fit, args.repeats)
    rows.append(("reference nn_model (NumPy, full-batch GD)", seconds,
                 np.mean(ref.predict(parameters, X_train) == Y_train), np.mean(ref.predict(parameters, X_test) == Y_test),
                 f"{num_iterations} iterations"))

    candidates = [
        ("MLPClassifier(8, relu), sklearn defaults (Adam)",
         lambda: MLPClassifier(hidden_layer_sizes=(8,), activation="relu", random_state=0)),
        ("MLPClassifier(8, relu), Adam, max_iter=2000",
         lambda: MLPClassifier(hidden_layer_sizes=(8,), activation="relu", max_iter=2000, random_state=0)),
        ("MLPClassifier(8, relu), same full-batch GD",
         lambda: MLPClassifier(hidden_layer_sizes=(8,), activation="relu", solver="sgd", batch_size=X_train.shape[1],
                               learning_rate_init=learning_rate, momentum=0.0, alpha=0.0, max_iter=num_iterations,
                               tol=0.0, n_iter_no_change=num_iterations + 1, shuffle=False, random_state=0)),
        ("LogisticRegression (lbfgs)", lambda: LogisticRegression()),
    ]
    for name, make in candidates:
        converged = []

        def fit(make=make, converged=converged):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model = make().fit(X_train.T, y_train)
            converged.append(not any(issubclass(w.category, ConvergenceWarning) for w in caught))
            return model

        seconds, model = best_time(fit, args.repeats)
        iterations = getattr(model, "n_iter_", None)
        iterations = int(np.max(iterations)) if iterations is not None else None
        note = f"{iterations} iterations" if iterations is not None else ""
        if not converged[-1]:
            note += " (reached max_iter; ConvergenceWarning)"
        rows.append((name, seconds, model.score(X_train.T, y_train), model.score(X_test.T, y_test), note))

    _, reference_seconds, _, reference_test, _ = rows[0]
    header = f"{'model':<48} {'fit time':>10} {'time ratio':>10} {'train':>7} {'test':>7} {'test Δ':>8}  notes"
    print(header)
    print("-" * len(header))
    for name, seconds, train, test, note in rows:
        print(f"{name:<48} {1000 * seconds:8.1f} ms {seconds / reference_seconds:9.2f}× {100 * train:6.1f}% "
              f"{100 * test:6.1f}% {100 * (test - reference_test):+7.1f}  {note}")
    print("\ntime ratio: fit time / the reference's fit time (below 1 means faster than the reference);")
    print("test Δ: test accuracy minus the reference's, in percentage points.")


if __name__ == "__main__":
    main()
