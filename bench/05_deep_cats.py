"""Benchmark of assignment 05: the notebook's deep network on the cat photos against scikit-learn's MLPClassifier.

Everything runs in one process, on the notebook's split (the 209 training and 50 test photos of the course data)
and its preprocessing (photos as columns scaled to [0, 1], minus the training set's mean pixel value, float32),
with the reference solutions and the given code of the source notebook:

* the notebook's networks, trained with its recipe (He initialization, 250 steps of batch gradient descent,
  learning rate 0.02): logistic regression [12288, 1], the 2-layer [12288, 7, 1] and the 4-layer
  [12288, 20, 7, 5, 1] network, the last also with L2 (lambd 10, and 40) and with dropout (keep_prob 0.9,
  and 0.75);
* ``MLPClassifier`` with the 4-layer network's hidden layers (20, 7, 5), (a) with its defaults (Adam, L2 penalty
  alpha 1e-4, mini-batches of 200, stopping when the training loss stops improving) and (b) with the notebook's
  recipe (plain full-batch gradient descent: ``solver="sgd"``, ``batch_size=209``, no momentum, no penalty,
  learning rate 0.02, 250 iterations). scikit-learn initializes with Glorot's uniform recipe, not He's.

Each network is trained with seeds 0-9 (the seed sets the initial weights, and the dropout masks): the table gives
the test accuracy of seed 0 (the notebook's run), the mean and range over the seeds, the mean training accuracy and
the median fit time. The ratios compare the notebook's 4-layer network with each MLPClassifier measured in the same
run. ``--classic`` adds the classic course's recipe (pixels in [0, 1] without centring, weights of standard
deviation 1/sqrt(n) for the deep network and 0.01 for the 2-layer one, 2,500 steps at learning rate 0.0075,
float64), once with the classic's legacy seed (``np.random.seed(1)``) and for the deep network with seeds 0-4 of
``default_rng``: slow (about 15-40 s per run).

BLAS and OpenMP run with one thread (``--threads N`` to change it), for every model alike: the notebook's budget is
set for one thread, and on a shared machine extra threads mostly measure the machine.

Usage: ``python bench/05_deep_cats.py [--seeds 10] [--threads 1] [--classic]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _measure import accuracy, machine  # noqa: E402

from helpers.datasets import load_cat_dataset  # noqa: E402
from helpers.reference import solutions  # noqa: E402

ITERATIONS, LEARNING_RATE = 250, 0.02
DEEP = [12288, 20, 7, 5, 1]


def to_columns(images: np.ndarray, dtype=np.float32) -> np.ndarray:
    """The notebook's to_columns: photos (m, 64, 64, 3) as columns (12288, m) in [0, 1]."""
    return (images.reshape(len(images), -1).T / 255).astype(dtype)


def timed(fit):
    start = time.perf_counter()
    result = fit()
    return result, time.perf_counter() - start


