"""What the assignment benchmarks share: timing a fit, accuracy in percent, and a line describing the machine."""

from __future__ import annotations

import os
import platform
import time

import numpy as np


def best_time(fit, repeats: int):
    """The shortest wall-clock time of ``repeats`` calls of ``fit()`` (the machine may be shared), and the last
    call's result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        best = min(best, time.perf_counter() - start)
    return best, result


def accuracy(prediction, labels) -> float:
    """Percentage of equal entries, whatever the shapes ((1, m) or (m,))."""
    return 100.0 * float(np.mean(np.ravel(prediction) == np.ravel(labels)))


def machine() -> str:
    """Python, NumPy and scikit-learn versions, CPUs and load: what the figures were measured on."""
    import sklearn

    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn {sklearn.__version__}; "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs{load}")
