"""The 2-D "two moons" data of assignment 03: two interleaved half circles that no straight line separates.

The points are generated on the spot (offline) by scikit-learn's ``make_moons`` with a fixed seed, shuffled,
split 67/33 and standardized with the training split's mean and standard deviation, so every student gets the
very same arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: The fixed recipe: change any of these and every expected figure of the notebook changes with it.
N_SAMPLES = 2000
N_TEST = 660
NOISE = 0.2
SEED = 0


class PlanarDataset(NamedTuple):
    """Examples as columns: ``X_train (2, 1340)``, ``Y_train (1, 1340)``, ``X_test (2, 660)``, ``Y_test (1, 660)``."""

    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray


def load_planar_dataset() -> PlanarDataset:
    """The two-moons data: 2,000 noisy points with features x₁, x₂ and a 0/1 label, split 1,340 / 660.

    Features are float64 and standardized (zero mean, unit variance on the training split; the test split uses
    the training statistics); labels are int64 rows of 0/1. Returns a named tuple that unpacks as
    ``X_train, Y_train, X_test, Y_test``.
    """
    # Imported here so that the other helpers load quickly without scikit-learn.
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    points, labels = make_moons(n_samples=N_SAMPLES, noise=NOISE, shuffle=True, random_state=SEED)
    x_train, x_test, y_train, y_test = train_test_split(
        points, labels, test_size=N_TEST, shuffle=True, stratify=labels, random_state=SEED)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return PlanarDataset(
        np.ascontiguousarray(x_train.T, dtype=np.float64),
        y_train.reshape(1, -1).astype(np.int64),
        np.ascontiguousarray(x_test.T, dtype=np.float64),
        y_test.reshape(1, -1).astype(np.int64),
    )