def classic_initialization(ref, two_layer: bool):
    """The classic course's initializations, drawn from NumPy's legacy generator (its seed 1 when seed is None)."""
    def initialize(layer_dims, seed):
        if seed is None:
            np.random.seed(1)
            draw = np.random.randn
        else:
            rng = np.random.default_rng(seed)
            draw = lambda *shape: rng.standard_normal(shape)  # noqa: E731
        parameters = {}
        for layer in range(1, len(layer_dims)):
            scale = 0.01 if two_layer else 1 / np.sqrt(layer_dims[layer - 1])
            parameters[f"W{layer}"] = draw(layer_dims[layer], layer_dims[layer - 1]) * scale
            parameters[f"b{layer}"] = np.zeros((layer_dims[layer], 1))
        return parameters
    return initialize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per network (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for every model (default 1)")
    parser.add_argument("--classic", action="store_true", help="add the classic course's slow recipe")
    args = parser.parse_args()
    ref = solutions("05_deep_cats")

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    train_x_orig, train_y, test_x_orig, test_y, _ = load_cat_dataset()
    mean_pixel = float(to_columns(train_x_orig).mean())
    X_train = to_columns(train_x_orig) - np.float32(mean_pixel)
    X_test = to_columns(test_x_orig) - np.float32(mean_pixel)
    Y_train = train_y.astype(np.float32)
    y_train = train_y.ravel()
    seeds = list(range(args.seeds))

    print(f"Assignment 05 benchmark: {X_train.shape[1]} training and {X_test.shape[1]} test photos, "
          f"{X_train.shape[0]} features (scaled to [0, 1], minus the mean pixel value {mean_pixel:.4f}), float32")
    print(f"{machine()}; BLAS/OpenMP limited to {args.threads} thread(s); seeds {seeds[0]}-{seeds[-1]}\n")

    def course(layer_dims, **options):
        def fit(seed):
            parameters, _ = ref.train(X_train, Y_train, layer_dims, ref.initialize_he, ITERATIONS, LEARNING_RATE,
                                      seed=seed, **options)
            return lambda X: ref.predict(X, parameters)
        return fit

    def mlp_defaults(seed):
        model = MLPClassifier(hidden_layer_sizes=tuple(DEEP[1:-1]), max_iter=500, random_state=seed)
        model.fit(X_train.T, y_train)
        return lambda X: model.predict(X.T)

    def mlp_same_recipe(seed):
        model = MLPClassifier(hidden_layer_sizes=tuple(DEEP[1:-1]), solver="sgd", batch_size=X_train.shape[1],
                              learning_rate_init=LEARNING_RATE, momentum=0.0, alpha=0.0, max_iter=ITERATIONS,
                              n_iter_no_change=ITERATIONS + 1, tol=0.0, shuffle=False, random_state=seed)
        model.fit(X_train.T, y_train)
        return lambda X: model.predict(X.T)

    models = [
        ("notebook: logistic regression [12288, 1]", course([12288, 1])),
        ("notebook: 2-layer [12288, 7, 1]", course([12288, 7, 1])),
        ("notebook: 4-layer [12288, 20, 7, 5, 1]", course(DEEP)),
        ("notebook: 4-layer, L2 lambd=10", course(DEEP, lambd=10.0)),
        ("notebook: 4-layer, dropout keep_prob=0.9", course(DEEP, keep_prob=0.9)),
        ("notebook: 4-layer, L2 lambd=40 (stronger)", course(DEEP, lambd=40.0)),
        ("notebook: 4-layer, dropout 0.75 (stronger)", course(DEEP, keep_prob=0.75)),
        ("MLPClassifier (20, 7, 5), defaults (Adam)", mlp_defaults),
        ("MLPClassifier (20, 7, 5), notebook's recipe", mlp_same_recipe),
    ]
    # Seed by seed, every model in turn: on a shared machine the load changes over minutes, and interleaving lets
    # every model see the same mix of it, so that the time ratios compare models rather than moments.
    results = {name: ([], [], []) for name, _ in models}
    with warnings.catch_warnings(), threadpool_limits(limits=args.threads):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _, fit in models:
            fit(0)  # warm-up: first-call costs (imports, allocations) are not part of a fit
        for seed in seeds:
            for name, fit in models:
                predict, elapsed = timed(lambda fit=fit, seed=seed: fit(seed))
                test_accuracies, train_accuracies, seconds = results[name]
                test_accuracies.append(accuracy(predict(X_test), test_y))
                train_accuracies.append(accuracy(predict(X_train), train_y))
                seconds.append(elapsed)
            print(f"  seed {seed} done", flush=True)

    print(f"\nload average during the run: {os.getloadavg()[0]:.2f} at the end" if hasattr(os, "getloadavg") else "")
    print(f"\n{'model':<45} {'test seed 0':>11} {'test mean (min-max)':>21} {'train mean':>11} {'fit (median)':>13}")
    for name, (test_accuracies, train_accuracies, seconds) in results.items():
        spread = f"{np.mean(test_accuracies):.1f} ({min(test_accuracies):.0f}-{max(test_accuracies):.0f})"
        print(f"{name:<45} {test_accuracies[0]:10.1f}% {spread:>20}% {np.mean(train_accuracies):10.1f}% "
              f"{statistics.median(seconds):11.3f} s")
    print("\nper seed, test accuracy (%):")
    for name, (test_accuracies, _, _) in results.items():
        print(f"  {name:<45} " + " ".join(f"{a:.0f}" for a in test_accuracies))

    ours_test, _, ours_seconds = results["notebook: 4-layer [12288, 20, 7, 5, 1]"]
    print("\nratios, notebook's 4-layer network / MLPClassifier (same run, same data):")
    for name in ("MLPClassifier (20, 7, 5), defaults (Adam)", "MLPClassifier (20, 7, 5), notebook's recipe"):
        test_accuracies, _, seconds = results[name]
        print(f"  vs {name:<45} fit time x{statistics.median(ours_seconds) / statistics.median(seconds):5.2f}   "
              f"mean test accuracy {np.mean(ours_test) - np.mean(test_accuracies):+.1f} points "
              f"(x{np.mean(ours_test) / np.mean(test_accuracies):.3f})")

    if args.classic:
        X_raw_train, X_raw_test = to_columns(train_x_orig, np.float64), to_columns(test_x_orig, np.float64)
        Y_raw = train_y.astype(np.float64)
        print("\nthe classic course's recipe (no centring, float64, 2,500 steps, learning rate 0.0075):")
        runs = [("2-layer [12288, 7, 1], weights x 0.01, legacy seed 1", [12288, 7, 1], True, None),
                ("4-layer, weights / sqrt(n), legacy seed 1", DEEP, False, None)]
        runs += [(f"4-layer, weights / sqrt(n), default_rng seed {seed}", DEEP, False, seed) for seed in range(5)]
        with threadpool_limits(limits=args.threads):
            for name, layer_dims, two_layer, seed in runs:
                (parameters, _), seconds = timed(lambda layer_dims=layer_dims, two_layer=two_layer, seed=seed: ref.train(
                    X_raw_train, Y_raw, layer_dims, classic_initialization(ref, two_layer), 2500, 0.0075,
                    seed=seed, record_every=500))
                print(f"  {name:<52} train {accuracy(ref.predict(X_raw_train, parameters), train_y):5.1f}%  "
                      f"test {accuracy(ref.predict(X_raw_test, parameters), test_y):5.1f}%  ({seconds:.1f} s)",
                      flush=True)
    print(f"\n{machine()}")


if __name__ == "__main__":
    main()
