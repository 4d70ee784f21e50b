"""Plots shared by the notebooks. Each function draws on a Matplotlib axes and returns it (or the figure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np


def plot_learning_curve(costs: Sequence[float], every: int = 1, label: str | None = None, ax=None,
                        xlabel: str = "iteration", title: str = "Learning curve"):
    """Plot a cost per ``every`` iterations (or per epoch) on a fresh or given axes."""
    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    steps = np.arange(len(costs)) * every
    ax.plot(steps, np.asarray(costs, dtype=float), marker="o" if len(costs) < 30 else None, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if label:
        ax.legend()
    return ax


def show_image_grid(images: Sequence[np.ndarray], titles: Sequence[str] = (), columns: int = 8,
                    size: float = 1.6, cmap: str | None = None, title_colors: Sequence[str] = ()):
    """Show images in a grid with optional titles; returns the figure."""
    count = len(images)
    rows = max(1, int(np.ceil(count / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= count:
            continue
        ax.imshow(images[i], cmap=cmap, interpolation="nearest")
        if i < len(titles):
            color = title_colors[i] if i < len(title_colors) else "black"
            ax.set_title(titles[i], fontsize=9, color=color)
    fig.tight_layout()
    return fig


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, Y: np.ndarray,
                           ax=None, title: str = "", resolution: int = 300, padding: float = 0.5):
    """Shade the regions a classifier assigns to each class, with the points ``X (2, m)`` coloured by ``Y (1, m)``.

    ``predict`` takes a ``(2, k)`` array of points and returns ``(1, k)`` (or ``(k,)``) labels.
    """
    ax = ax or plt.subplots(figsize=(5, 4))[1]
    x_min, x_max = X[0].min() - padding, X[0].max() + padding
    y_min, y_max = X[1].min() - padding, X[1].max() + padding
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.vstack([xx.ravel(), yy.ravel()])
    zz = np.asarray(predict(grid)).reshape(xx.shape)
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"], alpha=0.8)
    ax.scatter(X[0], X[1], c=np.ravel(Y), cmap=plt.cm.coolwarm, s=8, edgecolors="none")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_speedups(names: Sequence[str], loop_seconds: Sequence[float], numpy_seconds: Sequence[float], ax=None):
    """Bar chart of loop versus vectorized times (log scale), each pair labelled with its speed-up."""
    ax = ax or plt.subplots(figsize=(8, 4))[1]
    positions = np.arange(len(names))
    ax.bar(positions - 0.2, loop_seconds, width=0.4, label="Python loops")
    ax.bar(positions + 0.2, numpy_seconds, width=0.4, label="NumPy")
    ax.set_yscale("log")
    ax.set_ylim(top=max(loop_seconds) * 10)  # room for the speed-up labels
    ax.set_xticks(positions, [name.replace(" (", "\n(") for name in names])
    ax.set_ylabel("seconds (log scale)")
    for x, slow, fast in zip(positions, loop_seconds, numpy_seconds):
        ax.annotate(f"{slow / fast:,.0f}\u00d7 faster", (x, slow), xytext=(0, 4), textcoords="offset points",
                    ha="center", va="bottom", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Same result, very different cost")
    ax.figure.tight_layout()
    return ax
