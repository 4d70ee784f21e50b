"""Plots of assignment 03 (a shallow network on 2-D data). Each function returns the Matplotlib figure."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from . import plot_decision_boundary


def plot_planar_data(X_train: np.ndarray, Y_train: np.ndarray, X_test: np.ndarray, Y_test: np.ndarray):
    """The training and test points ``X (2, m)`` side by side, coloured by their labels ``Y (1, m)``."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True, sharey=True)
    for ax, X, Y, name in ((axes[0], X_train, Y_train, "training"), (axes[1], X_test, Y_test, "test")):
        labels = np.ravel(Y)
        for label, color in ((0, "#3b4cc0"), (1, "#b40426")):
            ax.scatter(X[0, labels == label], X[1, labels == label], s=8, color=color, edgecolors="none",
                       label=f"y = {label}")
        ax.set_title(f"{name} set: {X.shape[1]:,} points")
        ax.set_xlabel("$x_1$")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("$x_2$")
    axes[0].legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_boundary_grid(classifiers: Sequence[tuple[str, Callable[[np.ndarray], np.ndarray]]], X: np.ndarray,
                       Y: np.ndarray, columns: int = 4, size: float = 3.2, resolution: int = 200):
    """Decision boundaries of several classifiers in a grid, each over the same points ``X (2, m)``, ``Y (1, m)``.

    ``classifiers`` is a list of ``(title, predict)`` pairs, ``predict`` mapping a ``(2, k)`` array to ``(1, k)``
    labels. Unused panels of the last row are hidden.
    """
    rows = max(1, int(np.ceil(len(classifiers) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 0.9), squeeze=False,
                             sharex=True, sharey=True)
    for ax in axes.flat[len(classifiers):]:
        ax.axis("off")
    for ax, (title, predict) in zip(axes.flat, classifiers):
        plot_decision_boundary(predict, X, Y, ax=ax, title=title, resolution=resolution)
        ax.title.set_fontsize(10)
        ax.label_outer()
    fig.tight_layout()
    return fig
