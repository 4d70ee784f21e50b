"""Helpers for the course Deep Learning from Scratch with NumPy.

Student-safe: data loaders (:mod:`helpers.datasets`), plots (:mod:`helpers.plots`), the friendly checks the
test cells use (:mod:`helpers.checks`) and the gradient checker (:mod:`helpers.gradient_check`).
The reference solutions (:mod:`helpers.reference`) exist only in the instructor's checkout.
``submit("01_numpy_basics")`` hands in the notebook it is called from (:mod:`helpers.handin`).
"""

__version__ = "2026.11"


def __getattr__(name: str):
    # Imported on first use only: a notebook that never hands in pays nothing for it.
    if name == "submit":
        from .handin import submit

        return submit
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
