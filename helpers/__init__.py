"""Helpers for the course Deep Learning from Scratch with NumPy.

Student-safe: data loaders (:mod:`helpers.datasets`), plots (:mod:`helpers.plots`), the friendly checks the
test cells use (:mod:`helpers.checks`) and the gradient checker (:mod:`helpers.gradient_check`).
The reference solutions (:mod:`helpers.reference`) exist only in the instructor's checkout.
"""

__version__ = "2026.11"
