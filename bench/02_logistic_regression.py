"""Benchmark for assignment 02: the notebook's reference logistic regression against scikit-learn's.

Both fit the same preprocessed cat / non-cat data (flatten_images from the reference: 12,288 features scaled to
[0, 1]), in one run on this machine. The reference is gradient descent for 2000 iterations at learning rate 0.005
(the notebook's training); scikit-learn's LogisticRegression uses L-BFGS, once with its default L2 penalty
(C=1.0) and once without a penalty (C=inf), which is the problem the reference solves. One more row times the
reference with BLAS limited to one thread (threadpoolctl, installed with scikit-learn).

Run from the repository root:  python bench/02_logistic_regression.py
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from _measure import accuracy, best_time, machine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from helpers.datasets import load_cat_dataset
from helpers.reference import solutions

REPEATS = 2  # best of: the machine may be shared


def main() -> None:
    ref = solutions("02_logistic_regression")
    train_x_orig, train_y, test_x_orig, test_y, _ = load_cat_dataset()
    X_train, X_test = ref.flatten_images(train_x_orig), ref.flatten_images(test_x_orig)   # (12288, m)
    y_train, y_test = train_y.ravel(), test_y.ravel()

    rows = []

    seconds, result = best_time(lambda: ref.model(X_train, train_y, X_test, test_y,
                                                  num_iterations=2000, learning_rate=0.005), REPEATS)
    rows.append(("reference (gradient descent, 2000 it., lr 0.005)", seconds,
                 accuracy(result["Y_prediction_train"], train_y), accuracy(result["Y_prediction_test"], test_y),
                 "2000", f"{result['costs'][-1]:.6f} (it. 1900)"))

    # The same, with BLAS limited to one thread: matrix-vector products are memory-bound, and on a shared or
    # oversubscribed machine (parallel grading) OpenBLAS's second thread mostly waits.
    with threadpool_limits(1):
        seconds, result = best_time(lambda: ref.model(X_train, train_y, X_test, test_y,
                                                      num_iterations=2000, learning_rate=0.005), REPEATS)
    rows.append(("reference, BLAS limited to 1 thread", seconds,
                 accuracy(result["Y_prediction_train"], train_y), accuracy(result["Y_prediction_test"], test_y),
                 "2000", ""))

    for label, options in [("scikit-learn LogisticRegression (lbfgs, C=1)", {}),
                           ("scikit-learn LogisticRegression (lbfgs, C=inf)", {"C": np.inf})]:
        def fit(options=options):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return LogisticRegression(max_iter=5000, **options).fit(X_train.T, y_train)   # sklearn: (m, n)
        seconds, clf = best_time(fit, REPEATS)
        rows.append((label, seconds, accuracy(clf.predict(X_train.T), y_train),
                     accuracy(clf.predict(X_test.T), y_test), str(int(np.max(clf.n_iter_))), ""))

    reference_seconds = rows[0][1]
    print(f"Assignment 02 benchmark: {X_train.shape[0]} features, {X_train.shape[1]} training and "
          f"{X_test.shape[1]} test photos")
    print(f"{machine()}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
          f"best of {REPEATS} runs")
    print()
    header = f"{'model':<52} {'fit time':>9} {'vs reference':>13} {'train acc':>10} {'test acc':>9} {'iterations':>11}"
    print(header)
    print("-" * len(header))
    for label, seconds, train_acc, test_acc, iterations, _ in rows:
        ratio = "1.00×" if seconds == reference_seconds else f"{seconds / reference_seconds:.2f}×"
        print(f"{label:<52} {seconds:8.3f}s {ratio:>13} {train_acc:9.2f}% {test_acc:8.2f}% {iterations:>11}")
    print()
    print(f"reference final recorded cost: {rows[0][5]}; 'vs reference' = fit time / reference fit time "
          f"(below 1: faster than the reference)")
    fastest_reference, fastest_sklearn = min(r[1] for r in rows[:2]), min(r[1] for r in rows[2:])
    print(f"BLAS threads: 1 thread runs the reference {reference_seconds / rows[1][1]:.2f}× as fast as the default")
    print(f"fastest reference fit / fastest scikit-learn fit: {fastest_reference / fastest_sklearn:.2f} "
          "(above 1: scikit-learn is faster)")


if __name__ == "__main__":
    main()
