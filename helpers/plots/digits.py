"""Plots of assignment 04: activation functions, digit grids and the confusion matrix of a digit classifier."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_activations(z: np.ndarray, functions: Mapping[str, tuple[Callable, Callable]]):
    """One panel per activation: the function (solid) and its derivative (dashed) on the points ``z``.

    ``functions`` maps a name to ``(activation, derivative)``, both taking an array and returning one of its shape.
    Returns the figure.
    """
    count = max(1, len(functions))
    fig, axes = plt.subplots(1, count, figsize=(2.3 * count, 2.6), sharex=True, sharey=True, squeeze=False)
    for ax, (name, (function, derivative)) in zip(axes.flat, functions.items()):
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.plot(z, function(z), color="C0", label="g(z)")
        ax.plot(z, derivative(z), "--", color="C1", label="g'(z)")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("z")
    axes[0, 0].set_ylim(-1.5, 3)
    axes[0, 0].legend(loc="upper left", fontsize=8)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.18, top=0.88, wspace=0.08)
    return fig


def show_digits(images: Sequence[np.ndarray], labels: Sequence[int], predicted: Sequence[int] | None = None,
                columns: int = 10, size: float = 0.9):
    """A grid of digit images, each titled with its label, or with "predicted (true)" in red where they differ.

    The images are tiled into one picture (fast to draw, even for many digits); returns the figure.
    """
    images = [np.asarray(image, dtype=float) for image in images]
    labels = [int(v) for v in np.ravel(labels)]
    count = len(images)
    columns = max(1, min(columns, count))
    rows = max(1, int(np.ceil(count / columns)))
    height, width = images[0].shape if count else (8, 8)
    gap_x, gap_y = 2, 5                                   # pixels between images; room for a title above each
    mosaic = np.full((rows * (height + gap_y), columns * (width + gap_x)), np.nan)
    fig, ax = plt.subplots(figsize=(columns * size * 1.1, rows * size * 1.45))
    for k, image in enumerate(images):
        row, column = divmod(k, columns)
        top, left = row * (height + gap_y) + gap_y - 1, column * (width + gap_x)
        mosaic[top:top + height, left:left + width] = image
        if predicted is None:
            title, color = str(labels[k]), "black"
        else:
            p = int(np.ravel(predicted)[k])
            title, color = (str(p), "black") if p == labels[k] else (f"{p} (true {labels[k]})", "red")
        ax.text(left + width / 2 - 0.5, top - 1.2, title, ha="center", va="bottom", fontsize=9, color=color)
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")  # a copy: the registered map stays as it is
    finite = mosaic[np.isfinite(mosaic)]
    ax.imshow(mosaic, cmap=cmap, interpolation="nearest", vmin=0, vmax=finite.max() if finite.size else 1)
    ax.axis("off")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return fig


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts ``(num_classes, num_classes)``: entry (i, j) is how many examples of class i were predicted as j."""
    labels = np.ravel(labels).astype(int)
    predictions = np.ravel(predictions).astype(int)
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (labels, predictions), 1)
    return counts


def plot_confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int = 10, ax=None,
                          title: str = "Confusion matrix (test set)"):
    """Show the confusion matrix with its counts written in; the diagonal holds the correct predictions."""
    counts = confusion_matrix(labels, predictions, num_classes)
    ax = ax or plt.subplots(figsize=(5, 4.4))[1]
    # Colour by the share of each true class, so that mistakes stand out whatever the class sizes.
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(num_classes):
        for j in range(num_classes):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if shares[i, j] > 0.5 else ("red" if i != j else "black"))
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title)
    return ax
