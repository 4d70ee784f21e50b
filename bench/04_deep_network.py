"""Benchmark of assignment 04: the from-scratch deep network against scikit-learn, on the notebook's digits split.

Everything runs in one process on the same standardized 60/40 split that the notebook uses (``split_data`` with
seed 0, statistics of the training set, ``normalize``), built with the reference solutions of the source notebook:

* the reference network of the notebook, 64 -> 128 -> 64 -> 10, ReLU + softmax, trained with the notebook's defaults
  (30 epochs of mini-batch gradient descent, batches of 32, learning rate 0.2);
* ``MLPClassifier`` with the same layer sizes, (a) with its defaults (Adam, L2 penalty 1e-4, early stopping on the
  training loss) and (b) with the notebook's recipe (plain SGD, no momentum, no penalty, same batch size, learning
  rate and number of epochs);
* ``LogisticRegression`` (a linear softmax model, no hidden layer) as the baseline.

The networks are trained with seeds 0-4 (the initialization and the batch order change with the seed): the table
gives the test accuracy of seed 0 (the notebook's run), the mean and range over the five seeds, and the median fit
time. Ratios compare the reference network with each scikit-learn model measured in the same run.

BLAS and OpenMP run with one thread by default (``--threads N`` to change it), for every model alike: on matrices this
small, extra threads mostly add synchronization, and on a busy machine they can slow scikit-learn's fits down by an
order of magnitude, which would say more about the machine than about the models.

Usage: ``python bench/04_deep_network.py [--threads N]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.datasets import load_digits_dataset  # noqa: E402
from helpers.reference import solutions  # noqa: E402

SEEDS = range(5)
LAYER_DIMS = [64, 128, 64, 10]
NUM_EPOCHS, BATCH_SIZE, LEARNING_RATE = 30, 32, 0.2


def timed(fit):
    start = time.perf_counter()
    result = fit()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for every model (default 1)")
    threads = parser.parse_args().threads
    ref = solutions("04_deep_network")

    from sklearn import __version__ as sklearn_version
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_info, threadpool_limits

    # The same data as the notebook: the course loader (checked against scikit-learn's own), split, normalized.
    X_raw, labels = load_digits_dataset()
    digits = load_digits()
    assert np.array_equal(X_raw, digits.data.T) and np.array_equal(labels[0], digits.target), "loader differs"
    X_train_raw, labels_train, X_test_raw, labels_test = ref.split_data(X_raw, labels, train_fraction=0.6, seed=0)
    X_train, mean, std = ref.normalize(X_train_raw)
    X_test, _, _ = ref.normalize(X_test_raw, mean, std)
    Y_train = ref.convert_to_one_hot(labels_train, 10)
    y_train, y_test = labels_train[0], labels_test[0]
    hidden = tuple(LAYER_DIMS[1:-1])

    blas = ", ".join(sorted({i["internal_api"] for i in threadpool_info()})) or "none found"
    load = f"; load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn {sklearn_version}; "
          f"{os.cpu_count()} CPUs{load}; thread pools ({blas}) limited to {threads} thread(s)")
    print(f"digits: {X_train.shape[1]} training and {X_test.shape[1]} test examples, 64 standardized features; "
          f"network {' -> '.join(map(str, LAYER_DIMS))}\n")

    def reference_network(seed):
        parameters, _ = ref.train(X_train, Y_train, LAYER_DIMS, NUM_EPOCHS, BATCH_SIZE, LEARNING_RATE, seed=seed)
        return lambda X: ref.predict(X, parameters)

    def mlp_defaults(seed):
        model = MLPClassifier(hidden_layer_sizes=hidden, max_iter=500, random_state=seed).fit(X_train.T, y_train)
        return lambda X: model.predict(X.T)

    def mlp_same_recipe(seed):
        model = MLPClassifier(hidden_layer_sizes=hidden, solver="sgd", learning_rate_init=LEARNING_RATE,
                              batch_size=BATCH_SIZE, momentum=0.0, alpha=0.0, max_iter=NUM_EPOCHS,
                              n_iter_no_change=NUM_EPOCHS + 1, tol=0.0, shuffle=True, random_state=seed)
        model.fit(X_train.T, y_train)
        return lambda X: model.predict(X.T)

    def logistic(seed):
        model = LogisticRegression(max_iter=5000).fit(X_train.T, y_train)
        return lambda X: model.predict(X.T)

    models = [
        ("reference network (this course)", reference_network, SEEDS),
        ("MLPClassifier, defaults (Adam)", mlp_defaults, SEEDS),
        ("MLPClassifier, same SGD recipe", mlp_same_recipe, SEEDS),
        ("LogisticRegression (no hidden layer)", logistic, [0]),
    ]
    results = {}  # every predict takes X in the course's layout, (64, m)
    with warnings.catch_warnings(), threadpool_limits(limits=threads):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, fit, seeds in models:
            accuracies, seconds = [], []
            fit(0)  # warm-up: first-call costs (imports, thread start-up) are not part of a fit
            for seed in seeds:
                predict, elapsed = timed(lambda fit=fit, seed=seed: fit(seed))
                accuracies.append(float(np.mean(predict(X_test) == y_test)))
                seconds.append(elapsed)
            results[name] = (accuracies, seconds)

    print(f"{'model':38} {'test acc. seed 0':>16} {'mean (min-max), 5 seeds':>26} {'fit time (median)':>18}")
    for name, (accuracies, seconds) in results.items():
        spread = (f"{np.mean(accuracies):.4f} ({min(accuracies):.4f}-{max(accuracies):.4f})"
                  if len(accuracies) > 1 else "deterministic")
        print(f"{name:38} {accuracies[0]:16.4f} {spread:>26} {statistics.median(seconds):16.3f} s")

    ours_acc, ours_time = results["reference network (this course)"]
    print("\nratios, reference network / scikit-learn (same run):")
    for name, (accuracies, seconds) in list(results.items())[1:]:
        print(f"  vs {name:36} fit time x{statistics.median(ours_time) / statistics.median(seconds):5.2f}   "
              f"mean test accuracy x{np.mean(ours_acc) / np.mean(accuracies):.4f} "
              f"({100 * (np.mean(ours_acc) - np.mean(accuracies)):+.2f} points)")


if __name__ == "__main__":
    main()
